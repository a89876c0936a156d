#include "roomtablemodel.h"

#include "usernames.h"

namespace Confab {

RoomTableModel::RoomTableModel(ChatServer *server, QObject *parent)
    : SortedRowsModel(parent)
    , m_server(server)
{
    connect(server, &ChatServer::roomCreated, this, &RoomTableModel::refresh);
    connect(server, &ChatServer::roomClosed, this, &RoomTableModel::refresh);
    connect(server, &ChatServer::roomMembersChanged, this, &RoomTableModel::refresh);
    connect(server, &ChatServer::roomChanged, this, &RoomTableModel::refresh);
    refresh();
}

void RoomTableModel::refresh()
{
    const QList<RoomInfo> fresh = m_server ? m_server->rooms() : QList<RoomInfo>();
    mergeRows(m_rows, fresh,
              [](const RoomInfo &a, const RoomInfo &b) { return a.name.compare(b.name, Qt::CaseInsensitive); },
              &RoomTableModel::cell);
}

int RoomTableModel::rowOf(const QString &room) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).name.compare(room, Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

QVariant RoomTableModel::cell(const RoomInfo &room, int column)
{
    switch (column) {
    case NameColumn:
        return QStringLiteral("#") + room.name;
    case OwnerColumn:
        return room.owner;
    case TopicColumn:
        return room.topic;
    case MembersColumn:
        return room.members.isEmpty() ? tr("nobody") : room.members.join(QStringLiteral(", "));
    case BansColumn:
        return room.bans.join(QStringLiteral(", "));
    }
    return {};
}

int RoomTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RoomTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoomTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RoomInfo &room = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return cell(room, index.column());
    case Qt::ToolTipRole:
        if (index.column() == TopicColumn && !room.topic.isEmpty())
            return room.topic;
        if (index.column() == MembersColumn)
            return tr("Members in this room now: %1").arg(room.members.size());
        if (index.column() == BansColumn && !room.bans.isEmpty())
            return tr("Accounts banned from this room: %1").arg(room.bans.join(QStringLiteral(", ")));
        break;
    case NameRole:
        return room.name;
    case MembersRole:
        return room.members;
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            return canonicalRoomName(room.name);
        case OwnerColumn:
            return canonicalUsername(room.owner);
        case MembersColumn:
            return int(room.members.size());
        case BansColumn:
            return int(room.bans.size());
        default:
            return cell(room, index.column());
        }
    }
    return {};
}

QVariant RoomTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return SortedRowsModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Room");
    case OwnerColumn:
        return tr("Owner");
    case TopicColumn:
        return tr("Topic");
    case MembersColumn:
        return tr("Members");
    case BansColumn:
        return tr("Banned");
    }
    return {};
}

} // namespace Confab
