// Rooms: every room with its owner, topic, members and room bans. The administrator can close a
// room, or kick (or ban) a member from it; members see "by server".
#pragma once

#include <QPointer>
#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QSortFilterProxyModel;
class QStringListModel;
QT_END_NAMESPACE

namespace Ui {
class RoomsTab;
}

namespace Confab {

class ChatServer;
class RoomTableModel;

class RoomsTab : public QWidget
{
    Q_OBJECT
public:
    explicit RoomsTab(ChatServer *server, QWidget *parent = nullptr);
    ~RoomsTab() override;

    RoomTableModel *model() const { return m_model; }
    QString selectedRoom() const;
    bool selectRoom(const QString &room);
    bool selectMember(const QString &user);

signals:
    void statusMessage(const QString &text);

private:
    QString selectedMember() const;
    void updateMembers();
    void updateButtons();
    void closeSelectedRoom();
    void removeSelectedMember(bool ban);

    std::unique_ptr<Ui::RoomsTab> m_ui;
    QPointer<ChatServer> m_server;
    RoomTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QStringListModel *m_members = nullptr; // of the selected room
};

} // namespace Confab
