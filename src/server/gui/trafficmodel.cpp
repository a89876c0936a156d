#include "trafficmodel.h"

#include "adminformat.h"

namespace Confab {

TrafficModel::TrafficModel(ChatServer *server, QObject *parent)
    : QAbstractTableModel(parent)
    , m_server(server)
{
    m_batch.setSingleShot(true);
    m_batch.setInterval(100);
    connect(&m_batch, &QTimer::timeout, this, &TrafficModel::flush);
    if (server)
        connect(server, &ChatServer::trafficObserved, this, &TrafficModel::append);
    setRecording(true);
}

TrafficModel::~TrafficModel()
{
    if (m_server && m_recording)
        m_server->setTrafficObserved(false);
}

void TrafficModel::setRecording(bool recording)
{
    if (recording == m_recording)
        return;
    m_recording = recording;
    if (m_server)
        m_server->setTrafficObserved(recording);
    if (!recording)
        flush();
    emit recordingChanged(recording);
}

void TrafficModel::setCapacity(int rows)
{
    m_capacity = qMax(1, rows);
    if (int(m_rows.size()) > m_capacity)
        dropOldest(int(m_rows.size()) - m_capacity);
}

void TrafficModel::append(const TrafficEvent &event)
{
    if (!m_recording)
        return;
    m_pending.push_back(event);
    ++m_totalLogged;
    if (!m_batch.isActive())
        m_batch.start();
}

void TrafficModel::flush()
{
    m_batch.stop();
    if (m_pending.empty())
        return;
    // Of a batch larger than the whole log, only the newest rows would survive anyway.
    if (int(m_pending.size()) > m_capacity)
        m_pending.erase(m_pending.begin(), m_pending.end() - m_capacity);
    const int incoming = int(m_pending.size());
    const int overflow = int(m_rows.size()) + incoming - m_capacity;
    if (overflow > 0)
        dropOldest(overflow);
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + incoming - 1);
    m_rows.insert(m_rows.end(), m_pending.begin(), m_pending.end());
    m_pending.clear();
    endInsertRows();
    emit totalLoggedChanged(m_totalLogged);
}

void TrafficModel::dropOldest(int count)
{
    count = qMin(count, int(m_rows.size()));
    if (count <= 0)
        return;
    beginRemoveRows({}, 0, count - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + count);
    endRemoveRows();
}

void TrafficModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    m_batch.stop();
    m_totalLogged = 0;
    endResetModel();
    emit totalLoggedChanged(0);
}

int TrafficModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TrafficModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TrafficModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TrafficEvent &e = m_rows[size_t(index.row())];
    const bool in = e.direction == TrafficEvent::Direction::In;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return AdminFormat::clockTime(e.timeMs);
        case DirectionColumn:
            return in ? tr("in") : tr("out");
        case PeerColumn:
            return e.peer;
        case UserColumn:
            return e.user;
        case TransportColumn:
            return e.transport.toUpper();
        case TypeColumn:
            return messageTypeName(e.type);
        case SizeColumn:
            return e.bytes;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == DirectionColumn)
            return in ? tr("from the peer to the server") : tr("from the server to the peer");
        if (index.column() == SizeColumn)
            return tr("Bytes on the wire, including the 4-byte length prefix: %1").arg(e.bytes);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case TypeRole:
        return int(e.type);
    case UserNameRole:
        return e.user;
    case TransportRole:
        return e.transport;
    case DirectionRole:
        return int(e.direction);
    case BytesRole:
        return e.bytes;
    case SortRole:
        return index.column() == TimeColumn ? QVariant(e.timeMs) : data(index, Qt::DisplayRole);
    }
    return {};
}

QVariant TrafficModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case DirectionColumn:
        return tr("Direction");
    case PeerColumn:
        return tr("Peer");
    case UserColumn:
        return tr("User");
    case TransportColumn:
        return tr("Transport");
    case TypeColumn:
        return tr("Type");
    case SizeColumn:
        return tr("Size (B)");
    }
    return {};
}

} // namespace Confab
