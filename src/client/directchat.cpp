#include "directchat.h"

#include <QLoggingCategory>
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
    if (!m_socket)
        return {};
    QHostAddress address = m_socket->peerAddress();
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // show ::ffff:a.b.c.d as a.b.c.d
    if (isV4)
        address = QHostAddress(v4);
    return QStringLiteral("%1:%2").arg(address.toString()).arg(m_socket->peerPort());
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
    connect(socket, &QTcpSocket::readyRead, this, &DirectChat::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &DirectChat::onDisconnected);
    setState(State::Connected);
    emit peerConnected(peerName());
    // Lines that came with the handshake are delivered once our owner has connected to us.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, [this] { if (m_socket) onReadyRead(); }, Qt::QueuedConnection);
}

void DirectChat::onReadyRead()
{
    m_buffer += m_socket->readAll();
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = m_buffer.indexOf('\n', start);
        if (newline < 0)
            break;
        qsizetype end = newline;
        if (end > start && m_buffer.at(end - 1) == '\r')
            --end;
        if (end - start > MaxLineBytes) {
            m_buffer.clear();
            emit errorOccurred(tr("the peer sent a line longer than %1 bytes; disconnecting").arg(MaxLineBytes));
            m_socket->abort();
            onDisconnected();
            return;
        }
        emit lineReceived(QString::fromUtf8(m_buffer.constData() + start, end - start));
        start = newline + 1;
        if (m_state != State::Connected)
            return;
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > MaxLineBytes + 1) {
        m_buffer.clear();
        emit errorOccurred(tr("the peer sent a line longer than %1 bytes; disconnecting").arg(MaxLineBytes));
        m_socket->abort();
        onDisconnected();
    }
}

bool DirectChat::send(const QString &text)
{
    if (m_state != State::Connected || !m_socket)
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
        socket->disconnectFromHost(); // flushes what was sent first
        if (socket->state() == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
        else
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
    setState(State::Closed);
}

void DirectChat::onDisconnected()
{
    if (m_state != State::Connected)
        return;
    if (!m_buffer.isEmpty()) {
        // A last line without its newline still counts.
        emit lineReceived(QString::fromUtf8(m_buffer.left(MaxLineBytes)));
        m_buffer.clear();
    }
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    setState(State::Closed);
    emit peerLeft();
}

} // namespace Confab
