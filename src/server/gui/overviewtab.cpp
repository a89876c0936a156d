#include "overviewtab.h"
#include "ui_overviewtab.h"

#include "adminformat.h"
#include "chatserver.h"
#include "ratechart.h"

#include <QDir>

namespace Confab {

OverviewTab::OverviewTab(ChatServer *server, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::OverviewTab>())
    , m_server(server)
{
    m_ui->setupUi(this);
    m_ui->serverNameLabel->setText(server->config().serverName);
    m_ui->dataDirLabel->setText(QDir::toNativeSeparators(server->config().dataDir));
    m_ui->dataDirLabel->setToolTip(tr("The database (confab.sqlite) lives in this folder."));
    connect(server, &ChatServer::listeningChanged, this, &OverviewTab::updateListening);
    connect(m_ui->listeningButton, &QPushButton::clicked, this, &OverviewTab::toggleListening);
    connect(&m_tick, &QTimer::timeout, this, &OverviewTab::sample);
    m_lastRelayed = server->stats().messagesRelayed;
    m_sinceLastSample.start();
    m_tick.start(1000);
    updateListening();
    sample();
}

OverviewTab::~OverviewTab() = default;

RateChart *OverviewTab::rateChart() const
{
    return m_ui->rateChart;
}

void OverviewTab::updateListening()
{
    if (!m_server)
        return;
    QStringList lines;
    const QList<ListenerInfo> listeners = m_server->listeners();
    for (const ListenerInfo &l : listeners) {
        const QString where = AdminFormat::endpoint(l.address, l.port);
        lines.append(l.listening ? tr("%1 %2").arg(l.transport.toUpper(), where)
                                 : tr("%1 %2 — not accepting connections").arg(l.transport.toUpper(), where));
    }
    m_ui->listenersLabel->setText(lines.isEmpty() ? tr("not started") : lines.join(QLatin1Char('\n')));
    const bool listening = m_server->isListening();
    m_ui->listeningButton->setText(listening ? tr("Stop listening") : tr("Start listening"));
    m_ui->listeningButton->setEnabled(!listeners.isEmpty());
}

void OverviewTab::toggleListening()
{
    if (!m_server)
        return;
    QString error;
    const bool listen = !m_server->isListening();
    if (!m_server->setListening(listen, &error))
        emit statusMessage(tr("Could not start listening: %1").arg(error));
    else
        emit statusMessage(listen ? tr("Accepting new connections again.")
                                  : tr("Not accepting new connections; sessions already in carry on."));
    updateListening();
}

void OverviewTab::sample()
{
    if (!m_server)
        return;
    const ServerStats s = m_server->stats();
    const qint64 elapsedMs = qMax<qint64>(1, m_sinceLastSample.restart());
    const double rate = s.messagesRelayed >= m_lastRelayed ? double(s.messagesRelayed - m_lastRelayed) * 1000.0 / double(elapsedMs) : 0.0;
    m_lastRelayed = s.messagesRelayed;
    m_ui->rateChart->addSample(rate);

    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_ui->startedLabel->setText(AdminFormat::when(s.startedAt));
    m_ui->startedLabel->setToolTip(AdminFormat::fullWhen(s.startedAt));
    m_ui->uptimeLabel->setText(s.startedAt.isValid() ? AdminFormat::duration(s.startedAt.msecsTo(now)) : QStringLiteral("—"));
    m_ui->onlineLabel->setText(AdminFormat::number(quint64(s.online)));
    m_ui->connectionsLabel->setText(tr("%1 (%2 not logged in)").arg(AdminFormat::number(quint64(s.sessions)),
                                                                  AdminFormat::number(quint64(qMax(0, s.sessions - s.online)))));
    m_ui->rateLabel->setText(tr("%1 (peak %2 in the last minute)")
                                 .arg(rate, 0, 'f', 1)
                                 .arg(m_ui->rateChart->peak(), 0, 'f', 1));
    m_ui->accountsLabel->setText(AdminFormat::number(quint64(s.accounts)));
    m_ui->roomsLabel->setText(AdminFormat::number(quint64(s.rooms)));
    m_ui->messagesLabel->setText(AdminFormat::number(s.messagesRelayed));
    m_ui->deliveriesLabel->setText(AdminFormat::number(s.deliveries));
    m_ui->framesLabel->setText(tr("%1 / %2").arg(AdminFormat::number(s.framesIn), AdminFormat::number(s.framesOut)));
    m_ui->bytesLabel->setText(tr("%1 / %2").arg(AdminFormat::bytes(s.bytesIn), AdminFormat::bytes(s.bytesOut)));
    updateListening();
}

} // namespace Confab
