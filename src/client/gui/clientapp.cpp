#include "clientapp.h"

#include "clientsession.h"
#include "mainwindow.h"
#include "reconnector.h"

#include <QCoreApplication>

namespace Confab {

namespace {
constexpr int GoodbyeTimeoutMs = 2000; // how long quitting waits for the server to see the Quit
}

ClientApp::ClientApp(QObject *parent)
    : QObject(parent)
    , m_session(std::make_unique<ClientSession>())
{
    m_session->setAgent(QStringLiteral("confab/%1").arg(QCoreApplication::applicationVersion()));
    m_login = std::make_unique<LoginDialog>(m_session.get());
    m_login->setObjectName(QStringLiteral("loginDialog"));
    connect(m_login.get(), &LoginDialog::loggedIn, this, &ClientApp::onLoggedIn);
    connect(m_login.get(), &QDialog::rejected, this, &ClientApp::shutDown);

    m_goodbyeTimer.setSingleShot(true);
    m_goodbyeTimer.setInterval(GoodbyeTimeoutMs);
    connect(&m_goodbyeTimer, &QTimer::timeout, this, [this] { emit finished(0); });
    connect(m_session.get(), &ClientSession::stateChanged, this, [this](ClientSession::State state) {
        if (m_quitting && state == ClientSession::State::Disconnected) {
            m_goodbyeTimer.stop();
            emit finished(0);
        }
    });
}

ClientApp::~ClientApp()
{
    m_window.reset(); // observes the session
}

void ClientApp::setLoginDefaults(const QString &host, quint16 port, const QString &user)
{
    m_login->setServer(host, port);
    m_login->setUserName(user);
}

void ClientApp::start()
{
    m_login->show();
    m_login->raise();
    m_login->activateWindow();
}

void ClientApp::onLoggedIn(const LoginDetails &details)
{
    if (!m_window) {
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->setObjectName(QStringLiteral("mainWindow"));
        connect(m_window.get(), &MainWindow::logoutRequested, this, &ClientApp::logOut);
        connect(m_window.get(), &MainWindow::quitRequested, this, &ClientApp::shutDown);
    }
    m_window->setCredentials(details.host, details.port, details.user, details.password);
    m_window->show();
    m_window->raise();
    m_window->activateWindow();
}

void ClientApp::logOut()
{
    if (!m_window)
        return;
    m_window->reconnector()->stop();
    m_window->reconnector()->forgetCredentials();
    m_session->quit();
    // A new login starts a fresh window: this session's conversations end with it.
    m_window->hide();
    m_window.release()->deleteLater();
    m_login->showMessage(tr("You logged out."));
    start();
}

void ClientApp::shutDown()
{
    if (m_quitting)
        return;
    m_quitting = true;
    if (m_window) {
        m_window->reconnector()->stop();
        m_window->hide();
    }
    m_login->hide();
    if (m_session->state() == ClientSession::State::Disconnected) {
        emit finished(0);
        return;
    }
    m_session->quit();
    m_goodbyeTimer.start();
}

} // namespace Confab
