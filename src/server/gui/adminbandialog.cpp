#include "adminbandialog.h"
#include "ui_adminbandialog.h"

#include "adminformat.h"
#include "protocol.h"

#include <QPushButton>

namespace Confab {

AdminBanDialog::AdminBanDialog(QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::AdminBanDialog>())
{
    m_ui->setupUi(this);
    constexpr qint64 minute = 60 * 1000;
    m_ui->durationCombo->addItem(tr("10 minutes"), 10 * minute);
    m_ui->durationCombo->addItem(tr("1 hour"), 60 * minute);
    m_ui->durationCombo->addItem(tr("1 day"), 24 * 60 * minute);
    m_ui->durationCombo->addItem(tr("1 week"), 7 * 24 * 60 * minute);
    m_ui->durationCombo->addItem(tr("30 days"), 30 * 24 * 60 * minute);
    m_ui->durationCombo->addItem(tr("for good (until lifted)"), qint64(0));
    m_ui->durationCombo->setCurrentIndex(1);
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(tr("Ban"));
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

AdminBanDialog::~AdminBanDialog() = default;

void AdminBanDialog::setSubject(const QString &user, const QString &address)
{
    const bool hasUser = !user.isEmpty();
    m_ui->accountRadio->setEnabled(hasUser);
    m_ui->accountRadio->setText(hasUser ? tr("the &account %1").arg(user) : tr("the &account (not logged in)"));
    m_ui->addressRadio->setText(tr("the a&ddress %1 (every connection from it)").arg(address));
    if (hasUser)
        m_ui->accountRadio->setChecked(true);
    else
        m_ui->addressRadio->setChecked(true);
    m_ui->promptLabel->setText(hasUser ? tr("Keep %1 out of the server. Their session ends now.").arg(user)
                                       : tr("Keep %1 out of the server. Its connections end now.").arg(address));
}

AdminBanDialog::Target AdminBanDialog::target() const
{
    return m_ui->addressRadio->isChecked() ? Target::Address : Target::Account;
}

qint64 AdminBanDialog::durationMs() const
{
    return m_ui->durationCombo->currentData().toLongLong();
}

QString AdminBanDialog::reason() const
{
    return AdminFormat::clipUtf8(m_ui->reasonEdit->text().trimmed(), Limits::MaxReasonBytes);
}

} // namespace Confab
