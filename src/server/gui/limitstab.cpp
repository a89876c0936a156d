#include "limitstab.h"
#include "ui_limitstab.h"

#include "limitsmodel.h"
#include "tableviewsetup.h"

#include <QSortFilterProxyModel>

namespace Confab {

LimitsTab::LimitsTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::LimitsTab>())
    , m_model(new LimitsModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    m_model->addSource(new BanLimitSource(server));
    m_model->addSource(new RateLimitSource(server));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(LimitsModel::SortRole);
    m_ui->limitsView->setModel(m_proxy);
    m_ui->limitsView->sortByColumn(LimitsModel::SinceColumn, Qt::DescendingOrder);
    setUpAdminTable(m_ui->limitsView, LastColumn::Stretch);

    connect(m_ui->liftButton, &QPushButton::clicked, this, &LimitsTab::liftSelected);
    connect(m_ui->limitsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &LimitsTab::updateButtons);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &LimitsTab::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &LimitsTab::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &LimitsTab::updateButtons);
    updateButtons();
    updateCount();
}

LimitsTab::~LimitsTab() = default;

int LimitsTab::selectedRow() const
{
    const QModelIndexList rows = m_ui->limitsView->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : m_proxy->mapToSource(rows.first()).row();
}

bool LimitsTab::selectTarget(const QString &target)
{
    for (int row = 0; row < m_model->rowCount(); ++row) {
        if (m_model->entryAt(row).target.compare(target, Qt::CaseInsensitive) == 0) {
            m_ui->limitsView->selectRow(m_proxy->mapFromSource(m_model->index(row, 0)).row());
            return true;
        }
    }
    return false;
}

void LimitsTab::liftSelected()
{
    const int row = selectedRow();
    if (row < 0)
        return;
    const HeldBack entry = m_model->entryAt(row);
    QString error;
    if (m_model->lift(row, &error))
        emit statusMessage(tr("Lifted the block on %1.").arg(entry.target));
    else
        emit statusMessage(tr("Could not lift the block on %1: %2").arg(entry.target, error));
}

void LimitsTab::updateButtons()
{
    m_ui->liftButton->setEnabled(selectedRow() >= 0);
}

void LimitsTab::updateCount()
{
    m_ui->limitsCountLabel->setText(tr("Held back: %1").arg(m_model->rowCount()));
}

} // namespace Confab
