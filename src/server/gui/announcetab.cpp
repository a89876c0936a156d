#include "announcetab.h"
#include "ui_announcetab.h"

#include "chatserver.h"

#include <QStringListModel>

namespace Confab {

AnnounceTab::AnnounceTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::AnnounceTab>())
    , m_server(server)
    , m_history(new QStringListModel(this))
{
    m_ui->setupUi(this);
    m_ui->announceHistoryView->setModel(m_history);
    connect(m_ui->announceEdit, &QPlainTextEdit::textChanged, this, &AnnounceTab::updateButton);
    connect(m_ui->announceButton, &QPushButton::clicked, this, &AnnounceTab::send);
    updateButton();
}

AnnounceTab::~AnnounceTab() = default;

void AnnounceTab::updateButton()
{
    const QString text = m_ui->announceEdit->toPlainText().trimmed();
    const qsizetype bytes = text.toUtf8().size();
    const bool tooLong = bytes > Limits::MaxTextBytes;
    m_ui->announceButton->setEnabled(!text.isEmpty() && !tooLong);
    if (tooLong)
        m_ui->announceStatusLabel->setText(tr("%1 bytes: a notice may have at most %2.").arg(bytes).arg(Limits::MaxTextBytes));
    else if (m_lengthWarning)
        m_ui->announceStatusLabel->clear();
    m_lengthWarning = tooLong;
}

void AnnounceTab::send()
{
    const QString text = m_ui->announceEdit->toPlainText().trimmed();
    if (text.isEmpty() || !m_server)
        return;
    const int recipients = int(m_server->onlineUsers().size());
    m_server->announce(text);
    const QString when = QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss"));
    m_ui->announceStatusLabel->setText(tr("Sent at %1 to everyone online (%2).").arg(when).arg(recipients));
    m_history->insertRows(0, 1);
    m_history->setData(m_history->index(0), tr("%1 — to %2 online — %3").arg(when).arg(recipients).arg(text));
    m_ui->announceEdit->clear();
    emit statusMessage(tr("Announcement sent to %1 online.").arg(recipients));
}

} // namespace Confab
