// A Confab message: one CBOR map on the wire, always with an integer "type" key.
#pragma once

#include "protocol.h"

#include <QByteArray>
#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QString>

namespace Confab {

// Field names, shared by every encoder and decoder (see docs/PROTOCOL.md, "Fields").
namespace Key {
inline const QString Type = QStringLiteral("type");
inline const QString Id = QStringLiteral("id");
inline const QString Re = QStringLiteral("re");
inline const QString Version = QStringLiteral("version");
inline const QString Caps = QStringLiteral("caps");
inline const QString Agent = QStringLiteral("agent");
inline const QString Server = QStringLiteral("server");
inline const QString Limits = QStringLiteral("limits");
inline const QString User = QStringLiteral("user");
inline const QString Password = QStringLiteral("password");
inline const QString Created = QStringLiteral("created");
inline const QString Code = QStringLiteral("code");
inline const QString Message = QStringLiteral("message");
inline const QString RetryAfter = QStringLiteral("retryAfter");
inline const QString Fatal = QStringLiteral("fatal");
inline const QString Nonce = QStringLiteral("nonce");
inline const QString Text = QStringLiteral("text");
inline const QString From = QStringLiteral("from");
inline const QString To = QStringLiteral("to");
inline const QString Ts = QStringLiteral("ts");
inline const QString Msg = QStringLiteral("msg");
inline const QString Count = QStringLiteral("count");
inline const QString Users = QStringLiteral("users");
inline const QString Since = QStringLiteral("since");
inline const QString Transport = QStringLiteral("transport");
inline const QString Reason = QStringLiteral("reason");
inline const QString MaxFrame = QStringLiteral("maxFrame");
inline const QString MaxText = QStringLiteral("maxText");
inline const QString Room = QStringLiteral("room");
inline const QString Rooms = QStringLiteral("rooms");
inline const QString Topic = QStringLiteral("topic");
inline const QString Owner = QStringLiteral("owner");
inline const QString Members = QStringLiteral("members");
inline const QString Joined = QStringLiteral("joined");
inline const QString By = QStringLiteral("by");
inline const QString PasswordReset = QStringLiteral("passwordReset");
inline const QString Poke = QStringLiteral("poke");
inline const QString Port = QStringLiteral("port");
inline const QString Accept = QStringLiteral("accept");
inline const QString Accepted = QStringLiteral("accepted");
inline const QString Peer = QStringLiteral("peer");
inline const QString Address = QStringLiteral("address");
inline const QString Token = QStringLiteral("token");
inline const QString Role = QStringLiteral("role");
inline const QString UdpPort = QStringLiteral("udpPort");
inline const QString Udp = QStringLiteral("udp");
inline const QString Fingerprint = QStringLiteral("fingerprint");
} // namespace Key

struct DecodeResult;

class Message
{
public:
    Message() = default;
    explicit Message(MessageType type);
    explicit Message(QCborMap map); // map must already hold a valid "type"

    MessageType type() const { return m_type; }
    bool isValid() const { return m_type != MessageType::Invalid; }

    Message &set(const QString &key, const QCborValue &value);
    bool contains(const QString &key) const { return m_map.contains(key); }
    QCborValue value(const QString &key) const { return m_map.value(key); }
    QString text(const QString &key) const { return m_map.value(key).toString(); }
    qint64 integer(const QString &key, qint64 fallback = 0) const { return m_map.value(key).toInteger(fallback); }
    bool boolean(const QString &key) const { return m_map.value(key).toBool(); }
    QCborArray array(const QString &key) const { return m_map.value(key).toArray(); }
    QCborMap map(const QString &key) const { return m_map.value(key).toMap(); }
    const QCborMap &toCborMap() const { return m_map; }

    // The request id a client put in "id" (0 when absent), and the one a reply cites in "re".
    quint64 requestId() const { return quint64(integer(Key::Id)); }
    quint64 replyTo() const { return quint64(integer(Key::Re)); }

    QByteArray encode() const;  // the CBOR payload, no length prefix
    QByteArray toFrame() const; // length prefix + payload, ready for a stream socket

    static DecodeResult decode(const QByteArray &payload);

    // Builders for every message type, so call sites cannot misspell a field.
    static Message hello(const QString &agent, const QStringList &caps = {});
    static Message welcome(const QString &server, const QStringList &caps);
    static Message login(quint64 id, const QString &user, const QString &password);
    static Message loginOk(quint64 re, const QString &user, bool created, bool passwordReset = false);
    static Message error(ErrorCode code, const QString &detail = {}, quint64 re = 0);
    static Message ping(quint64 nonce);
    static Message pong(quint64 nonce);
    static Message postLobby(quint64 id, const QString &text);
    static Message lobbyMessage(const QString &from, const QString &text, qint64 ts, quint64 msg);
    static Message delivered(quint64 re, int count, qint64 ts, quint64 msg);
    static Message postDm(quint64 id, const QString &to, const QString &text);
    static Message dmMessage(const QString &from, const QString &to, const QString &text, qint64 ts, quint64 msg);
    static Message listUsers(quint64 id);
    static Message userList(quint64 re, const QCborArray &users);
    static Message userJoined(const QString &user, qint64 since, const QString &transport);
    static Message userLeft(const QString &user, const QString &reason);
    static Message quit(const QString &reason = {});
    static Message serverShutdown(const QString &reason);
    static Message notice(const QString &text, qint64 ts);
    // Rooms
    static Message createRoom(quint64 id, const QString &room, const QString &topic = {});
    static Message joinRoom(quint64 id, const QString &room);
    static Message leaveRoom(quint64 id, const QString &room);
    static Message listRooms(quint64 id);
    static Message roomList(quint64 re, const QCborArray &rooms);
    static Message listMembers(quint64 id, const QString &room);
    static Message memberList(quint64 re, const QString &room, const QString &owner, const QStringList &members);
    static Message postRoom(quint64 id, const QString &room, const QString &text);
    static Message roomMessage(const QString &room, const QString &from, const QString &text, qint64 ts, quint64 msg);
    static Message roomJoined(quint64 re, const QString &room, const QString &topic, const QString &owner,
                              const QStringList &members, bool created);
    static Message roomLeft(quint64 re, const QString &room, const QString &reason);
    static Message memberJoined(const QString &room, const QString &user);
    static Message memberLeft(const QString &room, const QString &user, const QString &reason);
    static Message setTopic(quint64 id, const QString &room, const QString &topic);
    static Message topicChanged(const QString &room, const QString &topic, const QString &by);
    static Message kick(quint64 id, const QString &room, const QString &user = {}, const QString &reason = {});
    static Message kicked(const QString &room, const QString &by, const QString &reason);
    static Message memberKicked(const QString &room, const QString &user, const QString &by, const QString &reason);
    static Message ban(quint64 id, const QString &room, const QString &user, const QString &reason = {});
    static Message unban(quint64 id, const QString &room, const QString &user);
    static Message ok(quint64 re, int count = -1);
    static Message closeRoom(quint64 id, const QString &room);
    static Message roomClosed(const QString &room, const QString &by);
    // Peer-to-peer rendezvous
    // udpPort (0: none) is where the asker also waits for a peer over reliable UDP.
    static Message poke(quint64 id, const QString &user, quint16 port, quint16 udpPort = 0,
                        const QString &fingerprint = {});
    static Message pokeRequest(quint64 poke, const QString &from);
    // udp: the answerer can take the direct chat over reliable UDP.
    static Message pokeAnswer(quint64 id, quint64 poke, bool accept, bool udp = false, const QString &fingerprint = {});
    static Message bridge(quint64 id, quint16 port, quint16 udpPort = 0, const QString &fingerprint = {});
    static Message cancelBridge(quint64 id);
    static Message roomUpdated(const QString &room, const QString &topic, const QString &owner, int memberCount);
    static Message sessionEnded(const QString &reason, const QString &by, qint64 retryAfterMs = -1);

private:
    MessageType m_type = MessageType::Invalid;
    QCborMap m_map;
};

struct DecodeResult {
    Message message;           // valid on success
    ErrorCode error = ErrorCode::None;
    QString detail;            // human-readable, for the Error frame's "message"
    quint64 requestId = 0;     // the "id" of the bad request, when it could be read
    bool ok() const { return error == ErrorCode::None; }
};

// Prepends the 4-byte big-endian length to an encoded payload.
QByteArray frameFromPayload(const QByteArray &payload);

} // namespace Confab

Q_DECLARE_METATYPE(Confab::Message)
