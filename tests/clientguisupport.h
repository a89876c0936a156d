// Shared by the desktop client's GUI tests (tst_clientgui, tst_clientconnection): a real
// ChatServer on loopback, logged-in ClientSessions as the other users, and helpers that drive the
// windows as a user would (typing into the login dialog, double-clicking, pressing Enter).
#pragma once

#include "isolatedhome.h"
#include "testsupport.h"

#include "clientapp.h"
#include "clienticons.h"
#include "clientsession.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "messageinput.h"
#include "serverhistory.h"
#include "usermodel.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>

#include <memory>

namespace ConfabTest {

constexpr int LoginTimeoutMs = 30000;
constexpr int ReplyTimeoutMs = 5000;
inline const QString Password = QStringLiteral("correct horse");

template<typename T>
T *child(QObject *parent, const char *name)
{
    T *found = parent ? parent->findChild<T *>(QLatin1String(name)) : nullptr;
    if (!found)
        qWarning() << "no" << name << "in" << parent;
    return found;
}

// The row of a view showing `text` in `role`, or an invalid index.
inline QModelIndex findRow(QAbstractItemView *view, const QString &text, int role = Qt::DisplayRole)
{
    QAbstractItemModel *model = view->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, 0);
        if (index.data(role).toString() == text)
            return index;
    }
    return {};
}

inline void doubleClick(QAbstractItemView *view, const QModelIndex &index)
{
    view->scrollTo(index);
    const QPoint at = view->visualRect(index).center();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, at);
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, at);
}

inline void typeAndSend(Confab::MessageInput *input, const QString &text)
{
    input->setFocus();
    QTest::keyClicks(input, text);
    QTest::keyClick(input, Qt::Key_Return);
}

// Settings in a test location, the client's resources, a fresh server per test function.
struct ClientGuiFixture {
    std::unique_ptr<TestServer> server;

    static void initTestCase(const char *name)
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QCoreApplication::setOrganizationName(QStringLiteral("confab-tests"));
        QCoreApplication::setApplicationName(QLatin1String(name));
        confabInitClientResources();
    }

    bool init()
    {
        Confab::ServerHistory::clear();
        server = std::make_unique<TestServer>();
        return server->start();
    }

    void cleanup() { server.reset(); }

    quint16 port() const { return server->port(); }

    // A logged-in session for one of the other users.
    std::unique_ptr<Confab::ClientSession> peer(const QString &user) const
    {
        auto session = std::make_unique<Confab::ClientSession>();
        QSignalSpy ok(session.get(), &Confab::ClientSession::loggedIn);
        QSignalSpy list(session.get(), &Confab::ClientSession::userListReceived);
        session->connectToServer(QStringLiteral("127.0.0.1"), port(), user, Password);
        if (!ok.wait(LoginTimeoutMs) || (list.isEmpty() && !list.wait(ReplyTimeoutMs))) {
            qWarning() << "peer" << user << "could not log in";
            return nullptr;
        }
        return session;
    }

    // Fills the login dialog and presses Connect.
    static void submitLogin(Confab::LoginDialog *dialog, quint16 port, const QString &user,
                            const QString &password = Password)
    {
        child<QComboBox>(dialog, "serverCombo")->setEditText(QStringLiteral("127.0.0.1"));
        child<QSpinBox>(dialog, "portSpin")->setValue(port);
        QLineEdit *userEdit = child<QLineEdit>(dialog, "userEdit");
        userEdit->clear();
        QTest::keyClicks(userEdit, user);
        QLineEdit *passwordEdit = child<QLineEdit>(dialog, "passwordEdit");
        passwordEdit->clear();
        QTest::keyClicks(passwordEdit, password);
        QTest::mouseClick(child<QPushButton>(dialog, "connectButton"), Qt::LeftButton);
    }

    // Starts the client and logs in through its dialog; null (with a warning) when that fails.
    Confab::MainWindow *logInThroughDialog(Confab::ClientApp &app, const QString &user) const
    {
        app.start();
        if (!QTest::qWaitForWindowExposed(app.loginDialog()))
            return nullptr;
        submitLogin(app.loginDialog(), port(), user);
        if (!QTest::qWaitFor([&] { return app.mainWindow() && app.mainWindow()->isVisible(); }, LoginTimeoutMs)) {
            qWarning() << "no main window for" << user << "; the dialog says:" << app.loginDialog()->errorText();
            return nullptr;
        }
        Confab::MainWindow *window = app.mainWindow();
        // Settle: the user list arrives right after the login.
        (void)QTest::qWaitFor([&] { return window->userModel()->rowCount() > 0; }, ReplyTimeoutMs);
        return window;
    }

    static bool activate(QWidget *window)
    {
        window->show();
        window->raise();
        window->activateWindow();
        return QTest::qWaitForWindowActive(window);
    }
};

} // namespace ConfabTest
