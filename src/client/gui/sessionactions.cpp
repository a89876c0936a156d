#include "sessionactions.h"

#include "clientsession.h"
#include "conversationregistry.h"
#include "usernames.h"

namespace Confab {

SessionActions::SessionActions(ConversationRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
{
    // A join or create succeeded: the user wants to be there.
    connect(registry, &ConversationRegistry::roomJoined, this, [this](const ConversationId &id) {
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            if ((it->what == What::Join || it->what == What::Create)
                && canonicalRoomName(it->room) == canonicalRoomName(id.name)) {
                m_pending.erase(it);
                emit switchRequested(id);
                return;
            }
        }
    });
    connect(registry, &ConversationRegistry::roomLeft, this, [this](const ConversationId &id) {
        m_pending.removeIf([&](PendingMap::iterator it) {
            return it.value().what == What::Leave && canonicalRoomName(it.value().room) == canonicalRoomName(id.name);
        });
    });
}

void SessionActions::setSession(ClientSession *session)
{
    if (m_session == session)
        return;
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_pending.clear();
    m_userListWaiters.clear();
    m_roomListWaiters.clear();
    if (!session)
        return;
    connect(session, &ClientSession::requestFailed, this, &SessionActions::onFailed);
    connect(session, &ClientSession::requestSucceeded, this, &SessionActions::onSucceeded);
    connect(session, &ClientSession::userListReceived, this, [this](const QList<OnlineUser> &users) {
        if (m_userListWaiters.isEmpty())
            return;
        m_pending.removeIf([](PendingMap::iterator it) { return it.value().what == What::Users; });
        QStringList names;
        for (const OnlineUser &user : users)
            names << user.name;
        const QString text = tr("Online (%1): %2").arg(users.size()).arg(names.join(QStringLiteral(", ")));
        for (const ConversationId &where : std::as_const(m_userListWaiters))
            emit feedback(where, text, false);
        m_userListWaiters.clear();
    });
    connect(session, &ClientSession::roomListReceived, this, [this](const QList<RoomSummary> &rooms) {
        if (m_roomListWaiters.isEmpty())
            return;
        m_pending.removeIf([](PendingMap::iterator it) { return it.value().what == What::Rooms; });
        QStringList lines;
        lines << (rooms.isEmpty() ? tr("There are no rooms yet; /create one.") : tr("Rooms (%1):").arg(rooms.size()));
        for (const RoomSummary &room : rooms) {
            QString line = room.memberCount == 1
                ? tr("#%1 — 1 member, owner %2").arg(room.name, room.owner)
                : tr("#%1 — %2 members, owner %3").arg(room.name).arg(room.memberCount).arg(room.owner);
            if (!room.topic.isEmpty())
                line += QStringLiteral(" — ") + room.topic;
            if (room.joined)
                line += u' ' + tr("(joined)");
            lines << line;
        }
        for (const ConversationId &where : std::as_const(m_roomListWaiters))
            emit feedback(where, lines.join(u'\n'), false);
        m_roomListWaiters.clear();
    });
    connect(session, &ClientSession::memberListReceived, this,
            [this](const QString &room, const QString &owner, const QStringList &members) {
                for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
                    if (it->what == What::Members && canonicalRoomName(it->room) == canonicalRoomName(room)) {
                        const ConversationId where = it->from;
                        m_pending.erase(it);
                        emit feedback(where, tr("Members of #%1 (%2, owner %3): %4")
                                                 .arg(room).arg(members.size()).arg(owner, members.join(QStringLiteral(", "))),
                                      false);
                        return;
                    }
                }
            });
}

void SessionActions::track(quint64 id, What what, const QString &room, const QString &user, const ConversationId &from)
{
    if (id != 0)
        m_pending.insert(id, Pending{what, ClientSession::roomName(room), user, from});
}

void SessionActions::createRoom(const QString &room, const QString &topic, const ConversationId &from)
{
    if (!m_session)
        return;
    track(m_session->createRoom(room, topic), What::Create, room, {}, from);
}

void SessionActions::joinRoom(const QString &room, const ConversationId &from)
{
    if (!m_session)
        return;
    const QString name = ClientSession::roomName(room);
    if (m_registry->isJoined(name)) {
        emit switchRequested(m_registry->canonical(ConversationId::room(name)));
        return;
    }
    track(m_session->joinRoom(name), What::Join, name, {}, from);
}

void SessionActions::leaveRoom(const QString &room, const ConversationId &from)
{
    if (m_session)
        track(m_session->leaveRoom(room), What::Leave, room, {}, from);
}

void SessionActions::setTopic(const QString &room, const QString &topic, const ConversationId &from)
{
    if (m_session)
        track(m_session->setRoomTopic(room, topic), What::Topic, room, {}, from);
}

void SessionActions::kick(const QString &room, const QString &user, const QString &reason, const ConversationId &from)
{
    if (m_session)
        track(m_session->kickFromRoom(room, user, reason), user.isEmpty() ? What::KickAll : What::Kick, room, user, from);
}

void SessionActions::ban(const QString &room, const QString &user, const QString &reason, const ConversationId &from)
{
    if (m_session)
        track(m_session->banFromRoom(room, user, reason), What::Ban, room, user, from);
}

void SessionActions::unban(const QString &room, const QString &user, const ConversationId &from)
{
    if (m_session)
        track(m_session->unbanFromRoom(room, user), What::Unban, room, user, from);
}

void SessionActions::closeRoom(const QString &room, const ConversationId &from)
{
    if (m_session)
        track(m_session->closeRoom(room), What::Close, room, {}, from);
}

void SessionActions::listRooms(const ConversationId &from)
{
    if (!m_session)
        return;
    m_roomListWaiters.append(from);
    track(m_session->requestRoomList(), What::Rooms, {}, {}, from);
}

void SessionActions::listUsers(const ConversationId &from)
{
    if (!m_session)
        return;
    m_userListWaiters.append(from);
    track(m_session->requestUserList(), What::Users, {}, {}, from);
}

void SessionActions::listMembers(const QString &room, const ConversationId &from)
{
    if (m_session)
        track(m_session->requestMemberList(room), What::Members, room, {}, from);
}

void SessionActions::openConversation(const ConversationId &id)
{
    if (id.isRoom())
        joinRoom(id.name, m_registry->current());
    else
        emit switchRequested(id);
}

QString SessionActions::failureText(const Pending &p, const QString &reason) const
{
    switch (p.what) {
    case What::Create: return tr("Could not create #%1: %2").arg(p.room, reason);
    case What::Join: return tr("Could not join #%1: %2").arg(p.room, reason);
    case What::Leave: return tr("Could not leave #%1: %2").arg(p.room, reason);
    case What::Topic: return tr("Could not set the topic of #%1: %2").arg(p.room, reason);
    case What::Kick: return tr("Could not remove %1 from #%2: %3").arg(p.user, p.room, reason);
    case What::KickAll: return tr("Could not clear #%1: %2").arg(p.room, reason);
    case What::Ban: return tr("Could not ban %1 from #%2: %3").arg(p.user, p.room, reason);
    case What::Unban: return tr("Could not lift the ban of %1 in #%2: %3").arg(p.user, p.room, reason);
    case What::Close: return tr("Could not close #%1: %2").arg(p.room, reason);
    case What::Rooms: return tr("Could not list the rooms: %1").arg(reason);
    case What::Users: return tr("Could not list the users: %1").arg(reason);
    case What::Members: return tr("Could not list the members of #%1: %2").arg(p.room, reason);
    }
    return reason;
}

void SessionActions::onFailed(quint64 id, ErrorCode code, const QString &message)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return;
    const Pending p = it.value();
    m_pending.erase(it);
    if (p.what == What::Users && !m_userListWaiters.isEmpty())
        m_userListWaiters.removeFirst();
    if (p.what == What::Rooms && !m_roomListWaiters.isEmpty())
        m_roomListWaiters.removeFirst();
    const QString reason = message.isEmpty() ? ClientSession::describeError(code) : message;
    emit feedback(p.from, failureText(p, reason), true);
}

void SessionActions::onSucceeded(quint64 id, int count)
{
    const auto it = m_pending.constFind(id);
    if (it == m_pending.cend())
        return;
    const Pending p = it.value();
    m_pending.erase(it);
    // Members of the room see kicks and topics as notices there; say it elsewhere only.
    const bool seenInRoom = p.from.isRoom() && canonicalRoomName(p.from.name) == canonicalRoomName(p.room)
                            && m_registry->isJoined(p.room);
    QString text;
    switch (p.what) {
    case What::Topic:
        if (!seenInRoom)
            text = tr("The topic of #%1 is set.").arg(p.room);
        break;
    case What::Kick:
        if (!seenInRoom)
            text = tr("%1 was removed from #%2.").arg(p.user, p.room);
        break;
    case What::KickAll:
        text = count == 1 ? tr("Removed 1 member from #%1.").arg(p.room)
                          : tr("Removed %1 members from #%2.").arg(count).arg(p.room);
        break;
    case What::Ban:
        text = tr("%1 is banned from #%2.").arg(p.user, p.room);
        break;
    case What::Unban:
        text = count > 0 ? tr("%1 may join #%2 again.").arg(p.user, p.room)
                         : tr("%1 was not banned from #%2.").arg(p.user, p.room);
        break;
    case What::Close:
        if (!seenInRoom)
            text = tr("#%1 is closed.").arg(p.room);
        break;
    default:
        break;
    }
    if (!text.isEmpty())
        emit feedback(p.from, text, false);
}

} // namespace Confab
