#include "conversationmodel.h"

namespace Confab {

ConversationModel::ConversationModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int ConversationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant ConversationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TextRole:
        return e.text;
    case SenderRole:
        return e.sender;
    case TimestampRole:
        return e.timestamp;
    case IsOwnRole:
        return e.own;
    case DeliveryStateRole:
        return QVariant::fromValue(e.state);
    case DeliveredCountRole:
        return e.deliveredCount;
    case FailureReasonRole:
        return e.failureReason;
    case RequestIdRole:
        return e.requestId;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(SenderRole, "sender");
    names.insert(TextRole, "text");
    names.insert(TimestampRole, "timestamp");
    names.insert(IsOwnRole, "isOwn");
    names.insert(DeliveryStateRole, "deliveryState");
    names.insert(DeliveredCountRole, "deliveredCount");
    names.insert(FailureReasonRole, "failureReason");
    names.insert(RequestIdRole, "requestId");
    return names;
}

int ConversationModel::appendOne(const QString &sender, const QString &text, const QDateTime &timestamp,
                                 DeliveryState state, quint64 requestId)
{
    Entry e;
    e.sender = sender;
    e.text = text;
    e.timestamp = timestamp;
    e.own = state != DeliveryState::Received;
    e.state = state;
    e.requestId = requestId;
    appendEntries({e});
    return int(m_entries.size()) - 1;
}

int ConversationModel::appendReceived(const QString &sender, const QString &text, const QDateTime &timestamp)
{
    return appendOne(sender, text, timestamp, DeliveryState::Received, 0);
}

int ConversationModel::appendSent(const QString &sender, const QString &text, const QDateTime &timestamp)
{
    return appendOne(sender, text, timestamp, DeliveryState::Sent, 0);
}

int ConversationModel::appendOwn(quint64 requestId, const QString &sender, const QString &text,
                                 const QDateTime &timestamp)
{
    return appendOne(sender, text, timestamp, DeliveryState::Sending, requestId);
}

void ConversationModel::appendEntries(const QVector<Entry> &entries)
{
    if (entries.isEmpty())
        return;
    const int first = int(m_entries.size());
    beginInsertRows(QModelIndex(), first, first + int(entries.size()) - 1);
    m_entries.append(entries);
    for (int row = first; row < m_entries.size(); ++row) {
        const Entry &e = m_entries.at(row);
        if (e.state == DeliveryState::Sending && e.requestId != 0)
            m_rowByRequest.insert(e.requestId, row);
    }
    endInsertRows();
}

bool ConversationModel::markDelivered(quint64 requestId, int count, const QDateTime &timestamp)
{
    return finish(requestId, DeliveryState::Delivered, count, QString(), timestamp);
}

bool ConversationModel::markFailed(quint64 requestId, const QString &reason)
{
    return finish(requestId, DeliveryState::Failed, 0, reason, QDateTime());
}

bool ConversationModel::finish(quint64 requestId, DeliveryState state, int count, const QString &reason,
                               const QDateTime &timestamp)
{
    const auto it = m_rowByRequest.constFind(requestId);
    if (it == m_rowByRequest.cend())
        return false;
    const int row = it.value();
    m_rowByRequest.erase(it);

    Entry &e = m_entries[row];
    e.state = state;
    e.deliveredCount = count;
    e.failureReason = reason;
    QList<int> roles{DeliveryStateRole, DeliveredCountRole, FailureReasonRole};
    if (timestamp.isValid() && timestamp != e.timestamp) {
        e.timestamp = timestamp;
        roles.append(TimestampRole);
    }
    const QModelIndex changed = index(row);
    emit dataChanged(changed, changed, roles);
    return true;
}

void ConversationModel::clear()
{
    if (m_entries.isEmpty())
        return;
    beginRemoveRows(QModelIndex(), 0, int(m_entries.size()) - 1);
    m_entries.clear();
    m_rowByRequest.clear();
    endRemoveRows();
}

} // namespace Confab
