// The program's flow: the login dialog, then the chat window; logging out returns to the login
// dialog, quitting says goodbye to the server before the program ends.
#pragma once

#include "logindialog.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace Confab {

class ClientSession;
class MainWindow;

class ClientApp : public QObject
{
    Q_OBJECT
public:
    explicit ClientApp(QObject *parent = nullptr);
    ~ClientApp() override;

    // Prefills the login dialog (from the command line).
    void setLoginDefaults(const QString &host, quint16 port, const QString &user);
    void start();

    ClientSession *session() const { return m_session.get(); }
    LoginDialog *loginDialog() const { return m_login.get(); }
    MainWindow *mainWindow() const { return m_window.get(); }

signals:
    // The program should end with this exit code.
    void finished(int exitCode);

private:
    void onLoggedIn(const LoginDetails &details);
    void logOut();
    void shutDown();

    std::unique_ptr<ClientSession> m_session;
    std::unique_ptr<LoginDialog> m_login;
    std::unique_ptr<MainWindow> m_window;
    QTimer m_goodbyeTimer;
    bool m_quitting = false;
};

} // namespace Confab
