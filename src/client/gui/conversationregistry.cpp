#include "conversationregistry.h"

#include "clientsession.h"
#include "conversationmodel.h"
#include "usernames.h"

#include <QRegularExpression>

namespace Confab {

namespace {

// How the other side of a room event is named: the administrator acts as "server".
QString actorName(const QString &by)
{
    if (by.isEmpty() || by == QLatin1String("server"))
        return ConversationRegistry::tr("the administrator");
    return by;
}

} // namespace

ConversationRegistry::ConversationRegistry(QObject *parent)
    : QObject(parent)
{
    ensure(ConversationId::lobby());
}

ConversationRegistry::~ConversationRegistry() = default;

void ConversationRegistry::setSession(ClientSession *session)
{
    if (m_session == session)
        return;
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (!session)
        return;

    connect(session, &ClientSession::loggedIn, this, &ConversationRegistry::onLoggedIn);
    connect(session, &ClientSession::stateChanged, this, [this](ClientSession::State state) {
        if (state == ClientSession::State::Disconnected)
            onDisconnected();
    });
    connect(session, &ClientSession::lobbyMessageReceived, this,
            [this](const QString &from, const QString &text, const QDateTime &time) {
                arrived(ConversationId::lobby(), from, text, time);
            });
    connect(session, &ClientSession::directMessageReceived, this,
            [this](const QString &from, const QString &to, const QString &text, const QDateTime &time) {
                arrived(partnerOf(from, to), from, text, time);
            });
    connect(session, &ClientSession::roomMessageReceived, this,
            [this](const QString &room, const QString &from, const QString &text, const QDateTime &time) {
                arrived(ConversationId::room(room), from, text, time);
            });
    connect(session, &ClientSession::delivered, this, [this](quint64 id, int count, const QDateTime &time) {
        const QString key = m_requests.take(id);
        if (!key.isEmpty() && m_conversations.contains(key))
            m_conversations[key].model->markDelivered(id, count, time);
    });
    connect(session, &ClientSession::requestFailed, this, [this](quint64 id, ErrorCode, const QString &message) {
        const QString key = m_requests.take(id);
        if (!key.isEmpty() && m_conversations.contains(key))
            m_conversations[key].model->markFailed(id, message);
    });

    connect(session, &ClientSession::roomJoined, this, &ConversationRegistry::onRoomJoined);
    connect(session, &ClientSession::roomLeft, this, [this](const QString &room, const QString &) {
        setRoomJoined(room, false);
        const ConversationId id = canonical(ConversationId::room(room));
        addNotice(id, tr("You left #%1.").arg(id.name));
        emit roomLeft(id);
    });
    connect(session, &ClientSession::kickedFromRoom, this,
            [this](const QString &room, const QString &by, const QString &reason) {
                setRoomJoined(room, false);
                const QString text = reason.isEmpty()
                    ? tr("You were removed from #%1 by %2.").arg(room, actorName(by))
                    : tr("You were removed from #%1 by %2: %3").arg(room, actorName(by), reason);
                addNotice(ConversationId::room(room), text, false);
            });
    connect(session, &ClientSession::roomClosed, this, [this](const QString &room, const QString &by) {
        setRoomJoined(room, false);
        addNotice(ConversationId::room(room), tr("#%1 was closed by %2.").arg(room, actorName(by)), false);
    });
    connect(session, &ClientSession::memberJoined, this, [this](const QString &room, const QString &user) {
        RoomState &state = roomState(room);
        if (!state.members.contains(user, Qt::CaseInsensitive))
            state.members.append(user);
        emit roomChanged(state.name);
        addNotice(ConversationId::room(room), tr("%1 joined.").arg(user));
    });
    connect(session, &ClientSession::memberLeft, this,
            [this](const QString &room, const QString &user, const QString &reason) {
                RoomState &state = roomState(room);
                state.members.removeIf([&](const QString &m) { return m.compare(user, Qt::CaseInsensitive) == 0; });
                emit roomChanged(state.name);
                const bool plain = reason.isEmpty() || reason == QLatin1String("left");
                addNotice(ConversationId::room(room),
                          plain ? tr("%1 left.").arg(user) : tr("%1 left (%2).").arg(user, reason));
            });
    connect(session, &ClientSession::memberKicked, this,
            [this](const QString &room, const QString &user, const QString &by, const QString &reason) {
                RoomState &state = roomState(room);
                state.members.removeIf([&](const QString &m) { return m.compare(user, Qt::CaseInsensitive) == 0; });
                emit roomChanged(state.name);
                addNotice(ConversationId::room(room),
                          reason.isEmpty() ? tr("%1 was removed by %2.").arg(user, actorName(by))
                                           : tr("%1 was removed by %2: %3").arg(user, actorName(by), reason));
            });
    connect(session, &ClientSession::topicChanged, this,
            [this](const QString &room, const QString &topic, const QString &by) {
                RoomState &state = roomState(room);
                state.topic = topic;
                emit roomChanged(state.name);
                addNotice(ConversationId::room(room),
                          topic.isEmpty() ? tr("%1 cleared the topic.").arg(actorName(by))
                                          : tr("%1 set the topic: %2").arg(actorName(by), topic));
            });

    connect(session, &ClientSession::userJoined, this, [this](const OnlineUser &user) {
        noticeToDm(user.name, tr("%1 is online.").arg(user.name));
    });
    connect(session, &ClientSession::userLeft, this, [this](const QString &user, const QString &reason) {
        noticeToDm(user, reason.isEmpty() ? tr("%1 went offline.").arg(user)
                                              : tr("%1 went offline (%2).").arg(user, reason));
    });
    connect(session, &ClientSession::noticeReceived, this, [this](const QString &text) {
        addNotice(ConversationId::lobby(), tr("Notice from the server: %1").arg(text), false);
    });
    connect(session, &ClientSession::serverShutdown, this, [this](const QString &reason) {
        addNotice(ConversationId::lobby(),
                  reason.isEmpty() ? tr("The server is shutting down.")
                                   : tr("The server is shutting down: %1").arg(reason),
                  false);
    });
    connect(session, &ClientSession::sessionEnded, this, [this](const QString &reason) {
        addNotice(ConversationId::lobby(),
                  reason.isEmpty() ? tr("The server's administrator ended your session.")
                                   : tr("The server's administrator ended your session: %1").arg(reason),
                  false);
    });
    connect(session, &ClientSession::connectionLost, this, [this](const QString &reason) {
        addNotice(ConversationId::lobby(), tr("Connection lost: %1").arg(reason));
    });

    if (session->isLoggedIn())
        onLoggedIn(session->userName());
}

ConversationRegistry::Conversation &ConversationRegistry::ensure(const ConversationId &id)
{
    const QString key = id.key();
    auto it = m_conversations.find(key);
    if (it != m_conversations.end())
        return it.value();
    Conversation c;
    c.id = id;
    c.model = new ConversationModel(this);
    it = m_conversations.insert(key, c);
    m_order.append(key);
    emit conversationAdded(id);
    return it.value();
}

ConversationModel *ConversationRegistry::model(const ConversationId &id)
{
    return ensure(id).model;
}

ConversationId ConversationRegistry::canonical(const ConversationId &id) const
{
    const auto it = m_conversations.constFind(id.key());
    return it == m_conversations.cend() ? id : it->id;
}

QList<ConversationId> ConversationRegistry::conversations() const
{
    QList<ConversationId> ids;
    ids.reserve(m_order.size());
    for (const QString &key : m_order)
        ids.append(m_conversations.value(key).id);
    return ids;
}

int ConversationRegistry::unreadCount(const ConversationId &id) const
{
    return m_conversations.value(id.key()).unread;
}

bool ConversationRegistry::isMentioned(const ConversationId &id) const
{
    return m_conversations.value(id.key()).mentioned;
}

int ConversationRegistry::totalUnread() const
{
    int total = 0;
    for (const Conversation &c : m_conversations)
        total += c.unread;
    return total;
}

void ConversationRegistry::setCurrent(const ConversationId &id)
{
    m_current = id;
    if (m_attended)
        markRead(id);
}

void ConversationRegistry::setAttended(bool attended)
{
    m_attended = attended;
    if (attended)
        markRead(m_current);
}

void ConversationRegistry::markRead(const ConversationId &id)
{
    const auto it = m_conversations.find(id.key());
    if (it == m_conversations.end() || (it->unread == 0 && !it->mentioned))
        return;
    it->unread = 0;
    it->mentioned = false;
    emit unreadChanged(it->id, 0);
}

void ConversationRegistry::bumpUnread(Conversation &c, bool mention)
{
    if (m_attended && c.id == m_current)
        return;
    ++c.unread;
    c.mentioned = c.mentioned || mention;
    emit unreadChanged(c.id, c.unread);
}

ConversationId ConversationRegistry::partnerOf(const QString &from, const QString &to) const
{
    const bool fromMe = !m_selfName.isEmpty() && canonicalUsername(from) == canonicalUsername(m_selfName);
    return ConversationId::dm(fromMe ? to : from);
}

void ConversationRegistry::arrived(const ConversationId &id, const QString &from, const QString &text,
                                   const QDateTime &time)
{
    Conversation &c = ensure(id);
    c.model->appendReceived(from, text, time);
    // In a private conversation everything is addressed to you; a mention matters in public ones.
    const bool mention = (id.isLobby() || id.isRoom()) && mentions(text, m_selfName);
    bumpUnread(c, mention);
    emit messageArrived(c.id, from, text, mention);
}

void ConversationRegistry::peerMessageArrived(const ConversationId &id, const QString &from, const QString &text)
{
    arrived(canonical(id), from, text, QDateTime::currentDateTime());
}

quint64 ConversationRegistry::sendText(const ConversationId &id, const QString &text)
{
    if (id.isPeer()) {
        if (!m_peerSender || !m_peerSender(id, text))
            return 0;
        const QString self = !m_selfName.isEmpty() ? m_selfName : m_session ? m_session->userName() : QString();
        model(id)->appendSent(self.isEmpty() ? tr("me") : self, text);
        return ++m_lastPeerSend;
    }
    if (!m_session)
        return 0;
    Conversation &c = ensure(id);
    quint64 requestId = 0;
    switch (id.kind) {
    case ConversationKind::Lobby:
        requestId = m_session->sendLobbyMessage(text);
        break;
    case ConversationKind::Room:
        requestId = m_session->sendRoomMessage(id.name, text);
        break;
    case ConversationKind::Dm:
        requestId = m_session->sendDirectMessage(id.name, text);
        break;
    case ConversationKind::Peer:
        break; // handled above
    }
    if (requestId == 0)
        return 0;
    m_requests.insert(requestId, id.key());
    c.model->appendOwn(requestId, m_selfName.isEmpty() ? m_session->userName() : m_selfName, text);
    return requestId;
}

quint64 ConversationRegistry::resend(const ConversationId &id, int row)
{
    const auto it = m_conversations.constFind(id.key());
    if (it == m_conversations.cend() || row < 0 || row >= it->model->rowCount())
        return 0;
    const ConversationModel::Entry &entry = it->model->entry(row);
    if (!entry.own || entry.state != ConversationModel::DeliveryState::Failed)
        return 0;
    return sendText(id, entry.text);
}

void ConversationRegistry::addNotice(const ConversationId &id, const QString &text, bool quiet)
{
    Conversation &c = ensure(id);
    c.model->appendReceived(QString(), text, QDateTime::currentDateTime());
    if (!quiet)
        bumpUnread(c, false);
}

void ConversationRegistry::noticeToDm(const QString &user, const QString &text)
{
    const ConversationId id = ConversationId::dm(user);
    if (contains(id))
        addNotice(id, text);
}

ConversationRegistry::RoomState ConversationRegistry::room(const QString &name) const
{
    return m_rooms.value(canonicalRoomName(name));
}

bool ConversationRegistry::isJoined(const QString &room) const
{
    return m_rooms.value(canonicalRoomName(room)).joined;
}

bool ConversationRegistry::ownsRoom(const QString &room) const
{
    const QString owner = m_rooms.value(canonicalRoomName(room)).owner;
    return !owner.isEmpty() && canonicalUsername(owner) == canonicalUsername(m_selfName);
}

ConversationRegistry::RoomState &ConversationRegistry::roomState(const QString &name)
{
    RoomState &state = m_rooms[canonicalRoomName(name)];
    if (state.name.isEmpty())
        state.name = name;
    return state;
}

void ConversationRegistry::setRoomJoined(const QString &room, bool joined)
{
    RoomState &state = roomState(room);
    state.joined = joined;
    if (!joined)
        state.members.clear();
    emit roomChanged(state.name);
}

bool ConversationRegistry::mentions(const QString &text, const QString &user)
{
    if (user.isEmpty())
        return false;
    // A name is a whole word when no name character touches it on either side; a full stop
    // after it ends a sentence unless a name goes on ("alice.b" is somebody else).
    const QRegularExpression word(QStringLiteral("(?<![A-Za-z0-9_.-])%1(?![A-Za-z0-9_-])(?!\\.[A-Za-z0-9_])")
                                      .arg(QRegularExpression::escape(user)),
                                  QRegularExpression::CaseInsensitiveOption);
    return word.match(text).hasMatch();
}

void ConversationRegistry::onLoggedIn(const QString &user)
{
    m_selfName = user;
    const QString where = m_session ? QStringLiteral("%1:%2").arg(m_session->host()).arg(m_session->port()) : QString();
    const QString privacy = m_session && m_session->isEncrypted()
                                ? tr("The connection is encrypted (%1).").arg(m_session->encryptionName())
                                                                  : tr("The connection is not encrypted.");
    addNotice(ConversationId::lobby(), m_wasLoggedIn ? tr("Reconnected to %1 as %2. %3").arg(where, user, privacy)
                                                     : tr("Logged in to %1 as %2. %3").arg(where, user, privacy));
    m_wasLoggedIn = true;
}

void ConversationRegistry::onRoomJoined(const JoinedRoom &joined, bool created)
{
    RoomState &state = roomState(joined.name);
    state.name = joined.name;
    state.topic = joined.topic;
    state.owner = joined.owner;
    state.members = joined.members;
    state.joined = true;
    // A room first seen in another spelling keeps its conversation; show the server's spelling.
    const ConversationId id = ConversationId::room(joined.name);
    Conversation &c = ensure(id);
    c.id.name = joined.name;
    QString text = created ? tr("You created #%1 and own it.").arg(joined.name)
                           : tr("You joined #%1.").arg(joined.name);
    if (!joined.topic.isEmpty())
        text += u' ' + tr("Topic: %1").arg(joined.topic);
    addNotice(c.id, text);
    emit roomChanged(joined.name);
    emit roomJoined(c.id, created);
}

void ConversationRegistry::onDisconnected()
{
    for (RoomState &state : m_rooms) {
        if (!state.joined)
            continue;
        state.joined = false;
        state.members.clear();
        emit roomChanged(state.name);
    }
}

} // namespace Confab
