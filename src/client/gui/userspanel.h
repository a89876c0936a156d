// Everyone online, with a filter box. Double-click (or Enter) on a user asks for a DM with them;
// the context menu also offers a poke (a direct chat) and, for the owner of the room shown, to
// kick or ban that user.
#pragma once

#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QListView;
class QMenu;
class QLineEdit;
QT_END_NAMESPACE

namespace Ui {
class UsersPanel;
}

namespace Confab {

class UserFilterModel;
class UserModel;

class UsersPanel : public QWidget
{
    Q_OBJECT
public:
    explicit UsersPanel(QWidget *parent = nullptr);
    ~UsersPanel() override;

    void setModel(UserModel *users);
    UserFilterModel *filterModel() const { return m_filter; }
    QListView *view() const;
    QLineEdit *filterEdit() const;

    // The room whose tab is shown (empty: none), its members and whether this user owns it.
    void setRoomContext(const QString &room, const QStringList &members, const QString &owner, bool ownedBySelf);

    // The context menu for a row of the view (Message, Poke; Kick/Ban for the owner of the room shown),
    // or null for no row. The caller owns it.
    QMenu *createContextMenu(const QModelIndex &viewIndex, QWidget *parent = nullptr);

    // The user name at a row of the view, or empty.
    QString userAt(const QModelIndex &viewIndex) const;
    // The user selected in the view, or empty.
    QString selectedUser() const;

signals:
    void messageRequested(const QString &user);
    void pokeRequested(const QString &user);
    void kickRequested(const QString &room, const QString &user);
    void banRequested(const QString &room, const QString &user);

private:
    void showContextMenu(const QPoint &pos);
    void updateTitle();

    std::unique_ptr<Ui::UsersPanel> m_ui;
    UserModel *m_users = nullptr;
    UserFilterModel *m_filter;
    bool m_ownsRoom = false;
};

} // namespace Confab
