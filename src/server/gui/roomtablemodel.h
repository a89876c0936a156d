// The server's rooms — name, owner, topic, members, room bans — kept in step with the server's
// room signals (created, closed, members, topic and bans changed).
#pragma once

#include "chatserver.h"
#include "sortedrowsmodel.h"

#include <QPointer>

namespace Confab {

class RoomTableModel : public SortedRowsModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, OwnerColumn, TopicColumn, MembersColumn, BansColumn, ColumnCount };
    enum Role {
        NameRole = Qt::UserRole + 1, // the room's registered spelling
        MembersRole,                 // QStringList, in joining order
        SortRole,
    };

    explicit RoomTableModel(ChatServer *server, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int rowOf(const QString &room) const;
    void refresh();

private:
    static QVariant cell(const RoomInfo &room, int column);

    QPointer<ChatServer> m_server;
    QList<RoomInfo> m_rows; // sorted by name, without regard to case (as ChatServer::rooms())
};

} // namespace Confab
