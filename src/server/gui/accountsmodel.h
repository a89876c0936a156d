// Every registered account, live: rows arrive as users register, leave when an account is
// deleted, and change on login, logout and password-reset requests. Never holds a password hash.
#pragma once

#include <QAbstractTableModel>
#include <QDateTime>
#include <QPointer>

namespace Confab {

class ChatServer;

class AccountsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, CreatedColumn, LastLoginColumn, OnlineColumn, PasswordColumn, ColumnCount };
    enum Role {
        NameRole = Qt::UserRole + 1, // the account's registered spelling
        SortRole,                    // raw value for sorting (dates as ms, flags as bool)
        OnlineRole,
    };

    explicit AccountsModel(ChatServer *server, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The row of an account (any spelling), or -1.
    int rowOf(const QString &name) const;
    int onlineCount() const;
    // Reads every account again (after the server started, for instance).
    void reload();

private:
    struct Row {
        QString name;
        QString key;
        QDateTime created;
        QDateTime lastLogin;
        bool resetRequired = false;
        bool online = false;
    };

    void onAccountCreated(const QString &name);
    void onAccountRemoved(const QString &name);
    void onAccountChanged(const QString &name);
    void setOnline(const QString &name, bool online);
    bool readAccount(const QString &name, Row *row) const;

    QPointer<ChatServer> m_server;
    QList<Row> m_rows; // in order of registration, then as read at start (by name)
};

} // namespace Confab
