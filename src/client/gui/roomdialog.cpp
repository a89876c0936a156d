#include "roomdialog.h"
#include "ui_clientroomdialog.h"

#include "clientsession.h"
#include "protocol.h"
#include "nameproblems.h"

#include <QPushButton>

namespace Confab {

RoomDialog::RoomDialog(Mode mode, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::RoomDialog>())
    , m_mode(mode)
{
    m_ui->setupUi(this);
    QPalette errorPalette = m_ui->roomDialogErrorLabel->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xc6, 0x28, 0x28));
    m_ui->roomDialogErrorLabel->setPalette(errorPalette);
    if (mode == Mode::Create) {
        m_ui->roomButtonBox->button(QDialogButtonBox::Ok)->setText(tr("&Create"));
    } else {
        setWindowTitle(tr("Set Topic"));
        m_ui->roomIntroLabel->setText(tr("Everyone in the room sees the new topic. Leave it empty to clear it."));
        m_ui->roomNameEdit->setReadOnly(true);
        m_ui->roomButtonBox->button(QDialogButtonBox::Ok)->setText(tr("&Set Topic"));
        m_ui->topicEdit->setPlaceholderText(QString());
        m_ui->topicEdit->setFocus();
    }
    connect(m_ui->roomNameEdit, &QLineEdit::textChanged, this, &RoomDialog::validate);
    connect(m_ui->topicEdit, &QLineEdit::textChanged, this, &RoomDialog::validate);
    connect(m_ui->roomButtonBox, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->roomButtonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    validate();
}

RoomDialog::~RoomDialog() = default;

void RoomDialog::setRoomName(const QString &name)
{
    m_ui->roomNameEdit->setText(name);
}

QString RoomDialog::roomName() const
{
    return ClientSession::roomName(m_ui->roomNameEdit->text());
}

void RoomDialog::setTopic(const QString &topic)
{
    m_ui->topicEdit->setText(topic);
}

QString RoomDialog::topic() const
{
    return m_ui->topicEdit->text().trimmed();
}

void RoomDialog::validate()
{
    QString problem;
    const QString name = roomName();
    if (m_mode == Mode::Create && !name.isEmpty()) {
        const QString why = nameProblem(name, NameKind::Room);
        if (!why.isEmpty())
            problem = tr("“%1” cannot be a room name: %2").arg(name, why);
    }
    if (problem.isEmpty() && topic().toUtf8().size() > Limits::MaxTopicBytes)
        problem = tr("The topic is too long (at most %1 bytes).").arg(Limits::MaxTopicBytes);
    m_ui->roomDialogErrorLabel->setText(problem);
    m_ui->roomDialogErrorLabel->setVisible(!problem.isEmpty());
    m_ui->roomButtonBox->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty() && !name.isEmpty());
}

} // namespace Confab
