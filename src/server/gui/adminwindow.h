// The server's admin window: tabs that observe and command a running ChatServer — the very same
// core that runs under --headless. It owns no socket and parses no frame.
//
// Closing the window asks whether to stop the server (every client gets the ServerShutdown notice,
// then the program quits once the server has stopped) or keep it running in the background (the
// window hides; with a system tray the tray icon brings it back, otherwise SIGINT/SIGTERM stop it).
#pragma once

#include <QMainWindow>
#include <QPointer>

#include <memory>

QT_BEGIN_NAMESPACE
class QLabel;
class QMessageBox;
class QSystemTrayIcon;
QT_END_NAMESPACE

namespace Ui {
class AdminWindow;
}

namespace Confab {

class AccountsTab;
class AnnounceTab;
class ChatServer;
class LimitsTab;
class OverviewTab;
class RoomsTab;
class SessionsTab;
class TrafficTab;

class AdminWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum Tab { OverviewPage, AccountsPage, SessionsPage, RoomsPage, TrafficPage, LimitsPage, AnnouncePage };

    explicit AdminWindow(ChatServer *server, QWidget *parent = nullptr);
    ~AdminWindow() override;

    void showTab(Tab tab);
    OverviewTab *overviewTab() const { return m_overview; }
    AccountsTab *accountsTab() const { return m_accounts; }
    SessionsTab *sessionsTab() const { return m_sessions; }
    RoomsTab *roomsTab() const { return m_rooms; }
    TrafficTab *trafficTab() const { return m_traffic; }
    LimitsTab *limitsTab() const { return m_limits; }
    AnnounceTab *announceTab() const { return m_announce; }

    // Shuts the server down: every client is told, then ChatServer::stopped follows.
    void stopServer();
    // Hides the window; the server carries on.
    void keepRunningInBackground();
    bool isServerStopping() const { return m_stopping; }

signals:
    void keptRunningInBackground();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void askOnClose();
    void confirmStop();
    void toggleListening();
    void updateStatus();
    void showStatusMessage(const QString &text);
    void onServerStopped();

    std::unique_ptr<Ui::AdminWindow> m_ui;
    QPointer<ChatServer> m_server;
    OverviewTab *m_overview = nullptr;
    AccountsTab *m_accounts = nullptr;
    SessionsTab *m_sessions = nullptr;
    RoomsTab *m_rooms = nullptr;
    TrafficTab *m_traffic = nullptr;
    LimitsTab *m_limits = nullptr;
    AnnounceTab *m_announce = nullptr;
    QLabel *m_statusLabel = nullptr;
    QSystemTrayIcon *m_tray = nullptr;
    QPointer<QMessageBox> m_closeQuestion;
    bool m_stopping = false;
    bool m_stopped = false;
};

} // namespace Confab
