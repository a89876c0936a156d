// The desktop client's connection life against a real ChatServer (in-process, loopback, port 0,
// offscreen): login errors shown inline in the dialog, retry, cancel, logout, and a server that
// shuts down with a reason and comes back (the window says so, keeps the unsent text, reconnects
// and rejoins the rooms).
#include "clientguisupport.h"

#include "connectionbanner.h"
#include "conversationmodel.h"
#include "conversationregistry.h"
#include "conversationtabs.h"
#include "reconnector.h"

#include "peeridentity.h"
#include "tlsfingerprint.h"

#include <QLabel>
#include <QMessageBox>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace ConfabTest;
using Confab::ClientApp;
using Confab::ClientSession;
using Confab::ConversationId;
using Confab::ConversationModel;
using Confab::LoginDialog;
using Confab::MainWindow;
using State = Confab::ClientSession::State;

class tst_ClientConnection : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void loginErrorsShownInline_data();
    void loginErrorsShownInline();
    void wrongPasswordThenRetrySucceeds();
    void connectingShowsProgressAndCanBeCancelled();
    void logOutReturnsToTheLoginDialog();
    void serverShutdownIsShownAndReconnectRejoins();
    void encryptionChoiceIsExplained();
    void tlsServerIsTrustedOnceThenShownLocked();

private:
    ClientGuiFixture m_fixture;
};

void tst_ClientConnection::initTestCase()
{
    ClientGuiFixture::initTestCase("tst_clientconnection");
    QVERIFY(!Confab::ClientIcons::application().isNull());
}

void tst_ClientConnection::init()
{
    QVERIFY(m_fixture.init());
}

void tst_ClientConnection::cleanup()
{
    m_fixture.cleanup();
}

void tst_ClientConnection::loginErrorsShownInline_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("expected"); // a word the shown error must contain

    QTest::newRow("wrong password") << "account" << "alice" << "not the password" << "Wrong password";
    QTest::newRow("already logged in") << "online" << "alice" << Password << "already logged in";
    QTest::newRow("invalid name") << "" << "1alice" << Password << "cannot be a username";
    QTest::newRow("new account, short password") << "" << "newbie" << "abc" << "at least 6 characters";
    QTest::newRow("server unreachable") << "closed port" << "alice" << Password << "Could not reach";
    QTest::newRow("protocol version mismatch") << "old server" << "alice" << Password
                                               << "different version";
}

void tst_ClientConnection::loginErrorsShownInline()
{
    QFETCH(QString, setup);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QString, expected);

    std::unique_ptr<ClientSession> online;
    quint16 port = m_fixture.port();
    QTcpServer fake;
    if (setup == QLatin1String("account")) {
        auto first = m_fixture.peer(QStringLiteral("alice"));
        QVERIFY(first);
        first->quit();
        QTRY_COMPARE(first->state(), State::Disconnected);
    } else if (setup == QLatin1String("online")) {
        online = m_fixture.peer(QStringLiteral("alice"));
        QVERIFY(online);
    } else if (setup == QLatin1String("closed port")) {
        QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
        port = fake.serverPort();
        fake.close();
    } else if (setup == QLatin1String("old server")) {
        // Answers any Hello with a Welcome of protocol version 2.
        QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
        port = fake.serverPort();
        connect(&fake, &QTcpServer::newConnection, &fake, [&fake] {
            QTcpSocket *socket = fake.nextPendingConnection();
            connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                socket->readAll();
                Confab::Message welcome = Confab::Message::welcome(QStringLiteral("old"), {});
                welcome.set(Confab::Key::Version, qint64(2));
                socket->write(welcome.toFrame());
            });
        });
    }

    ClientApp app;
    app.start();
    LoginDialog *dialog = app.loginDialog();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    m_fixture.submitLogin(dialog, port, user, password);

    QTRY_VERIFY_WITH_TIMEOUT(!dialog->isBusy() && !dialog->errorText().isEmpty(), LoginTimeoutMs);
    QVERIFY2(dialog->errorText().contains(expected, Qt::CaseInsensitive), qPrintable(dialog->errorText()));
    QLabel *errorLabel = child<QLabel>(dialog, "loginErrorLabel");
    QVERIFY(errorLabel->isVisible());
    QCOMPARE(errorLabel->textFormat(), Qt::PlainText);
    // The dialog stays open, ready for another try; no chat window appeared.
    QVERIFY(dialog->isVisible());
    QVERIFY(child<QPushButton>(dialog, "connectButton")->isEnabled());
    QVERIFY(!app.mainWindow());
}

void tst_ClientConnection::wrongPasswordThenRetrySucceeds()
{
    {
        auto first = m_fixture.peer(QStringLiteral("alice"));
        QVERIFY(first);
        first->quit();
        QTRY_COMPARE(first->state(), State::Disconnected);
    }
    ClientApp app;
    app.start();
    LoginDialog *dialog = app.loginDialog();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    m_fixture.submitLogin(dialog, m_fixture.port(), QStringLiteral("alice"), QStringLiteral("wrong one"));
    QTRY_VERIFY_WITH_TIMEOUT(dialog->errorText().contains(QLatin1String("Wrong password")), LoginTimeoutMs);

    // Progress is shown while the next attempt runs; it succeeds on the same dialog.
    m_fixture.submitLogin(dialog, m_fixture.port(), QStringLiteral("alice"), Password);
    QVERIFY(dialog->isBusy() || app.mainWindow());
    QTRY_VERIFY_WITH_TIMEOUT(app.mainWindow() && app.mainWindow()->isVisible(), LoginTimeoutMs);
    QVERIFY(!dialog->isVisible());
    QVERIFY(child<QLineEdit>(dialog, "passwordEdit")->text().isEmpty()); // not kept in the dialog

    // The server is remembered (without any password) for the next start.
    const QList<Confab::ServerEntry> recent = Confab::ServerHistory::load();
    QCOMPARE(recent.size(), 1);
    QCOMPARE(recent.at(0).port, m_fixture.port());
    QCOMPARE(recent.at(0).user, QStringLiteral("alice"));
    QSettings settings;
    for (const QString &key : settings.allKeys())
        QVERIFY2(!settings.value(key).toString().contains(Password), qPrintable(key));
}

void tst_ClientConnection::connectingShowsProgressAndCanBeCancelled()
{
    // A server that accepts the connection and then says nothing.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    ClientApp app;
    app.start();
    LoginDialog *dialog = app.loginDialog();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    child<QComboBox>(dialog, "transportCombo")->setCurrentIndex(1); // TCP: no UDP probe first
    m_fixture.submitLogin(dialog, silent.serverPort(), QStringLiteral("alice"));
    QVERIFY(dialog->isBusy());
    QTRY_VERIFY(silent.hasPendingConnections());
    QTRY_VERIFY(dialog->progressText().contains(QLatin1String("greeting")));
    QVERIFY(!child<QLineEdit>(dialog, "userEdit")->isEnabled());
    QPushButton *cancel = child<QPushButton>(dialog, "cancelButton");
    QCOMPARE(cancel->text(), QStringLiteral("&Cancel"));

    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(!dialog->isBusy());
    QVERIFY(dialog->isVisible()); // cancelling a login does not close the dialog
    QCOMPARE(app.session()->state(), State::Disconnected);
    QVERIFY(child<QLineEdit>(dialog, "userEdit")->isEnabled());
    QVERIFY(dialog->progressText().isEmpty());
}

void tst_ClientConnection::logOutReturnsToTheLoginDialog()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    QSignalSpy left(bob.get(), &ClientSession::userLeft);
    QPointer<MainWindow> guard(window);
    window->findChild<QAction *>(QStringLiteral("actionLogOut"))->trigger();
    QVERIFY(left.wait(ReplyTimeoutMs));
    QCOMPARE(left.at(0).at(0).toString(), QStringLiteral("alice"));
    QTRY_VERIFY(!guard);
    QVERIFY(app.loginDialog()->isVisible());
    QVERIFY(app.loginDialog()->errorText().contains(QLatin1String("logged out")));
    // The dialog remembers the server and the user; only the password is asked again.
    QCOMPARE(child<QLineEdit>(app.loginDialog(), "userEdit")->text(), QStringLiteral("alice"));
    QVERIFY(child<QLineEdit>(app.loginDialog(), "passwordEdit")->text().isEmpty());
}

void tst_ClientConnection::serverShutdownIsShownAndReconnectRejoins()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    QSignalSpy created(bob.get(), &ClientSession::roomJoined);
    bob->createRoom(QStringLiteral("dev"));
    QVERIFY(created.wait(ReplyTimeoutMs));

    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    window->reconnector()->setBackoff(200, 1000);
    window->reconnector()->setJitter(0);
    typeAndSend(window->input(), QStringLiteral("/join dev"));
    const ConversationId dev = ConversationId::room(QStringLiteral("dev"));
    QTRY_COMPARE_WITH_TIMEOUT(window->tabs()->currentConversation(), dev, ReplyTimeoutMs);

    // Half-written text survives everything below.
    QTest::keyClicks(window->input(), QStringLiteral("not sent yet"));

    // The server goes away with a reason, then comes back on the same port.
    const quint16 port = m_fixture.port();
    Confab::ServerConfig config = m_fixture.server->server->config();
    QSignalSpy stopped(m_fixture.server->server.get(), &Confab::ChatServer::stopped);
    m_fixture.server->server->shutdown(QStringLiteral("maintenance at noon"));
    QVERIFY(stopped.wait(ReplyTimeoutMs) || !stopped.isEmpty());
    Confab::ConnectionBanner *banner = child<Confab::ConnectionBanner>(window, "connectionBanner");
    QTRY_VERIFY(banner->isVisible());
    QVERIFY2(banner->message().contains(QLatin1String("maintenance at noon")), qPrintable(banner->message()));
    QTRY_VERIFY(window->reconnector()->isActive());
    QCOMPARE(window->input()->text(), QStringLiteral("not sent yet"));
    // Lines typed meanwhile are not lost: Enter keeps them and says why.
    QTest::keyClick(window->input(), Qt::Key_Return);
    QCOMPARE(window->input()->text(), QStringLiteral("not sent yet"));
    bob.reset();
    m_fixture.server->server.reset();

    config.port = port;
    m_fixture.server->server = std::make_unique<Confab::ChatServer>(config);
    QVERIFY(m_fixture.server->start());
    QCOMPARE(m_fixture.port(), port);

    QTRY_VERIFY_WITH_TIMEOUT(window->session()->isLoggedIn(), LoginTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(window->registry()->isJoined(QStringLiteral("dev")), ReplyTimeoutMs);
    QTRY_VERIFY(!banner->isVisible());
    QVERIFY(window->tabs()->indexOf(dev) >= 0);
    QCOMPARE(window->input()->text(), QStringLiteral("not sent yet"));
    QTRY_COMPARE(window->userModel()->rowCount(), 1);
}


void tst_ClientConnection::encryptionChoiceIsExplained()
{
    ClientApp app;
    app.start();
    LoginDialog *dialog = app.loginDialog();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    auto *encryption = child<QComboBox>(dialog, "encryptionCombo");
    auto choose = [&](const char *mode) { encryption->setCurrentIndex(encryption->findData(QLatin1String(mode))); };
    choose("off");
    QVERIFY2(dialog->securityText().contains(QLatin1String("Not encrypted")), qPrintable(dialog->securityText()));
    choose("on");
    QVERIFY2(dialog->securityText().contains(QLatin1String("TLS required")), qPrintable(dialog->securityText()));
    choose("auto");
    QVERIFY2(dialog->securityText().contains(QLatin1String("crosses the network in clear")),
             qPrintable(dialog->securityText()));
    // UDP is encrypted with DTLS under the same rules: the note says so.
    auto *transport = child<QComboBox>(dialog, "transportCombo");
    transport->setCurrentIndex(transport->findData(QLatin1String("udp")));
    QVERIFY2(dialog->securityText().contains(QLatin1String("DTLS over UDP")), qPrintable(dialog->securityText()));
    choose("off");
    QVERIFY2(dialog->securityText().contains(QLatin1String("Not encrypted")), qPrintable(dialog->securityText()));
}

void tst_ClientConnection::tlsServerIsTrustedOnceThenShownLocked()
{
    // A server with its own (self-signed) certificate: the first login asks, showing the
    // fingerprint; after "Trust" the window shows the lock, and the pin is on disk.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Confab::PeerIdentity identity = Confab::PeerIdentity::generate();
    QVERIFY(!identity.isNull());
    const QString certificateFile = dir.filePath(QStringLiteral("server.crt"));
    const QString keyFile = dir.filePath(QStringLiteral("server.key"));
    for (const auto &[path, pem] : {std::pair{certificateFile, identity.certificate().toPem()},
                                    std::pair{keyFile, identity.key().toPem()}}) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(pem);
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    }
    Confab::ServerConfig config;
    config.tlsCertificateFile = certificateFile;
    config.tlsKeyFile = keyFile;
    TestServer server(config);
    QVERIFY(server.start());
    QVERIFY(server.server->isTlsEnabled());
    const QString fingerprint = Confab::certificateFingerprint(identity.certificate());

    ClientApp app;
    app.start();
    const QString knownServers = dir.filePath(QStringLiteral("known_servers"));
    app.session()->setKnownServersFile(knownServers);
    LoginDialog *dialog = app.loginDialog();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    m_fixture.submitLogin(dialog, server.port(), QStringLiteral("alice"));

    QMessageBox *box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((box = dialog->findChild<QMessageBox *>(QStringLiteral("trustCertificateBox"))), LoginTimeoutMs);
    QVERIFY2(box->informativeText().contains(fingerprint), qPrintable(box->informativeText()));
    QVERIFY(dialog->progressText().contains(QLatin1String("certificate")));
    QTest::mouseClick(child<QPushButton>(box, "trustCertificateButton"), Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(app.mainWindow() && app.mainWindow()->isVisible(), LoginTimeoutMs);
    QVERIFY(app.session()->isEncrypted());
    QCOMPARE(app.session()->serverFingerprint(), fingerprint);
    QTRY_VERIFY(child<QLabel>(app.mainWindow(), "transportLabel")->text().contains(QStringLiteral("🔒 TLS")));
    ConversationModel *lobby = app.mainWindow()->registry()->model(ConversationId::lobby());
    QVERIFY(lobby && lobby->rowCount() > 0);
    QVERIFY2(lobby->entry(0).text.contains(QLatin1String("encrypted (TLS)")), qPrintable(lobby->entry(0).text));
    QFile pins(knownServers);
    QVERIFY(pins.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(pins.readAll()).contains(fingerprint));
}

QTEST_MAIN(tst_ClientConnection)
#include "tst_clientconnection.moc"
