#include "directchatdialog.h"
#include "ui_clientdirectchatdialog.h"

#include <QPushButton>
#include <QSettings>

namespace Confab {

namespace {
const QString HostKey = QStringLiteral("directChat/host");
const QString PortKey = QStringLiteral("directChat/port");
const QString ListenKey = QStringLiteral("directChat/listenPort");
} // namespace

DirectChatDialog::DirectChatDialog(QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::DirectChatDialog>())
{
    m_ui->setupUi(this);
    QPalette errorPalette = m_ui->directErrorLabel->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xc6, 0x28, 0x28));
    m_ui->directErrorLabel->setPalette(errorPalette);
    m_ui->directButtonBox->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    m_ui->directButtonBox->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("directConnectButton"));

    const QSettings settings;
    m_ui->peerHostEdit->setText(settings.value(HostKey).toString());
    m_ui->peerPortSpin->setValue(settings.value(PortKey, m_ui->peerPortSpin->value()).toInt());
    m_ui->listenPortSpin->setValue(settings.value(ListenKey, m_ui->listenPortSpin->value()).toInt());

    connect(m_ui->peerHostEdit, &QLineEdit::textChanged, this, &DirectChatDialog::validate);
    connect(m_ui->peerPortSpin, &QSpinBox::valueChanged, this, &DirectChatDialog::validate);
    connect(m_ui->listenPortSpin, &QSpinBox::valueChanged, this, &DirectChatDialog::validate);
    connect(m_ui->directButtonBox, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->directButtonBox, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_ui->peerHostEdit->setFocus();
    validate();
}

DirectChatDialog::~DirectChatDialog() = default;

QString DirectChatDialog::peerHost() const
{
    return m_ui->peerHostEdit->text().trimmed();
}

quint16 DirectChatDialog::peerPort() const
{
    return quint16(m_ui->peerPortSpin->value());
}

quint16 DirectChatDialog::listenPort() const
{
    return quint16(m_ui->listenPortSpin->value());
}

void DirectChatDialog::accept()
{
    QSettings settings;
    settings.setValue(HostKey, peerHost());
    settings.setValue(PortKey, int(peerPort()));
    settings.setValue(ListenKey, int(listenPort()));
    QDialog::accept();
}

void DirectChatDialog::validate()
{
    QString problem;
    if (peerHost().contains(u' '))
        problem = tr("An address has no spaces.");
    m_ui->directErrorLabel->setText(problem);
    m_ui->directErrorLabel->setVisible(!problem.isEmpty());
    m_ui->directButtonBox->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty() && !peerHost().isEmpty());
}

} // namespace Confab
