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

} // namespace Confab
