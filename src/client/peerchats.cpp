#include "peerchats.h"
#include "udppeerlink.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace Confab {

Q_LOGGING_CATEGORY(lcPeer, "confab.peer")

namespace {
const QByteArray Hello = QByteArrayLiteral("CONFAB-P2P 1 ");
const QByteArray Welcome = QByteArrayLiteral("CONFAB-P2P OK\n");
const QByteArray Denied = QByteArrayLiteral("CONFAB-P2P DENIED\n");
constexpr int MaxHandshakeLine = 128;

// Compares two tokens without leaking where they differ.
bool sameToken(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

// Runs onTimeout unless the handshake finishes (disarmHandshakeTimer) in time.
void armHandshakeTimer(QTcpSocket *socket, int timeoutMs, const std::function<void()> &onTimeout)
{
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    timer->setObjectName(QStringLiteral("handshakeTimer"));
    QObject::connect(timer, &QTimer::timeout, socket, onTimeout);
    timer->start(timeoutMs);
}

void disarmHandshakeTimer(QTcpSocket *socket)
{
    if (auto *timer = socket->findChild<QTimer *>(QStringLiteral("handshakeTimer"), Qt::FindDirectChildrenOnly))
        timer->deleteLater();
}
} // namespace

PeerChats::PeerChats(ClientSession *session, QObject *parent)
    : QObject(parent)
    , m_session(session)
{
    connect(session, &ClientSession::peerIntroduced, this, &PeerChats::onIntroduced);
    connect(session, &ClientSession::pokeRefused, this, &PeerChats::onRefused);
    connect(session, &ClientSession::pokeReceived, this, [this](quint64 pokeId, const QString &from) {
        m_incoming.insert(pokeId, from);
        emit pokeReceived(pokeId, from);
    });
    connect(session, &ClientSession::requestFailed, this, [this](quint64 requestId, ErrorCode, const QString &message) {
        if (!m_pending.contains(requestId))
            return;
        const QString peer = m_pending.value(requestId).peer;
        drop(requestId);
        emit failed(peer, message);
    });
}

PeerChats::~PeerChats() = default;

void PeerChats::setUdpPeerTimeouts(int keepaliveIntervalMs, int deadPeerTimeoutMs)
{
    m_udpKeepaliveIntervalMs = keepaliveIntervalMs;
    m_udpDeadPeerTimeoutMs = deadPeerTimeoutMs;
}

UdpPeerLink *PeerChats::newUdpLink()
{
    auto *link = new UdpPeerLink(this);
    if (m_udpKeepaliveIntervalMs > 0 && m_udpDeadPeerTimeoutMs > 0)
        link->setPeerTimeouts(m_udpKeepaliveIntervalMs, m_udpDeadPeerTimeoutMs);
    return link;
}

UdpPeerLink *PeerChats::openUdpListener()
{
    // Only a user logged in over UDP offers a UDP port: the server picks UDP only when both are.
    if (!m_session || m_session->activeTransport() != ClientSession::Transport::Udp)
        return nullptr;
    UdpPeerLink *link = newUdpLink();
    if (!link->bind(m_listenAddress, 0)) {
        qCInfo(lcPeer) << "no UDP port for a direct chat, offering TCP only:" << link->errorString();
        delete link;
        return nullptr;
    }
    return link;
}

QTcpServer *PeerChats::openListener()
{
    auto *server = new QTcpServer(this);
    if (!server->listen(m_listenAddress, 0)) {
        delete server;
        return nullptr;
    }
    return server;
}

quint64 PeerChats::poke(const QString &user)
{
    QTcpServer *server = openListener();
    if (!server) {
        emit failed(user, tr("cannot open a port for the direct chat"));
        return 0;
    }
    UdpPeerLink *udp = openUdpListener();
    const quint64 id = m_session->poke(user, server->serverPort(), udp ? udp->localPort() : 0);
    m_pending.insert(id, {server, udp, user, {}});
    connect(server, &QTcpServer::pendingConnectionAvailable, this, [this, id] { onIncomingConnection(id); });
    return id;
}

quint64 PeerChats::bridge()
{
    QTcpServer *server = openListener();
    if (!server) {
        emit failed(QString(), tr("cannot open a port for the direct chat"));
        return 0;
    }
    UdpPeerLink *udp = openUdpListener();
    const quint64 id = m_session->requestBridge(server->serverPort(), udp ? udp->localPort() : 0);
    m_pending.insert(id, {server, udp, QString(), {}});
    connect(server, &QTcpServer::pendingConnectionAvailable, this, [this, id] { onIncomingConnection(id); });
    return id;
}

quint64 PeerChats::cancelBridge()
{
    return m_session->cancelBridge();
}

quint64 PeerChats::accept(quint64 pokeId)
{
    const QString from = m_incoming.take(pokeId);
    const bool udp = m_session->activeTransport() == ClientSession::Transport::Udp;
    const quint64 id = m_session->acceptPoke(pokeId, udp ? ClientSession::PeerTransports::TcpAndUdp
                                                         : ClientSession::PeerTransports::Tcp);
    m_pending.insert(id, {nullptr, nullptr, from, {}});
    return id;
}

quint64 PeerChats::decline(quint64 pokeId)
{
    m_incoming.remove(pokeId);
    return m_session->declinePoke(pokeId);
}

void PeerChats::drop(quint64 requestId)
{
    const Pending pending = m_pending.take(requestId);
    if (pending.listener)
        pending.listener->deleteLater();
    if (pending.udpListener)
        pending.udpListener->dispose();
}

void PeerChats::onRefused(quint64 requestId, quint64 pokeId, const QString &reason)
{
    if (requestId == 0) { // an incoming poke expired or was withdrawn
        const QString from = m_incoming.take(pokeId);
        if (!from.isEmpty())
            emit failed(from, tr("the poke from %1 ended: %2").arg(from, reason));
        return;
    }
    if (!m_pending.contains(requestId))
        return;
    const QString peer = m_pending.value(requestId).peer;
    drop(requestId);
    emit failed(peer, reason);
}

void PeerChats::onIntroduced(const PeerIntroduction &intro)
{
    if (!m_pending.contains(intro.requestId))
        return;
    Pending &pending = m_pending[intro.requestId];
    pending.peer = intro.peer;
    pending.token = intro.token;
    if (intro.weListen) {
        const quint64 id = intro.requestId;
        if (intro.overUdp && pending.udpListener) {
            // The peer comes over UDP: the TCP port is not needed.
            if (pending.listener)
                std::exchange(pending.listener, nullptr)->deleteLater();
            UdpPeerLink *link = pending.udpListener;
            connect(link, &UdpPeerLink::established, this, [this, id, link] {
                const auto it = m_pending.find(id);
                if (it == m_pending.end() || it->udpListener != link)
                    return;
                const QString peer = it->peer;
                it->udpListener = nullptr; // the chat takes it over
                drop(id);
                startOverUdp(link, peer);
            });
            link->expectPeer(intro.token.toLatin1(), m_handshakeTimeoutMs);
        } else if (pending.udpListener) {
            std::exchange(pending.udpListener, nullptr)->dispose(); // the peer comes over TCP
        }
        // The peer will connect to our listener; give it a bounded time.
        QTimer::singleShot(m_handshakeTimeoutMs, this, [this, id] {
            if (!m_pending.contains(id))
                return;
            const QString peer = m_pending.value(id).peer;
            drop(id);
            emit failed(peer, tr("%1 did not reach us directly within %2 seconds (a firewall or NAT in between?); "
                                 "direct messages through the server still work")
                                  .arg(peer).arg(m_handshakeTimeoutMs / 1000));
        });
        return;
    }
    drop(intro.requestId); // a listener we opened (a bridge that did not wait) is not needed
    if (intro.overUdp)
        connectOverUdp(intro);
    else
        connectToPeer(intro);
}

void PeerChats::onIncomingConnection(quint64 requestId)
{
    const auto it = m_pending.constFind(requestId);
    if (it == m_pending.cend() || !it->listener)
        return;
    while (QTcpSocket *socket = it->listener->nextPendingConnection()) {
        socket->setParent(this);
        armHandshakeTimer(socket, m_handshakeTimeoutMs, [socket] { socket->abort(); socket->deleteLater(); });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, requestId] {
            if (!socket->canReadLine()) {
                if (socket->bytesAvailable() > MaxHandshakeLine)
                    socket->abort();
                return;
            }
            const QByteArray line = socket->readLine(MaxHandshakeLine).trimmed();
            const auto pending = m_pending.constFind(requestId);
            const bool valid = pending != m_pending.cend() && !pending->token.isEmpty() && line.startsWith(Hello.trimmed())
                && sameToken(line.mid(Hello.size()), pending->token.toLatin1());
            socket->disconnect(this);
            if (!valid) {
                qCInfo(lcPeer) << "refused a direct connection without the right token from" << socket->peerAddress();
                socket->write(Denied);
                socket->disconnectFromHost();
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
                return;
            }
            disarmHandshakeTimer(socket);
            socket->write(Welcome);
            const QString peer = pending->peer;
            drop(requestId); // stop listening: the one peer is here
            start(socket, peer);
        });
    }
}

void PeerChats::connectToPeer(const PeerIntroduction &intro)
{
    auto *socket = new QTcpSocket(this);
    const QString peer = intro.peer;
    auto fail = [this, socket, peer, intro](const QString &why) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
        emit failed(peer, tr("could not reach %1 directly at %2:%3: %4; direct messages through the server still work")
                              .arg(peer, intro.address).arg(intro.port).arg(why));
    };
    armHandshakeTimer(socket, m_handshakeTimeoutMs, [fail] { fail(tr("no answer")); });
    connect(socket, &QTcpSocket::connected, this, [socket, intro] {
        socket->write(Hello + intro.token.toLatin1() + '\n');
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [socket, fail] { fail(socket->errorString()); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket, peer, fail] {
        if (!socket->canReadLine())
            return;
        const QByteArray line = socket->readLine(MaxHandshakeLine);
        if (line != Welcome) {
            fail(tr("the peer refused the token"));
            return;
        }
        socket->disconnect(this);
        disarmHandshakeTimer(socket);
        start(socket, peer);
    });
    socket->connectToHost(intro.address, intro.port);
}

void PeerChats::connectOverUdp(const PeerIntroduction &intro)
{
    UdpPeerLink *link = newUdpLink();
    connect(link, &UdpPeerLink::handshakeFailed, this, [this, link, intro](const QString &why) {
        link->disconnect(this);
        link->dispose();
        emit failed(intro.peer, tr("could not reach %1 directly at %2:%3 over UDP: %4; direct messages through the "
                                   "server still work")
                                    .arg(intro.peer, intro.address).arg(intro.port).arg(why));
    });
    connect(link, &UdpPeerLink::established, this, [this, link, peer = intro.peer] { startOverUdp(link, peer); });
    link->connectToPeer(QHostAddress(intro.address), intro.port, intro.token.toLatin1(), m_handshakeTimeoutMs);
}

void PeerChats::startOverUdp(UdpPeerLink *link, const QString &peer)
{
    link->disconnect(this);
    auto *chat = new DirectChat(this);
    connect(chat, &DirectChat::stateChanged, chat, [chat](DirectChat::State state) {
        if (state == DirectChat::State::Closed)
            chat->deleteLater();
    });
    chat->adopt(link);
    qCInfo(lcPeer) << "direct chat with" << peer << "is up over UDP";
    emit chatStarted(chat, peer);
}

void PeerChats::start(QTcpSocket *socket, const QString &peer)
{
    auto *chat = new DirectChat(this);
    connect(chat, &DirectChat::stateChanged, chat, [chat](DirectChat::State state) {
        if (state == DirectChat::State::Closed)
            chat->deleteLater();
    });
    chat->adopt(socket);
    qCInfo(lcPeer) << "direct chat with" << peer << "is up";
    emit chatStarted(chat, peer);
}

} // namespace Confab
