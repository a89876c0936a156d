// ClientSession: rooms (see docs/PROTOCOL.md, "Rooms").
#include "clientsession.h"

namespace Confab {

namespace {
QDateTime serverTime(const Message &message)
{
    return message.contains(Key::Ts) ? QDateTime::fromMSecsSinceEpoch(message.integer(Key::Ts))
                                     : QDateTime::currentDateTime();
}

QStringList stringsOf(const QCborArray &array)
{
    QStringList list;
    list.reserve(array.size());
    for (const QCborValue &v : array)
        list.append(v.toString());
    return list;
}
} // namespace

QString ClientSession::roomName(const QString &input)
{
    const QString trimmed = input.trimmed();
    return trimmed.startsWith(u'#') ? trimmed.mid(1) : trimmed;
}

quint64 ClientSession::sendRequest(Message message, MessageType kind)
{
    if (m_state != State::LoggedIn)
        return refuse(ErrorCode::NotLoggedIn, describeError(ErrorCode::NotLoggedIn));
    const quint64 id = nextRequestId();
    message.set(Key::Id, qint64(id));
    m_pending.insert(id, kind);
    m_connection->send(message);
    return id;
}

quint64 ClientSession::sendRoomRequest(const Message &message)
{
    if (message.text(Key::Room).isEmpty())
        return refuse(ErrorCode::InvalidRoomName, tr("no room given"));
    return sendRequest(message, message.type());
}

quint64 ClientSession::createRoom(const QString &room, const QString &topic)
{
    return sendRoomRequest(Message::createRoom(0, roomName(room), topic));
}

quint64 ClientSession::joinRoom(const QString &room)
{
    return sendRoomRequest(Message::joinRoom(0, roomName(room)));
}

quint64 ClientSession::leaveRoom(const QString &room)
{
    return sendRoomRequest(Message::leaveRoom(0, roomName(room)));
}

quint64 ClientSession::requestRoomList()
{
    return sendRequest(Message::listRooms(0), MessageType::ListRooms);
}

quint64 ClientSession::requestMemberList(const QString &room)
{
    return sendRoomRequest(Message::listMembers(0, roomName(room)));
}

quint64 ClientSession::sendRoomMessage(const QString &room, const QString &text)
{
    quint64 refused = 0;
    if (!checkText(text, &refused))
        return refused;
    return sendRoomRequest(Message::postRoom(0, roomName(room), text));
}

quint64 ClientSession::setRoomTopic(const QString &room, const QString &topic)
{
    if (topic.toUtf8().size() > Limits::MaxTopicBytes)
        return refuse(ErrorCode::BadField, tr("a topic has at most %1 bytes").arg(Limits::MaxTopicBytes));
    return sendRoomRequest(Message::setTopic(0, roomName(room), topic));
}

quint64 ClientSession::kickFromRoom(const QString &room, const QString &user, const QString &reason)
{
    return sendRoomRequest(Message::kick(0, roomName(room), user.trimmed(), reason.left(Limits::MaxReasonBytes / 4)));
}

quint64 ClientSession::banFromRoom(const QString &room, const QString &user, const QString &reason)
{
    if (user.trimmed().isEmpty())
        return refuse(ErrorCode::NoSuchUser, tr("no user given"));
    return sendRoomRequest(Message::ban(0, roomName(room), user.trimmed(), reason.left(Limits::MaxReasonBytes / 4)));
}

quint64 ClientSession::unbanFromRoom(const QString &room, const QString &user)
{
    if (user.trimmed().isEmpty())
        return refuse(ErrorCode::NoSuchUser, tr("no user given"));
    return sendRoomRequest(Message::unban(0, roomName(room), user.trimmed()));
}

quint64 ClientSession::closeRoom(const QString &room)
{
    return sendRoomRequest(Message::closeRoom(0, roomName(room)));
}

bool ClientSession::isInRoom(const QString &room) const
{
    return m_joinedRooms.contains(roomName(room), Qt::CaseInsensitive);
}

bool ClientSession::forgetRoom(const QString &room)
{
    for (qsizetype i = 0; i < m_joinedRooms.size(); ++i) {
        if (m_joinedRooms.at(i).compare(room, Qt::CaseInsensitive) == 0) {
            m_joinedRooms.removeAt(i);
            return true;
        }
    }
    return false;
}

bool ClientSession::dispatchRoomMessage(const Message &message)
{
    const QString room = message.text(Key::Room);
    switch (message.type()) {
    case MessageType::RoomJoined: {
        m_pending.remove(message.replyTo());
        JoinedRoom joined{room, message.text(Key::Topic), message.text(Key::Owner), stringsOf(message.array(Key::Members))};
        forgetRoom(room);
        m_joinedRooms.append(room);
        emit roomJoined(joined, message.boolean(Key::Created));
        return true;
    }
    case MessageType::RoomLeft:
        m_pending.remove(message.replyTo());
        forgetRoom(room);
        emit roomLeft(room, message.text(Key::Reason));
        return true;
    case MessageType::Kicked:
        forgetRoom(room);
        emit kickedFromRoom(room, message.text(Key::By), message.text(Key::Reason));
        return true;
    case MessageType::RoomClosed:
        if (forgetRoom(room))
            emit roomClosed(room, message.text(Key::By));
        emit roomRemoved(room);
        return true;
    case MessageType::RoomUpdated: {
        RoomSummary summary;
        summary.name = room;
        summary.topic = message.text(Key::Topic);
        summary.owner = message.text(Key::Owner);
        summary.memberCount = int(message.integer(Key::Members));
        summary.joined = isInRoom(room);
        emit roomUpdated(summary);
        return true;
    }
    case MessageType::RoomList: {
        m_pending.remove(message.replyTo());
        QList<RoomSummary> rooms;
        for (const QCborValue &value : message.array(Key::Rooms)) {
            const QCborMap map = value.toMap();
            RoomSummary summary;
            summary.name = map.value(Key::Room).toString();
            summary.topic = map.value(Key::Topic).toString();
            summary.owner = map.value(Key::Owner).toString();
            summary.memberCount = int(map.value(Key::Members).toInteger());
            summary.joined = map.value(Key::Joined).toBool();
            if (!summary.name.isEmpty())
                rooms.append(summary);
        }
        emit roomListReceived(rooms);
        return true;
    }
    case MessageType::MemberList:
        m_pending.remove(message.replyTo());
        emit memberListReceived(room, message.text(Key::Owner), stringsOf(message.array(Key::Members)));
        return true;
    case MessageType::RoomMessage:
        emit roomMessageReceived(room, message.text(Key::From), message.text(Key::Text), serverTime(message));
        return true;
    case MessageType::MemberJoined:
        emit memberJoined(room, message.text(Key::User));
        return true;
    case MessageType::MemberLeft:
        emit memberLeft(room, message.text(Key::User), message.text(Key::Reason));
        return true;
    case MessageType::MemberKicked:
        emit memberKicked(room, message.text(Key::User), message.text(Key::By), message.text(Key::Reason));
        return true;
    case MessageType::TopicChanged:
        emit topicChanged(room, message.text(Key::Topic), message.text(Key::By));
        return true;
    case MessageType::Ok:
        if (m_pending.remove(message.replyTo()))
            emit requestSucceeded(message.replyTo(), int(message.integer(Key::Count, 0)));
        return true;
    default:
        return false;
    }
}

} // namespace Confab
