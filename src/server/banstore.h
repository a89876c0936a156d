// Server-wide bans of accounts and addresses, set by the administrator, kept in SQLite so they
// outlive a restart. Expired bans are ignored and pruned.
#pragma once

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <optional>

namespace Confab {

struct ServerBan {
    enum class Kind { Account, Address };
    Kind kind = Kind::Account;
    QString target;      // canonical user name, or an IP address in QHostAddress::toString() form
    QDateTime until;     // invalid: for good
    QString reason;
    QDateTime created;
    bool isPermanent() const { return !until.isValid(); }
    // Milliseconds left (0 for a permanent ban).
    qint64 remainingMs(const QDateTime &now) const { return isPermanent() ? 0 : qMax<qint64>(1, now.msecsTo(until)); }
};

class BanStore
{
public:
    bool attach(const QSqlDatabase &database, QString *error);
    // Lets go of the connection, so that its owner can remove it.
    void detach() { m_db = QSqlDatabase(); }

    bool add(const ServerBan &ban);
    bool remove(ServerBan::Kind kind, const QString &target);
    std::optional<ServerBan> active(ServerBan::Kind kind, const QString &target, const QDateTime &now) const;
    QList<ServerBan> allActive(const QDateTime &now) const;

private:
    QSqlDatabase m_db;
};

} // namespace Confab
