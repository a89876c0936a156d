#include "adminwindow.h"
#include "ui_adminwindow.h"

#include "accountstab.h"
#include "adminconfirm.h"
#include "adminformat.h"
#include "announcetab.h"
#include "chatserver.h"
#include "limitstab.h"
#include "overviewtab.h"
#include "roomstab.h"
#include "sessionstab.h"
#include "traffictab.h"

#include <QCloseEvent>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSystemTrayIcon>

// Resources of a static library must be registered by name, outside any namespace.
static void initServerResources()
{
    Q_INIT_RESOURCE(confab_server);
}

namespace Confab {

AdminWindow::AdminWindow(ChatServer *server, QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::AdminWindow>())
    , m_server(server)
{
    initServerResources();
    m_ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/confab-server.svg")));
    setWindowTitle(tr("%1 — Confab server").arg(server->config().serverName));

    m_overview = new OverviewTab(server, this);
    m_accounts = new AccountsTab(server, this);
    m_sessions = new SessionsTab(server, this);
    m_rooms = new RoomsTab(server, this);
    m_traffic = new TrafficTab(server, this);
    m_limits = new LimitsTab(server, this);
    m_announce = new AnnounceTab(server, this);
    m_ui->tabs->addTab(m_overview, tr("&Overview"));
    m_ui->tabs->addTab(m_accounts, tr("&Registrations"));
    m_ui->tabs->addTab(m_sessions, tr("S&essions"));
    m_ui->tabs->addTab(m_rooms, tr("R&ooms"));
    m_ui->tabs->addTab(m_traffic, tr("&Traffic"));
    m_ui->tabs->addTab(m_limits, tr("&Limits"));
    m_ui->tabs->addTab(m_announce, tr("&Announce"));
    // Every tab reports the outcome of an action in the status bar.
    connect(m_overview, &OverviewTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_accounts, &AccountsTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_sessions, &SessionsTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_rooms, &RoomsTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_traffic, &TrafficTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_limits, &LimitsTab::statusMessage, this, &AdminWindow::showStatusMessage);
    connect(m_announce, &AnnounceTab::statusMessage, this, &AdminWindow::showStatusMessage);

    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(QStringLiteral("serverStatusLabel"));
    statusBar()->addPermanentWidget(m_statusLabel);

    connect(m_ui->actionToggleListening, &QAction::triggered, this, &AdminWindow::toggleListening);
    connect(m_ui->actionStopServer, &QAction::triggered, this, &AdminWindow::confirmStop);
    connect(m_ui->actionCloseWindow, &QAction::triggered, this, &QWidget::close);
    connect(server, &ChatServer::listeningChanged, this, &AdminWindow::updateStatus);
    connect(server, &ChatServer::userLoggedIn, this, &AdminWindow::updateStatus);
    connect(server, &ChatServer::userLoggedOut, this, &AdminWindow::updateStatus);
    connect(server, &ChatServer::stopped, this, &AdminWindow::onServerStopped);
    updateStatus();
}

AdminWindow::~AdminWindow() = default;

void AdminWindow::showTab(Tab tab)
{
    m_ui->tabs->setCurrentIndex(int(tab));
}

void AdminWindow::showStatusMessage(const QString &text)
{
    statusBar()->showMessage(text, 10000);
}

void AdminWindow::updateStatus()
{
    if (!m_server)
        return;
    if (m_stopped) {
        m_statusLabel->setText(tr("Stopped"));
        return;
    }
    if (m_stopping) {
        m_statusLabel->setText(tr("Stopping…"));
        return;
    }
    QStringList where;
    const QList<ListenerInfo> listeners = m_server->listeners();
    for (const ListenerInfo &l : listeners) {
        if (l.listening)
            where.append(tr("%1 %2").arg(l.transport.toUpper(), AdminFormat::endpoint(l.address, l.port)));
    }
    const int online = int(m_server->onlineUsers().size());
    const QString listening = where.isEmpty() ? tr("Not accepting new connections") : tr("Listening on %1").arg(where.join(QStringLiteral(", ")));
    m_statusLabel->setText(tr("%1 · users online: %2").arg(listening).arg(online));
    m_ui->actionToggleListening->setText(m_server->isListening() ? tr("Stop &listening") : tr("Start &listening"));
}

void AdminWindow::toggleListening()
{
    if (!m_server)
        return;
    QString error;
    const bool listen = !m_server->isListening();
    if (!m_server->setListening(listen, &error))
        showStatusMessage(tr("Could not start listening: %1").arg(error));
    updateStatus();
}

void AdminWindow::stopServer()
{
    if (m_stopping || !m_server)
        return;
    m_stopping = true;
    m_ui->tabs->setEnabled(false);
    m_ui->actionToggleListening->setEnabled(false);
    m_ui->actionStopServer->setEnabled(false);
    updateStatus();
    showStatusMessage(tr("Telling every user the server is shutting down…"));
    m_server->shutdown(tr("the server was stopped by its administrator"));
}

void AdminWindow::onServerStopped()
{
    m_stopping = true;
    m_stopped = true;
    if (m_tray)
        m_tray->hide();
    updateStatus();
    close();
}

void AdminWindow::confirmStop()
{
    if (m_stopping)
        return;
    askToConfirm(this, QStringLiteral("confirmStopServer"), tr("Stop server"),
                 tr("Stop the server? Every connected user is told that the server is shutting down, all "
                    "connections close and the program quits."),
                 tr("Stop server"), [this] { stopServer(); });
}

void AdminWindow::keepRunningInBackground()
{
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        if (!m_tray) {
            m_tray = new QSystemTrayIcon(windowIcon(), this);
            m_tray->setToolTip(windowTitle());
            auto *menu = new QMenu(this);
            menu->addAction(tr("Show server window"), this, [this] {
                showNormal();
                raise();
                activateWindow();
            });
            menu->addAction(tr("Stop server"), this, &AdminWindow::stopServer);
            m_tray->setContextMenu(menu);
            connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick) {
                    showNormal();
                    raise();
                    activateWindow();
                }
            });
        }
        m_tray->show();
    }
    hide();
    emit keptRunningInBackground();
}

void AdminWindow::askOnClose()
{
    if (m_closeQuestion) {
        m_closeQuestion->raise();
        return;
    }
    const bool tray = QSystemTrayIcon::isSystemTrayAvailable();
    const QString background = tray
        ? tr("Kept running, the server goes on serving without this window; its icon in the system tray brings the window back.")
        : tr("Kept running, the server goes on serving without this window; stop it later with Ctrl+C in its terminal "
             "or with \"kill %1\".").arg(QCoreApplication::applicationPid());
    auto *box = new QMessageBox(QMessageBox::Question, tr("Close the server window"),
                                tr("Stop the server, or keep it running in the background?"), QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("closeQuestion"));
    box->setInformativeText(tr("Stopping tells every connected user that the server is shutting down and closes all "
                               "connections.") + QStringLiteral("\n\n") + background);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    QPushButton *stop = box->addButton(tr("Stop server"), QMessageBox::DestructiveRole);
    stop->setObjectName(QStringLiteral("stopServerButton"));
    QPushButton *keep = box->addButton(tr("Keep running in background"), QMessageBox::AcceptRole);
    keep->setObjectName(QStringLiteral("keepRunningButton"));
    QPushButton *cancel = box->addButton(QMessageBox::Cancel);
    cancel->setObjectName(QStringLiteral("cancelButton"));
    box->setDefaultButton(cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, stop, keep](QAbstractButton *clicked) {
        if (clicked == stop)
            stopServer();
        else if (clicked == keep)
            keepRunningInBackground();
    });
    m_closeQuestion = box;
    box->open();
}

void AdminWindow::closeEvent(QCloseEvent *event)
{
    // Once the server is stopping there is nothing left to ask; QCoreApplication::quit() (on
    // ChatServer::stopped) also closes every window and must not be refused.
    if (m_stopping || m_stopped || !m_server) {
        event->accept();
        return;
    }
    event->ignore();
    askOnClose();
}

} // namespace Confab
