#include "accountstore.h"

#include "usernames.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace Confab {

Q_LOGGING_CATEGORY(lcAccounts, "confab.accounts")

namespace {
int nextConnectionSerial()
{
    static int serial = 0;
    return ++serial;
}

Account accountFromQuery(const QSqlQuery &q)
{
    Account a;
    a.name = q.value(0).toString();
    a.password.salt = q.value(1).toByteArray();
    a.password.hash = q.value(2).toByteArray();
    a.password.iterations = q.value(3).toInt();
    a.password.algorithm = q.value(4).toString();
    a.created = QDateTime::fromMSecsSinceEpoch(q.value(5).toLongLong());
    if (!q.value(6).isNull())
        a.lastLogin = QDateTime::fromMSecsSinceEpoch(q.value(6).toLongLong());
    a.resetRequired = q.value(7).toInt() != 0;
    return a;
}

const char *const selectColumns =
    "SELECT name, salt, hash, iterations, algorithm, created_at, last_login, reset_required FROM accounts";
} // namespace

AccountStore::AccountStore(QObject *parent)
    : QObject(parent)
    , m_connectionName(QStringLiteral("confab-accounts-%1").arg(nextConnectionSerial()))
{
}

AccountStore::~AccountStore()
{
    close();
}

bool AccountStore::open(const QString &databasePath, QString *error)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(databasePath);
    if (!db.open()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    QSqlQuery pragma(db);
    pragma.exec(QStringLiteral("PRAGMA journal_mode=WAL"));
    pragma.exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
    pragma.exec(QStringLiteral("PRAGMA foreign_keys=ON"));
    return migrate(error);
}

void AccountStore::close()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool AccountStore::isOpen() const
{
    return QSqlDatabase::contains(m_connectionName) && database().isOpen();
}

QSqlDatabase AccountStore::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

bool AccountStore::migrate(QString *error)
{
    QSqlDatabase db = database();
    QSqlQuery q(db);
    q.exec(QStringLiteral("PRAGMA user_version"));
    const int version = q.next() ? q.value(0).toInt() : 0;
    if (version < 1) {
        const bool ok = q.exec(QStringLiteral(
                            "CREATE TABLE IF NOT EXISTS accounts ("
                            " name_key TEXT PRIMARY KEY,"     // canonical (lower-case) name: uniqueness
                            " name TEXT NOT NULL,"            // as registered, for display
                            " salt BLOB NOT NULL,"
                            " hash BLOB NOT NULL,"
                            " iterations INTEGER NOT NULL,"
                            " algorithm TEXT NOT NULL,"
                            " created_at INTEGER NOT NULL,"   // ms since the epoch, UTC
                            " last_login INTEGER)"))
            && q.exec(QStringLiteral("PRAGMA user_version = 1"));
        if (!ok) {
            if (error)
                *error = q.lastError().text();
            return false;
        }
    }
    if (version < 2) {
        const bool ok = q.exec(QStringLiteral("ALTER TABLE accounts ADD COLUMN reset_required INTEGER NOT NULL DEFAULT 0"))
            && q.exec(QStringLiteral("PRAGMA user_version = 2"));
        if (!ok) {
            if (error)
                *error = q.lastError().text();
            return false;
        }
    }
    return true;
}

std::optional<Account> AccountStore::find(const QString &name) const
{
    QSqlQuery q(database());
    q.prepare(QLatin1String(selectColumns) + QStringLiteral(" WHERE name_key = ?"));
    q.addBindValue(canonicalUsername(name));
    if (!q.exec() || !q.next())
        return std::nullopt;
    return accountFromQuery(q);
}

bool AccountStore::create(const QString &name, const PasswordHash &password, QString *error)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("INSERT INTO accounts (name_key, name, salt, hash, iterations, algorithm, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(canonicalUsername(name));
    q.addBindValue(name);
    q.addBindValue(password.salt);
    q.addBindValue(password.hash);
    q.addBindValue(password.iterations);
    q.addBindValue(password.algorithm);
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    if (!q.exec()) {
        qCWarning(lcAccounts) << "could not create account" << name << q.lastError().text();
        if (error)
            *error = q.lastError().text();
        return false;
    }
    emit accountCreated(name);
    return true;
}

bool AccountStore::recordLogin(const QString &name, const QDateTime &when)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE accounts SET last_login = ? WHERE name_key = ?"));
    q.addBindValue(when.toMSecsSinceEpoch());
    q.addBindValue(canonicalUsername(name));
    if (!q.exec())
        return false;
    emit accountChanged(name);
    return true;
}

bool AccountStore::remove(const QString &name)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("DELETE FROM accounts WHERE name_key = ?"));
    q.addBindValue(canonicalUsername(name));
    if (!q.exec() || q.numRowsAffected() == 0)
        return false;
    emit accountRemoved(name);
    return true;
}

bool AccountStore::setResetRequired(const QString &name, bool required)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE accounts SET reset_required = ? WHERE name_key = ?"));
    q.addBindValue(required ? 1 : 0);
    q.addBindValue(canonicalUsername(name));
    if (!q.exec() || q.numRowsAffected() == 0)
        return false;
    emit accountChanged(name);
    return true;
}

bool AccountStore::setPassword(const QString &name, const PasswordHash &password)
{
    QSqlQuery q(database());
    q.prepare(QStringLiteral("UPDATE accounts SET salt = ?, hash = ?, iterations = ?, algorithm = ?, reset_required = 0"
                             " WHERE name_key = ?"));
    q.addBindValue(password.salt);
    q.addBindValue(password.hash);
    q.addBindValue(password.iterations);
    q.addBindValue(password.algorithm);
    q.addBindValue(canonicalUsername(name));
    if (!q.exec() || q.numRowsAffected() == 0)
        return false;
    emit accountChanged(name);
    return true;
}

QList<Account> AccountStore::all() const
{
    QList<Account> result;
    QSqlQuery q(database());
    q.setForwardOnly(true);
    if (!q.exec(QLatin1String(selectColumns) + QStringLiteral(" ORDER BY name_key")))
        return result;
    while (q.next())
        result.append(accountFromQuery(q));
    return result;
}

int AccountStore::count() const
{
    QSqlQuery q(database());
    if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM accounts")) || !q.next())
        return 0;
    return q.value(0).toInt();
}

} // namespace Confab
