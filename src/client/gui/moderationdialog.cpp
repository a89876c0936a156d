#include "moderationdialog.h"
#include "ui_clientmoderationdialog.h"

#include <QPushButton>

namespace Confab {

ModerationDialog::ModerationDialog(Action action, const QString &room, const QString &user, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::ModerationDialog>())
    , m_action(action)
    , m_room(room)
    , m_user(user)
{
    m_ui->setupUi(this);
    QPushButton *ok = m_ui->moderationButtonBox->button(QDialogButtonBox::Ok);
    if (action == Action::Kick) {
        setWindowTitle(tr("Remove %1 from #%2").arg(user, room));
        m_ui->moderationQuestionLabel->setText(
            tr("Remove %1 from #%2? They can join again at once; ban them to keep them out.").arg(user, room));
        ok->setText(tr("&Remove"));
    } else {
        setWindowTitle(tr("Ban %1 from #%2").arg(user, room));
        m_ui->moderationQuestionLabel->setText(
            tr("Ban %1 from #%2? They are removed if they are in it, and cannot join until you lift the ban (/unban %1).")
                .arg(user, room));
        ok->setText(tr("&Ban"));
    }
    connect(m_ui->moderationButtonBox, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->moderationButtonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

ModerationDialog::~ModerationDialog() = default;

QString ModerationDialog::reason() const
{
    return m_ui->reasonEdit->text().trimmed();
}

} // namespace Confab
