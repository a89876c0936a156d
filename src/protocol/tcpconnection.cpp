#include "tcpconnection.h"

#include <QSslSocket>

namespace Confab {

namespace {
// The first bytes of a TLS record (handshake or alert, version 3.x): what a plain client reads
// from a server that speaks only TLS.
bool looksLikeTls(const QByteArray &bytes)
{
    return bytes.size() >= 2 && (bytes.at(0) == 0x15 || bytes.at(0) == 0x16) && bytes.at(1) == 0x03;
}
} // namespace

TcpConnection::TcpConnection(QTcpSocket *socket, QObject *parent)
    : Connection(parent)
    , m_socket(socket)
    , m_tcpUp(true)
{
    m_socket->setParent(this);
    setUpSocket();
    // Bytes may have arrived between accept and now.
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &TcpConnection::onReadyRead, Qt::QueuedConnection);
}

TcpConnection::TcpConnection(QObject *parent)
    : Connection(parent)
    , m_socket(new QTcpSocket(this))
{
    setUpSocket();
}

void TcpConnection::setUpSocket()
{
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
        setUpTls(tls);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Bounds what Qt buffers from the peer; while receiving is paused (see onReadyRead) the rest
    // stays in the kernel, and TCP's flow control holds the peer back.
    m_socket->setReadBufferSize(ReadBufferBytes);
    connect(m_socket, &QTcpSocket::readyRead, this, &TcpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        m_tcpUp = true;
        markHeard();
        if (!m_tls)
            emit connected(); // over TLS, once the handshake has succeeded
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &TcpConnection::reportDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (m_tls && m_tcpUp && !isEncrypted()
            && (error == QAbstractSocket::SslHandshakeFailedError || error == QAbstractSocket::RemoteHostClosedError)) {
            if (!m_handshakeReported) {
                m_handshakeReported = true;
                emit handshakeFailed(error == QAbstractSocket::RemoteHostClosedError
                                         ? tr("the peer closed the connection during the TLS handshake")
                                         : m_socket->errorString());
            }
            // Not from inside the TLS backend's own call.
            QMetaObject::invokeMethod(this, &TcpConnection::abort, Qt::QueuedConnection);
            return;
        }
        if (error == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() follows and says all there is to say
        if (m_socket->state() != QAbstractSocket::ConnectedState && !m_closing)
            emit connectFailed(m_socket->errorString());
    });
}

void TcpConnection::setUpTls(QSslSocket *socket)
{
    m_tls = true;
    connect(socket, &QSslSocket::encrypted, this, [this] {
        markHeard();
        if (m_closing) {
            m_socket->disconnectFromHost(); // close() came during the handshake
            return;
        }
        emit connected();
    });
    // Direct, so a slot can still call ignoreSslErrors() before the handshake goes on.
    connect(socket, &QSslSocket::sslErrors, this, &TcpConnection::sslErrors, Qt::DirectConnection);
}

void TcpConnection::connectToHost(const QString &host, quint16 port)
{
    m_socket->connectToHost(host, port);
}

void TcpConnection::connectToHostEncrypted(const QString &host, quint16 port, const QSslConfiguration &configuration)
{
    // The constructor made a plain socket; TLS needs its own, made before anything was connected.
    auto *socket = new QSslSocket(this);
    delete m_socket;
    m_socket = socket;
    socket->setSslConfiguration(configuration);
    setUpSocket();
    socket->connectToHostEncrypted(host, port); // verifies the certificate against `host`
}

void TcpConnection::ignoreSslErrors()
{
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
        tls->ignoreSslErrors();
}

bool TcpConnection::isEncrypted() const
{
    auto *tls = qobject_cast<QSslSocket *>(m_socket);
    return tls && tls->isEncrypted();
}

QSslCertificate TcpConnection::peerCertificate() const
{
    auto *tls = qobject_cast<QSslSocket *>(m_socket);
    return tls ? tls->peerCertificate() : QSslCertificate();
}

void TcpConnection::close()
{
    if (m_closing)
        return;
    m_closing = true;
    // During a TLS handshake the frames written so far (a refusal, say) wait for it to end:
    // closing now would stall the handshake and lose them. Closed once encrypted; a handshake
    // that never ends is bounded by the keepalive's idle timeout.
    if (m_tls && m_tcpUp && !isEncrypted())
        return;
    m_socket->disconnectFromHost(); // flushes pending writes first
}

void TcpConnection::abort()
{
    m_closing = true;
    m_socket->abort();
    // abort() emits disconnected() only from ConnectedState; make sure listeners hear about it.
    reportDisconnected();
}

void TcpConnection::reportDisconnected()
{
    if (m_reportedDisconnect)
        return;
    m_reportedDisconnect = true;
    emit disconnected();
}

void TcpConnection::writeFrame(const QByteArray &frame)
{
    if (m_socket->bytesToWrite() > Limits::MaxOutboundBuffer) {
        // The peer is not reading; holding more would let one client exhaust our memory.
        qCInfo(lcConnection) << "peer" << peerAddress().toString() << "is not reading; dropping";
        abort();
        return;
    }
    m_socket->write(frame);
}

void TcpConnection::onReadyRead()
{
    if (m_failed)
        return;
    // While paused (password check, rate limit), take in at most about one more frame: a peer
    // must not be able to grow our buffers by sending while we are not reading.
    if (isReceivingPaused() && m_decoder.bufferedBytes() > qsizetype(Limits::MaxFramePayload) + 4)
        return;
    const QByteArray bytes = m_socket->readAll();
    if (bytes.isEmpty())
        return;
    if (stats().bytesIn == 0 && !m_tls)
        m_peerSpeaksTls = looksLikeTls(bytes);
    noteBytesIn(bytes.size());
    markHeard();
    m_decoder.append(bytes);
    drain();
}

void TcpConnection::resumeReceiving()
{
    QMetaObject::invokeMethod(this, [this] {
        drain();
        if (!isReceivingPaused() && m_socket->bytesAvailable() > 0)
            onReadyRead(); // what was left unread while paused
    }, Qt::QueuedConnection);
}

void TcpConnection::drain()
{
    // Delivering a message can re-enter (a slot pauses us, or closes us); guard the loop.
    if (m_draining)
        return;
    m_draining = true;
    QByteArray payload;
    while (!m_failed && !isReceivingPaused() && !m_closing) {
        const FrameDecoder::Status status = m_decoder.next(&payload);
        if (status == FrameDecoder::Status::NeedMore)
            break;
        if (status == FrameDecoder::Status::Error) {
            m_failed = true;
            failFraming(m_decoder.error(), m_peerSpeaksTls ? tr("the peer speaks TLS; connect with TLS")
                                                           : m_decoder.errorString());
            break;
        }
        deliverPayload(payload);
    }
    m_draining = false;
}

} // namespace Confab
