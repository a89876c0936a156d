// Narrows the traffic log to one user, one message type and/or one transport. Keeps the log's
// order (oldest first); an empty filter lets everything through.
#pragma once

#include <QSortFilterProxyModel>

namespace Confab {

class TrafficFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit TrafficFilterModel(QObject *parent = nullptr);

    // Rows whose user contains `text`, without regard to case.
    void setUserFilter(const QString &text);
    QString userFilter() const { return m_user; }
    // A MessageType number; 0 means every type.
    void setTypeFilter(int type);
    int typeFilter() const { return m_type; }
    // "tcp", "udp"; empty means every transport.
    void setTransportFilter(const QString &transport);
    QString transportFilter() const { return m_transport; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_user;
    int m_type = 0;
    QString m_transport;
};

} // namespace Confab
