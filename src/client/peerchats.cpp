#include "peerchats.h"
#include "peertoken.h"
#include "tlsfingerprint.h"
#include "udppeerlink.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace Confab {

Q_LOGGING_CATEGORY(lcPeer, "confab.peer")

namespace {
using namespace PeerToken;
constexpr int MaxHandshakeLine = 128;
constexpr char TlsHandshakeRecord = 0x16; // the first byte a TLS client sends

// Accepts connections as QSslSocket, not yet encrypted: the first byte a caller sends says
// whether it starts TLS.
class PeerListener : public QTcpServer
{
public:
    using QTcpServer::QTcpServer;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QSslSocket(this);
        if (socket->setSocketDescriptor(descriptor))
            addPendingConnection(socket);
        else
            delete socket;
    }
};

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

const PeerIdentity &PeerChats::identity()
{
    if (!m_identityTried) {
        m_identityTried = true;
        QString why;
        if (QSslSocket::supportsSsl())
            m_identity = PeerIdentity::generate(&why);
        else
            why = QStringLiteral("no TLS library");
        if (m_identity.isNull())
            qCWarning(lcPeer).noquote() << "direct chats cannot be encrypted here:" << why;
    }
    return m_identity;
}

QString PeerChats::fingerprint() const
{
    return const_cast<PeerChats *>(this)->identity().fingerprint();
}

QSslConfiguration PeerChats::tlsConfiguration()
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificate(identity().certificate());
    config.setPrivateKey(identity().key());
    config.setProtocol(QSsl::TlsV1_2OrLater);
    // The peer's certificate is self-made, so no authority vouches for it: it is asked for, and
    // checked against the fingerprint the server announced once the handshake is done.
    config.setPeerVerifyMode(QSslSocket::QueryPeer);
    return config;
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
    auto *server = new PeerListener(this);
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
    const quint64 id = m_session->poke(user, server->serverPort(), udp ? udp->localPort() : 0, fingerprint());
    m_pending.insert(id, Pending(server, udp, user));
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
    const quint64 id = m_session->requestBridge(server->serverPort(), udp ? udp->localPort() : 0, fingerprint());
    m_pending.insert(id, Pending(server, udp, QString()));
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
                                                         : ClientSession::PeerTransports::Tcp,
                                             fingerprint());
    m_pending.insert(id, Pending(nullptr, nullptr, from));
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
    for (const QPointer<QSslSocket> &caller : pending.callers) {
        if (caller) { // still in its handshake: nobody waits for it any more
            caller->abort();
            caller->deleteLater();
        }
    }
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
    pending.peerFingerprint = intro.peerFingerprint;
    pending.introduced = true;
    if (intro.weListen) {
        const quint64 id = intro.requestId;
        // A caller may have come before the introduction: it waits, with its bytes, until now.
        for (const QPointer<QSslSocket> &caller : std::as_const(pending.callers)) {
            if (caller)
                QMetaObject::invokeMethod(this, [this, caller, id] { if (caller) advanceCaller(caller, id); },
                                          Qt::QueuedConnection);
        }
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
            if (!intro.peerFingerprint.isEmpty() && !identity().isNull())
                link->setEncryption(tlsConfiguration(), intro.peerFingerprint);
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
    const auto it = m_pending.find(requestId);
    if (it == m_pending.end() || !it->listener)
        return;
    while (QTcpSocket *next = it->listener->nextPendingConnection()) {
        auto *socket = static_cast<QSslSocket *>(next); // PeerListener makes only these
        socket->setParent(this);
        it->callers.append(socket);
        armHandshakeTimer(socket, m_handshakeTimeoutMs, [socket] { socket->abort(); socket->deleteLater(); });
        connect(socket, &QSslSocket::readyRead, this, [this, socket, requestId] { advanceCaller(socket, requestId); });
        connect(socket, &QSslSocket::encrypted, this, [this, socket, requestId] { advanceCaller(socket, requestId); });
    }
}

void PeerChats::advanceCaller(QSslSocket *socket, quint64 requestId)
{
    if (socket->mode() == QSslSocket::UnencryptedMode) {
        char first = 0;
        if (socket->peek(&first, 1) != 1)
            return;
        if (first == TlsHandshakeRecord && !identity().isNull()) {
            socket->setSslConfiguration(tlsConfiguration());
            socket->startServerEncryption(); // comes back here on `encrypted`
            return;
        }
    } else if (!socket->isEncrypted()) {
        return; // the TLS handshake is still going on
    }
    if (!socket->canReadLine()) {
        if (socket->bytesAvailable() > MaxHandshakeLine)
            denyCaller(socket, "a handshake line that is too long");
        return;
    }
    const auto pending = m_pending.constFind(requestId);
    if (pending == m_pending.cend()) {
        denyCaller(socket, "a request that is gone");
        return;
    }
    if (!pending->introduced)
        return; // onIntroduced brings us back
    const QByteArray line = socket->readLine(MaxHandshakeLine).trimmed();
    const bool tokenOk = !pending->token.isEmpty() && line.startsWith(HelloPrefix.trimmed())
                         && sameToken(line.mid(HelloPrefix.size()), pending->token.toLatin1());
    if (!tokenOk) {
        denyCaller(socket, "a wrong token");
        return;
    }
    const QString seen = socket->isEncrypted() ? PeerIdentity::fingerprintOf(socket->peerCertificate()) : QString();
    if (!pending->peerFingerprint.isEmpty() && seen != pending->peerFingerprint) {
        // The peer offered encryption through the server: nothing less will do.
        denyCaller(socket, seen.isEmpty() ? "no encryption" : "a certificate other than the one announced");
        return;
    }
    socket->disconnect(this);
    disarmHandshakeTimer(socket);
    socket->write(Welcome);
    const QString peer = pending->peer;
    const QString verified = pending->peerFingerprint.isEmpty() ? QString() : seen;
    m_pending[requestId].callers.removeAll(socket);
    drop(requestId); // stop listening: the one peer is here
    // Encrypted but with nothing announced to check against, a chat is not shown as verified.
    start(socket, peer, verified);
}

void PeerChats::denyCaller(QSslSocket *socket, const char *why)
{
    qCInfo(lcPeer) << "refused a direct connection from" << socket->peerAddress() << "with" << why;
    socket->disconnect(this);
    disarmHandshakeTimer(socket);
    for (Pending &pending : m_pending)
        pending.callers.removeAll(socket);
    socket->write(Denied);
    socket->disconnectFromHost();
    if (socket->state() == QAbstractSocket::UnconnectedState)
        socket->deleteLater();
    else
        connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
}

void PeerChats::connectToPeer(const PeerIntroduction &intro)
{
    const bool encrypt = !intro.peerFingerprint.isEmpty() && !identity().isNull();
    auto *socket = new QSslSocket(this);
    const QString peer = intro.peer;
    auto fail = [this, socket, peer, intro](const QString &why) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
        emit failed(peer, tr("could not reach %1 directly at %2:%3: %4; direct messages through the server still work")
                              .arg(peer, intro.address).arg(intro.port).arg(why));
    };
    armHandshakeTimer(socket, m_handshakeTimeoutMs, [fail] { fail(tr("no answer")); });
    auto sendToken = [socket, intro] { socket->write(HelloPrefix + intro.token.toLatin1() + '\n'); };
    if (encrypt) {
        connect(socket, &QSslSocket::encrypted, this, [socket, intro, fail, sendToken] {
            const QString seen = PeerIdentity::fingerprintOf(socket->peerCertificate());
            if (seen != intro.peerFingerprint) {
                fail(tr("its certificate is not the one the server announced (%1 instead of %2)")
                         .arg(normalizedFingerprint(seen), normalizedFingerprint(intro.peerFingerprint)));
                return;
            }
            sendToken(); // only to the peer the server introduced
        });
    } else {
        connect(socket, &QSslSocket::connected, this, sendToken);
    }
    connect(socket, &QSslSocket::errorOccurred, this, [socket, fail] { fail(socket->errorString()); });
    connect(socket, &QSslSocket::readyRead, this, [this, socket, peer, fail, intro, encrypt] {
        if (!socket->canReadLine())
            return;
        const QByteArray line = socket->readLine(MaxHandshakeLine);
        if (line != Welcome) {
            fail(tr("the peer refused the token"));
            return;
        }
        socket->disconnect(this);
        disarmHandshakeTimer(socket);
        start(socket, peer, encrypt ? intro.peerFingerprint : QString());
    });
    if (encrypt) {
        socket->setSslConfiguration(tlsConfiguration());
        socket->connectToHostEncrypted(intro.address, intro.port);
    } else {
        socket->connectToHost(intro.address, intro.port);
    }
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
    // Both offered a certificate: DTLS, checked against the announced fingerprint before the token.
    if (!intro.peerFingerprint.isEmpty() && !identity().isNull())
        link->setEncryption(tlsConfiguration(), intro.peerFingerprint);
    link->connectToPeer(QHostAddress(intro.address), intro.port, intro.token.toLatin1(), m_handshakeTimeoutMs);
}

void PeerChats::startOverUdp(UdpPeerLink *link, const QString &peer)
{
    link->disconnect(this);
    auto *chat = new DirectChat(this);
    chat->setPeerFingerprint(link->peerFingerprint()); // empty unless DTLS with the announced certificate
    connect(chat, &DirectChat::stateChanged, chat, [chat](DirectChat::State state) {
        if (state == DirectChat::State::Closed)
            chat->deleteLater();
    });
    chat->adopt(link);
    qCInfo(lcPeer) << "direct chat with" << peer << "is up over UDP"
                   << (chat->isEncrypted() ? "(DTLS)" : "(not encrypted)");
    emit chatStarted(chat, peer);
}

void PeerChats::start(QTcpSocket *socket, const QString &peer, const QString &verifiedFingerprint)
{
    auto *chat = new DirectChat(this);
    chat->setPeerFingerprint(verifiedFingerprint);
    connect(chat, &DirectChat::stateChanged, chat, [chat](DirectChat::State state) {
        if (state == DirectChat::State::Closed)
            chat->deleteLater();
    });
    chat->adopt(socket);
    qCInfo(lcPeer) << "direct chat with" << peer << "is up" << (chat->isEncrypted() ? "(TLS)" : "(not encrypted)");
    emit chatStarted(chat, peer);
}

} // namespace Confab
