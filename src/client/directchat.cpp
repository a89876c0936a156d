#include "directchat.h"
#include "udppeerlink.h"

#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

namespace Confab {

Q_LOGGING_CATEGORY(lcDirect, "confab.direct")

DirectChat::DirectChat(QObject *parent)
    : QObject(parent)
{
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Connecting)
            onConnectFailed(tr("no answer within %1 seconds").arg(ConnectTimeoutMs / 1000));
    });
}

DirectChat::~DirectChat()
{
    if (m_socket)
        m_socket->disconnect(this);
    if (m_link)
        m_link->disconnect(this); // goes with us, without a word: the peer will find it lost
}

void DirectChat::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

QString DirectChat::peerName() const
{
    if (m_link)
        return m_link->peerName();
    if (!m_socket)
        return {};
    QHostAddress address = m_socket->peerAddress();
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // show ::ffff:a.b.c.d as a.b.c.d
    if (isV4)
        address = QHostAddress(v4);
    return QStringLiteral("%1:%2").arg(address.toString()).arg(m_socket->peerPort());
}

bool DirectChat::isEncrypted() const
{
    if (m_link)
        return m_link->isEncrypted() && m_link->peerFingerprint() == m_peerFingerprint;
    const auto *tls = qobject_cast<const QSslSocket *>(m_socket);
    return tls && tls->isEncrypted() && !m_peerFingerprint.isEmpty();
}

QString DirectChat::encryptionName() const
{
    if (!isEncrypted())
        return {};
    return m_link ? QStringLiteral("DTLS") : QStringLiteral("TLS");
}

void DirectChat::start(const QString &peerHost, quint16 peerPort, quint16 listenPort)
{
    m_peerHost = peerHost;
    m_peerPort = peerPort;
    m_listenPort = listenPort;
    auto *socket = new QTcpSocket(this);
    m_socket = socket;
    connect(socket, &QTcpSocket::connected, this, [this, socket] {
        m_connectTimer.stop();
        attach(socket);
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] {
        if (m_state == State::Connecting && m_socket == socket)
            onConnectFailed(socket->errorString());
    });
    setState(State::Connecting);
    m_connectTimer.start(ConnectTimeoutMs);
    socket->connectToHost(peerHost, peerPort);
}

void DirectChat::onConnectFailed(const QString &reason)
{
    m_connectTimer.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    qCInfo(lcDirect) << "could not reach" << m_peerHost << m_peerPort << reason;
    if (m_listenPort == 0) {
        emit errorOccurred(tr("could not reach %1:%2: %3").arg(m_peerHost).arg(m_peerPort).arg(reason));
        setState(State::Closed);
        return;
    }
    emit errorOccurred(tr("%1:%2 is not reachable (%3); waiting for the peer to connect")
                           .arg(m_peerHost).arg(m_peerPort).arg(reason));
    if (!listen(m_listenPort))
        setState(State::Closed);
}

bool DirectChat::listen(quint16 port, const QHostAddress &address)
{
    if (!m_server) {
        m_server = new QTcpServer(this);
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &DirectChat::onNewConnection);
    }
    if (!m_server->listen(address, port)) {
        emit errorOccurred(tr("cannot listen on port %1: %2").arg(port).arg(m_server->errorString()));
        return false;
    }
    setState(State::Listening);
    emit listening(m_server->serverPort());
    return true;
}

quint16 DirectChat::listeningPort() const
{
    return m_server && m_server->isListening() ? m_server->serverPort() : 0;
}

void DirectChat::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_state != State::Listening) {
            socket->write("busy: this peer is already in a direct chat\n");
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            continue;
        }
        m_server->close(); // the first peer wins; nobody else is listened for
        attach(socket);
    }
}

void DirectChat::adopt(QTcpSocket *socket)
{
    socket->setParent(this);
    attach(socket);
}

void DirectChat::attach(QTcpSocket *socket)
{
    m_socket = socket;
    socket->disconnect(this);
    // Bounds what Qt reads ahead of us; every read is split at once (see onReadyRead).
    socket->setReadBufferSize(4 * MaxLineBytes);
    m_lines = LineSplitter(MaxLineBytes);
    connect(socket, &QTcpSocket::readyRead, this, &DirectChat::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &DirectChat::onDisconnected);
    setState(State::Connected);
    emit peerConnected(peerName());
    // Lines that came with the handshake are delivered once our owner has connected to us.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, [this] { if (m_socket) onReadyRead(); }, Qt::QueuedConnection);
}

void DirectChat::adopt(UdpPeerLink *link)
{
    link->setParent(this);
    m_link = link;
    link->disconnect(this);
    m_lines = LineSplitter(MaxLineBytes);
    // Each payload holds whole lines; read in order they are the same stream as over TCP.
    connect(link, &UdpPeerLink::payloadReceived, this, &DirectChat::consume);
    connect(link, &UdpPeerLink::peerClosed, this, &DirectChat::onDisconnected);
    connect(link, &UdpPeerLink::peerLost, this, [this](const QString &reason) {
        if (m_state != State::Connected)
            return;
        emit errorOccurred(reason);
        onDisconnected();
    });
    setState(State::Connected);
    emit peerConnected(peerName());
    // Lines that came with the handshake are delivered once our owner has connected to us.
    QMetaObject::invokeMethod(this, [this] { if (m_link) m_link->startDelivery(); }, Qt::QueuedConnection);
}

void DirectChat::onReadyRead()
{
    consume(m_socket->readAll());
}

void DirectChat::consume(const QByteArray &bytes)
{
    m_lines.append(bytes);
    QString line;
    for (;;) {
        switch (m_lines.next(&line)) {
        case LineSplitter::Status::NeedMore:
            return;
        case LineSplitter::Status::TooLong:
            emit errorOccurred(tr("the peer sent a line longer than %1 bytes; disconnecting").arg(MaxLineBytes));
            hangUp();
            onDisconnected();
            return;
        case LineSplitter::Status::Line:
            emit lineReceived(line);
            if (m_state != State::Connected || (!m_socket && !m_link))
                return;
            break;
        }
    }
}

void DirectChat::hangUp()
{
    if (m_socket)
        m_socket->abort();
    else
        releaseLink(); // closes the channel: the peer sees the chat end
}

void DirectChat::releaseLink()
{
    if (!m_link)
        return;
    UdpPeerLink *link = std::exchange(m_link, nullptr);
    link->disconnect(this);
    // It finishes closing (and lingers for a peer that missed its last word) on its own, under our
    // owner, so that it outlives us when we are deleted on closing.
    link->setParent(parent());
    link->dispose();
}

bool DirectChat::send(const QString &text)
{
    if (m_state != State::Connected || (!m_socket && !m_link))
        return false;
    QByteArray bytes;
    for (const QString &line : text.split(u'\n')) {
        QString clean = line;
        if (clean.endsWith(u'\r'))
            clean.chop(1);
        const QByteArray utf8 = clean.toUtf8();
        if (utf8.size() > MaxLineBytes) {
            emit errorOccurred(tr("a line has at most %1 bytes; not sent").arg(MaxLineBytes));
            return false;
        }
        bytes += utf8 + '\n';
    }
    if (m_link) {
        // One payload per line (a 16 KiB line fits a channel payload).
        qsizetype start = 0;
        while (start < bytes.size()) {
            const qsizetype end = bytes.indexOf('\n', start) + 1;
            if (!m_link->send(bytes.sliced(start, end - start)))
                return false;
            start = end;
        }
        return true;
    }
    m_socket->write(bytes);
    return true;
}

void DirectChat::close()
{
    m_connectTimer.stop();
    if (m_server)
        m_server->close();
    if (m_socket) {
        QTcpSocket *socket = m_socket;
        m_socket = nullptr;
        socket->disconnect(this);
        // Owners delete a chat once it is closed: the socket must outlive it to flush.
        socket->setParent(parent());
        socket->disconnectFromHost(); // flushes what was sent first
        if (socket->state() == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
        else
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
    releaseLink();
    setState(State::Closed);
}

void DirectChat::onDisconnected()
{
    if (m_state != State::Connected)
        return;
    // What arrived with the end of the stream (not read yet when the socket reports it) counts.
    if (m_socket && m_socket->bytesAvailable() > 0) {
        consume(m_socket->readAll());
        if (m_state != State::Connected)
            return; // a line too long, or a slot ended the chat
    }
    // A last line without its newline still counts.
    if (const QString rest = m_lines.takeRest(); !rest.isEmpty())
        emit lineReceived(rest);
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    releaseLink();
    setState(State::Closed);
    emit peerLeft();
}

} // namespace Confab
