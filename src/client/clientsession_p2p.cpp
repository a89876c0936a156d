// ClientSession: the rendezvous requests for peer-to-peer chats (docs/PROTOCOL.md, "Poke and
// bridge"). The sockets of the chat itself belong to PeerChats, never to the session.
#include "clientsession.h"

namespace Confab {

quint64 ClientSession::poke(const QString &user, quint16 listenPort, quint16 udpListenPort, const QString &fingerprint)
{
    if (user.trimmed().isEmpty())
        return refuse(ErrorCode::NoSuchUser, tr("no user given"));
    return sendRequest(Message::poke(0, user.trimmed(), listenPort, udpListenPort, fingerprint), MessageType::Poke);
}

quint64 ClientSession::acceptPoke(quint64 pokeId, PeerTransports transports, const QString &fingerprint)
{
    return sendRequest(Message::pokeAnswer(0, pokeId, true, transports == PeerTransports::TcpAndUdp, fingerprint),
                       MessageType::PokeAnswer);
}

quint64 ClientSession::declinePoke(quint64 pokeId)
{
    return sendRequest(Message::pokeAnswer(0, pokeId, false), MessageType::PokeAnswer);
}

quint64 ClientSession::requestBridge(quint16 listenPort, quint16 udpListenPort, const QString &fingerprint)
{
    return sendRequest(Message::bridge(0, listenPort, udpListenPort, fingerprint), MessageType::Bridge);
}

quint64 ClientSession::cancelBridge()
{
    return sendRequest(Message::cancelBridge(0), MessageType::CancelBridge);
}

bool ClientSession::dispatchRendezvousMessage(const Message &message)
{
    switch (message.type()) {
    case MessageType::PokeRequest:
        emit pokeReceived(quint64(message.integer(Key::Poke)), message.text(Key::From));
        return true;
    case MessageType::PokeResult: {
        const quint64 re = message.replyTo();
        const bool known = re != 0 && m_pending.remove(re);
        const quint64 pokeId = quint64(message.integer(Key::Poke));
        if (!message.boolean(Key::Accepted)) {
            emit pokeRefused(known ? re : 0, pokeId, message.text(Key::Reason));
            return true;
        }
        PeerIntroduction intro;
        intro.requestId = re;
        intro.pokeId = pokeId;
        intro.peer = message.text(Key::Peer);
        intro.address = message.text(Key::Address);
        intro.port = quint16(message.integer(Key::Port));
        intro.token = message.text(Key::Token);
        intro.weListen = message.text(Key::Role) == QLatin1String("listen");
        intro.overUdp = message.text(Key::Transport) == QLatin1String("udp");
        if (const QString fingerprint = message.text(Key::Fingerprint); isFingerprint(fingerprint))
            intro.peerFingerprint = fingerprint;
        emit peerIntroduced(intro);
        return true;
    }
    default:
        return false;
    }
}

} // namespace Confab
