// ChatServer: rooms. Rooms, owners, topics and bans persist (RoomStore); membership lives with
// sessions. Ownership stays with the creating account: an owner who leaves or goes offline still
// owns the room and gets its powers back on rejoining.
#include "chatserver.h"
#include "chatserver_p.h"

#include "usernames.h"

#include <QTimer>
#include <utility>

namespace Confab {

void ChatServer::loadRooms()
{
    qDeleteAll(m_rooms);
    m_rooms.clear();
    for (const StoredRoom &stored : m_roomStore.all()) {
        auto *room = new Room;
        room->name = stored.name;
        room->key = canonicalRoomName(stored.name);
        room->owner = stored.owner;
        room->topic = stored.topic;
        room->created = stored.created;
        room->bans = QSet<QString>(stored.bans.cbegin(), stored.bans.cend());
        m_rooms.insert(room->key, room);
    }
}

QList<RoomInfo> ChatServer::rooms() const
{
    QList<RoomInfo> list;
    for (const Room *room : std::as_const(m_rooms)) {
        QStringList bans(room->bans.cbegin(), room->bans.cend());
        bans.sort();
        list.append({room->name, room->owner, room->topic, memberNames(room->members), bans});
    }
    std::sort(list.begin(), list.end(), [](const RoomInfo &a, const RoomInfo &b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return list;
}

ChatServer::Room *ChatServer::findRoom(const QString &name) const
{
    return m_rooms.value(canonicalRoomName(name));
}

bool ChatServer::dispatchRoomMessage(Session *session, const Message &message)
{
    switch (message.type()) {
    case MessageType::CreateRoom: handleCreateRoom(session, message); return true;
    case MessageType::JoinRoom: handleJoinRoom(session, message); return true;
    case MessageType::LeaveRoom: handleLeaveRoom(session, message); return true;
    case MessageType::ListRooms: handleListRooms(session, message); return true;
    case MessageType::ListMembers: handleListMembers(session, message); return true;
    case MessageType::PostRoom: handlePostRoom(session, message); return true;
    case MessageType::SetTopic: handleSetTopic(session, message); return true;
    case MessageType::Kick: handleKick(session, message); return true;
    case MessageType::Ban: handleBan(session, message); return true;
    case MessageType::Unban: handleUnban(session, message); return true;
    case MessageType::CloseRoom: handleCloseRoom(session, message); return true;
    default: return false;
    }
}

ChatServer::Room *ChatServer::roomForRequest(Session *session, const Message &message, bool mustBeMember, bool mustBeOwner)
{
    const QString name = message.text(Key::Room);
    const quint64 re = message.requestId();
    QString whyNot;
    if (!isValidRoomName(name, &whyNot)) {
        session->connection->send(Message::error(ErrorCode::InvalidRoomName, whyNot, re));
        return nullptr;
    }
    Room *room = findRoom(name);
    if (!room) {
        session->connection->send(Message::error(ErrorCode::NoSuchRoom, tr("no such room: %1").arg(name), re));
        return nullptr;
    }
    if (mustBeMember && !session->rooms.contains(room->key)) {
        session->connection->send(Message::error(ErrorCode::NotRoomMember, tr("you are not in %1").arg(room->name), re));
        return nullptr;
    }
    if (mustBeOwner && canonicalUsername(room->owner) != session->key) {
        session->connection->send(Message::error(ErrorCode::NotRoomOwner,
                                                 tr("only %1, the owner of %2, may do that").arg(room->owner, room->name), re));
        return nullptr;
    }
    return room;
}

void ChatServer::handleCreateRoom(Session *session, const Message &message)
{
    const QString name = message.text(Key::Room);
    const quint64 re = message.requestId();
    QString whyNot;
    if (!isValidRoomName(name, &whyNot)) {
        session->connection->send(Message::error(ErrorCode::InvalidRoomName, whyNot, re));
        return;
    }
    if (Room *existing = findRoom(name)) {
        session->connection->send(Message::error(ErrorCode::RoomExists, tr("%1 already exists").arg(existing->name), re));
        return;
    }
    auto *room = new Room;
    room->name = name;
    room->key = canonicalRoomName(name);
    room->owner = session->info.user;
    room->topic = message.text(Key::Topic);
    room->created = QDateTime::currentDateTimeUtc();
    if (!m_roomStore.create({room->name, room->owner, room->topic, room->created, {}})) {
        delete room;
        session->connection->send(Message::error(ErrorCode::InternalError, tr("could not store the room"), re));
        return;
    }
    m_rooms.insert(room->key, room);
    qCInfo(lcServer).noquote() << session->info.user << "created room" << name;
    emit roomCreated(room->name);
    addMember(room, session, re, true);
}

void ChatServer::handleJoinRoom(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, false);
    if (!room)
        return;
    const quint64 re = message.requestId();
    if (session->rooms.contains(room->key)) {
        session->connection->send(Message::error(ErrorCode::AlreadyInRoom, tr("you are already in %1").arg(room->name), re));
        return;
    }
    if (room->bans.contains(session->key)) {
        session->connection->send(Message::error(ErrorCode::BannedFromRoom, tr("you are banned from %1").arg(room->name), re));
        return;
    }
    addMember(room, session, re, false);
}

void ChatServer::addMember(Room *room, Session *session, quint64 re, bool created)
{
    roomBroadcast(room, Message::memberJoined(room->name, session->info.user), nullptr);
    room->members.append(session);
    session->rooms.insert(room->key);
    session->connection->send(Message::roomJoined(re, room->name, room->topic, room->owner, memberNames(room->members), created));
    markRoomChanged(room);
    emit roomMembersChanged(room->name);
}

void ChatServer::handleLeaveRoom(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, true, false);
    if (!room)
        return;
    const QString reason = tr("left");
    removeMember(room, session, Message::memberLeft(room->name, session->info.user, reason),
                 Message::roomLeft(message.requestId(), room->name, reason));
}

void ChatServer::removeMember(Room *room, Session *session, const Message &toOthers, const Message &toLeaver)
{
    room->members.removeOne(session);
    session->rooms.remove(room->key);
    if (toLeaver.isValid())
        session->connection->send(toLeaver);
    roomBroadcast(room, toOthers, nullptr);
    markRoomChanged(room);
    emit roomMembersChanged(room->name);
}

void ChatServer::leaveAllRooms(Session *session, const QString &reason)
{
    const QSet<QString> keys = session->rooms;
    for (const QString &key : keys) {
        if (Room *room = m_rooms.value(key))
            removeMember(room, session, Message::memberLeft(room->name, session->info.user, reason), Message());
    }
}

void ChatServer::handleListRooms(Session *session, const Message &message)
{
    QCborArray list;
    for (const RoomInfo &info : rooms()) {
        QCborMap entry;
        entry.insert(Key::Room, info.name);
        entry.insert(Key::Topic, info.topic);
        entry.insert(Key::Owner, info.owner);
        entry.insert(Key::Members, qint64(info.members.size()));
        entry.insert(Key::Joined, session->rooms.contains(canonicalRoomName(info.name)));
        list.append(entry);
    }
    session->connection->send(Message::roomList(message.requestId(), list));
}

void ChatServer::handleListMembers(Session *session, const Message &message)
{
    if (Room *room = roomForRequest(session, message, true, false))
        session->connection->send(Message::memberList(message.requestId(), room->name, room->owner, memberNames(room->members)));
}

void ChatServer::handlePostRoom(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, true, false);
    if (!room || !validText(session, message))
        return;
    const qint64 ts = QDateTime::currentMSecsSinceEpoch();
    const quint64 msgId = m_nextMessageId++;
    const int count = roomBroadcast(room, Message::roomMessage(room->name, session->info.user, message.text(Key::Text), ts, msgId), session);
    ++m_totals.messagesRelayed;
    m_totals.deliveries += quint64(count);
    session->connection->send(Message::delivered(message.requestId(), count, ts, msgId));
}

void ChatServer::handleSetTopic(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, true);
    if (!room)
        return;
    room->topic = message.text(Key::Topic);
    m_roomStore.setTopic(room->name, room->topic);
    roomBroadcast(room, Message::topicChanged(room->name, room->topic, session->info.user), nullptr);
    markRoomChanged(room);
    session->connection->send(Message::ok(message.requestId()));
    emit roomChanged(room->name);
}

int ChatServer::kickMember(Room *room, Session *target, const QString &by, const QString &reason)
{
    removeMember(room, target, Message::memberKicked(room->name, target->info.user, by, reason),
                 Message::kicked(room->name, by, reason));
    qCInfo(lcServer).noquote() << by << "kicked" << target->info.user << "from" << room->name << reason;
    return 1;
}

void ChatServer::handleKick(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, true);
    if (!room)
        return;
    const quint64 re = message.requestId();
    const QString reason = message.text(Key::Reason);
    const QString user = message.text(Key::User);
    int count = 0;
    if (user.isEmpty()) {
        // Seed 001's $kick: everyone but the owner goes.
        const QList<Session *> members = room->members;
        for (Session *member : members) {
            if (member != session && canonicalUsername(room->owner) != member->key)
                count += kickMember(room, member, session->info.user, reason);
        }
    } else {
        Session *target = onlineSession(user);
        if (!target || !target->rooms.contains(room->key)) {
            session->connection->send(Message::error(ErrorCode::NotRoomMember, tr("%1 is not in %2").arg(user, room->name), re));
            return;
        }
        if (target == session) {
            session->connection->send(Message::error(ErrorCode::NotPermitted, tr("you cannot kick yourself; leave instead"), re));
            return;
        }
        count = kickMember(room, target, session->info.user, reason);
    }
    session->connection->send(Message::ok(re, count));
}

bool ChatServer::banUser(Room *room, const QString &user, const QString &by, const QString &reason, QString *error)
{
    QString whyNot;
    if (!isValidUsername(user, &whyNot) || !m_accounts.find(user)) {
        *error = tr("no such user: %1").arg(user);
        return false;
    }
    const QString key = canonicalUsername(user);
    if (key == canonicalUsername(room->owner)) {
        *error = tr("the owner of %1 cannot be banned from it").arg(room->name);
        return false;
    }
    room->bans.insert(key);
    m_roomStore.addBan(room->name, user, by, reason);
    Session *target = onlineSession(user);
    if (target && target->rooms.contains(room->key))
        kickMember(room, target, by, reason.isEmpty() ? tr("banned") : tr("banned: %1").arg(reason));
    qCInfo(lcServer).noquote() << by << "banned" << user << "from" << room->name;
    emit roomChanged(room->name);
    return true;
}

void ChatServer::handleBan(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, true);
    if (!room)
        return;
    const quint64 re = message.requestId();
    const QString user = message.text(Key::User);
    QString error;
    if (!banUser(room, user, session->info.user, message.text(Key::Reason), &error)) {
        const bool owner = canonicalUsername(user) == canonicalUsername(room->owner);
        session->connection->send(Message::error(owner ? ErrorCode::NotPermitted : ErrorCode::NoSuchUser, error, re));
        return;
    }
    session->connection->send(Message::ok(re, 1));
}

void ChatServer::handleUnban(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, true);
    if (!room)
        return;
    const QString key = canonicalUsername(message.text(Key::User));
    const bool wasBanned = room->bans.remove(key);
    if (wasBanned) {
        m_roomStore.removeBan(room->name, key);
        emit roomChanged(room->name);
    }
    session->connection->send(Message::ok(message.requestId(), wasBanned ? 1 : 0));
}

void ChatServer::handleCloseRoom(Session *session, const Message &message)
{
    Room *room = roomForRequest(session, message, false, true);
    if (!room)
        return;
    destroyRoom(room, session->info.user);
    session->connection->send(Message::ok(message.requestId()));
}

void ChatServer::destroyRoom(Room *room, const QString &by)
{
    // Everyone hears of it: members lose the room, the others drop it from their room lists.
    broadcast(Message::roomClosed(room->name, by), nullptr);
    for (Session *member : std::as_const(room->members))
        member->rooms.remove(room->key);
    m_changedRooms.remove(room->key);
    m_roomStore.remove(room->name);
    m_rooms.remove(room->key);
    const QString name = room->name;
    delete room;
    qCInfo(lcServer).noquote() << by << "closed room" << name;
    emit roomClosed(name);
}

void ChatServer::markRoomChanged(Room *room)
{
    m_changedRooms.insert(room->key);
    if (!m_roomUpdateTimer) {
        m_roomUpdateTimer = new QTimer(this);
        m_roomUpdateTimer->setSingleShot(true);
        m_roomUpdateTimer->setInterval(100);
        connect(m_roomUpdateTimer, &QTimer::timeout, this, &ChatServer::flushRoomUpdates);
    }
    if (!m_roomUpdateTimer->isActive())
        m_roomUpdateTimer->start();
}

void ChatServer::flushRoomUpdates()
{
    const QSet<QString> keys = std::exchange(m_changedRooms, {});
    for (const QString &key : keys) {
        if (const Room *room = m_rooms.value(key))
            broadcast(Message::roomUpdated(room->name, room->topic, room->owner, int(room->members.size())), nullptr);
    }
}

int ChatServer::roomBroadcast(const Room *room, const Message &message, const Session *except)
{
    const QByteArray frame = message.toFrame(); // encoded once for every member
    int count = 0;
    for (Session *member : room->members) {
        if (member == except || member->ended)
            continue;
        member->connection->sendFrame(frame, message.type());
        ++count;
    }
    return count;
}

bool ChatServer::kickFromRoom(const QString &roomName, const QString &user, const QString &reason, QString *error)
{
    Room *room = findRoom(roomName);
    Session *target = onlineSession(user);
    if (!room || !target || !target->rooms.contains(room->key)) {
        if (error)
            *error = !room ? tr("no such room: %1").arg(roomName) : tr("%1 is not in %2").arg(user, room->name);
        return false;
    }
    kickMember(room, target, administratorName(), reason);
    return true;
}

bool ChatServer::banFromRoom(const QString &roomName, const QString &user, const QString &reason, QString *error)
{
    Room *room = findRoom(roomName);
    QString why;
    if (!room) {
        why = tr("no such room: %1").arg(roomName);
    } else if (banUser(room, user, administratorName(), reason, &why)) {
        return true;
    }
    if (error)
        *error = why;
    return false;
}

bool ChatServer::unbanFromRoom(const QString &roomName, const QString &user, QString *error)
{
    Room *room = findRoom(roomName);
    if (!room || !room->bans.remove(canonicalUsername(user))) {
        if (error)
            *error = !room ? tr("no such room: %1").arg(roomName) : tr("%1 is not banned from %2").arg(user, room->name);
        return false;
    }
    m_roomStore.removeBan(room->name, user);
    emit roomChanged(room->name);
    return true;
}

bool ChatServer::closeRoom(const QString &roomName, QString *error)
{
    Room *room = findRoom(roomName);
    if (!room) {
        if (error)
            *error = tr("no such room: %1").arg(roomName);
        return false;
    }
    destroyRoom(room, administratorName());
    return true;
}

QStringList ChatServer::memberNames(const QList<Session *> &members)
{
    QStringList names;
    names.reserve(members.size());
    for (const ChatServer::Session *member : members)
        names.append(member->info.user);
    return names;
}

} // namespace Confab
