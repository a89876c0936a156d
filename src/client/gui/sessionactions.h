// The room and user requests the client makes on the user's behalf, from a click or a command,
// with their outcome reported as one readable sentence.
//
// Each request remembers which conversation it was made from; when the server answers, feedback()
// says what happened there ("Could not join #dev: you are banned from this room"). Successes that
// are visible anyway (a join opens a tab) are not repeated; those that are not (a kick, a ban) are.
#pragma once

#include "conversationid.h"
#include "protocol.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace Confab {

class ClientSession;
class ConversationRegistry;

class SessionActions : public QObject
{
    Q_OBJECT
public:
    explicit SessionActions(ConversationRegistry *registry, QObject *parent = nullptr);

    void setSession(ClientSession *session);
    ClientSession *session() const { return m_session; }

    // `from`: where the answer is reported.
    void createRoom(const QString &room, const QString &topic, const ConversationId &from);
    // Joins, or only switches to the room (switchRequested) when already in it.
    void joinRoom(const QString &room, const ConversationId &from);
    void leaveRoom(const QString &room, const ConversationId &from);
    void setTopic(const QString &room, const QString &topic, const ConversationId &from);
    // Empty user: every member but the owner.
    void kick(const QString &room, const QString &user, const QString &reason, const ConversationId &from);
    void ban(const QString &room, const QString &user, const QString &reason, const ConversationId &from);
    void unban(const QString &room, const QString &user, const ConversationId &from);
    void closeRoom(const QString &room, const ConversationId &from);
    // Lists in the conversation when the answer comes (the panels update on their own anyway).
    void listRooms(const ConversationId &from);
    void listUsers(const ConversationId &from);
    void listMembers(const QString &room, const ConversationId &from);

    // Opens a room's tab or a DM tab (the window follows switchRequested()).
    void openConversation(const ConversationId &id);

signals:
    void feedback(const Confab::ConversationId &where, const QString &text, bool isError);
    void switchRequested(const Confab::ConversationId &id);

private:
    enum class What { Create, Join, Leave, Topic, Kick, KickAll, Ban, Unban, Close, Rooms, Users, Members };
    struct Pending {
        What what;
        QString room;
        QString user;
        ConversationId from;
    };

    using PendingMap = QHash<quint64, Pending>;

    void track(quint64 id, What what, const QString &room, const QString &user, const ConversationId &from);
    QString failureText(const Pending &p, const QString &reason) const;
    void onFailed(quint64 id, ErrorCode code, const QString &message);
    void onSucceeded(quint64 id, int count);

    ConversationRegistry *m_registry;
    QPointer<ClientSession> m_session;
    PendingMap m_pending;
    QList<ConversationId> m_userListWaiters; // /list callers, answered in order
    QList<ConversationId> m_roomListWaiters;
};

} // namespace Confab
