#include "message.h"

#include <QCborParserError>
#include <QtEndian>

#include <array>
#include <initializer_list>
#include <vector>

namespace Confab {

namespace {

enum class Kind { Text, Unsigned, Integer, Bool, Array, Map };

struct FieldRule {
    const QString *key;
    Kind kind;
    bool required;
    int maxBytes = 0; // Text: maximum UTF-8 bytes (0: only the frame limit applies)
};

struct TypeRule {
    bool known = false;
    std::vector<FieldRule> fields;
};

// The schema of every message type, mirrored in docs/PROTOCOL.md ("Messages").
const std::array<TypeRule, LastMessageType + 1> &schema()
{
    static const auto table = [] {
        std::array<TypeRule, LastMessageType + 1> t{};
        auto rule = [&t](MessageType type, std::initializer_list<FieldRule> fields) {
            t[size_t(type)] = TypeRule{true, fields};
        };
        const int name = Limits::MaxUsernameLength * 4; // generous: validated again by the server
        rule(MessageType::Hello, {{&Key::Version, Kind::Unsigned, true},
                                  {&Key::Caps, Kind::Array, false},
                                  {&Key::Agent, Kind::Text, false, 256}});
        rule(MessageType::Welcome, {{&Key::Version, Kind::Unsigned, true},
                                    {&Key::Caps, Kind::Array, false},
                                    {&Key::Server, Kind::Text, false, 256},
                                    {&Key::Limits, Kind::Map, false}});
        rule(MessageType::Login, {{&Key::Id, Kind::Unsigned, true},
                                  {&Key::User, Kind::Text, true, name},
                                  {&Key::Password, Kind::Text, true, Limits::MaxPasswordBytes}});
        rule(MessageType::LoginOk, {{&Key::Re, Kind::Unsigned, true},
                                    {&Key::User, Kind::Text, true, name},
                                    {&Key::Created, Kind::Bool, false},
                                    {&Key::PasswordReset, Kind::Bool, false}});
        rule(MessageType::Error, {{&Key::Code, Kind::Unsigned, true},
                                  {&Key::Message, Kind::Text, false, 1024},
                                  {&Key::Re, Kind::Unsigned, false},
                                  {&Key::RetryAfter, Kind::Unsigned, false},
                                  {&Key::Fatal, Kind::Bool, false}});
        rule(MessageType::Ping, {{&Key::Nonce, Kind::Unsigned, true}});
        rule(MessageType::Pong, {{&Key::Nonce, Kind::Unsigned, true}});
        rule(MessageType::PostLobby, {{&Key::Id, Kind::Unsigned, true},
                                      {&Key::Text, Kind::Text, true, Limits::MaxTextBytes}});
        rule(MessageType::LobbyMessage, {{&Key::From, Kind::Text, true, name},
                                         {&Key::Text, Kind::Text, true, Limits::MaxTextBytes},
                                         {&Key::Ts, Kind::Integer, true},
                                         {&Key::Msg, Kind::Unsigned, true}});
        rule(MessageType::Delivered, {{&Key::Re, Kind::Unsigned, true},
                                      {&Key::Count, Kind::Unsigned, true},
                                      {&Key::Ts, Kind::Integer, false},
                                      {&Key::Msg, Kind::Unsigned, false}});
        rule(MessageType::PostDm, {{&Key::Id, Kind::Unsigned, true},
                                   {&Key::To, Kind::Text, true, name},
                                   {&Key::Text, Kind::Text, true, Limits::MaxTextBytes}});
        rule(MessageType::DmMessage, {{&Key::From, Kind::Text, true, name},
                                      {&Key::To, Kind::Text, true, name},
                                      {&Key::Text, Kind::Text, true, Limits::MaxTextBytes},
                                      {&Key::Ts, Kind::Integer, true},
                                      {&Key::Msg, Kind::Unsigned, true}});
        rule(MessageType::ListUsers, {{&Key::Id, Kind::Unsigned, true}});
        rule(MessageType::UserList, {{&Key::Re, Kind::Unsigned, true},
                                     {&Key::Users, Kind::Array, true}});
        rule(MessageType::UserJoined, {{&Key::User, Kind::Text, true, name},
                                       {&Key::Since, Kind::Integer, false},
                                       {&Key::Transport, Kind::Text, false, 16}});
        rule(MessageType::UserLeft, {{&Key::User, Kind::Text, true, name},
                                     {&Key::Reason, Kind::Text, false, Limits::MaxQuitReasonBytes * 2}});
        rule(MessageType::Quit, {{&Key::Reason, Kind::Text, false, Limits::MaxQuitReasonBytes}});
        rule(MessageType::ServerShutdown, {{&Key::Reason, Kind::Text, false, 1024}});
        rule(MessageType::Notice, {{&Key::Text, Kind::Text, true, Limits::MaxTextBytes},
                                   {&Key::Ts, Kind::Integer, false}});
        const int room = Limits::MaxUsernameLength * 4;
        const FieldRule id{&Key::Id, Kind::Unsigned, true};
        const FieldRule re{&Key::Re, Kind::Unsigned, true};
        const FieldRule roomField{&Key::Room, Kind::Text, true, room};
        rule(MessageType::CreateRoom, {id, roomField, {&Key::Topic, Kind::Text, false, Limits::MaxTopicBytes}});
        rule(MessageType::JoinRoom, {id, roomField});
        rule(MessageType::LeaveRoom, {id, roomField});
        rule(MessageType::ListRooms, {id});
        rule(MessageType::RoomList, {re, {&Key::Rooms, Kind::Array, true}});
        rule(MessageType::ListMembers, {id, roomField});
        rule(MessageType::MemberList, {re, roomField, {&Key::Owner, Kind::Text, false, name},
                                       {&Key::Members, Kind::Array, true}});
        rule(MessageType::PostRoom, {id, roomField, {&Key::Text, Kind::Text, true, Limits::MaxTextBytes}});
        rule(MessageType::RoomMessage, {roomField, {&Key::From, Kind::Text, true, name},
                                        {&Key::Text, Kind::Text, true, Limits::MaxTextBytes},
                                        {&Key::Ts, Kind::Integer, true}, {&Key::Msg, Kind::Unsigned, true}});
        rule(MessageType::RoomJoined, {{&Key::Re, Kind::Unsigned, false}, roomField,
                                       {&Key::Topic, Kind::Text, false, Limits::MaxTopicBytes},
                                       {&Key::Owner, Kind::Text, false, name},
                                       {&Key::Members, Kind::Array, false},
                                       {&Key::Created, Kind::Bool, false},
                                    {&Key::PasswordReset, Kind::Bool, false}});
        rule(MessageType::RoomLeft, {{&Key::Re, Kind::Unsigned, false}, roomField,
                                     {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes * 2}});
        rule(MessageType::MemberJoined, {roomField, {&Key::User, Kind::Text, true, name}});
        rule(MessageType::MemberLeft, {roomField, {&Key::User, Kind::Text, true, name},
                                       {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes * 2}});
        rule(MessageType::SetTopic, {id, roomField, {&Key::Topic, Kind::Text, true, Limits::MaxTopicBytes}});
        rule(MessageType::TopicChanged, {roomField, {&Key::Topic, Kind::Text, true, Limits::MaxTopicBytes},
                                         {&Key::By, Kind::Text, false, name}});
        rule(MessageType::Kick, {id, roomField, {&Key::User, Kind::Text, false, name},
                                 {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes}});
        rule(MessageType::Kicked, {roomField, {&Key::By, Kind::Text, false, name},
                                   {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes}});
        rule(MessageType::MemberKicked, {roomField, {&Key::User, Kind::Text, true, name},
                                         {&Key::By, Kind::Text, false, name},
                                         {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes}});
        rule(MessageType::Ban, {id, roomField, {&Key::User, Kind::Text, true, name},
                                {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes}});
        rule(MessageType::Unban, {id, roomField, {&Key::User, Kind::Text, true, name}});
        rule(MessageType::Ok, {re, {&Key::Count, Kind::Unsigned, false}});
        rule(MessageType::CloseRoom, {id, roomField});
        rule(MessageType::RoomClosed, {roomField, {&Key::By, Kind::Text, false, name}});
        rule(MessageType::RoomUpdated, {roomField, {&Key::Topic, Kind::Text, false, Limits::MaxTopicBytes},
                                        {&Key::Owner, Kind::Text, false, name},
                                        {&Key::Members, Kind::Unsigned, false}});
        const FieldRule fingerprint{&Key::Fingerprint, Kind::Text, false, 64};
        rule(MessageType::Poke, {id, {&Key::User, Kind::Text, true, name}, {&Key::Port, Kind::Unsigned, true},
                                 {&Key::UdpPort, Kind::Unsigned, false}, fingerprint});
        rule(MessageType::PokeRequest, {{&Key::Poke, Kind::Unsigned, true}, {&Key::From, Kind::Text, true, name}});
        rule(MessageType::PokeAnswer, {id, {&Key::Poke, Kind::Unsigned, true}, {&Key::Accept, Kind::Bool, true},
                                       {&Key::Udp, Kind::Bool, false}, fingerprint});
        rule(MessageType::PokeResult, {{&Key::Re, Kind::Unsigned, false}, {&Key::Poke, Kind::Unsigned, false},
                                       {&Key::Accepted, Kind::Bool, true},
                                       {&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes},
                                       {&Key::Peer, Kind::Text, false, name},
                                       {&Key::Address, Kind::Text, false, 64},
                                       {&Key::Port, Kind::Unsigned, false},
                                       {&Key::Token, Kind::Text, false, 64},
                                       {&Key::Role, Kind::Text, false, 16},
                                       {&Key::Transport, Kind::Text, false, 16}, fingerprint});
        rule(MessageType::Bridge, {id, {&Key::Port, Kind::Unsigned, true}, {&Key::UdpPort, Kind::Unsigned, false},
                                   fingerprint});
        rule(MessageType::CancelBridge, {id});
        rule(MessageType::SessionEnded, {{&Key::Reason, Kind::Text, false, Limits::MaxReasonBytes * 2},
                                         {&Key::By, Kind::Text, false, name},
                                         {&Key::RetryAfter, Kind::Unsigned, false}});
        return t;
    }();
    return table;
}

bool matches(const QCborValue &v, Kind kind)
{
    switch (kind) {
    case Kind::Text: return v.isString();
    case Kind::Unsigned: return v.isInteger() && v.toInteger() >= 0;
    case Kind::Integer: return v.isInteger();
    case Kind::Bool: return v.isBool();
    case Kind::Array: return v.isArray();
    case Kind::Map: return v.isMap();
    }
    return false;
}

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Text: return "text string";
    case Kind::Unsigned: return "unsigned integer";
    case Kind::Integer: return "integer";
    case Kind::Bool: return "boolean";
    case Kind::Array: return "array";
    case Kind::Map: return "map";
    }
    return "?";
}

} // namespace

Message::Message(MessageType type)
    : m_type(type)
{
    m_map.insert(Key::Type, qint64(type));
}

Message::Message(QCborMap map)
    : m_map(std::move(map))
{
    m_type = MessageType(m_map.value(Key::Type).toInteger());
}

Message &Message::set(const QString &key, const QCborValue &value)
{
    m_map.insert(key, value);
    return *this;
}

QByteArray Message::encode() const
{
    return m_map.toCborValue().toCbor();
}

QByteArray Message::toFrame() const
{
    return frameFromPayload(encode());
}

QByteArray frameFromPayload(const QByteArray &payload)
{
    QByteArray frame(4 + payload.size(), Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(payload.size()), frame.data());
    memcpy(frame.data() + 4, payload.constData(), size_t(payload.size()));
    return frame;
}

DecodeResult Message::decode(const QByteArray &payload)
{
    DecodeResult result;
    QCborParserError parseError;
    const QCborValue root = QCborValue::fromCbor(payload, &parseError);
    if (parseError.error != QCborError::NoError) {
        result.error = ErrorCode::MalformedMessage;
        result.detail = QStringLiteral("payload is not valid CBOR: %1").arg(parseError.errorString());
        return result;
    }
    if (parseError.offset != payload.size()) {
        result.error = ErrorCode::MalformedMessage;
        result.detail = QStringLiteral("trailing bytes after the CBOR map");
        return result;
    }
    if (!root.isMap()) {
        result.error = ErrorCode::MalformedMessage;
        result.detail = QStringLiteral("payload is not a CBOR map");
        return result;
    }
    QCborMap map = root.toMap();
    const QCborValue id = map.value(Key::Id);
    if (id.isInteger() && id.toInteger() >= 0)
        result.requestId = quint64(id.toInteger());

    const QCborValue type = map.value(Key::Type);
    if (!type.isInteger()) {
        result.error = ErrorCode::MalformedMessage;
        result.detail = QStringLiteral("missing integer \"type\"");
        return result;
    }
    const qint64 typeNumber = type.toInteger();
    if (typeNumber <= 0 || typeNumber > LastMessageType || !schema()[size_t(typeNumber)].known) {
        result.error = ErrorCode::UnknownMessageType;
        result.detail = QStringLiteral("unknown message type %1").arg(typeNumber);
        return result;
    }
    for (const FieldRule &field : schema()[size_t(typeNumber)].fields) {
        const QCborValue v = map.value(*field.key);
        if (v.isUndefined()) {
            if (field.required) {
                result.error = ErrorCode::BadField;
                result.detail = QStringLiteral("missing field \"%1\"").arg(*field.key);
                return result;
            }
            continue;
        }
        if (!matches(v, field.kind)) {
            result.error = ErrorCode::BadField;
            result.detail = QStringLiteral("field \"%1\" must be a %2").arg(*field.key, QLatin1String(kindName(field.kind)));
            return result;
        }
        if (field.kind == Kind::Text && field.maxBytes > 0 && v.toString().toUtf8().size() > field.maxBytes) {
            result.error = field.key == &Key::Text ? ErrorCode::TextTooLong : ErrorCode::BadField;
            result.detail = QStringLiteral("field \"%1\" is longer than %2 bytes").arg(*field.key).arg(field.maxBytes);
            return result;
        }
    }
    result.message = Message(std::move(map));
    return result;
}

Message Message::hello(const QString &agent, const QStringList &caps)
{
    return Message(MessageType::Hello)
        .set(Key::Version, qint64(ProtocolVersion))
        .set(Key::Caps, QCborArray::fromStringList(caps))
        .set(Key::Agent, agent);
}

Message Message::welcome(const QString &server, const QStringList &caps)
{
    QCborMap limits;
    limits.insert(Key::MaxFrame, qint64(Limits::MaxFramePayload));
    limits.insert(Key::MaxText, qint64(Limits::MaxTextBytes));
    return Message(MessageType::Welcome)
        .set(Key::Version, qint64(ProtocolVersion))
        .set(Key::Caps, QCborArray::fromStringList(caps))
        .set(Key::Server, server)
        .set(Key::Limits, limits);
}

Message Message::login(quint64 id, const QString &user, const QString &password)
{
    return Message(MessageType::Login).set(Key::Id, qint64(id)).set(Key::User, user).set(Key::Password, password);
}

Message Message::loginOk(quint64 re, const QString &user, bool created, bool passwordReset)
{
    Message m(MessageType::LoginOk);
    m.set(Key::Re, qint64(re)).set(Key::User, user).set(Key::Created, created);
    if (passwordReset)
        m.set(Key::PasswordReset, true);
    return m;
}

Message Message::error(ErrorCode code, const QString &detail, quint64 re)
{
    Message m(MessageType::Error);
    m.set(Key::Code, qint64(code));
    m.set(Key::Message, detail.isEmpty() ? errorCodeDescription(code) : detail);
    if (re)
        m.set(Key::Re, qint64(re));
    m.set(Key::Fatal, isFatalError(code));
    return m;
}

Message Message::ping(quint64 nonce) { return Message(MessageType::Ping).set(Key::Nonce, qint64(nonce)); }
Message Message::pong(quint64 nonce) { return Message(MessageType::Pong).set(Key::Nonce, qint64(nonce)); }

Message Message::postLobby(quint64 id, const QString &text)
{
    return Message(MessageType::PostLobby).set(Key::Id, qint64(id)).set(Key::Text, text);
}

Message Message::lobbyMessage(const QString &from, const QString &text, qint64 ts, quint64 msg)
{
    return Message(MessageType::LobbyMessage)
        .set(Key::From, from).set(Key::Text, text).set(Key::Ts, ts).set(Key::Msg, qint64(msg));
}

Message Message::delivered(quint64 re, int count, qint64 ts, quint64 msg)
{
    return Message(MessageType::Delivered)
        .set(Key::Re, qint64(re)).set(Key::Count, count).set(Key::Ts, ts).set(Key::Msg, qint64(msg));
}

Message Message::postDm(quint64 id, const QString &to, const QString &text)
{
    return Message(MessageType::PostDm).set(Key::Id, qint64(id)).set(Key::To, to).set(Key::Text, text);
}

Message Message::dmMessage(const QString &from, const QString &to, const QString &text, qint64 ts, quint64 msg)
{
    return Message(MessageType::DmMessage)
        .set(Key::From, from).set(Key::To, to).set(Key::Text, text).set(Key::Ts, ts).set(Key::Msg, qint64(msg));
}

Message Message::listUsers(quint64 id) { return Message(MessageType::ListUsers).set(Key::Id, qint64(id)); }

Message Message::userList(quint64 re, const QCborArray &users)
{
    return Message(MessageType::UserList).set(Key::Re, qint64(re)).set(Key::Users, users);
}

Message Message::userJoined(const QString &user, qint64 since, const QString &transport)
{
    return Message(MessageType::UserJoined).set(Key::User, user).set(Key::Since, since).set(Key::Transport, transport);
}

Message Message::userLeft(const QString &user, const QString &reason)
{
    return Message(MessageType::UserLeft).set(Key::User, user).set(Key::Reason, reason);
}

Message Message::quit(const QString &reason)
{
    Message m(MessageType::Quit);
    if (!reason.isEmpty())
        m.set(Key::Reason, reason);
    return m;
}

Message Message::serverShutdown(const QString &reason)
{
    return Message(MessageType::ServerShutdown).set(Key::Reason, reason);
}

Message Message::notice(const QString &text, qint64 ts)
{
    return Message(MessageType::Notice).set(Key::Text, text).set(Key::Ts, ts);
}

Message Message::createRoom(quint64 id, const QString &room, const QString &topic)
{
    Message m(MessageType::CreateRoom);
    m.set(Key::Id, qint64(id)).set(Key::Room, room);
    if (!topic.isEmpty())
        m.set(Key::Topic, topic);
    return m;
}

Message Message::joinRoom(quint64 id, const QString &room)
{
    return Message(MessageType::JoinRoom).set(Key::Id, qint64(id)).set(Key::Room, room);
}

Message Message::leaveRoom(quint64 id, const QString &room)
{
    return Message(MessageType::LeaveRoom).set(Key::Id, qint64(id)).set(Key::Room, room);
}

Message Message::listRooms(quint64 id) { return Message(MessageType::ListRooms).set(Key::Id, qint64(id)); }

Message Message::roomList(quint64 re, const QCborArray &rooms)
{
    return Message(MessageType::RoomList).set(Key::Re, qint64(re)).set(Key::Rooms, rooms);
}

Message Message::listMembers(quint64 id, const QString &room)
{
    return Message(MessageType::ListMembers).set(Key::Id, qint64(id)).set(Key::Room, room);
}

Message Message::memberList(quint64 re, const QString &room, const QString &owner, const QStringList &members)
{
    return Message(MessageType::MemberList)
        .set(Key::Re, qint64(re)).set(Key::Room, room).set(Key::Owner, owner)
        .set(Key::Members, QCborArray::fromStringList(members));
}

Message Message::postRoom(quint64 id, const QString &room, const QString &text)
{
    return Message(MessageType::PostRoom).set(Key::Id, qint64(id)).set(Key::Room, room).set(Key::Text, text);
}

Message Message::roomMessage(const QString &room, const QString &from, const QString &text, qint64 ts, quint64 msg)
{
    return Message(MessageType::RoomMessage)
        .set(Key::Room, room).set(Key::From, from).set(Key::Text, text).set(Key::Ts, ts).set(Key::Msg, qint64(msg));
}

Message Message::roomJoined(quint64 re, const QString &room, const QString &topic, const QString &owner,
                            const QStringList &members, bool created)
{
    Message m(MessageType::RoomJoined);
    if (re)
        m.set(Key::Re, qint64(re));
    return m.set(Key::Room, room).set(Key::Topic, topic).set(Key::Owner, owner)
        .set(Key::Members, QCborArray::fromStringList(members)).set(Key::Created, created);
}

Message Message::roomLeft(quint64 re, const QString &room, const QString &reason)
{
    Message m(MessageType::RoomLeft);
    if (re)
        m.set(Key::Re, qint64(re));
    return m.set(Key::Room, room).set(Key::Reason, reason);
}

Message Message::memberJoined(const QString &room, const QString &user)
{
    return Message(MessageType::MemberJoined).set(Key::Room, room).set(Key::User, user);
}

Message Message::memberLeft(const QString &room, const QString &user, const QString &reason)
{
    return Message(MessageType::MemberLeft).set(Key::Room, room).set(Key::User, user).set(Key::Reason, reason);
}

Message Message::setTopic(quint64 id, const QString &room, const QString &topic)
{
    return Message(MessageType::SetTopic).set(Key::Id, qint64(id)).set(Key::Room, room).set(Key::Topic, topic);
}

Message Message::topicChanged(const QString &room, const QString &topic, const QString &by)
{
    return Message(MessageType::TopicChanged).set(Key::Room, room).set(Key::Topic, topic).set(Key::By, by);
}

Message Message::kick(quint64 id, const QString &room, const QString &user, const QString &reason)
{
    Message m(MessageType::Kick);
    m.set(Key::Id, qint64(id)).set(Key::Room, room);
    if (!user.isEmpty())
        m.set(Key::User, user);
    if (!reason.isEmpty())
        m.set(Key::Reason, reason);
    return m;
}

Message Message::kicked(const QString &room, const QString &by, const QString &reason)
{
    return Message(MessageType::Kicked).set(Key::Room, room).set(Key::By, by).set(Key::Reason, reason);
}

Message Message::memberKicked(const QString &room, const QString &user, const QString &by, const QString &reason)
{
    return Message(MessageType::MemberKicked)
        .set(Key::Room, room).set(Key::User, user).set(Key::By, by).set(Key::Reason, reason);
}

Message Message::ban(quint64 id, const QString &room, const QString &user, const QString &reason)
{
    Message m(MessageType::Ban);
    m.set(Key::Id, qint64(id)).set(Key::Room, room).set(Key::User, user);
    if (!reason.isEmpty())
        m.set(Key::Reason, reason);
    return m;
}

Message Message::unban(quint64 id, const QString &room, const QString &user)
{
    return Message(MessageType::Unban).set(Key::Id, qint64(id)).set(Key::Room, room).set(Key::User, user);
}

Message Message::ok(quint64 re, int count)
{
    Message m(MessageType::Ok);
    m.set(Key::Re, qint64(re));
    if (count >= 0)
        m.set(Key::Count, count);
    return m;
}

Message Message::closeRoom(quint64 id, const QString &room)
{
    return Message(MessageType::CloseRoom).set(Key::Id, qint64(id)).set(Key::Room, room);
}

Message Message::sessionEnded(const QString &reason, const QString &by, qint64 retryAfterMs)
{
    Message m(MessageType::SessionEnded);
    m.set(Key::Reason, reason).set(Key::By, by);
    if (retryAfterMs >= 0)
        m.set(Key::RetryAfter, retryAfterMs);
    return m;
}

Message Message::poke(quint64 id, const QString &user, quint16 port, quint16 udpPort, const QString &fingerprint)
{
    Message m(MessageType::Poke);
    m.set(Key::Id, qint64(id)).set(Key::User, user).set(Key::Port, port);
    if (udpPort)
        m.set(Key::UdpPort, udpPort);
    if (!fingerprint.isEmpty())
        m.set(Key::Fingerprint, fingerprint);
    return m;
}

Message Message::pokeRequest(quint64 poke, const QString &from)
{
    return Message(MessageType::PokeRequest).set(Key::Poke, qint64(poke)).set(Key::From, from);
}

Message Message::pokeAnswer(quint64 id, quint64 poke, bool accept, bool udp, const QString &fingerprint)
{
    Message m(MessageType::PokeAnswer);
    m.set(Key::Id, qint64(id)).set(Key::Poke, qint64(poke)).set(Key::Accept, accept);
    if (accept && udp)
        m.set(Key::Udp, true);
    if (accept && !fingerprint.isEmpty())
        m.set(Key::Fingerprint, fingerprint);
    return m;
}

Message Message::bridge(quint64 id, quint16 port, quint16 udpPort, const QString &fingerprint)
{
    Message m(MessageType::Bridge);
    m.set(Key::Id, qint64(id)).set(Key::Port, port);
    if (udpPort)
        m.set(Key::UdpPort, udpPort);
    if (!fingerprint.isEmpty())
        m.set(Key::Fingerprint, fingerprint);
    return m;
}

Message Message::cancelBridge(quint64 id)
{
    return Message(MessageType::CancelBridge).set(Key::Id, qint64(id));
}

Message Message::roomUpdated(const QString &room, const QString &topic, const QString &owner, int memberCount)
{
    return Message(MessageType::RoomUpdated)
        .set(Key::Room, room).set(Key::Topic, topic).set(Key::Owner, owner).set(Key::Members, memberCount);
}

Message Message::roomClosed(const QString &room, const QString &by)
{
    return Message(MessageType::RoomClosed).set(Key::Room, room).set(Key::By, by);
}

} // namespace Confab
