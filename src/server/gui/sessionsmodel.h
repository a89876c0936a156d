// Every connection the server holds, logged in or not, with its transport, whether it is
// encrypted, its traffic counters and round-trip time. Opens, logins and closes arrive as signals; the counters have no change signal, so the
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
        UserColumn, AddressColumn, TransportColumn, EncryptedColumn, ConnectedColumn, LoggedInColumn,
        BytesInColumn, BytesOutColumn, FramesInColumn, FramesOutColumn, RoundTripColumn, ColumnCount
    };
    enum Role {
        SessionIdRole = Qt::UserRole + 1, // quint64
        UserNameRole,                     // empty before login
        AddressRole,                      // QString, QHostAddress::toString() form
        SortRole,
        EncryptedRole,                    // bool: the TLS handshake is done
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
    QVariant cell(const SessionInfo &session, int column) const;

    QPointer<ChatServer> m_server;
    QList<SessionInfo> m_rows; // by session id
    bool m_tlsServer = false;  // TCP is served over TLS (fixed for the server's life)
    QTimer m_poll;
};

} // namespace Confab
