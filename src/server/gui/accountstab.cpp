#include "accountstab.h"
#include "ui_accountstab.h"

#include "accountsmodel.h"
#include "adminconfirm.h"
#include "chatserver.h"
#include "tableviewsetup.h"

#include <QSortFilterProxyModel>

namespace Confab {

AccountsTab::AccountsTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::AccountsTab>())
    , m_server(server)
    , m_model(new AccountsModel(server, this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(AccountsModel::SortRole);
    m_proxy->setFilterKeyColumn(AccountsModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_ui->accountsView->setModel(m_proxy);
    m_ui->accountsView->sortByColumn(AccountsModel::CreatedColumn, Qt::AscendingOrder);
    setUpAdminTable(m_ui->accountsView, LastColumn::Stretch);

    connect(m_ui->accountsFilterEdit, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_ui->deleteAccountButton, &QPushButton::clicked, this, &AccountsTab::deleteSelected);
    connect(m_ui->resetPasswordButton, &QPushButton::clicked, this, &AccountsTab::requireResetOfSelected);
    connect(m_ui->accountsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &AccountsTab::updateButtons);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &AccountsTab::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &AccountsTab::updateCount);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AccountsTab::updateCount);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &AccountsTab::updateCount);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &AccountsTab::updateButtons);
    updateButtons();
    updateCount();
}

AccountsTab::~AccountsTab() = default;

QString AccountsTab::selectedAccount() const
{
    const QModelIndexList rows = m_ui->accountsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(AccountsModel::NameRole).toString();
}

void AccountsTab::selectAccount(const QString &name)
{
    const int row = m_model->rowOf(name);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_ui->accountsView->selectRow(index.row());
    m_ui->accountsView->scrollTo(index);
}

void AccountsTab::updateButtons()
{
    const QString name = selectedAccount();
    m_ui->deleteAccountButton->setEnabled(!name.isEmpty());
    m_ui->resetPasswordButton->setEnabled(!name.isEmpty());
}

void AccountsTab::updateCount()
{
    m_ui->accountsCountLabel->setText(tr("Accounts: %1 · online: %2").arg(m_model->rowCount()).arg(m_model->onlineCount()));
}

void AccountsTab::deleteSelected()
{
    const QString name = selectedAccount();
    if (name.isEmpty())
        return;
    askToConfirm(this, QStringLiteral("confirmDeleteAccount"), tr("Delete account"),
                 tr("Delete the account %1? If online, they are disconnected; the rooms they own are closed. "
                    "The name becomes free to register again.").arg(name),
                 tr("Delete %1").arg(name), [this, name] {
                     QString error;
                     if (!m_server || !m_server->deleteAccount(name, &error))
                         emit statusMessage(tr("Could not delete %1: %2").arg(name, error));
                     else
                         emit statusMessage(tr("Deleted the account %1.").arg(name));
                 });
}

void AccountsTab::requireResetOfSelected()
{
    const QString name = selectedAccount();
    if (name.isEmpty())
        return;
    askToConfirm(this, QStringLiteral("confirmPasswordReset"), tr("Require a new password"),
                 tr("Make the next login of %1 set a new password? Whoever logs in next as %1 chooses it, "
                    "so tell the account's owner first.").arg(name),
                 tr("Require new password"), [this, name] {
                     QString error;
                     if (!m_server || !m_server->requirePasswordReset(name, &error))
                         emit statusMessage(tr("Could not require a new password for %1: %2").arg(name, error));
                     else
                         emit statusMessage(tr("The next login of %1 sets a new password.").arg(name));
                 });
}

} // namespace Confab
