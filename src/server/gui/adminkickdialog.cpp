#include "adminkickdialog.h"
#include "ui_adminkickdialog.h"

#include "adminformat.h"
#include "protocol.h"

#include <QPushButton>

namespace Confab {

AdminKickDialog::AdminKickDialog(QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::AdminKickDialog>())
{
    m_ui->setupUi(this);
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_ui->reasonEdit->setFocus();
}

AdminKickDialog::~AdminKickDialog() = default;

void AdminKickDialog::setPrompt(const QString &text)
{
    m_ui->promptLabel->setText(text);
}

void AdminKickDialog::setConfirmText(const QString &text)
{
    m_ui->buttonBox->button(QDialogButtonBox::Ok)->setText(text);
}

QString AdminKickDialog::reason() const
{
    return AdminFormat::clipUtf8(m_ui->reasonEdit->text().trimmed(), Limits::MaxReasonBytes);
}

} // namespace Confab
