#include "tcpconnection.h"

namespace Confab {

TcpConnection::TcpConnection(QTcpSocket *socket, QObject *parent)
    : Connection(parent)
    , m_socket(socket)
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
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Bounds what Qt buffers from the peer; while receiving is paused (see onReadyRead) the rest
    // stays in the kernel, and TCP's flow control holds the peer back.
    m_socket->setReadBufferSize(ReadBufferBytes);
    connect(m_socket, &QTcpSocket::readyRead, this, &TcpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        markHeard();
        emit connected();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &TcpConnection::reportDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() follows and says all there is to say
        if (m_socket->state() != QAbstractSocket::ConnectedState && !m_closing)
            emit connectFailed(m_socket->errorString());
    });
}

void TcpConnection::connectToHost(const QString &host, quint16 port)
{
    m_socket->connectToHost(host, port);
}

void TcpConnection::close()
{
    if (m_closing)
        return;
    m_closing = true;
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
            failFraming(m_decoder.error(), m_decoder.errorString());
            break;
        }
        deliverPayload(payload);
    }
    m_draining = false;
}

} // namespace Confab
