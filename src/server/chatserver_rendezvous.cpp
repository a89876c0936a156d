// ChatServer: the rendezvous for peer-to-peer chats. A poke (seeds 000 `cmd:request`, 001
// `$poke`) asks one user; a bridge (seed 002) pairs whoever is waiting. Either way the server
// only introduces the two: each learns the other's address and a one-time token, the one who
// asked listens, the other connects and proves the token. The chat itself never passes here.
// When both users are logged in over UDP and both clients offer it, the direct chat runs over the
// reliable UDP channel instead of TCP (the PokeResult's `transport` says which). When both sides
// sent a certificate fingerprint, each learns the other's, and their chat runs over TLS (DTLS over UDP)
// checked against it.
#include "chatserver.h"
#include "chatserver_p.h"

#include "usernames.h"

#include <QRandomGenerator>
#include <QTimer>

namespace Confab {

namespace {
QString newToken()
{
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

QString printableAddress(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

Message refused(quint64 re, quint64 poke, const QString &reason)
{
    Message m(MessageType::PokeResult);
    if (re)
        m.set(Key::Re, qint64(re));
    if (poke)
        m.set(Key::Poke, qint64(poke));
    return m.set(Key::Accepted, false).set(Key::Reason, reason);
}
} // namespace

bool ChatServer::dispatchRendezvousMessage(Session *session, const Message &message)
{
    switch (message.type()) {
    case MessageType::Poke: handlePoke(session, message); return true;
    case MessageType::PokeAnswer: handlePokeAnswer(session, message); return true;
    case MessageType::Bridge: handleBridge(session, message); return true;
    case MessageType::CancelBridge: handleCancelBridge(session, message); return true;
    default: return false;
    }
}

std::optional<ChatServer::DirectOffer> ChatServer::readDirectOffer(Session *session, const Message &message, bool listens)
{
    const quint64 re = message.requestId();
    DirectOffer offer;
    if (listens) {
        const quint64 port = quint64(message.integer(Key::Port));
        const quint64 udpPort = quint64(message.integer(Key::UdpPort));
        if (port == 0 || port > 65535 || udpPort > 65535 || (message.contains(Key::UdpPort) && udpPort == 0)) {
            session->connection->send(Message::error(ErrorCode::BadField, tr("the port to be reached on must be 1 to 65535"), re));
            return std::nullopt;
        }
        offer.port = quint16(port);
        offer.udpPort = quint16(udpPort);
    }
    offer.udp = offer.udpPort != 0 || message.boolean(Key::Udp);
    offer.fingerprint = message.text(Key::Fingerprint);
    if (message.contains(Key::Fingerprint) && !isFingerprint(offer.fingerprint)) {
        session->connection->send(Message::error(ErrorCode::BadField,
                                                 tr("a fingerprint is a SHA-256 digest in 64 lowercase hex digits"), re));
        return std::nullopt;
    }
    return offer;
}

void ChatServer::handlePoke(Session *session, const Message &message)
{
    const quint64 re = message.requestId();
    const QString user = message.text(Key::User);
    const std::optional<DirectOffer> offer = readDirectOffer(session, message, true);
    if (!offer)
        return;
    Session *target = onlineSession(user);
    if (!target) {
        const bool exists = isValidUsername(user) && m_accounts.find(user).has_value();
        session->connection->send(exists ? Message::error(ErrorCode::UserOffline, tr("%1 is offline").arg(user), re)
                                         : Message::error(ErrorCode::NoSuchUser, tr("no such user: %1").arg(user), re));
        return;
    }
    if (target == session) {
        session->connection->send(Message::error(ErrorCode::NotPermitted, tr("you cannot poke yourself"), re));
        return;
    }
    PendingPoke poke{m_nextPokeId++, session->info.id, re, target->info.id, *offer};
    m_pokes.insert(poke.id, poke);
    target->connection->send(Message::pokeRequest(poke.id, session->info.user));
    const quint64 id = poke.id;
    QTimer::singleShot(m_config.pokeTimeoutMs, this, [this, id] { expirePoke(id); });
    qCInfo(lcServer).noquote() << session->info.user << "poked" << target->info.user;
}

void ChatServer::expirePoke(quint64 pokeId)
{
    const auto it = m_pokes.constFind(pokeId);
    if (it == m_pokes.cend())
        return;
    const PendingPoke poke = it.value();
    m_pokes.erase(it);
    const QString why = tr("no answer within %1 seconds").arg(m_config.pokeTimeoutMs / 1000);
    if (Session *from = m_sessions.value(poke.fromSession))
        from->connection->send(refused(poke.fromRequest, poke.id, why));
    if (Session *to = m_sessions.value(poke.toSession))
        to->connection->send(refused(0, poke.id, tr("the poke expired")));
}

void ChatServer::handlePokeAnswer(Session *session, const Message &message)
{
    const quint64 re = message.requestId();
    const quint64 pokeId = quint64(message.integer(Key::Poke));
    const auto it = m_pokes.constFind(pokeId);
    if (it == m_pokes.cend() || it->toSession != session->info.id) {
        session->connection->send(Message::error(ErrorCode::NoSuchPoke, {}, re));
        return;
    }
    std::optional<DirectOffer> offer;
    if (message.boolean(Key::Accept)) {
        offer = readDirectOffer(session, message, false);
        if (!offer)
            return; // the poke stands: a corrected answer can still accept it
    }
    const PendingPoke poke = it.value();
    m_pokes.erase(it);
    Session *from = m_sessions.value(poke.fromSession);
    if (!from || from->ended) {
        session->connection->send(refused(re, poke.id, tr("the other user left")));
        return;
    }
    if (!offer) {
        from->connection->send(refused(poke.fromRequest, poke.id, tr("%1 declined").arg(session->info.user)));
        session->connection->send(Message::ok(re));
        return;
    }
    pairPeers(from, poke.fromRequest, poke.offer, session, re, poke.id, *offer);
}

void ChatServer::handleBridge(Session *session, const Message &message)
{
    const quint64 re = message.requestId();
    const std::optional<DirectOffer> offer = readDirectOffer(session, message, true);
    if (!offer)
        return;
    if (m_bridgeWait && m_bridgeWait->session != session->info.id) {
        const BridgeWait waiting = *std::exchange(m_bridgeWait, std::nullopt);
        if (Session *partner = m_sessions.value(waiting.session)) {
            // A newcomer offering a UDP port can chat over UDP (it connects, so the port goes unused).
            pairPeers(partner, waiting.request, waiting.offer, session, re, 0, *offer);
            return;
        }
    }
    if (m_bridgeWait) // the same session asks again: the newer request replaces the older
        session->connection->send(refused(m_bridgeWait->request, 0, tr("replaced by a newer bridge request")));
    m_bridgeWait = BridgeWait{session->info.id, re, *offer};
    qCInfo(lcServer).noquote() << session->info.user << "waits for a bridge partner";
}

void ChatServer::handleCancelBridge(Session *session, const Message &message)
{
    if (!m_bridgeWait || m_bridgeWait->session != session->info.id) {
        session->connection->send(Message::error(ErrorCode::NoSuchPoke, tr("you are not waiting for a bridge"), message.requestId()));
        return;
    }
    session->connection->send(refused(m_bridgeWait->request, 0, tr("cancelled")));
    m_bridgeWait.reset();
    session->connection->send(Message::ok(message.requestId()));
}

void ChatServer::pairPeers(Session *listener, quint64 listenerRequest, const DirectOffer &listenerOffer,
                           Session *connector, quint64 connectorRequest, quint64 pokeId, const DirectOffer &connectorOffer)
{
    const QString token = newToken();
    const QString udp = QStringLiteral("udp");
    const bool overUdp = listenerOffer.udpPort != 0 && connectorOffer.udp && listener->info.transport == udp
                         && connector->info.transport == udp;
    const bool encrypted = !listenerOffer.fingerprint.isEmpty() && !connectorOffer.fingerprint.isEmpty();
    auto result = [&](quint64 re, const Session *peer, bool listens) {
        Message m(MessageType::PokeResult);
        m.set(Key::Re, qint64(re));
        if (pokeId)
            m.set(Key::Poke, qint64(pokeId));
        m.set(Key::Accepted, true)
            .set(Key::Peer, peer->info.user)
            .set(Key::Address, printableAddress(peer->info.address))
            .set(Key::Token, token)
            .set(Key::Role, listens ? QStringLiteral("listen") : QStringLiteral("connect"))
            .set(Key::Transport, overUdp ? udp : QStringLiteral("tcp"));
        if (!listens)
            m.set(Key::Port, overUdp ? listenerOffer.udpPort : listenerOffer.port);
        if (encrypted)
            m.set(Key::Fingerprint, listens ? connectorOffer.fingerprint : listenerOffer.fingerprint);
        return m;
    };
    listener->connection->send(result(listenerRequest, connector, true));
    connector->connection->send(result(connectorRequest, listener, false));
    qCInfo(lcServer).noquote() << "introduced" << listener->info.user << "and" << connector->info.user
                               << "for a direct chat over" << (overUdp ? "udp" : encrypted ? "tls" : "tcp");
}

void ChatServer::dropRendezvous(Session *session)
{
    const quint64 id = session->info.id;
    if (m_bridgeWait && m_bridgeWait->session == id)
        m_bridgeWait.reset();
    for (auto it = m_pokes.begin(); it != m_pokes.end();) {
        if (it->fromSession == id || it->toSession == id) {
            const quint64 otherId = it->fromSession == id ? it->toSession : it->fromSession;
            if (Session *other = m_sessions.value(otherId); other && !other->ended)
                other->connection->send(refused(it->fromSession == id ? 0 : it->fromRequest, it->id,
                                                tr("%1 left").arg(session->info.user)));
            it = m_pokes.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace Confab
