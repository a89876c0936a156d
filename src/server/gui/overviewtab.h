// The server at a glance: where it listens (per transport) with a start/stop-listening button,
// whether TCP and UDP are encrypted (the certificate, with a Reload button), uptime, who is
// online, a live chart of messages per second and the totals since start.
// Reads ChatServer::stats() once a second; the certificate follows the server's TLS signals.
#pragma once

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <memory>

namespace Ui {
class OverviewTab;
}

namespace Confab {

class ChatServer;
class RateChart;

class OverviewTab : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewTab(ChatServer *server, QWidget *parent = nullptr);
    ~OverviewTab() override;

    RateChart *rateChart() const;
    // Reads the server's figures now and adds a point to the chart (the timer calls this each second).
    void sample();

signals:
    void statusMessage(const QString &text);

private:
    void updateListening();
    void toggleListening();
    void updateEncryption();
    void reloadCertificate();
    void onCertificateChanged(const QString &fingerprint);
    void onCertificateReloadFailed(const QString &reason);

    std::unique_ptr<Ui::OverviewTab> m_ui;
    QPointer<ChatServer> m_server;
    QTimer m_tick;
    QElapsedTimer m_sinceLastSample;
    quint64 m_lastRelayed = 0;
    QString m_shownFingerprint; // of the certificate the labels describe
};

} // namespace Confab
