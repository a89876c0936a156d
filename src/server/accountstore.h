// Accounts in the server's embedded SQLite database (<data dir>/confab.sqlite).
// Runs on the server's thread; every query is short and indexed.
#pragma once

#include "passwordhasher.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QSqlDatabase>
#include <optional>

namespace Confab {

struct Account {
    QString name;        // as first registered, for display
    PasswordHash password;
    QDateTime created;
    QDateTime lastLogin; // invalid when never logged in
    bool resetRequired = false; // the next login sets a new password
};

class AccountStore : public QObject
{
    Q_OBJECT
public:
    explicit AccountStore(QObject *parent = nullptr);
    ~AccountStore() override;

    // Opens (creating if needed) the database file and brings its schema up to date.
    bool open(const QString &databasePath, QString *error);
    void close();
    bool isOpen() const;
    // The connection, for other stores (rooms) that keep their tables in the same file.
    QSqlDatabase database() const;

    std::optional<Account> find(const QString &name) const;
    bool create(const QString &name, const PasswordHash &password, QString *error);
    bool recordLogin(const QString &name, const QDateTime &when);
    bool remove(const QString &name);
    bool setResetRequired(const QString &name, bool required);
    // Replaces the password hash and clears the reset flag.
    bool setPassword(const QString &name, const PasswordHash &password);
    QList<Account> all() const;
    int count() const;

signals:
    void accountCreated(const QString &name);
    void accountRemoved(const QString &name);
    void accountChanged(const QString &name);

private:
    bool migrate(QString *error);
    QString m_connectionName;
};

} // namespace Confab
