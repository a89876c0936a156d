#include "chatserver.h"
#include "chatserver_p.h"

#include "nativetcpconnection.h"
#include "udplistener.h"
#include "usernames.h"

#include <QDir>
#include <QFutureWatcher>
#include <QTcpServer>
#include <QTimer>

namespace Confab {

Q_LOGGING_CATEGORY(lcServer, "confab.server")

ChatServer::ChatServer(ServerConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    m_limitClock.start();
    m_loginClock.start();
    m_loginTimer = new QTimer(this);
    m_loginTimer->setSingleShot(true);
    connect(m_loginTimer, &QTimer::timeout, this, &ChatServer::expireLoginDeadlines);
}

void ChatServer::expireLoginDeadlines()
{
    const qint64 now = m_loginClock.elapsed();
    while (!m_loginDeadlines.empty() && m_loginDeadlines.front().first <= now) {
        Session *s = m_sessions.value(m_loginDeadlines.front().second);
        m_loginDeadlines.pop_front();
        if (s && s->state != SessionState::LoggedIn && !s->ended) {
            s->connection->sendError(ErrorCode::NotLoggedIn, tr("no login within %1 seconds").arg(m_config.loginTimeoutMs / 1000));
            s->connection->close();
        }
    }
    if (!m_loginDeadlines.empty())
        m_loginTimer->start(int(qMax(qint64(1), m_loginDeadlines.front().first - now)));
}

ChatServer::~ChatServer()
{
    for (Session *session : std::as_const(m_sessions)) {
        session->connection->disconnect(this);
        delete session->connection;
        delete session;
    }
    qDeleteAll(m_rooms);
}

bool ChatServer::start(QString *error)
{
    if (!QDir().mkpath(m_config.dataDir)) {
        *error = tr("cannot create the data directory %1").arg(m_config.dataDir);
        return false;
    }
    const QString dbPath = QDir(m_config.dataDir).filePath(QStringLiteral("confab.sqlite"));
    QString dbError;
    if (!m_accounts.open(dbPath, &dbError)) {
        *error = tr("cannot open the database %1: %2").arg(dbPath, dbError);
        return false;
    }
    if (!m_roomStore.attach(m_accounts.database(), &dbError)) {
        *error = tr("cannot prepare the rooms tables in %1: %2").arg(dbPath, dbError);
        closeDatabase();
        return false;
    }
    loadRooms();
    if (!m_banStore.attach(m_accounts.database(), &dbError)) {
        *error = tr("cannot prepare the bans table in %1: %2").arg(dbPath, dbError);
        closeDatabase();
        return false;
    }
    m_totals.startedAt = QDateTime::currentDateTimeUtc();
    if (!loadTlsCredentials(error)) {
        closeDatabase();
        return false;
    }
    if (!openListeners(error)) {
        closeDatabase();
        return false;
    }
    qCInfo(lcServer).noquote() << "listening on" << m_config.host.toString() << "port" << (tcpPort() ? tcpPort() : udpPort())
                               << QStringLiteral("(%1); data in").arg(servedTransports().join(QStringLiteral(", ")).toUpper())
                               << m_config.dataDir;
    return true;
}

bool ChatServer::isListening() const
{
    return (m_tcpServer && m_tcpServer->isListening()) || (m_udpListener && m_udpListener->isAccepting());
}

quint16 ChatServer::tcpPort() const
{
    return m_tcpServer ? m_tcpServer->serverPort() : 0;
}

QStringList ChatServer::onlineUsers() const
{
    QStringList names;
    for (const Session *s : std::as_const(m_online))
        names.append(s->info.user);
    names.sort(Qt::CaseInsensitive);
    return names;
}

QList<SessionInfo> ChatServer::sessions() const
{
    QList<SessionInfo> list;
    for (const Session *s : std::as_const(m_sessions)) {
        SessionInfo info = s->info;
        info.stats = s->connection->stats();
        info.roundTripMs = s->connection->lastRoundTripMs();
        info.encrypted = s->connection->isEncrypted();
        list.append(info);
    }
    return list;
}

void ChatServer::onNewConnection(qintptr descriptor)
{
    Connection *connection = makeTcpConnection(descriptor);
    if (!connection)
        return;
    if (m_shuttingDown) {
        connection->abort();
        connection->deleteLater();
        return;
    }
    adoptConnection(connection);
}

void ChatServer::adoptConnection(Connection *connection)
{
    auto *session = new Session;
    session->connection = connection;
    session->info.id = m_nextSessionId++;
    session->info.address = connection->peerAddress();
    session->info.port = connection->peerPort();
    session->info.transport = connection->transportName();
    session->info.connectedAt = QDateTime::currentDateTimeUtc();
    m_sessions.insert(session->info.id, session);

    connect(connection, &Connection::messageReceived, this,
            [this, session](const Message &message) { onMessage(session, message); });
    connect(connection, &Connection::invalidMessage, this,
            [this, session, connection](ErrorCode code, const QString &detail, quint64 requestId) {
                if (!session->ended && chargeMessage(session)) // garbage counts against the rate too
                    connection->sendError(code, detail, requestId);
            });
    connect(connection, &Connection::timedOut, this, [this, session] { endSession(session, tr("timed out")); });
    connect(connection, &Connection::disconnected, this, [this, session] { onDisconnected(session); });
    connection->setKeepalive(m_config.pingIntervalMs, m_config.idleTimeoutMs);
    if (m_trafficObserved)
        tapTraffic(session);

    const quint64 id = session->info.id;
    if (const auto ban = m_banStore.active(ServerBan::Kind::Address, session->info.address.toString(),
                                           QDateTime::currentDateTimeUtc())) {
        connection->send(bannedError(*ban, 0));
        connection->close();
    } else if (!admitConnection(session)) {
        qCDebug(lcServer) << "connection" << id << "refused by the limits";
    }
    // Deadlines expire in arrival order, so one timer serves them all (a timer object per
    // connection cost each idle session about half a kilobyte; docs/PERFORMANCE.md).
    m_loginDeadlines.emplace_back(m_loginClock.elapsed() + m_config.loginTimeoutMs, id);
    if (!m_loginTimer->isActive())
        m_loginTimer->start(m_config.loginTimeoutMs);
    qCDebug(lcServer) << "connection" << id << "from" << session->info.address.toString() << session->info.transport;
    emit sessionOpened(id);
}

void ChatServer::onMessage(Session *session, const Message &message)
{
    if (session->ended || !chargeMessage(session))
        return;
    switch (session->state) {
    case SessionState::AwaitingHello:
        if (message.type() != MessageType::Hello) {
            session->connection->sendError(ErrorCode::HelloRequired);
            return;
        }
        handleHello(session, message);
        return;
    case SessionState::AwaitingLogin:
    case SessionState::Authenticating:
        if (message.type() == MessageType::Login)
            handleLogin(session, message);
        else if (message.type() == MessageType::Quit)
            handleQuit(session, message);
        else
            session->connection->sendError(ErrorCode::NotLoggedIn, {}, message.requestId());
        return;
    case SessionState::LoggedIn:
        break;
    }
    switch (message.type()) {
    case MessageType::PostLobby: handlePostLobby(session, message); break;
    case MessageType::PostDm: handlePostDm(session, message); break;
    case MessageType::ListUsers: handleListUsers(session, message); break;
    case MessageType::Quit: handleQuit(session, message); break;
    case MessageType::Login:
        session->connection->sendError(ErrorCode::AlreadyLoggedIn, tr("this connection is already logged in"),
                                       message.requestId());
        break;
    default:
        if (dispatchRoomMessage(session, message) || dispatchRendezvousMessage(session, message))
            break;
        session->connection->sendError(ErrorCode::UnexpectedMessage,
                                       tr("%1 is not a client request").arg(messageTypeName(message.type())),
                                       message.requestId());
    }
}

void ChatServer::handleHello(Session *session, const Message &message)
{
    const quint64 version = quint64(message.integer(Key::Version));
    if (version != ProtocolVersion) {
        session->connection->sendError(ErrorCode::VersionMismatch,
                                       tr("this server speaks protocol version %1, the client %2")
                                           .arg(ProtocolVersion).arg(version));
        return;
    }
    session->state = SessionState::AwaitingLogin;
    session->connection->send(Message::welcome(m_config.serverName, QStringList{QStringLiteral("lobby"), QStringLiteral("dm"), QStringLiteral("rooms"), QStringLiteral("p2p")}
                                                                 + servedTransports()));
}

void ChatServer::handleLogin(Session *session, const Message &message)
{
    const quint64 requestId = message.requestId();
    const QString user = message.text(Key::User);
    const QString password = message.text(Key::Password);
    Connection *connection = session->connection;

    QString whyNot;
    if (!isValidUsername(user, &whyNot)) {
        connection->send(Message::error(ErrorCode::InvalidUsername, whyNot, requestId));
        return;
    }
    if (password.isEmpty()) {
        connection->send(Message::error(ErrorCode::InvalidPassword, tr("the password is empty"), requestId));
        return;
    }
    const QString key = canonicalUsername(user);
    if (m_online.contains(key) || m_loginsInProgress.contains(key)) {
        connection->send(Message::error(ErrorCode::AlreadyLoggedIn, tr("%1 is already logged in").arg(user), requestId));
        return;
    }

    if (const auto ban = m_banStore.active(ServerBan::Kind::Account, key, QDateTime::currentDateTimeUtc())) {
        connection->send(bannedError(*ban, requestId));
        return;
    }
    if (!admitLogin(session, key, requestId))
        return;

    const std::optional<Account> account = m_accounts.find(user);
    PasswordHash stored;
    bool creating = false;
    const bool resetting = account && account->resetRequired;
    if (account && !resetting) {
        stored = account->password;
    } else {
        if (password.size() < Limits::MinNewPasswordLength) {
            const QString why = resetting ? tr("your password was reset; choose a new one of at least %1 characters")
                                          : tr("a new account needs a password of at least %1 characters");
            connection->send(Message::error(ErrorCode::InvalidPassword, why.arg(Limits::MinNewPasswordLength), requestId));
            return;
        }
        creating = !account;
        stored.salt = PasswordHasher::newSalt();
        stored.iterations = m_config.passwordIterations;
    }

    // The hash takes a few hundred milliseconds: run it off the event loop, and hold back this
    // connection's later frames until the answer is known so they keep their order.
    session->state = SessionState::Authenticating;
    m_loginsInProgress.insert(key, session->info.id);
    session->hashing = true;
    updateReceivingPaused(session);
    const quint64 sessionId = session->info.id;
    const QString displayName = creating ? user : account->name;
    auto *watcher = new QFutureWatcher<QByteArray>(this);
    connect(watcher, &QFutureWatcher<QByteArray>::finished, this,
            [this, watcher, sessionId, requestId, displayName, creating, resetting, stored, key] {
                watcher->deleteLater();
                m_loginsInProgress.remove(key);
                finishLogin(sessionId, requestId, displayName, creating, resetting, stored, watcher->result());
            });
    watcher->setFuture(PasswordHasher::deriveAsync(password, stored.salt, stored.iterations));
}

void ChatServer::finishLogin(quint64 sessionId, quint64 requestId, const QString &user, bool created,
                             bool resetting, const PasswordHash &stored, const QByteArray &derived)
{
    Session *session = m_sessions.value(sessionId);
    if (!session || session->ended || m_shuttingDown)
        return; // the client left (or the server is stopping) while we were hashing
    Connection *connection = session->connection;
    session->state = SessionState::AwaitingLogin;
    session->hashing = false;
    updateReceivingPaused(session);

    if (derived.isEmpty()) {
        connection->send(Message::error(ErrorCode::InternalError, tr("password hashing failed"), requestId));
        return;
    }
    if (created) {
        PasswordHash fresh = stored;
        fresh.hash = derived;
        QString dbError;
        if (!m_accounts.create(user, fresh, &dbError)) {
            connection->send(Message::error(ErrorCode::InternalError, tr("could not create the account"), requestId));
            return;
        }
        qCInfo(lcServer).noquote() << "registered new account" << user;
    } else if (resetting) {
        PasswordHash fresh = stored;
        fresh.hash = derived;
        if (!m_accounts.setPassword(user, fresh)) {
            connection->send(Message::error(ErrorCode::InternalError, tr("could not store the new password"), requestId));
            return;
        }
        qCInfo(lcServer).noquote() << user << "set a new password after a reset";
    } else if (!PasswordHasher::equal(derived, stored.hash)) {
        qCInfo(lcServer).noquote() << "wrong password for" << user << "from" << session->info.address.toString();
        connection->send(Message::error(ErrorCode::WrongPassword, {}, requestId));
        return;
    }

    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_accounts.recordLogin(user, now);
    session->state = SessionState::LoggedIn;
    session->key = canonicalUsername(user);
    session->info.user = user;
    session->info.loggedInAt = now;
    m_online.insert(session->key, session);
    connection->send(Message::loginOk(requestId, user, created, resetting));
    broadcast(Message::userJoined(user, now.toMSecsSinceEpoch(), session->info.transport), session);
    qCInfo(lcServer).noquote() << user << "logged in from" << session->info.address.toString() << "over"
                               << session->info.transport;
    emit userLoggedIn(user, sessionId);
}

bool ChatServer::validText(Session *session, const Message &message)
{
    if (message.text(Key::Text).trimmed().isEmpty()) {
        session->connection->send(Message::error(ErrorCode::TextTooLong, tr("the message is empty"), message.requestId()));
        return false;
    }
    return true; // the upper bound is enforced by the decoder's schema
}

void ChatServer::handlePostLobby(Session *session, const Message &message)
{
    if (!validText(session, message))
        return;
    const qint64 ts = QDateTime::currentMSecsSinceEpoch();
    const quint64 msgId = m_nextMessageId++;
    const int count = broadcast(Message::lobbyMessage(session->info.user, message.text(Key::Text), ts, msgId), session);
    ++m_totals.messagesRelayed;
    m_totals.deliveries += quint64(count);
    session->connection->send(Message::delivered(message.requestId(), count, ts, msgId));
}

void ChatServer::handlePostDm(Session *session, const Message &message)
{
    if (!validText(session, message))
        return;
    const quint64 requestId = message.requestId();
    const QString to = message.text(Key::To);
    Session *target = onlineSession(to);
    if (!target) {
        const bool exists = isValidUsername(to) && m_accounts.find(to).has_value();
        session->connection->send(exists ? Message::error(ErrorCode::UserOffline, tr("%1 is offline").arg(to), requestId)
                                         : Message::error(ErrorCode::NoSuchUser, tr("no such user: %1").arg(to), requestId));
        return;
    }
    const qint64 ts = QDateTime::currentMSecsSinceEpoch();
    const quint64 msgId = m_nextMessageId++;
    target->connection->send(Message::dmMessage(session->info.user, target->info.user, message.text(Key::Text), ts, msgId));
    ++m_totals.messagesRelayed;
    ++m_totals.deliveries;
    session->connection->send(Message::delivered(requestId, 1, ts, msgId));
}

void ChatServer::handleListUsers(Session *session, const Message &message)
{
    QCborArray users;
    for (const QString &name : onlineUsers()) {
        const Session *s = m_online.value(canonicalUsername(name));
        QCborMap entry;
        entry.insert(Key::User, s->info.user);
        entry.insert(Key::Since, s->info.loggedInAt.toMSecsSinceEpoch());
        entry.insert(Key::Transport, s->info.transport);
        users.append(entry);
    }
    session->connection->send(Message::userList(message.requestId(), users));
}

void ChatServer::handleQuit(Session *session, const Message &message)
{
    const QString reason = message.text(Key::Reason);
    endSession(session, reason.isEmpty() ? tr("quit") : tr("quit: %1").arg(reason));
    session->connection->close();
}

int ChatServer::broadcast(const Message &message, const Session *except)
{
    const QByteArray frame = message.toFrame(); // encoded once for every recipient
    int count = 0;
    for (Session *s : std::as_const(m_online)) {
        if (s == except || s->ended)
            continue;
        s->connection->sendFrame(frame, message.type());
        ++count;
    }
    return count;
}

ChatServer::Session *ChatServer::onlineSession(const QString &user) const
{
    return m_online.value(canonicalUsername(user));
}

void ChatServer::endSession(Session *session, const QString &reason)
{
    if (session->ended)
        return;
    session->ended = true;
    leaveAllRooms(session, reason);
    dropRendezvous(session);
    if (!session->key.isEmpty() && m_online.value(session->key) == session) {
        m_online.remove(session->key);
        if (!m_shuttingDown)
            broadcast(Message::userLeft(session->info.user, reason), session);
        qCInfo(lcServer).noquote() << session->info.user << "left:" << reason;
        emit userLoggedOut(session->info.user, reason);
    }
}

void ChatServer::onDisconnected(Session *session)
{
    endSession(session, tr("connection lost"));
    releaseConnection(session);
    m_sessions.remove(session->info.id);
    const Connection::Stats &finalStats = session->connection->stats();
    m_totals.framesIn += finalStats.framesIn;
    m_totals.framesOut += finalStats.framesOut;
    m_totals.bytesIn += finalStats.bytesIn;
    m_totals.bytesOut += finalStats.bytesOut;
    const quint64 id = session->info.id;
    session->connection->disconnect(this);
    session->connection->deleteLater();
    delete session;
    emit sessionClosed(id);
    maybeFinishShutdown();
}

void ChatServer::shutdown(const QString &reason)
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    qCInfo(lcServer).noquote() << "shutting down:" << reason;
    if (m_tcpServer)
        m_tcpServer->close();
    if (m_udpListener)
        m_udpListener->setAccepting(false); // the socket stays: UDP sessions still get the notice
    const QByteArray notice = Message::serverShutdown(reason).toFrame();
    const QList<Session *> all = m_sessions.values();
    for (Session *s : all) {
        s->connection->sendFrame(notice, MessageType::ServerShutdown);
        endSession(s, reason);
        s->connection->close(); // flushes the notice first
    }
    // A peer that never acknowledges the close must not hold the server up.
    QTimer::singleShot(3000, this, [this] {
        for (Session *s : m_sessions.values())
            s->connection->abort();
        maybeFinishShutdown();
    });
    maybeFinishShutdown();
}

void ChatServer::closeDatabase()
{
    // The stores share the accounts connection; each copy must go before it can be removed.
    m_roomStore.detach();
    m_banStore.detach();
    m_accounts.close();
}

void ChatServer::maybeFinishShutdown()
{
    if (!m_shuttingDown || !m_sessions.isEmpty() || !m_accounts.isOpen())
        return;
    closeDatabase();
    qCInfo(lcServer) << "stopped; database closed";
    emit stopped();
}

} // namespace Confab
