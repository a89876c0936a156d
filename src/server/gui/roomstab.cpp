#include "roomstab.h"
#include "ui_roomstab.h"

#include "adminconfirm.h"
#include "adminkickdialog.h"
#include "chatserver.h"
#include "roomtablemodel.h"
#include "tableviewsetup.h"

#include <QSortFilterProxyModel>
#include <QStringListModel>

namespace Confab {

RoomsTab::RoomsTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::RoomsTab>())
    , m_server(server)
    , m_model(new RoomTableModel(server, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_members(new QStringListModel(this))
{
    m_ui->setupUi(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(RoomTableModel::SortRole);
    m_ui->roomsView->setModel(m_proxy);
    m_ui->roomsView->sortByColumn(RoomTableModel::NameColumn, Qt::AscendingOrder);
    setUpAdminTable(m_ui->roomsView, LastColumn::Stretch);
    m_ui->membersView->setModel(m_members);
    m_ui->roomsSplitter->setStretchFactor(0, 3);
    m_ui->roomsSplitter->setStretchFactor(1, 1);

    connect(m_ui->roomsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RoomsTab::updateMembers);
    connect(m_ui->membersView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RoomsTab::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &RoomsTab::updateMembers);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &RoomsTab::updateMembers);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &RoomsTab::updateMembers);
    connect(m_ui->closeRoomButton, &QPushButton::clicked, this, &RoomsTab::closeSelectedRoom);
    connect(m_ui->kickMemberButton, &QPushButton::clicked, this, [this] { removeSelectedMember(false); });
    connect(m_ui->banMemberButton, &QPushButton::clicked, this, [this] { removeSelectedMember(true); });
    updateMembers();
}

RoomsTab::~RoomsTab() = default;

QString RoomsTab::selectedRoom() const
{
    const QModelIndexList rows = m_ui->roomsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(RoomTableModel::NameRole).toString();
}

bool RoomsTab::selectRoom(const QString &room)
{
    const int row = m_model->rowOf(room);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_ui->roomsView->selectRow(index.row());
    m_ui->roomsView->scrollTo(index);
    return true;
}

bool RoomsTab::selectMember(const QString &user)
{
    const QStringList members = m_members->stringList();
    for (int i = 0; i < members.size(); ++i) {
        if (members.at(i).compare(user, Qt::CaseInsensitive) == 0) {
            m_ui->membersView->setCurrentIndex(m_members->index(i));
            return true;
        }
    }
    return false;
}

QString RoomsTab::selectedMember() const
{
    const QModelIndexList rows = m_ui->membersView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data().toString();
}

void RoomsTab::updateMembers()
{
    const QString room = selectedRoom();
    QStringList members;
    const int row = room.isEmpty() ? -1 : m_model->rowOf(room);
    if (row >= 0)
        members = m_model->index(row, 0).data(RoomTableModel::MembersRole).toStringList();
    if (members != m_members->stringList()) {
        const QString keep = selectedMember();
        m_members->setStringList(members);
        if (!keep.isEmpty())
            selectMember(keep);
    }
    m_ui->membersLabel->setText(room.isEmpty() ? tr("Select a room to see its members.")
                                               : tr("Members of #%1 (%2):").arg(room).arg(members.size()));
    m_ui->roomsCountLabel->setText(tr("Rooms: %1").arg(m_model->rowCount()));
    updateButtons();
}

void RoomsTab::updateButtons()
{
    const bool room = !selectedRoom().isEmpty();
    const bool member = room && !selectedMember().isEmpty();
    m_ui->closeRoomButton->setEnabled(room);
    m_ui->kickMemberButton->setEnabled(member);
    m_ui->banMemberButton->setEnabled(member);
}

void RoomsTab::closeSelectedRoom()
{
    const QString room = selectedRoom();
    if (room.isEmpty())
        return;
    askToConfirm(this, QStringLiteral("confirmCloseRoom"), tr("Close room"),
                 tr("Close #%1 for good? Its members are told, and its topic and bans are deleted; the name becomes free.").arg(room),
                 tr("Close #%1").arg(room), [this, room] {
                     QString error;
                     if (!m_server || !m_server->closeRoom(room, &error))
                         emit statusMessage(tr("Could not close #%1: %2").arg(room, error));
                     else
                         emit statusMessage(tr("Closed #%1.").arg(room));
                 });
}

void RoomsTab::removeSelectedMember(bool ban)
{
    const QString room = selectedRoom();
    const QString user = selectedMember();
    if (room.isEmpty() || user.isEmpty())
        return;
    auto *dialog = new AdminKickDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(ban ? tr("Ban %1 from #%2").arg(user, room) : tr("Kick %1 from #%2").arg(user, room));
    dialog->setPrompt(ban ? tr("Remove %1 from #%2 and keep them out of it until unbanned.").arg(user, room)
                          : tr("Remove %1 from #%2. They may join again.").arg(user, room));
    dialog->setConfirmText(ban ? tr("Ban") : tr("Kick"));
    connect(dialog, &QDialog::accepted, this, [this, dialog, room, user, ban] {
        if (!m_server)
            return;
        QString error;
        const bool ok = ban ? m_server->banFromRoom(room, user, dialog->reason(), &error)
                            : m_server->kickFromRoom(room, user, dialog->reason(), &error);
        if (!ok)
            emit statusMessage(tr("Could not remove %1 from #%2: %3").arg(user, room, error));
        else
            emit statusMessage(ban ? tr("Banned %1 from #%2.").arg(user, room) : tr("Kicked %1 from #%2.").arg(user, room));
    });
    dialog->open();
}

} // namespace Confab
