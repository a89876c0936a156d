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
    // Rooms (protocol capability "rooms")
    CreateRoom = 20,    // C→S  {id, room, topic?}
    JoinRoom = 21,      // C→S  {id, room}
    LeaveRoom = 22,     // C→S  {id, room}
    ListRooms = 23,     // C→S  {id}
    RoomList = 24,      // S→C  {re, rooms: [{room, topic, owner, members, joined}]}
    ListMembers = 25,   // C→S  {id, room}
    MemberList = 26,    // S→C  {re, room, owner, members: [user]}
    PostRoom = 27,      // C→S  {id, room, text}
    RoomMessage = 28,   // S→C  {room, from, text, ts, msg}
    RoomJoined = 29,    // S→C  {re?, room, topic, owner, members, created}
    RoomLeft = 30,      // S→C  {re?, room, reason}
    MemberJoined = 31,  // S→C  {room, user}
    MemberLeft = 32,    // S→C  {room, user, reason}
    SetTopic = 33,      // C→S  {id, room, topic}
    TopicChanged = 34,  // S→C  {room, topic, by}
    Kick = 35,          // C→S  {id, room, user?, reason?}  (no user: everyone but the owner)
    Kicked = 36,        // S→C  {room, by, reason}  to the one removed
    MemberKicked = 37,  // S→C  {room, user, by, reason}  to those who stay
    Ban = 38,           // C→S  {id, room, user, reason?}
    Unban = 39,         // C→S  {id, room, user}
    Ok = 40,            // S→C  {re, count?}  success of a request with nothing else to say
    CloseRoom = 41,     // C→S  {id, room}
    RoomClosed = 42,    // S→C  {room, by}
    SessionEnded = 43,  // S→C  {reason, by, retryAfter?}  the administrator ended this session
    RoomUpdated = 44,   // S→C  {room, topic, owner, members}  to everyone: a room was created or changed
    // Rendezvous for peer-to-peer chats (capability "p2p")
    Poke = 45,          // C→S  {id, user, port, udpPort?, fingerprint?}  ask `user` to talk directly; we listen on `port` (TCP) and `udpPort`
    PokeRequest = 46,   // S→C  {poke, from}  someone asks to talk directly
    PokeAnswer = 47,    // C→S  {id, poke, accept, udp?, fingerprint?}
    PokeResult = 48,    // S→C  {re?, poke?, accepted, reason?, peer?, address?, port?, token?, role?, transport?, fingerprint?}
    Bridge = 49,        // C→S  {id, port, udpPort?, fingerprint?}  pair me with anyone who is waiting (seed 002)
    CancelBridge = 50,  // C→S  {id}
};
constexpr quint16 LastMessageType = 50;

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
    NoSuchRoom = 19,
    NotRoomMember = 20,     // post/leave/list members of a room one is not in
    NotRoomOwner = 21,      // owner-only action by someone else
    InvalidRoomName = 22,
    RoomExists = 23,
    BannedFromRoom = 24,
    AlreadyInRoom = 25,
    NotPermitted = 26,      // e.g. kicking or banning the owner, banning oneself
    Banned = 27,            // the account or address is banned from the server (retryAfter: ms left, 0 = for good)
    NoSuchPoke = 28,        // answer to a poke that does not exist (any more), or cancel without a wait
    SlowDown = 29,          // over a rate or connection limit (retryAfter: ms to wait); fatal when the server closes
};

namespace Limits {
constexpr quint32 MaxFramePayload = 64 * 1024;       // bytes after the 4-byte length prefix
constexpr int MaxTextBytes = 16 * 1024;              // UTF-8 bytes of one chat message
constexpr int MinUsernameLength = 2;
constexpr int MaxUsernameLength = 32;
constexpr int MinNewPasswordLength = 6;              // characters, for new accounts only
constexpr int MaxPasswordBytes = 1024;               // UTF-8 bytes
constexpr int MaxQuitReasonBytes = 256;
constexpr int MaxTopicBytes = 512;                   // UTF-8 bytes of a room topic
constexpr int MaxReasonBytes = 256;                  // kick/ban reasons
constexpr int MaxOutboundBuffer = 8 * 1024 * 1024;   // unread bytes queued to one peer before it is dropped
constexpr int DefaultPingIntervalMs = 20 * 1000;     // send Ping after this much silence
constexpr int DefaultIdleTimeoutMs = 60 * 1000;      // drop the peer after this much silence
} // namespace Limits

QString messageTypeName(MessageType type);
QString errorCodeName(ErrorCode code);
// A short English sentence for the code; clients translate via their own tr() tables.
QString errorCodeDescription(ErrorCode code);
bool isFatalError(ErrorCode code);
// Whether text is a certificate fingerprint as messages carry it: SHA-256, 64 lowercase hex digits.
bool isFingerprint(const QString &text);

} // namespace Confab
