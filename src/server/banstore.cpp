#include "banstore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace Confab {

namespace {
QString kindName(ServerBan::Kind kind)
{
    return kind == ServerBan::Kind::Account ? QStringLiteral("account") : QStringLiteral("address");
}

ServerBan banFromQuery(const QSqlQuery &q)
{
    ServerBan ban;
    ban.kind = q.value(0).toString() == QLatin1String("account") ? ServerBan::Kind::Account : ServerBan::Kind::Address;
    ban.target = q.value(1).toString();
    if (q.value(2).toLongLong() > 0)
        ban.until = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong());
    ban.reason = q.value(3).toString();
    ban.created = QDateTime::fromMSecsSinceEpoch(q.value(4).toLongLong());
    return ban;
}
} // namespace

bool BanStore::attach(const QSqlDatabase &database, QString *error)
{
    m_db = database;
    QSqlQuery q(m_db);
    const bool ok = q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS server_bans ("
                                          " kind TEXT NOT NULL,"           // 'account' or 'address'
                                          " target TEXT NOT NULL,"
                                          " until INTEGER NOT NULL,"       // ms since the epoch; 0 = for good
                                          " reason TEXT NOT NULL DEFAULT '',"
                                          " created_at INTEGER NOT NULL,"
                                          " PRIMARY KEY (kind, target))"));
    if (!ok && error)
        *error = q.lastError().text();
    return ok;
}

bool BanStore::add(const ServerBan &ban)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO server_bans (kind, target, until, reason, created_at) VALUES (?, ?, ?, ?, ?)"));
    q.addBindValue(kindName(ban.kind));
    q.addBindValue(ban.target);
    q.addBindValue(ban.isPermanent() ? 0 : ban.until.toMSecsSinceEpoch());
    q.addBindValue(ban.reason.isNull() ? QStringLiteral("") : ban.reason);
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    return q.exec();
}

bool BanStore::remove(ServerBan::Kind kind, const QString &target)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM server_bans WHERE kind = ? AND target = ?"));
    q.addBindValue(kindName(kind));
    q.addBindValue(target);
    return q.exec() && q.numRowsAffected() > 0;
}

std::optional<ServerBan> BanStore::active(ServerBan::Kind kind, const QString &target, const QDateTime &now) const
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("SELECT kind, target, until, reason, created_at FROM server_bans"
                             " WHERE kind = ? AND target = ? AND (until = 0 OR until > ?)"));
    q.addBindValue(kindName(kind));
    q.addBindValue(target);
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec() || !q.next())
        return std::nullopt;
    return banFromQuery(q);
}

QList<ServerBan> BanStore::allActive(const QDateTime &now) const
{
    QSqlQuery prune(m_db);
    prune.prepare(QStringLiteral("DELETE FROM server_bans WHERE until <> 0 AND until <= ?"));
    prune.addBindValue(now.toMSecsSinceEpoch());
    prune.exec();
    QList<ServerBan> bans;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.exec(QStringLiteral("SELECT kind, target, until, reason, created_at FROM server_bans ORDER BY created_at"));
    while (q.next())
        bans.append(banFromQuery(q));
    return bans;
}

} // namespace Confab
