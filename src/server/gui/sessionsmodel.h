// Every connection the server holds, logged in or not, with its traffic counters and round-trip
// time. Opens, logins and closes arrive as signals; the counters have no change signal, so the
// model polls ChatServer::sessions() on a timer and reports only the cells that changed.
#pragma once

#include "chatserver.h"
#include "sortedrowsmodel.h"

#include <QPointer>
#include <QTimer>

namespace Confab {

class SessionsModel : public SortedRowsModel
{
    Q_OBJECT
public:
    enum Column {
        UserColumn, AddressColumn, TransportColumn, ConnectedColumn, LoggedInColumn,
        BytesInColumn, BytesOutColumn, FramesInColumn, FramesOutColumn, RoundTripColumn, ColumnCount
    };
    enum Role {
        SessionIdRole = Qt::UserRole + 1, // quint64
        UserNameRole,                     // empty before login
        AddressRole,                      // QString, QHostAddress::toString() form
        SortRole,
    };

    explicit SessionsModel(ChatServer *server, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // How often the counters are read again (default 1 s; 0 stops polling).
    void setRefreshInterval(int ms);
    int rowOfUser(const QString &user) const;
    void refresh();

private:
    static QVariant cell(const SessionInfo &session, int column);

    QPointer<ChatServer> m_server;
    QList<SessionInfo> m_rows; // by session id
    QTimer m_poll;
};

} // namespace Confab
