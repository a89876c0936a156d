// Confab wire protocol: message types, error codes and limits.
//
// docs/PROTOCOL.md is the contract; this header is its C++ mirror. Both enums are APPEND-ONLY:
// a number, once shipped, keeps its meaning forever. Never renumber, never reuse.
#pragma once

#include <QtGlobal>
#include <QString>

namespace Confab {

// Version spoken in Hello/Welcome. Bumped only for incompatible changes; additions are announced
// as capabilities instead.
constexpr quint32 ProtocolVersion = 1;

enum class MessageType : quint16 {
    Invalid = 0,
    Hello = 1,          // C→S  {version, caps, agent}
    Welcome = 2,        // S→C  {version, caps, server, limits}
    Login = 3,          // C→S  {id, user, password}
    LoginOk = 4,        // S→C  {re, user, created}
    Error = 5,          // S→C  {code, message, re?, retryAfter?, fatal}
    Ping = 6,           // both {nonce}
    Pong = 7,           // both {nonce}
    PostLobby = 8,      // C→S  {id, text}
    LobbyMessage = 9,   // S→C  {from, text, ts, msg}
    Delivered = 10,     // S→C  {re, count, ts, msg}
    PostDm = 11,        // C→S  {id, to, text}
    DmMessage = 12,     // S→C  {from, to, text, ts, msg}
    ListUsers = 13,     // C→S  {id}
    UserList = 14,      // S→C  {re, users: [{user, since, transport}]}
    UserJoined = 15,    // S→C  {user, since, transport}
    UserLeft = 16,      // S→C  {user, reason}
    Quit = 17,          // C→S  {reason?}
    ServerShutdown = 18,// S→C  {reason}
    Notice = 19,        // S→C  {text, ts}
};
constexpr quint16 LastMessageType = 19;

enum class ErrorCode : quint16 {
    None = 0,
    FrameTooLarge = 1,      // fatal: length prefix above MaxFramePayload
    EmptyFrame = 2,         // fatal: length prefix of zero
    MalformedMessage = 3,   // payload is not one CBOR map with an integer "type"
    UnknownMessageType = 4, // type number this server does not know
    BadField = 5,           // required field missing, or of the wrong CBOR type or size
    UnexpectedMessage = 6,  // known type, but not valid from this side or in this state
    NotLoggedIn = 7,        // a command before a successful Login
    VersionMismatch = 8,    // fatal: Hello with a protocol version the server does not speak
    InvalidUsername = 9,
    InvalidPassword = 10,   // empty, too long, or too short for a new account
    WrongPassword = 11,
    AlreadyLoggedIn = 12,   // the account has a live session already (or this connection is logged in)
    NoSuchUser = 13,
    UserOffline = 14,
    TextTooLong = 15,       // text above MaxTextBytes, or empty
    SlowConsumer = 16,      // fatal: the peer let MaxOutboundBuffer bytes pile up unread
    InternalError = 17,     // the server could not complete the request (e.g. database error)
    HelloRequired = 18,     // fatal: first message was not Hello
};

namespace Limits {
constexpr quint32 MaxFramePayload = 64 * 1024;       // bytes after the 4-byte length prefix
constexpr int MaxTextBytes = 16 * 1024;              // UTF-8 bytes of one chat message
constexpr int MinUsernameLength = 2;
constexpr int MaxUsernameLength = 32;
constexpr int MinNewPasswordLength = 6;              // characters, for new accounts only
constexpr int MaxPasswordBytes = 1024;               // UTF-8 bytes
constexpr int MaxQuitReasonBytes = 256;
constexpr int MaxOutboundBuffer = 8 * 1024 * 1024;   // unread bytes queued to one peer before it is dropped
constexpr int DefaultPingIntervalMs = 20 * 1000;     // send Ping after this much silence
constexpr int DefaultIdleTimeoutMs = 60 * 1000;      // drop the peer after this much silence
} // namespace Limits

QString messageTypeName(MessageType type);
QString errorCodeName(ErrorCode code);
// A short English sentence for the code; clients translate via their own tr() tables.
QString errorCodeDescription(ErrorCode code);
bool isFatalError(ErrorCode code);

} // namespace Confab
