#include "roomspanel.h"
#include "ui_clientroomspanel.h"

#include "roomitemdelegate.h"
#include "roomlistmodel.h"
#include "usernames.h"

#include <QMenu>

namespace Confab {

RoomsPanel::RoomsPanel(QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::RoomsPanel>())
{
    m_ui->setupUi(this);
    m_ui->roomsView->setItemDelegate(new RoomItemDelegate(m_ui->roomsView));
    QFont title = m_ui->roomsTitleLabel->font();
    title.setBold(true);
    m_ui->roomsTitleLabel->setFont(title);

    connect(m_ui->roomsView, &QListView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid())
            emit joinRequested(index.data(RoomListModel::NameRole).toString());
    });
    connect(m_ui->roomsView, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu *menu = createContextMenu(m_ui->roomsView->indexAt(pos), this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_ui->roomsView->viewport()->mapToGlobal(pos));
    });
    connect(m_ui->createRoomButton, &QPushButton::clicked, this, &RoomsPanel::createRequested);
    connect(m_ui->joinRoomButton, &QPushButton::clicked, this, [this] {
        const RoomSummary room = selectedRoom();
        if (!room.name.isEmpty())
            emit joinRequested(room.name);
    });
    connect(m_ui->leaveRoomButton, &QPushButton::clicked, this, [this] {
        const RoomSummary room = selectedRoom();
        if (!room.name.isEmpty())
            emit leaveRequested(room.name);
    });
    connect(m_ui->topicButton, &QPushButton::clicked, this, [this] {
        const RoomSummary room = selectedRoom();
        if (!room.name.isEmpty())
            emit topicRequested(room.name);
    });
    updateButtons();
    updateTitle();
}

RoomsPanel::~RoomsPanel() = default;

QListView *RoomsPanel::view() const
{
    return m_ui->roomsView;
}

void RoomsPanel::setModel(RoomListModel *rooms)
{
    m_rooms = rooms;
    m_ui->roomsView->setModel(rooms);
    connect(m_ui->roomsView->selectionModel(), &QItemSelectionModel::currentChanged, this, &RoomsPanel::updateButtons);
    connect(rooms, &QAbstractItemModel::dataChanged, this, &RoomsPanel::updateButtons);
    connect(rooms, &QAbstractItemModel::rowsInserted, this, &RoomsPanel::updateTitle);
    connect(rooms, &QAbstractItemModel::rowsRemoved, this, [this] {
        updateTitle();
        updateButtons();
    });
    connect(rooms, &QAbstractItemModel::modelReset, this, [this] {
        updateTitle();
        updateButtons();
    });
    updateButtons();
    updateTitle();
}

void RoomsPanel::setSelfName(const QString &name)
{
    m_selfName = name;
    updateButtons();
}

RoomSummary RoomsPanel::selectedRoom() const
{
    if (!m_rooms)
        return {};
    const QModelIndex index = m_ui->roomsView->currentIndex();
    return index.isValid() ? m_rooms->room(index.row()) : RoomSummary();
}

bool RoomsPanel::selectRoom(const QString &name)
{
    if (!m_rooms)
        return false;
    const int row = m_rooms->indexOf(name);
    if (row < 0)
        return false;
    m_ui->roomsView->setCurrentIndex(m_rooms->index(row));
    return true;
}

bool RoomsPanel::isOwnedBySelf(const RoomSummary &room) const
{
    return !room.owner.isEmpty() && !m_selfName.isEmpty()
           && canonicalUsername(room.owner) == canonicalUsername(m_selfName);
}

void RoomsPanel::updateButtons()
{
    const RoomSummary room = selectedRoom();
    const bool any = !room.name.isEmpty();
    m_ui->joinRoomButton->setEnabled(any && !room.joined);
    m_ui->leaveRoomButton->setEnabled(any && room.joined);
    m_ui->topicButton->setEnabled(any && isOwnedBySelf(room));
}

void RoomsPanel::updateTitle()
{
    const int count = m_rooms ? m_rooms->rowCount() : 0;
    m_ui->roomsTitleLabel->setText(tr("Rooms — %1").arg(count));
}

QMenu *RoomsPanel::createContextMenu(const QModelIndex &index, QWidget *parent)
{
    auto *menu = new QMenu(parent);
    const RoomSummary room = index.isValid() && m_rooms ? m_rooms->room(index.row()) : RoomSummary();
    if (!room.name.isEmpty()) {
        const QString name = room.name;
        QAction *open = room.joined
            ? menu->addAction(tr("&Show #%1").arg(name), this, [this, name] { emit joinRequested(name); })
            : menu->addAction(tr("&Join #%1").arg(name), this, [this, name] { emit joinRequested(name); });
        menu->setDefaultAction(open);
        if (room.joined)
            menu->addAction(tr("&Leave #%1").arg(name), this, [this, name] { emit leaveRequested(name); });
        if (isOwnedBySelf(room)) {
            menu->addSeparator();
            menu->addAction(tr("Set &Topic…"), this, [this, name] { emit topicRequested(name); });
            menu->addAction(tr("&Close Room…"), this, [this, name] { emit closeRequested(name); })
                ->setObjectName(QStringLiteral("closeRoomAction"));
        }
        menu->addSeparator();
    }
    menu->addAction(tr("&New Room…"), this, &RoomsPanel::createRequested);
    return menu;
}

} // namespace Confab
