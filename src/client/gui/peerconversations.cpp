#include "peerconversations.h"

#include "clientsession.h"
#include "conversationregistry.h"
#include "directchat.h"
#include "peerchats.h"
#include "peeridentity.h"
#include "tlsfingerprint.h"

namespace Confab {

PeerConversations::PeerConversations(ConversationRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
{
    registry->setPeerSender([this](const ConversationId &id, const QString &text) { return send(id, text); });
}

PeerConversations::~PeerConversations()
{
    if (m_registry)
        m_registry->setPeerSender({});
    // The chats close with us; their peers see the connection end.
    for (const QPointer<DirectChat> &chat : std::as_const(m_chats)) {
        if (chat)
            chat->disconnect(this);
    }
}

void PeerConversations::setSession(ClientSession *session)
{
    if (m_session == session)
        return;
    delete m_peerChats;
    m_peerChats = nullptr;
    m_session = session;
    if (!session)
        return;
    m_peerChats = new PeerChats(session, this);
    connect(m_peerChats, &PeerChats::pokeReceived, this, [this](quint64 pokeId, const QString &from) {
        m_prompted.append(pokeId);
        emit pokeReceived(pokeId, from);
    });
    connect(m_peerChats, &PeerChats::chatStarted, this, &PeerConversations::onPeerChatStarted);
    connect(m_peerChats, &PeerChats::failed, this, &PeerConversations::onPeerChatFailed);
}

void PeerConversations::setListenAddress(const QHostAddress &address)
{
    if (m_peerChats)
        m_peerChats->setListenAddress(address);
}

ConversationId PeerConversations::poke(const QString &user)
{
    const ConversationId id = m_registry->canonical(ConversationId::peer(user));
    if (!m_peerChats || !m_session || !m_session->isLoggedIn()) {
        emit feedback(id, tr("Not connected to a server, so nobody can be poked now."), true);
        return id;
    }
    if (state(id) == State::Connected) {
        emit stateChanged(id, State::Connected); // already chatting: just show it
        return id;
    }
    m_registry->addNotice(id, tr("You asked %1 for a direct chat. Waiting for an answer…").arg(user));
    setState(id, State::Waiting);
    m_peerChats->poke(user); // a failure comes back through failed()
    return id;
}

void PeerConversations::acceptPoke(quint64 pokeId)
{
    if (!m_peerChats || !m_prompted.removeOne(pokeId))
        return;
    const QString from = pokeSender(pokeId);
    const ConversationId id = m_registry->canonical(ConversationId::peer(from));
    emit pokeSettled(pokeId);
    m_registry->addNotice(id, tr("You accepted %1's poke. Connecting directly…").arg(from));
    setState(id, State::Connecting);
    m_peerChats->accept(pokeId);
}

void PeerConversations::declinePoke(quint64 pokeId)
{
    if (!m_peerChats || !m_prompted.removeOne(pokeId))
        return;
    const QString from = pokeSender(pokeId);
    m_peerChats->decline(pokeId);
    emit pokeSettled(pokeId);
    emit feedback(ConversationId::peer(from), tr("You declined %1's poke.").arg(from), false);
}

quint64 PeerConversations::pendingPokeFrom(const QString &user) const
{
    for (auto it = m_prompted.crbegin(); it != m_prompted.crend(); ++it) {
        const QString from = pokeSender(*it);
        if (!from.isEmpty() && (user.isEmpty() || from.compare(user, Qt::CaseInsensitive) == 0))
            return *it;
    }
    return 0;
}

QString PeerConversations::pokeSender(quint64 pokeId) const
{
    return m_peerChats ? m_peerChats->incomingPokes().value(pokeId) : QString();
}

void PeerConversations::bridge()
{
    if (!m_peerChats || !m_session || !m_session->isLoggedIn()) {
        emit feedback(ConversationId::lobby(), tr("Not connected to a server, so there is nobody to be paired with."), true);
        return;
    }
    if (m_peerChats->bridge())
        emit feedback(ConversationId::lobby(),
                      tr("Waiting to be paired with anyone who asks the same (Conversation ▸ Stop Waiting to cancel)."), false);
}

void PeerConversations::cancelBridge()
{
    if (m_peerChats && m_session && m_session->isLoggedIn())
        m_peerChats->cancelBridge();
}

ConversationId PeerConversations::openDirect(const QString &host, quint16 port, quint16 listenPort)
{
    const QString name = host.contains(u':') ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                             : QStringLiteral("%1:%2").arg(host).arg(port);
    const ConversationId id = m_registry->canonical(ConversationId::peer(name));
    if (state(id) == State::Connected || state(id) == State::Connecting) {
        emit stateChanged(id, state(id));
        return id;
    }
    auto *chat = new DirectChat(this);
    connect(chat, &DirectChat::stateChanged, chat, [chat](DirectChat::State s) {
        if (s == DirectChat::State::Closed)
            chat->deleteLater();
    });
    connect(chat, &DirectChat::listening, this, [this, id, host, port](quint16 listenPort) {
        m_registry->addNotice(id, tr("Nobody answered at %1 port %2. Waiting on port %3 for them to connect to you.")
                                      .arg(host).arg(port).arg(listenPort));
    });
    m_registry->addNotice(id, listenPort ? tr("Calling %1 port %2 (or waiting on port %3)…").arg(host).arg(port).arg(listenPort)
                                         : tr("Calling %1 port %2…").arg(host).arg(port));
    attach(chat, id, name);
    setState(id, State::Connecting);
    chat->start(host, port, listenPort);
    return id;
}

bool PeerConversations::send(const ConversationId &id, const QString &text)
{
    const QPointer<DirectChat> chat = m_chats.value(id.key());
    return chat && chat->state() == DirectChat::State::Connected && chat->send(text);
}

void PeerConversations::end(const ConversationId &id)
{
    const QPointer<DirectChat> chat = m_chats.value(id.key());
    if (chat) {
        chat->close(); // reported through stateChanged(Closed)
        return;
    }
    if (state(id) == State::Waiting || state(id) == State::Connecting)
        setState(id, State::Ended);
}

PeerConversations::State PeerConversations::state(const ConversationId &id) const
{
    return m_states.value(id.key(), State::None);
}

bool PeerConversations::isEncrypted(const ConversationId &id) const
{
    const QPointer<DirectChat> chat = m_chats.value(id.key());
    return chat && chat->isEncrypted();
}

QString PeerConversations::peerAddress(const ConversationId &id) const
{
    const QPointer<DirectChat> chat = m_chats.value(id.key());
    return chat && chat->state() == DirectChat::State::Connected ? chat->peerName() : QString();
}

void PeerConversations::setState(const ConversationId &id, State state)
{
    if (m_states.value(id.key(), State::None) == state)
        return;
    m_states.insert(id.key(), state);
    emit stateChanged(id, state);
}

void PeerConversations::attach(DirectChat *chat, const ConversationId &id, const QString &senderName)
{
    m_chats.insert(id.key(), chat);
    auto onConnected = [this, chat, id] {
        const QString privacy = chat->isEncrypted()
            ? tr("It is encrypted (%1), and %2's certificate is the one the server announced: %3.")
                  .arg(chat->encryptionName(), id.name, normalizedFingerprint(chat->peerFingerprint()))
            : tr("It is not encrypted: anyone on the network path can read it.");
        m_registry->addNotice(id, tr("Connected directly to %1 (%2). The server sees none of this chat. %3")
                                      .arg(id.name, chat->peerName(), privacy));
        setState(id, State::Connected);
    };
    connect(chat, &DirectChat::peerConnected, this, onConnected);
    connect(chat, &DirectChat::lineReceived, this, [this, id, senderName](const QString &text) {
        m_registry->peerMessageArrived(id, senderName, text);
    });
    connect(chat, &DirectChat::errorOccurred, this,
            [this, id](const QString &message) { m_registry->addNotice(id, message, false); });
    connect(chat, &DirectChat::stateChanged, this, [this, chat, id](DirectChat::State s) {
        if (s != DirectChat::State::Closed)
            return;
        if (m_chats.value(id.key()) == chat)
            m_chats.remove(id.key());
        m_registry->addNotice(id, tr("The direct chat ended."));
        setState(id, State::Ended);
    });
    if (chat->state() == DirectChat::State::Connected)
        onConnected(); // adopted after a poke: it is up already
}

void PeerConversations::onPeerChatStarted(DirectChat *chat, const QString &peer)
{
    const ConversationId id = m_registry->canonical(ConversationId::peer(peer));
    if (const QPointer<DirectChat> old = m_chats.value(id.key()); old && old != chat)
        old->close(); // a new chat with the same user replaces the old one
    attach(chat, id, peer);
}

void PeerConversations::onPeerChatFailed(const QString &peer, const QString &reason)
{
    // Pokes we were asked about and that are gone now: the question about them must go too.
    const QHash<quint64, QString> incoming = m_peerChats ? m_peerChats->incomingPokes() : QHash<quint64, QString>();
    for (qsizetype i = m_prompted.size() - 1; i >= 0; --i) {
        if (!incoming.contains(m_prompted.at(i)))
            emit pokeSettled(m_prompted.takeAt(i));
    }
    if (peer.isEmpty()) {
        emit feedback(ConversationId::lobby(), tr("Pairing failed: %1").arg(reason), true);
        return;
    }
    const ConversationId id = m_registry->canonical(ConversationId::peer(peer));
    QString text = reason;
    if (!text.isEmpty())
        text[0] = text.at(0).toUpper();
    if (state(id) == State::Waiting || state(id) == State::Connecting) {
        m_registry->addNotice(id, text, false);
        setState(id, State::Ended);
    } else {
        emit feedback(id, text, true);
    }
}

} // namespace Confab
