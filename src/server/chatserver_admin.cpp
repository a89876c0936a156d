// ChatServer: what the administrator can do and see (the admin window drives these).
#include "chatserver.h"
#include "chatserver_p.h"

#include "udplistener.h"
#include "usernames.h"

#include <QTcpServer>

namespace Confab {

bool ChatServer::setListening(bool listening, QString *error)
{
    const bool started = m_tcpServer || m_udpListener;
    if (!started || m_shuttingDown || listening == isListening())
        return started && !m_shuttingDown;
    if (m_tcpServer && listening) {
        // Re-open on the port we had, so clients can find us again.
        const quint16 port = m_config.port ? m_config.port : m_lastPort;
        if (!m_tcpServer->listen(m_config.host, port)) {
            if (error)
                *error = m_tcpServer->errorString();
            return false;
        }
    } else if (m_tcpServer) {
        m_lastPort = m_tcpServer->serverPort();
        m_tcpServer->close(); // existing sessions carry on
    }
    // UDP keeps its socket (its sessions use it) and stops admitting newcomers.
    if (m_udpListener)
        m_udpListener->setAccepting(listening);
    updateAdvertisedTransports();
    qCInfo(lcServer) << (listening ? "listening again on port" : "stopped listening on port")
                     << (m_tcpServer ? tcpPort() : udpPort());
    emit listeningChanged(listening);
    return true;
}

QList<ListenerInfo> ChatServer::listeners() const
{
    QList<ListenerInfo> list;
    if (m_tcpServer) {
        ListenerInfo tcp;
        tcp.transport = QStringLiteral("tcp");
        tcp.address = m_config.host;
        tcp.listening = m_tcpServer->isListening();
        tcp.port = tcp.listening ? m_tcpServer->serverPort() : (m_config.port ? m_config.port : m_lastPort);
        list.append(tcp);
    }
    if (m_udpListener) {
        ListenerInfo udp;
        udp.transport = QStringLiteral("udp");
        udp.address = m_config.host;
        udp.listening = m_udpListener->isAccepting();
        udp.port = m_udpListener->port(); // bound all along: sessions already in use it
        list.append(udp);
    }
    return list;
}

void ChatServer::announce(const QString &text)
{
    broadcast(Message::notice(text, QDateTime::currentMSecsSinceEpoch()), nullptr);
    qCInfo(lcServer).noquote() << "announcement:" << text;
}

void ChatServer::endSessionByAdministrator(Session *session, const QString &reason, qint64 retryAfterMs)
{
    session->connection->send(Message::sessionEnded(reason, administratorName(), retryAfterMs));
    endSession(session, reason.isEmpty() ? tr("disconnected by the administrator")
                                         : tr("disconnected by the administrator: %1").arg(reason));
    session->connection->close();
}

bool ChatServer::disconnectUser(const QString &user, const QString &reason, QString *error)
{
    Session *session = onlineSession(user);
    if (!session) {
        if (error)
            *error = tr("%1 is not online").arg(user);
        return false;
    }
    endSessionByAdministrator(session, reason, -1);
    return true;
}

Message ChatServer::bannedError(const ServerBan &ban, quint64 re) const
{
    QString text = ban.isPermanent() ? tr("banned from this server") : tr("banned from this server until %1 UTC")
                                                                           .arg(ban.until.toUTC().toString(Qt::ISODate));
    if (!ban.reason.isEmpty())
        text += tr(": %1").arg(ban.reason);
    Message m = Message::error(ErrorCode::Banned, text, re);
    m.set(Key::RetryAfter, ban.remainingMs(QDateTime::currentDateTimeUtc()));
    return m;
}

bool ChatServer::banAccount(const QString &user, qint64 durationMs, const QString &reason, QString *error)
{
    const std::optional<Account> account = isValidUsername(user) ? m_accounts.find(user) : std::nullopt;
    if (!account) {
        if (error)
            *error = tr("no such user: %1").arg(user);
        return false;
    }
    ServerBan ban;
    ban.kind = ServerBan::Kind::Account;
    ban.target = canonicalUsername(user);
    if (durationMs > 0)
        ban.until = QDateTime::currentDateTimeUtc().addMSecs(durationMs);
    ban.reason = reason;
    if (!m_banStore.add(ban)) {
        if (error)
            *error = tr("could not store the ban");
        return false;
    }
    if (Session *session = onlineSession(user))
        endSessionByAdministrator(session, reason.isEmpty() ? tr("banned") : tr("banned: %1").arg(reason),
                                  ban.remainingMs(QDateTime::currentDateTimeUtc()));
    qCInfo(lcServer).noquote() << "banned account" << account->name << (durationMs ? QStringLiteral("for %1 s").arg(durationMs / 1000) : QStringLiteral("for good"));
    emit bansChanged();
    return true;
}

bool ChatServer::banAddress(const QHostAddress &address, qint64 durationMs, const QString &reason, QString *error)
{
    if (address.isNull()) {
        if (error)
            *error = tr("not an address");
        return false;
    }
    ServerBan ban;
    ban.kind = ServerBan::Kind::Address;
    ban.target = address.toString();
    if (durationMs > 0)
        ban.until = QDateTime::currentDateTimeUtc().addMSecs(durationMs);
    ban.reason = reason;
    if (!m_banStore.add(ban)) {
        if (error)
            *error = tr("could not store the ban");
        return false;
    }
    const QList<Session *> all = m_sessions.values();
    for (Session *session : all) {
        if (!session->ended && session->info.address.isEqual(address, QHostAddress::TolerantConversion))
            endSessionByAdministrator(session, reason.isEmpty() ? tr("banned") : tr("banned: %1").arg(reason),
                                      ban.remainingMs(QDateTime::currentDateTimeUtc()));
    }
    qCInfo(lcServer).noquote() << "banned address" << ban.target;
    emit bansChanged();
    return true;
}

bool ChatServer::liftBan(ServerBan::Kind kind, const QString &target)
{
    const QString key = kind == ServerBan::Kind::Account ? canonicalUsername(target) : target;
    if (!m_banStore.remove(kind, key))
        return false;
    emit bansChanged();
    return true;
}

QList<ServerBan> ChatServer::bans() const
{
    return m_banStore.allActive(QDateTime::currentDateTimeUtc());
}

bool ChatServer::deleteAccount(const QString &user, QString *error)
{
    const std::optional<Account> account = isValidUsername(user) ? m_accounts.find(user) : std::nullopt;
    if (!account) {
        if (error)
            *error = tr("no such user: %1").arg(user);
        return false;
    }
    if (Session *session = onlineSession(user))
        endSessionByAdministrator(session, tr("your account was deleted"), -1);
    // Rooms owned by the account go with it: a later account of the same name must not inherit them.
    const QString key = canonicalUsername(user);
    const QList<Room *> rooms = m_rooms.values();
    for (Room *room : rooms) {
        if (canonicalUsername(room->owner) == key)
            destroyRoom(room, administratorName());
    }
    if (!m_accounts.remove(account->name)) {
        if (error)
            *error = tr("could not delete the account");
        return false;
    }
    qCInfo(lcServer).noquote() << "deleted account" << account->name;
    return true;
}

bool ChatServer::requirePasswordReset(const QString &user, QString *error)
{
    if (!isValidUsername(user) || !m_accounts.setResetRequired(user, true)) {
        if (error)
            *error = tr("no such user: %1").arg(user);
        return false;
    }
    qCInfo(lcServer).noquote() << "password reset required for" << user;
    return true;
}

ServerStats ChatServer::stats() const
{
    ServerStats s = m_totals;
    for (const Session *session : std::as_const(m_sessions)) {
        const Connection::Stats &c = session->connection->stats();
        s.framesIn += c.framesIn;
        s.framesOut += c.framesOut;
        s.bytesIn += c.bytesIn;
        s.bytesOut += c.bytesOut;
    }
    s.sessions = int(m_sessions.size());
    s.online = int(m_online.size());
    s.accounts = m_accounts.isOpen() ? m_accounts.count() : 0;
    s.rooms = int(m_rooms.size());
    return s;
}

void ChatServer::setTrafficObserved(bool observed)
{
    if (observed == m_trafficObserved)
        return;
    m_trafficObserved = observed;
    for (Session *session : std::as_const(m_sessions)) {
        if (observed)
            tapTraffic(session);
        else {
            session->connection->setTrafficTap(false);
            disconnect(session->connection, &Connection::frameSent, this, nullptr);
            disconnect(session->connection, &Connection::frameReceived, this, nullptr);
        }
    }
}

void ChatServer::tapTraffic(Session *session)
{
    Connection *connection = session->connection;
    connection->setTrafficTap(true);
    auto report = [this, session](TrafficEvent::Direction direction, MessageType type, int bytes) {
        TrafficEvent event;
        event.timeMs = QDateTime::currentMSecsSinceEpoch();
        event.direction = direction;
        event.sessionId = session->info.id;
        event.user = session->info.user;
        event.peer = QStringLiteral("%1:%2").arg(session->info.address.toString()).arg(session->info.port);
        event.transport = session->info.transport;
        event.type = type;
        event.bytes = bytes;
        emit trafficObserved(event);
    };
    connect(connection, &Connection::frameSent, this,
            [report](MessageType type, int bytes) { report(TrafficEvent::Direction::Out, type, bytes); });
    connect(connection, &Connection::frameReceived, this,
            [report](MessageType type, int bytes) { report(TrafficEvent::Direction::In, type, bytes); });
}

} // namespace Confab
