// Rooms, their owners, topics and bans, persisted in the server's SQLite database.
// Membership is not stored: it belongs to live sessions.
#pragma once

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace Confab {

struct StoredRoom {
    QString name;       // as created
    QString owner;      // owner's registered user name
    QString topic;
    QDateTime created;
    QStringList bans;   // canonical user names
};

class RoomStore
{
public:
    // Uses (and migrates) the tables in an already open database.
    bool attach(const QSqlDatabase &database, QString *error);
    // Lets go of the connection, so that its owner can remove it.
    void detach() { m_db = QSqlDatabase(); }

    QList<StoredRoom> all() const;
    bool create(const StoredRoom &room);
    bool remove(const QString &room);
    bool setTopic(const QString &room, const QString &topic);
    bool addBan(const QString &room, const QString &user, const QString &by, const QString &reason);
    bool removeBan(const QString &room, const QString &user);

private:
    QSqlDatabase m_db;
};

} // namespace Confab
