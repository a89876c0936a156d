// Every room on the server, as a list model sorted by name (case-insensitively).
//
// Fed by a ClientSession (setSession): a RoomList snapshot is merged in row by row; RoomUpdated
// pushes (creation, member counts, topics) update or insert one row; RoomClosed removes one; the
// session's own joins and leaves flip the Joined role. Disconnecting clears the model.
#pragma once

#include "clientsession.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QVector>

namespace Confab {

class RoomListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        NameRole = Qt::UserRole + 1, // QString (also Qt::DisplayRole, as "#name")
        TopicRole,                   // QString
        OwnerRole,                   // QString
        MemberCountRole,             // int
        JoinedRole,                  // bool: this session is in the room
    };
    Q_ENUM(Role)

    explicit RoomListModel(QObject *parent = nullptr);

    void setSession(ClientSession *session);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int indexOf(const QString &room) const;
    RoomSummary room(int row) const { return row >= 0 && row < m_rows.size() ? m_rows.at(row) : RoomSummary(); }

    void setRooms(const QList<RoomSummary> &rooms);
    // Inserts or updates; `joined` of an existing row is kept unless the summary is ours.
    void updateRoom(const RoomSummary &room);
    void removeRoom(const QString &room);
    void setJoined(const QString &room, bool joined);
    void clear();

private:
    int lowerBound(const QString &key) const;
    void replaceRow(int row, const RoomSummary &room);

    QVector<RoomSummary> m_rows; // sorted by lower-case name
    QPointer<ClientSession> m_session;
};

} // namespace Confab
