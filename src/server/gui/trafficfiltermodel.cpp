#include "trafficfiltermodel.h"

#include "trafficmodel.h"

namespace Confab {

TrafficFilterModel::TrafficFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
}

void TrafficFilterModel::setUserFilter(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_user)
        return;
    m_user = trimmed;
    invalidateFilter();
}

void TrafficFilterModel::setTypeFilter(int type)
{
    if (type == m_type)
        return;
    m_type = type;
    invalidateFilter();
}

void TrafficFilterModel::setTransportFilter(const QString &transport)
{
    const QString lower = transport.toLower();
    if (lower == m_transport)
        return;
    m_transport = lower;
    invalidateFilter();
}

bool TrafficFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (m_type != 0 && index.data(TrafficModel::TypeRole).toInt() != m_type)
        return false;
    if (!m_transport.isEmpty() && index.data(TrafficModel::TransportRole).toString() != m_transport)
        return false;
    if (!m_user.isEmpty() && !index.data(TrafficModel::UserNameRole).toString().contains(m_user, Qt::CaseInsensitive))
        return false;
    return true;
}

} // namespace Confab
