#include "roomlistmodel.h"

#include "usernames.h"

#include <algorithm>

namespace Confab {

RoomListModel::RoomListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void RoomListModel::setSession(ClientSession *session)
{
    if (m_session == session)
        return;
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    clear();
    if (!session)
        return;
    connect(session, &ClientSession::roomListReceived, this, &RoomListModel::setRooms);
    connect(session, &ClientSession::roomUpdated, this, &RoomListModel::updateRoom);
    connect(session, &ClientSession::roomRemoved, this, &RoomListModel::removeRoom);
    connect(session, &ClientSession::roomJoined, this, [this](const JoinedRoom &room) {
        updateRoom({room.name, room.topic, room.owner, int(room.members.size()), true});
    });
    connect(session, &ClientSession::roomLeft, this, [this](const QString &room) { setJoined(room, false); });
    connect(session, &ClientSession::kickedFromRoom, this, [this](const QString &room) { setJoined(room, false); });
    connect(session, &ClientSession::stateChanged, this, [this](ClientSession::State state) {
        if (state == ClientSession::State::Disconnected || state == ClientSession::State::Connecting)
            clear();
    });
}

int RoomListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant RoomListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RoomSummary &room = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole: return QStringLiteral("#") + room.name;
    case Qt::ToolTipRole: return room.topic.isEmpty() ? tr("Owner: %1").arg(room.owner)
                                                      : tr("%1\nOwner: %2").arg(room.topic, room.owner);
    case NameRole: return room.name;
    case TopicRole: return room.topic;
    case OwnerRole: return room.owner;
    case MemberCountRole: return room.memberCount;
    case JoinedRole: return room.joined;
    default: return {};
    }
}

QHash<int, QByteArray> RoomListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(TopicRole, "topic");
    names.insert(OwnerRole, "owner");
    names.insert(MemberCountRole, "memberCount");
    names.insert(JoinedRole, "joined");
    return names;
}

int RoomListModel::lowerBound(const QString &key) const
{
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), key, [](const RoomSummary &row, const QString &k) {
        return canonicalRoomName(row.name) < k;
    });
    return int(it - m_rows.cbegin());
}

int RoomListModel::indexOf(const QString &room) const
{
    const QString key = canonicalRoomName(ClientSession::roomName(room));
    const int row = lowerBound(key);
    return row < m_rows.size() && canonicalRoomName(m_rows.at(row).name) == key ? row : -1;
}

void RoomListModel::replaceRow(int row, const RoomSummary &room)
{
    if (m_rows.at(row) == room)
        return;
    m_rows[row] = room;
    emit dataChanged(index(row), index(row));
}

void RoomListModel::setRooms(const QList<RoomSummary> &rooms)
{
    // Drop rows the snapshot no longer has, then update or insert the rest; no reset, so views
    // keep their selection and scroll position.
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        const QString key = canonicalRoomName(m_rows.at(row).name);
        const bool kept = std::any_of(rooms.cbegin(), rooms.cend(),
                                      [&key](const RoomSummary &r) { return canonicalRoomName(r.name) == key; });
        if (!kept) {
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    for (const RoomSummary &room : rooms)
        updateRoom(room);
}

void RoomListModel::updateRoom(const RoomSummary &room)
{
    const QString key = canonicalRoomName(room.name);
    const int row = lowerBound(key);
    if (row < m_rows.size() && canonicalRoomName(m_rows.at(row).name) == key) {
        replaceRow(row, room);
        return;
    }
    beginInsertRows({}, row, row);
    m_rows.insert(row, room);
    endInsertRows();
}

void RoomListModel::removeRoom(const QString &room)
{
    const int row = indexOf(room);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void RoomListModel::setJoined(const QString &room, bool joined)
{
    const int row = indexOf(room);
    if (row < 0)
        return;
    RoomSummary updated = m_rows.at(row);
    updated.joined = joined;
    replaceRow(row, updated);
}

void RoomListModel::clear()
{
    if (m_rows.isEmpty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

} // namespace Confab
