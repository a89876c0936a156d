#include "roomstore.h"

#include "usernames.h"

#include <QHash>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace Confab {

Q_LOGGING_CATEGORY(lcRooms, "confab.rooms")

namespace {
// A null QString binds as SQL NULL; the text columns are NOT NULL.
QString notNull(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

bool exec(QSqlQuery &q)
{
    if (q.exec())
        return true;
    qCWarning(lcRooms) << "database error:" << q.lastError().text();
    return false;
}
} // namespace

bool RoomStore::attach(const QSqlDatabase &database, QString *error)
{
    m_db = database;
    QSqlQuery q(m_db);
    const bool ok = q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS rooms ("
                                          " name_key TEXT PRIMARY KEY,"
                                          " name TEXT NOT NULL,"
                                          " owner TEXT NOT NULL,"
                                          " topic TEXT NOT NULL DEFAULT '',"
                                          " created_at INTEGER NOT NULL)"))
        && q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS room_bans ("
                                 " room_key TEXT NOT NULL REFERENCES rooms(name_key) ON DELETE CASCADE,"
                                 " user_key TEXT NOT NULL,"
                                 " banned_by TEXT NOT NULL,"
                                 " reason TEXT NOT NULL DEFAULT '',"
                                 " created_at INTEGER NOT NULL,"
                                 " PRIMARY KEY (room_key, user_key))"));
    if (!ok && error)
        *error = q.lastError().text();
    return ok;
}

QList<StoredRoom> RoomStore::all() const
{
    QList<StoredRoom> rooms;
    QHash<QString, int> index;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.exec(QStringLiteral("SELECT name_key, name, owner, topic, created_at FROM rooms ORDER BY name_key"));
    while (q.next()) {
        index.insert(q.value(0).toString(), int(rooms.size()));
        rooms.append({q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                      QDateTime::fromMSecsSinceEpoch(q.value(4).toLongLong()), {}});
    }
    q.exec(QStringLiteral("SELECT room_key, user_key FROM room_bans"));
    while (q.next()) {
        const int i = index.value(q.value(0).toString(), -1);
        if (i >= 0)
            rooms[i].bans.append(q.value(1).toString());
    }
    return rooms;
}

bool RoomStore::create(const StoredRoom &room)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT INTO rooms (name_key, name, owner, topic, created_at) VALUES (?, ?, ?, ?, ?)"));
    q.addBindValue(canonicalRoomName(room.name));
    q.addBindValue(room.name);
    q.addBindValue(room.owner);
    q.addBindValue(notNull(room.topic));
    q.addBindValue(room.created.toMSecsSinceEpoch());
    return exec(q);
}

bool RoomStore::remove(const QString &room)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM rooms WHERE name_key = ?"));
    q.addBindValue(canonicalRoomName(room));
    return exec(q);
}

bool RoomStore::setTopic(const QString &room, const QString &topic)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("UPDATE rooms SET topic = ? WHERE name_key = ?"));
    q.addBindValue(notNull(topic));
    q.addBindValue(canonicalRoomName(room));
    return exec(q);
}

bool RoomStore::addBan(const QString &room, const QString &user, const QString &by, const QString &reason)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO room_bans (room_key, user_key, banned_by, reason, created_at)"
                             " VALUES (?, ?, ?, ?, ?)"));
    q.addBindValue(canonicalRoomName(room));
    q.addBindValue(canonicalUsername(user));
    q.addBindValue(by);
    q.addBindValue(notNull(reason));
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    return exec(q);
}

bool RoomStore::removeBan(const QString &room, const QString &user)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM room_bans WHERE room_key = ? AND user_key = ?"));
    q.addBindValue(canonicalRoomName(room));
    q.addBindValue(canonicalUsername(user));
    return exec(q);
}

} // namespace Confab
