#include "protocol.h"

namespace Confab {

QString messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::Invalid: return QStringLiteral("Invalid");
    case MessageType::Hello: return QStringLiteral("Hello");
    case MessageType::Welcome: return QStringLiteral("Welcome");
    case MessageType::Login: return QStringLiteral("Login");
    case MessageType::LoginOk: return QStringLiteral("LoginOk");
    case MessageType::Error: return QStringLiteral("Error");
    case MessageType::Ping: return QStringLiteral("Ping");
    case MessageType::Pong: return QStringLiteral("Pong");
    case MessageType::PostLobby: return QStringLiteral("PostLobby");
    case MessageType::LobbyMessage: return QStringLiteral("LobbyMessage");
    case MessageType::Delivered: return QStringLiteral("Delivered");
    case MessageType::PostDm: return QStringLiteral("PostDm");
    case MessageType::DmMessage: return QStringLiteral("DmMessage");
    case MessageType::ListUsers: return QStringLiteral("ListUsers");
    case MessageType::UserList: return QStringLiteral("UserList");
    case MessageType::UserJoined: return QStringLiteral("UserJoined");
    case MessageType::UserLeft: return QStringLiteral("UserLeft");
    case MessageType::Quit: return QStringLiteral("Quit");
    case MessageType::ServerShutdown: return QStringLiteral("ServerShutdown");
    case MessageType::Notice: return QStringLiteral("Notice");
    case MessageType::CreateRoom: return QStringLiteral("CreateRoom");
    case MessageType::JoinRoom: return QStringLiteral("JoinRoom");
    case MessageType::LeaveRoom: return QStringLiteral("LeaveRoom");
    case MessageType::ListRooms: return QStringLiteral("ListRooms");
    case MessageType::RoomList: return QStringLiteral("RoomList");
    case MessageType::ListMembers: return QStringLiteral("ListMembers");
    case MessageType::MemberList: return QStringLiteral("MemberList");
    case MessageType::PostRoom: return QStringLiteral("PostRoom");
    case MessageType::RoomMessage: return QStringLiteral("RoomMessage");
    case MessageType::RoomJoined: return QStringLiteral("RoomJoined");
    case MessageType::RoomLeft: return QStringLiteral("RoomLeft");
    case MessageType::MemberJoined: return QStringLiteral("MemberJoined");
    case MessageType::MemberLeft: return QStringLiteral("MemberLeft");
    case MessageType::SetTopic: return QStringLiteral("SetTopic");
    case MessageType::TopicChanged: return QStringLiteral("TopicChanged");
    case MessageType::Kick: return QStringLiteral("Kick");
    case MessageType::Kicked: return QStringLiteral("Kicked");
    case MessageType::MemberKicked: return QStringLiteral("MemberKicked");
    case MessageType::Ban: return QStringLiteral("Ban");
    case MessageType::Unban: return QStringLiteral("Unban");
    case MessageType::Ok: return QStringLiteral("Ok");
    case MessageType::CloseRoom: return QStringLiteral("CloseRoom");
    case MessageType::RoomClosed: return QStringLiteral("RoomClosed");
    case MessageType::SessionEnded: return QStringLiteral("SessionEnded");
    case MessageType::RoomUpdated: return QStringLiteral("RoomUpdated");
    case MessageType::Poke: return QStringLiteral("Poke");
    case MessageType::PokeRequest: return QStringLiteral("PokeRequest");
    case MessageType::PokeAnswer: return QStringLiteral("PokeAnswer");
    case MessageType::PokeResult: return QStringLiteral("PokeResult");
    case MessageType::Bridge: return QStringLiteral("Bridge");
    case MessageType::CancelBridge: return QStringLiteral("CancelBridge");
    }
    return QStringLiteral("Type%1").arg(int(type));
}

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::None: return QStringLiteral("None");
    case ErrorCode::FrameTooLarge: return QStringLiteral("FrameTooLarge");
    case ErrorCode::EmptyFrame: return QStringLiteral("EmptyFrame");
    case ErrorCode::MalformedMessage: return QStringLiteral("MalformedMessage");
    case ErrorCode::UnknownMessageType: return QStringLiteral("UnknownMessageType");
    case ErrorCode::BadField: return QStringLiteral("BadField");
    case ErrorCode::UnexpectedMessage: return QStringLiteral("UnexpectedMessage");
    case ErrorCode::NotLoggedIn: return QStringLiteral("NotLoggedIn");
    case ErrorCode::VersionMismatch: return QStringLiteral("VersionMismatch");
    case ErrorCode::InvalidUsername: return QStringLiteral("InvalidUsername");
    case ErrorCode::InvalidPassword: return QStringLiteral("InvalidPassword");
    case ErrorCode::WrongPassword: return QStringLiteral("WrongPassword");
    case ErrorCode::AlreadyLoggedIn: return QStringLiteral("AlreadyLoggedIn");
    case ErrorCode::NoSuchUser: return QStringLiteral("NoSuchUser");
    case ErrorCode::UserOffline: return QStringLiteral("UserOffline");
    case ErrorCode::TextTooLong: return QStringLiteral("TextTooLong");
    case ErrorCode::SlowConsumer: return QStringLiteral("SlowConsumer");
    case ErrorCode::InternalError: return QStringLiteral("InternalError");
    case ErrorCode::HelloRequired: return QStringLiteral("HelloRequired");
    case ErrorCode::NoSuchRoom: return QStringLiteral("NoSuchRoom");
    case ErrorCode::NotRoomMember: return QStringLiteral("NotRoomMember");
    case ErrorCode::NotRoomOwner: return QStringLiteral("NotRoomOwner");
    case ErrorCode::InvalidRoomName: return QStringLiteral("InvalidRoomName");
    case ErrorCode::RoomExists: return QStringLiteral("RoomExists");
    case ErrorCode::BannedFromRoom: return QStringLiteral("BannedFromRoom");
    case ErrorCode::AlreadyInRoom: return QStringLiteral("AlreadyInRoom");
    case ErrorCode::NotPermitted: return QStringLiteral("NotPermitted");
    case ErrorCode::Banned: return QStringLiteral("Banned");
    case ErrorCode::NoSuchPoke: return QStringLiteral("NoSuchPoke");
    case ErrorCode::SlowDown: return QStringLiteral("SlowDown");
    }
    return QStringLiteral("Error%1").arg(int(code));
}

QString errorCodeDescription(ErrorCode code)
{
    switch (code) {
    case ErrorCode::None: return QStringLiteral("no error");
    case ErrorCode::FrameTooLarge: return QStringLiteral("frame larger than the protocol allows");
    case ErrorCode::EmptyFrame: return QStringLiteral("frame of length zero");
    case ErrorCode::MalformedMessage: return QStringLiteral("message is not a CBOR map with a type");
    case ErrorCode::UnknownMessageType: return QStringLiteral("unknown message type");
    case ErrorCode::BadField: return QStringLiteral("a field is missing or has the wrong type");
    case ErrorCode::UnexpectedMessage: return QStringLiteral("message not valid here");
    case ErrorCode::NotLoggedIn: return QStringLiteral("log in first");
    case ErrorCode::VersionMismatch: return QStringLiteral("protocol version not supported");
    case ErrorCode::InvalidUsername: return QStringLiteral("invalid username");
    case ErrorCode::InvalidPassword: return QStringLiteral("invalid password");
    case ErrorCode::WrongPassword: return QStringLiteral("wrong password");
    case ErrorCode::AlreadyLoggedIn: return QStringLiteral("already logged in");
    case ErrorCode::NoSuchUser: return QStringLiteral("no such user");
    case ErrorCode::UserOffline: return QStringLiteral("user is offline");
    case ErrorCode::TextTooLong: return QStringLiteral("message text is empty or too long");
    case ErrorCode::SlowConsumer: return QStringLiteral("too much unread data; disconnected");
    case ErrorCode::InternalError: return QStringLiteral("internal server error");
    case ErrorCode::HelloRequired: return QStringLiteral("the first message must be Hello");
    case ErrorCode::NoSuchRoom: return QStringLiteral("no such room");
    case ErrorCode::NotRoomMember: return QStringLiteral("you are not in that room");
    case ErrorCode::NotRoomOwner: return QStringLiteral("only the room's owner may do that");
    case ErrorCode::InvalidRoomName: return QStringLiteral("invalid room name");
    case ErrorCode::RoomExists: return QStringLiteral("a room of that name already exists");
    case ErrorCode::BannedFromRoom: return QStringLiteral("you are banned from that room");
    case ErrorCode::AlreadyInRoom: return QStringLiteral("you are already in that room");
    case ErrorCode::NotPermitted: return QStringLiteral("not permitted");
    case ErrorCode::Banned: return QStringLiteral("banned from this server");
    case ErrorCode::NoSuchPoke: return QStringLiteral("no such poke (it may have expired)");
    case ErrorCode::SlowDown: return QStringLiteral("slow down: too much too fast");
    }
    return QStringLiteral("error %1").arg(int(code));
}

bool isFatalError(ErrorCode code)
{
    switch (code) {
    case ErrorCode::FrameTooLarge:
    case ErrorCode::EmptyFrame:
    case ErrorCode::VersionMismatch:
    case ErrorCode::SlowConsumer:
    case ErrorCode::HelloRequired:
        return true;
    default:
        return false;
    }
}

bool isFingerprint(const QString &text)
{
    if (text.size() != 64)
        return false;
    for (const QChar c : text) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

} // namespace Confab
