// Every conversation of a client session, each with its own ConversationModel, kept for the whole
// program run: closing a DM tab or leaving a room hides it, the history stays.
//
// The registry routes what the session reports into the right model (lobby, room and direct
// messages, delivery confirmations, room events as notice rows), keeps what the tabs and panels
// need to know about joined rooms (topic, owner, members) and counts unread messages: a message
// is unread unless its conversation is the current one while the window is attended.
//
// Notice rows (joins, topic changes, errors, connection events) are rows with an empty sender;
// the message delegate shows them as such. No widget here: the tests drive it directly.
#pragma once

#include "conversationid.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>

namespace Confab {

class ClientSession;
class ConversationModel;
struct JoinedRoom;

class ConversationRegistry : public QObject
{
    Q_OBJECT
public:
    struct RoomState {
        QString name;
        QString topic;
        QString owner;
        QStringList members; // in joining order
        bool joined = false;
    };

    explicit ConversationRegistry(QObject *parent = nullptr);
    ~ConversationRegistry() override;

    void setSession(ClientSession *session);
    ClientSession *session() const { return m_session; }
    // The user this session logged in as (empty before).
    QString selfName() const { return m_selfName; }

    // The conversation's model, created (and conversationAdded() emitted) on first use.
    ConversationModel *model(const ConversationId &id);
    bool contains(const ConversationId &id) const { return m_conversations.contains(id.key()); }
    // The id as first registered (with its display spelling), or `id` itself.
    ConversationId canonical(const ConversationId &id) const;
    QList<ConversationId> conversations() const;

    int unreadCount(const ConversationId &id) const;
    // Whether an unread message of this conversation names the user.
    bool isMentioned(const ConversationId &id) const;
    int totalUnread() const;

    // The conversation shown now; it is read while the window is attended.
    void setCurrent(const ConversationId &id);
    ConversationId current() const { return m_current; }
    // Whether the user can see the window (it is the active window).
    void setAttended(bool attended);
    bool isAttended() const { return m_attended; }
    void markRead(const ConversationId &id);

    // Sends text to the conversation and appends it as an own message (Sending, then Delivered
    // or Failed). Returns the request id; for a direct chat, where nobody confirms delivery, a
    // non-zero local number once the text went down the connection (the row shows Sent).
    // Returns 0 when nothing was sent.
    quint64 sendText(const ConversationId &id, const QString &text);
    // Who carries text for direct (peer) conversations: returns whether the text went out.
    using PeerSender = std::function<bool(const ConversationId &id, const QString &text)>;
    void setPeerSender(PeerSender sender) { m_peerSender = std::move(sender); }
    // A line from the other end of a direct chat.
    void peerMessageArrived(const ConversationId &id, const QString &from, const QString &text);
    // Sends the text of an own failed message again, as a new row. Returns 0 if not possible.
    quint64 resend(const ConversationId &id, int row);
    // Appends a notice row. Unless quiet, it counts as unread like a message.
    void addNotice(const ConversationId &id, const QString &text, bool quiet = true);

    // Rooms this session knows about from joining them (joined or not any more).
    RoomState room(const QString &name) const;
    bool isJoined(const QString &room) const;
    bool ownsRoom(const QString &room) const;

    // Whether text mentions the user name as a word ("alice:", "@alice", "hi alice!").
    static bool mentions(const QString &text, const QString &user);

signals:
    void conversationAdded(const Confab::ConversationId &id);
    // Someone else wrote in a conversation (not emitted for notices or own messages).
    void messageArrived(const Confab::ConversationId &id, const QString &sender, const QString &text,
                        bool mentionsMe);
    void unreadChanged(const Confab::ConversationId &id, int count);
    // Topic, owner, members or joined state of a room changed.
    void roomChanged(const QString &room);
    void roomJoined(const Confab::ConversationId &id, bool created);
    // This session left the room by its own request (not kicked, not closed).
    void roomLeft(const Confab::ConversationId &id);

private:
    struct Conversation {
        ConversationId id;
        ConversationModel *model = nullptr;
        int unread = 0;
        bool mentioned = false;
    };

    Conversation &ensure(const ConversationId &id);
    ConversationId partnerOf(const QString &from, const QString &to) const;
    void arrived(const ConversationId &id, const QString &from, const QString &text, const QDateTime &time);
    void bumpUnread(Conversation &c, bool mention);
    RoomState &roomState(const QString &name);
    void setRoomJoined(const QString &room, bool joined);
    void noticeToDm(const QString &user, const QString &text);

    void onLoggedIn(const QString &user);
    void onRoomJoined(const JoinedRoom &room, bool created);
    void onDisconnected();

    QPointer<ClientSession> m_session;
    QString m_selfName;
    QHash<QString, Conversation> m_conversations; // by ConversationId::key()
    QList<QString> m_order;                        // keys in creation order
    QHash<QString, RoomState> m_rooms;             // by lower-case room name
    QHash<quint64, QString> m_requests;            // own message request id → conversation key
    PeerSender m_peerSender;
    quint64 m_lastPeerSend = 0;
    ConversationId m_current;
    bool m_attended = true;
    bool m_wasLoggedIn = false;
};

} // namespace Confab
