// The window's direct chats: peer to peer, with no server in the conversation.
//
// Two ways in: a poke (or bridge) through the server's rendezvous (PeerChats does the handshake),
// or the Direct Chat dialog, which dials an address as seeds 000/001 did and works without any
// server. Either way the chat becomes a ConversationKind::Peer conversation in the registry: lines
// from the peer arrive as messages, text typed in its tab goes down the connection. When the chat
// ends the conversation stays, with its history, and says so.
//
// No widgets: the main window asks the user about incoming pokes and shows the tabs.
#pragma once

#include "conversationid.h"

#include <QHash>
#include <QObject>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QHostAddress;
QT_END_NAMESPACE

namespace Confab {

class ClientSession;
class ConversationRegistry;
class DirectChat;
class PeerChats;

class PeerConversations : public QObject
{
    Q_OBJECT
public:
    enum class State {
        None,       // never started here
        Waiting,    // a poke or bridge asked; no answer yet
        Connecting, // dialling, or listening for the peer
        Connected,
        Ended,
    };
    Q_ENUM(State)

    explicit PeerConversations(ConversationRegistry *registry, QObject *parent = nullptr);
    ~PeerConversations() override;

    void setSession(ClientSession *session);
    PeerChats *peerChats() const { return m_peerChats; }
    // Where our side listens for a peer (tests: 127.0.0.1; default: every interface).
    void setListenAddress(const QHostAddress &address);

    // Asks `user` for a direct chat through the server. Returns the conversation it will be in.
    ConversationId poke(const QString &user);
    // Answers the poke (accepting opens the chat once both sides connect).
    void acceptPoke(quint64 pokeId);
    void declinePoke(quint64 pokeId);
    // The newest poke waiting for our answer, from `user` (any user when empty), or 0.
    quint64 pendingPokeFrom(const QString &user) const;
    QString pokeSender(quint64 pokeId) const;
    // Be paired with anyone waiting (seed 002's BRIDGE), or stop waiting.
    void bridge();
    void cancelBridge();

    // A direct chat with no server: dial host:port; if nobody answers and listenPort is set,
    // wait there for the peer to connect (as seeds 000/001). Returns the conversation.
    ConversationId openDirect(const QString &host, quint16 port, quint16 listenPort);

    // Sends a line down the chat; false when it is not connected.
    bool send(const ConversationId &id, const QString &text);
    // Ends the chat (the peer sees the connection close); the conversation and history stay.
    void end(const ConversationId &id);

    State state(const ConversationId &id) const;
    // "host:port" of the other end while connected.
    QString peerAddress(const ConversationId &id) const;
    // Whether the connected chat runs over TLS checked against the announced certificate.
    bool isEncrypted(const ConversationId &id) const;

signals:
    void pokeReceived(quint64 pokeId, const QString &from);
    // A poke we were asked about waits for an answer no more (answered, expired, withdrawn).
    void pokeSettled(quint64 pokeId);
    // A chat's state changed; on Connected the window shows its tab.
    void stateChanged(const Confab::ConversationId &id, Confab::PeerConversations::State state);
    // Something to tell the user outside any one chat (a failed bridge, say).
    void feedback(const Confab::ConversationId &where, const QString &text, bool isError);

private:
    void attach(DirectChat *chat, const ConversationId &id, const QString &senderName);
    void setState(const ConversationId &id, State state);
    void onPeerChatStarted(DirectChat *chat, const QString &peer);
    void onPeerChatFailed(const QString &peer, const QString &reason);

    QPointer<ConversationRegistry> m_registry; // a sibling: may be destroyed first
    QPointer<ClientSession> m_session;
    PeerChats *m_peerChats = nullptr;
    QHash<QString, QPointer<DirectChat>> m_chats; // by ConversationId::key()
    QHash<QString, State> m_states;               // by ConversationId::key()
    QList<quint64> m_prompted;                    // incoming pokes, oldest first
};

} // namespace Confab

Q_DECLARE_METATYPE(Confab::PeerConversations::State)
