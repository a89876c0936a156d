// Every room on the server with its topic and member count. Double-click joins a room (or shows
// its tab when already in it); the buttons and the context menu create, join, leave and, for the
// owner, set the topic of or close the selected room.
#pragma once

#include "clientsession.h"

#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QListView;
class QMenu;
QT_END_NAMESPACE

namespace Ui {
class RoomsPanel;
}

namespace Confab {

class RoomListModel;

class RoomsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit RoomsPanel(QWidget *parent = nullptr);
    ~RoomsPanel() override;

    void setModel(RoomListModel *rooms);
    void setSelfName(const QString &name);
    QListView *view() const;

    // The selected room (name empty when none).
    RoomSummary selectedRoom() const;
    bool selectRoom(const QString &name);
    bool isOwnedBySelf(const RoomSummary &room) const;

    // The context menu for a row (or for no row: only "New Room…"). The caller owns it.
    QMenu *createContextMenu(const QModelIndex &index, QWidget *parent = nullptr);

signals:
    void createRequested();
    void joinRequested(const QString &room);
    void leaveRequested(const QString &room);
    void topicRequested(const QString &room);
    void closeRequested(const QString &room);

private:
    void updateButtons();
    void updateTitle();

    std::unique_ptr<Ui::RoomsPanel> m_ui;
    RoomListModel *m_rooms = nullptr;
    QString m_selfName;
};

} // namespace Confab
