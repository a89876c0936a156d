#include "overviewtab.h"
#include "ui_overviewtab.h"

#include "adminformat.h"
#include "chatserver.h"
#include "ratechart.h"

#include <QDir>
#include <QLabel>
#include <QPalette>
#include <QTime>

namespace Confab {

namespace {

// A label that says something is unsafe: bold, in a warning colour. The "warning" property lets
// tests and style sheets see it.
void setWarningLook(QLabel *label, bool warning)
{
    label->setProperty("warning", warning);
    QFont font = label->font();
    font.setBold(warning);
    label->setFont(font);
    QPalette palette;
    if (warning)
        palette.setColor(QPalette::WindowText, QColor(0xb0, 0x1e, 0x1e));
    label->setPalette(palette);
}

QString commonName(const QSslCertificate &certificate)
{
    const QString name = certificate.subjectInfo(QSslCertificate::CommonName).join(QStringLiteral(", "));
    return name.isEmpty() ? certificate.subjectDisplayName() : name;
}

} // namespace

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
    // Reloads come from the button or from SIGHUP: the labels follow the server's signals either way.
    connect(server, &ChatServer::tlsCertificateChanged, this, &OverviewTab::onCertificateChanged);
    connect(server, &ChatServer::tlsCertificateReloadFailed, this, &OverviewTab::onCertificateReloadFailed);
    connect(m_ui->reloadCertificateButton, &QPushButton::clicked, this, &OverviewTab::reloadCertificate);
    connect(&m_tick, &QTimer::timeout, this, &OverviewTab::sample);
    m_lastRelayed = server->stats().messagesRelayed;
    m_sinceLastSample.start();
    m_tick.start(1000);
    updateListening();
    updateEncryption();
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

void OverviewTab::updateEncryption()
{
    if (!m_server)
        return;
    const ServerConfig &config = m_server->config();
    const bool tls = m_server->isTlsEnabled();
    m_shownFingerprint = m_server->tlsFingerprint();
    bool warning = false;
    if (tls) {
        const QSslCertificate certificate = m_server->tlsCertificate();
        const QDateTime expiry = certificate.expiryDate();
        const bool expired = expiry.isValid() && expiry < QDateTime::currentDateTimeUtc();
        const QString date = expiry.toLocalTime().toString(QStringLiteral("yyyy-MM-dd"));
        // The fingerprint on a line of its own: 95 characters that cannot wrap.
        m_ui->tlsLabel->setText((expired ? tr("TLS on — certificate %1, EXPIRED on %2\nSHA-256 %3")
                                         : tr("TLS on — certificate %1, valid until %2\nSHA-256 %3"))
                                    .arg(commonName(certificate), date, m_shownFingerprint));
        m_ui->tlsLabel->setToolTip(tr("Clients show this fingerprint the first time they connect: give it to your users "
                                      "so they can check it.\nCertificate: %1\nKey: %2")
                                       .arg(QDir::toNativeSeparators(config.tlsCertificateFile),
                                            QDir::toNativeSeparators(config.tlsKeyFile)));
        warning = expired;
    } else if (config.serveTcp) {
        m_ui->tlsLabel->setText(tr("TLS off: passwords and messages cross the network in clear"));
        m_ui->tlsLabel->setToolTip(tr("Start the server with --tls-cert and --tls-key (scripts/make-cert.sh makes a pair)."));
        // Only loopback keeps the traffic on this machine.
        warning = !config.host.isLoopback();
    } else {
        m_ui->tlsLabel->setText(tr("TCP is not served"));
        m_ui->tlsLabel->setToolTip(QString());
    }
    setWarningLook(m_ui->tlsLabel, warning);

    if (!config.serveUdp)
        m_ui->udpSecurityLabel->setText(tr("UDP is not served"));
    else if (tls)
        m_ui->udpSecurityLabel->setText(tr("DTLS on: UDP sessions are encrypted with the same certificate"));
    else
        m_ui->udpSecurityLabel->setText(tr("UDP is not encrypted"));
    setWarningLook(m_ui->udpSecurityLabel, config.serveUdp && !tls && !config.host.isLoopback());

    m_ui->reloadCertificateButton->setEnabled(tls);
    m_ui->reloadCertificateButton->setToolTip(tls ? tr("Read the certificate and key files again (as SIGHUP does). New "
                                                       "connections get the new certificate; open sessions keep theirs.")
                                                  : tr("TLS is off: there is no certificate to reload."));
}

void OverviewTab::reloadCertificate()
{
    // Reads two small local files; the outcome arrives through the server's signals.
    if (m_server)
        m_server->reloadCertificate();
}

void OverviewTab::onCertificateChanged(const QString &fingerprint)
{
    const bool same = fingerprint == m_shownFingerprint;
    updateEncryption();
    const QString time = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
    const QString text = same ? tr("Reloaded at %1: the same certificate as before.").arg(time)
                              : tr("Reloaded at %1: new connections get the new certificate; open sessions keep theirs.").arg(time);
    m_ui->reloadResultLabel->setText(text);
    setWarningLook(m_ui->reloadResultLabel, false);
    emit statusMessage(same ? tr("TLS certificate reloaded; it is unchanged.")
                            : tr("TLS certificate reloaded; new fingerprint %1").arg(fingerprint));
}

void OverviewTab::onCertificateReloadFailed(const QString &reason)
{
    const QString time = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
    m_ui->reloadResultLabel->setText(tr("Reload failed at %1: %2. The certificate shown stays in use.").arg(time, reason));
    setWarningLook(m_ui->reloadResultLabel, true);
    emit statusMessage(tr("TLS certificate not reloaded: %1").arg(reason));
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
