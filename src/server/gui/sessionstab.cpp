#include "sessionstab.h"
#include "ui_sessionstab.h"

#include "adminbandialog.h"
#include "adminkickdialog.h"
#include "chatserver.h"
#include "sessionsmodel.h"
#include "tableviewsetup.h"

#include <QSortFilterProxyModel>

namespace Confab {

SessionsTab::SessionsTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::SessionsTab>())
    , m_server(server)
    , m_model(new SessionsModel(server, this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(SessionsModel::SortRole);
    m_ui->sessionsView->setModel(m_proxy);
    m_ui->sessionsView->sortByColumn(SessionsModel::ConnectedColumn, Qt::AscendingOrder);
    setUpAdminTable(m_ui->sessionsView, LastColumn::Natural);

    connect(m_ui->kickButton, &QPushButton::clicked, this, &SessionsTab::kickSelected);
    connect(m_ui->banButton, &QPushButton::clicked, this, &SessionsTab::banSelected);
    connect(m_ui->sessionsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &SessionsTab::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &SessionsTab::updateButtons);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &SessionsTab::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &SessionsTab::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &SessionsTab::updateButtons);
    updateButtons();
    updateCount();
}

SessionsTab::~SessionsTab() = default;

bool SessionsTab::selectUser(const QString &user)
{
    const int row = m_model->rowOfUser(user);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_ui->sessionsView->selectRow(index.row());
    m_ui->sessionsView->scrollTo(index);
    return true;
}

SessionsTab::Selected SessionsTab::selected() const
{
    const QModelIndexList rows = m_ui->sessionsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return {rows.first().data(SessionsModel::UserNameRole).toString(), rows.first().data(SessionsModel::AddressRole).toString()};
}

void SessionsTab::updateButtons()
{
    const Selected s = selected();
    m_ui->kickButton->setEnabled(!s.user.isEmpty());
    m_ui->banButton->setEnabled(!s.address.isEmpty());
}

void SessionsTab::updateCount()
{
    m_ui->sessionsCountLabel->setText(tr("Connections: %1").arg(m_model->rowCount()));
}

void SessionsTab::kickSelected()
{
    const QString user = selected().user;
    if (user.isEmpty())
        return;
    auto *dialog = new AdminKickDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Disconnect %1").arg(user));
    dialog->setPrompt(tr("End the session of %1. They can log in again at once; use Ban to keep them out.").arg(user));
    dialog->setConfirmText(tr("Disconnect"));
    connect(dialog, &QDialog::accepted, this, [this, dialog, user] {
        QString error;
        if (!m_server || !m_server->disconnectUser(user, dialog->reason(), &error))
            emit statusMessage(tr("Could not disconnect %1: %2").arg(user, error));
        else
            emit statusMessage(tr("Disconnected %1.").arg(user));
    });
    dialog->open();
}

void SessionsTab::banSelected()
{
    const Selected s = selected();
    if (s.address.isEmpty())
        return;
    auto *dialog = new AdminBanDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Ban %1").arg(s.user.isEmpty() ? s.address : s.user));
    dialog->setSubject(s.user, s.address);
    connect(dialog, &QDialog::accepted, this, [this, dialog, s] {
        if (!m_server)
            return;
        QString error;
        const bool account = dialog->target() == AdminBanDialog::Target::Account;
        const QString who = account ? s.user : s.address;
        const bool ok = account ? m_server->banAccount(s.user, dialog->durationMs(), dialog->reason(), &error)
                                : m_server->banAddress(QHostAddress(s.address), dialog->durationMs(), dialog->reason(), &error);
        emit statusMessage(ok ? tr("Banned %1; see the Limits tab to lift it.").arg(who)
                              : tr("Could not ban %1: %2").arg(who, error));
    });
    dialog->open();
}

} // namespace Confab
