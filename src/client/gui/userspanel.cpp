#include "userspanel.h"
#include "ui_clientuserspanel.h"

#include "userfiltermodel.h"
#include "usermodel.h"

#include <QApplication>
#include <QClipboard>
#include <QMenu>

namespace Confab {

UsersPanel::UsersPanel(QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::UsersPanel>())
    , m_filter(new UserFilterModel(this))
{
    m_ui->setupUi(this);
    m_ui->usersView->setModel(m_filter);
    QFont title = m_ui->usersTitleLabel->font();
    title.setBold(true);
    m_ui->usersTitleLabel->setFont(title);

    connect(m_ui->userFilterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_filter->setFilterFixedString(text.trimmed());
        updateTitle();
    });
    connect(m_ui->usersView, &QListView::activated, this, [this](const QModelIndex &index) {
        const QString user = userAt(index);
        if (!user.isEmpty())
            emit messageRequested(user);
    });
    connect(m_ui->usersView, &QWidget::customContextMenuRequested, this, &UsersPanel::showContextMenu);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &UsersPanel::updateTitle);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &UsersPanel::updateTitle);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &UsersPanel::updateTitle);
    updateTitle();
}

UsersPanel::~UsersPanel() = default;

QListView *UsersPanel::view() const
{
    return m_ui->usersView;
}

QLineEdit *UsersPanel::filterEdit() const
{
    return m_ui->userFilterEdit;
}

void UsersPanel::setModel(UserModel *users)
{
    m_users = users;
    m_filter->setSourceModel(users); // already sorted by name, without regard to case
    updateTitle();
}

void UsersPanel::setRoomContext(const QString &room, const QStringList &members, const QString &owner, bool ownedBySelf)
{
    m_filter->setRoomContext(room, members, owner);
    m_ownsRoom = !room.isEmpty() && ownedBySelf;
    updateTitle();
}

QString UsersPanel::userAt(const QModelIndex &viewIndex) const
{
    return viewIndex.isValid() ? viewIndex.data(UserModel::NameRole).toString() : QString();
}

void UsersPanel::updateTitle()
{
    const int total = m_users ? m_users->rowCount() : 0;
    const int shown = m_filter->rowCount();
    QString text = shown == total ? tr("Online — %1").arg(total) : tr("Online — %1 of %2").arg(shown).arg(total);
    const QString room = m_filter->contextRoom();
    if (!room.isEmpty() && m_users) {
        int inRoom = 0;
        for (int row = 0; row < total; ++row)
            inRoom += m_filter->isMember(m_users->user(row).name) ? 1 : 0;
        text += QStringLiteral(" · ") + tr("%1 in #%2").arg(inRoom).arg(room);
    }
    m_ui->usersTitleLabel->setText(text);
}

QString UsersPanel::selectedUser() const
{
    return userAt(m_ui->usersView->currentIndex());
}

QMenu *UsersPanel::createContextMenu(const QModelIndex &index, QWidget *parent)
{
    const QString user = userAt(index);
    if (user.isEmpty())
        return nullptr;
    const bool self = index.data(UserModel::IsSelfRole).toBool();
    const QString room = m_filter->contextRoom();

    auto *menu = new QMenu(parent);
    QAction *message = menu->addAction(tr("&Message %1").arg(user), this, [this, user] { emit messageRequested(user); });
    message->setObjectName(QStringLiteral("messageUserAction"));
    menu->setDefaultAction(message);
    QAction *poke = menu->addAction(tr("&Poke %1 (Direct Chat)").arg(user), this, [this, user] { emit pokeRequested(user); });
    poke->setObjectName(QStringLiteral("pokeUserAction"));
    poke->setToolTip(tr("Ask %1 to chat peer to peer; the server only introduces you.").arg(user));
    poke->setEnabled(!self);
    if (m_ownsRoom && !self) {
        menu->addSeparator();
        QAction *kick = menu->addAction(tr("&Kick from #%1…").arg(room), this,
                                        [this, room, user] { emit kickRequested(room, user); });
        kick->setObjectName(QStringLiteral("kickUserAction"));
        kick->setEnabled(m_filter->isMember(user));
        QAction *ban = menu->addAction(tr("&Ban from #%1…").arg(room), this,
                                       [this, room, user] { emit banRequested(room, user); });
        ban->setObjectName(QStringLiteral("banUserAction"));
    }
    menu->addSeparator();
    menu->addAction(tr("&Copy Name"), this, [user] { QApplication::clipboard()->setText(user); });
    return menu;
}

void UsersPanel::showContextMenu(const QPoint &pos)
{
    QMenu *menu = createContextMenu(m_ui->usersView->indexAt(pos), this);
    if (!menu)
        return;
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(m_ui->usersView->viewport()->mapToGlobal(pos));
}

} // namespace Confab
