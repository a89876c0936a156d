// The users online on the server, as a list model sorted by name (case-insensitively).
//
// Fed by a ClientSession (setSession): the user list after login or /list is merged in with
// row-level inserts, removes and dataChanged (never a reset, so views keep selection and scroll
// position), UserJoined inserts one row, UserLeft removes one; disconnecting or connecting anew
// clears the model.
// Lookup by name ignores case, as the server does ("Alice" and "alice" are one account).
#pragma once

#include "clientsession.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QVector>

namespace Confab {

class UserModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        NameRole = Qt::UserRole + 1, // QString, the display name (also Qt::DisplayRole)
        SinceRole,                   // QDateTime, when the user logged in
        TransportRole,               // QString, "tcp" or "udp"
        IsSelfRole,                  // bool, this is the session's own user
    };
    Q_ENUM(Role)

    explicit UserModel(QObject *parent = nullptr);

    // Follows this session from now on (and stops following the previous one). May be null.
    void setSession(ClientSession *session);
    ClientSession *session() const { return m_session; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Row of the user with this name in any case, or -1. O(log n).
    int indexOf(const QString &name) const;
    bool contains(const QString &name) const { return indexOf(name) >= 0; }
    OnlineUser user(int row) const { return row >= 0 && row < m_rows.size() ? m_rows.at(row).user : OnlineUser(); }
    QStringList names() const;

    // Whose row gets IsSelfRole (set from the session's loggedIn()).
    void setSelfName(const QString &name);
    QString selfName() const { return m_selfName; }

    // Replaces the content with this snapshot, by row-level removes, inserts and updates.
    void setUsers(const QList<OnlineUser> &users);
    // Inserts the user in name order, or updates the row if the name is there already.
    void addUser(const OnlineUser &user);
    // Removes the user's row; returns false if the name was not in the model.
    bool removeUser(const QString &name);
    void clear();

private:
    struct Row {
        QString key; // canonicalUsername(user.name)
        OnlineUser user;
    };

    // First row whose key is not less than `key` (the insert position for it).
    int lowerBound(const QString &key) const;
    void updateRow(int row, const OnlineUser &user);
    void insertUserRows(int row, const QVector<Row> &rows);
    void removeRowRange(int first, int last);

    QVector<Row> m_rows; // sorted by key
    QString m_selfName;
    QPointer<ClientSession> m_session;
};

} // namespace Confab
