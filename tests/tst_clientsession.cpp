// ClientSession against the real server, in-process, over loopback TCP on port 0.
#include "testsupport.h"

#include "clientsession.h"
#include "conversationmodel.h"
#include "usermodel.h"

#include <QAbstractItemModelTester>
#include <QTcpServer>

#include <memory>

using namespace ConfabTest;
using Confab::ClientSession;
using Confab::ConversationModel;
using Confab::OnlineUser;
using Confab::UserModel;
using State = Confab::ClientSession::State;

namespace {

constexpr int LoginTimeoutMs = 30000; // password hashing is slow on purpose, even at test strength
constexpr int ReplyTimeoutMs = 5000;
const QString Password = QStringLiteral("correct horse");

} // namespace

class tst_ClientSession : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void loginCreatesAccountThenFindsIt();
    void loginFailureKeepsConnectionForRetry_data();
    void loginFailureKeepsConnectionForRetry();
    void secondSessionOfSameAccountIsRefused();
    void lobbyMessageReachesEveryoneElse();
    void directMessageReachesOnlyTarget();
    void directMessageToUnknownUser();
    void directMessageToOfflineUser();
    void refusedLocallyWithoutSending_data();
    void refusedLocallyWithoutSending();
    void presenceFeedsTheUserModel();
    void quitEndsQuietly();
    void abortFailsOpenRequests();
    void serverShutdownIsAnnounced();
    void connectionRefused();
    void roundTripIsMeasured();

private:
    // Connects and logs in; false (with a test failure) when it does not happen.
    bool logIn(ClientSession &session, const QString &user, const QString &password = Password);
    std::unique_ptr<ClientSession> loggedIn(const QString &user);

    std::unique_ptr<TestServer> m_server;
};

void tst_ClientSession::init()
{
    m_server = std::make_unique<TestServer>();
    QVERIFY(m_server->start());
}

void tst_ClientSession::cleanup()
{
    m_server.reset();
}

bool tst_ClientSession::logIn(ClientSession &session, const QString &user, const QString &password)
{
    QSignalSpy ok(&session, &ClientSession::loggedIn);
    QSignalSpy failed(&session, &ClientSession::loginFailed);
    QSignalSpy lost(&session, &ClientSession::connectionLost);
    QSignalSpy error(&session, &ClientSession::errorOccurred);
    QSignalSpy list(&session, &ClientSession::userListReceived);
    session.connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), user, password);
    if (!QTest::qWaitFor([&] { return !ok.isEmpty() || !failed.isEmpty() || !lost.isEmpty() || !error.isEmpty(); },
                         LoginTimeoutMs)) {
        qWarning() << "no answer to the login of" << user;
        return false;
    }
    if (ok.isEmpty()) {
        qWarning() << "login of" << user << "failed:" << failed << lost << error;
        return false;
    }
    // The session asks for the user list right after login; let that settle too, so the tests
    // start from a session with nothing pending.
    if (list.isEmpty() && !list.wait(ReplyTimeoutMs)) {
        qWarning() << "no user list after the login of" << user;
        return false;
    }
    return session.state() == State::LoggedIn && session.pendingRequestCount() == 0;
}

std::unique_ptr<ClientSession> tst_ClientSession::loggedIn(const QString &user)
{
    auto session = std::make_unique<ClientSession>();
    if (!logIn(*session, user))
        return nullptr;
    return session;
}

void tst_ClientSession::loginCreatesAccountThenFindsIt()
{
    ClientSession session;
    QSignalSpy states(&session, &ClientSession::stateChanged);
    QSignalSpy ok(&session, &ClientSession::loggedIn);
    QSignalSpy list(&session, &ClientSession::userListReceived);
    QVERIFY(logIn(session, QStringLiteral("Alice")));

    QCOMPARE(ok.at(0).at(0).toString(), QStringLiteral("Alice"));
    QCOMPARE(ok.at(0).at(1).toBool(), true); // new account
    QCOMPARE(session.userName(), QStringLiteral("Alice"));
    QVERIFY(!session.serverName().isEmpty());
    QList<State> seen;
    for (const QList<QVariant> &args : std::as_const(states))
        seen << args.at(0).value<State>();
    QCOMPARE(seen, (QList<State>{State::Connecting, State::Handshaking, State::LoggingIn, State::LoggedIn}));

    // The session asks for the user list by itself after login.
    QCOMPARE(list.count(), 1);
    const auto users = list.at(0).at(0).value<QList<OnlineUser>>();
    QCOMPARE(users.size(), 1);
    QCOMPARE(users.at(0).name, QStringLiteral("Alice"));
    QCOMPARE(users.at(0).transport, QStringLiteral("tcp"));
    QVERIFY(users.at(0).since.isValid());

    session.quit();
    QTRY_COMPARE(session.state(), State::Disconnected);

    // Same account, other spelling: found, not created; the display name is the registered one.
    ClientSession again;
    QSignalSpy ok2(&again, &ClientSession::loggedIn);
    QVERIFY(logIn(again, QStringLiteral("alice")));
    QCOMPARE(ok2.at(0).at(1).toBool(), false);
    QCOMPARE(again.userName(), QStringLiteral("Alice"));
}

void tst_ClientSession::loginFailureKeepsConnectionForRetry_data()
{
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<Confab::ErrorCode>("code");

    QTest::newRow("wrong password") << "alice" << "not the password" << Confab::ErrorCode::WrongPassword;
    QTest::newRow("invalid username") << "1nvalid name" << Password << Confab::ErrorCode::InvalidUsername;
    QTest::newRow("password too short for a new account") << "newbie" << "abc" << Confab::ErrorCode::InvalidPassword;
}

void tst_ClientSession::loginFailureKeepsConnectionForRetry()
{
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(Confab::ErrorCode, code);

    {
        auto alice = loggedIn(QStringLiteral("alice")); // the account exists
        QVERIFY(alice);
        alice->quit();
        QTRY_COMPARE(alice->state(), State::Disconnected);
    }

    ClientSession session;
    QSignalSpy failed(&session, &ClientSession::loginFailed);
    QSignalSpy lost(&session, &ClientSession::connectionLost);
    session.connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), user, password);
    QVERIFY(failed.wait(LoginTimeoutMs));
    QCOMPARE(failed.at(0).at(0).value<Confab::ErrorCode>(), code);
    QVERIFY(!failed.at(0).at(1).toString().isEmpty());
    QCOMPARE(session.state(), State::Connected);

    // The connection stays; a retry on it works.
    QSignalSpy ok(&session, &ClientSession::loggedIn);
    session.login(QStringLiteral("alice"), Password);
    QCOMPARE(session.state(), State::LoggingIn);
    QVERIFY(ok.wait(LoginTimeoutMs));
    QCOMPARE(session.state(), State::LoggedIn);
    QCOMPARE(lost.count(), 0);
}

void tst_ClientSession::secondSessionOfSameAccountIsRefused()
{
    auto first = loggedIn(QStringLiteral("alice"));
    QVERIFY(first);
    ClientSession second;
    QSignalSpy failed(&second, &ClientSession::loginFailed);
    second.connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), QStringLiteral("ALICE"), Password);
    QVERIFY(failed.wait(LoginTimeoutMs));
    QCOMPARE(failed.at(0).at(0).value<Confab::ErrorCode>(), Confab::ErrorCode::AlreadyLoggedIn);
    QCOMPARE(first->state(), State::LoggedIn);
}

void tst_ClientSession::lobbyMessageReachesEveryoneElse()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    auto bob = loggedIn(QStringLiteral("bob"));
    auto carol = loggedIn(QStringLiteral("carol"));
    QVERIFY(alice && bob && carol);

    // The lobby conversation of alice's window, fed the way the GUI feeds it.
    ConversationModel lobby;
    QAbstractItemModelTester tester(&lobby, QAbstractItemModelTester::FailureReportingMode::QtTest);
    connect(alice.get(), &ClientSession::delivered, &lobby,
            [&lobby](quint64 id, int count, const QDateTime &ts) { lobby.markDelivered(id, count, ts); });

    QSignalSpy delivered(alice.get(), &ClientSession::delivered);
    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy atCarol(carol.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy atAlice(alice.get(), &ClientSession::lobbyMessageReceived);

    const QString text = QStringLiteral("hello, everyone ✨");
    const quint64 id = alice->sendLobbyMessage(text);
    QVERIFY(id != 0);
    QCOMPARE(alice->pendingRequestCount(), 1);
    lobby.appendOwn(id, alice->userName(), text);

    QVERIFY(delivered.wait(ReplyTimeoutMs));
    QCOMPARE(delivered.at(0).at(0).toULongLong(), id);
    QCOMPARE(delivered.at(0).at(1).toInt(), 2);
    QVERIFY(delivered.at(0).at(2).toDateTime().isValid());
    QCOMPARE(alice->pendingRequestCount(), 0);
    QCOMPARE(lobby.index(0).data(ConversationModel::DeliveryStateRole).value<ConversationModel::DeliveryState>(),
             ConversationModel::DeliveryState::Delivered);
    QCOMPARE(lobby.index(0).data(ConversationModel::DeliveredCountRole).toInt(), 2);

    QTRY_COMPARE_WITH_TIMEOUT(atBob.count(), 1, ReplyTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(atCarol.count(), 1, ReplyTimeoutMs);
    QCOMPARE(atBob.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(atBob.at(0).at(1).toString(), text);
    QCOMPARE(atBob.at(0).at(2).toDateTime(), delivered.at(0).at(2).toDateTime());
    QCOMPARE(atCarol.at(0).at(1).toString(), text);
    QCOMPARE(atAlice.count(), 0); // the sender gets Delivered, not an echo
}

void tst_ClientSession::directMessageReachesOnlyTarget()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    auto bob = loggedIn(QStringLiteral("bob"));
    auto carol = loggedIn(QStringLiteral("carol"));
    QVERIFY(alice && bob && carol);

    QSignalSpy delivered(alice.get(), &ClientSession::delivered);
    QSignalSpy atBob(bob.get(), &ClientSession::directMessageReceived);
    QSignalSpy carolDm(carol.get(), &ClientSession::directMessageReceived);
    QSignalSpy carolLobby(carol.get(), &ClientSession::lobbyMessageReceived);

    const quint64 id = alice->sendDirectMessage(QStringLiteral("Bob"), QStringLiteral("psst"));
    QVERIFY(delivered.wait(ReplyTimeoutMs));
    QCOMPARE(delivered.at(0).at(0).toULongLong(), id);
    QCOMPARE(delivered.at(0).at(1).toInt(), 1);

    QTRY_COMPARE_WITH_TIMEOUT(atBob.count(), 1, ReplyTimeoutMs);
    QCOMPARE(atBob.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(atBob.at(0).at(1).toString(), QStringLiteral("bob"));
    QCOMPARE(atBob.at(0).at(2).toString(), QStringLiteral("psst"));

    // Carol hears nothing: a lobby message from bob reaches her after the DM would have.
    bob->sendLobbyMessage(QStringLiteral("marker"));
    QTRY_COMPARE_WITH_TIMEOUT(carolLobby.count(), 1, ReplyTimeoutMs);
    QCOMPARE(carolDm.count(), 0);
}

void tst_ClientSession::directMessageToUnknownUser()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy failed(alice.get(), &ClientSession::requestFailed);
    QSignalSpy delivered(alice.get(), &ClientSession::delivered);
    const quint64 id = alice->sendDirectMessage(QStringLiteral("nobody"), QStringLiteral("hello?"));
    QVERIFY(failed.wait(ReplyTimeoutMs));
    QCOMPARE(failed.at(0).at(0).toULongLong(), id);
    QCOMPARE(failed.at(0).at(1).value<Confab::ErrorCode>(), Confab::ErrorCode::NoSuchUser);
    QCOMPARE(delivered.count(), 0);
    QCOMPARE(alice->state(), State::LoggedIn);
}

void tst_ClientSession::directMessageToOfflineUser()
{
    {
        auto carol = loggedIn(QStringLiteral("carol"));
        QVERIFY(carol);
        carol->quit();
        QTRY_COMPARE(carol->state(), State::Disconnected);
    }
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy failed(alice.get(), &ClientSession::requestFailed);
    const quint64 id = alice->sendDirectMessage(QStringLiteral("carol"), QStringLiteral("are you there?"));
    QVERIFY(failed.wait(ReplyTimeoutMs));
    QCOMPARE(failed.at(0).at(0).toULongLong(), id);
    QCOMPARE(failed.at(0).at(1).value<Confab::ErrorCode>(), Confab::ErrorCode::UserOffline);
}

void tst_ClientSession::refusedLocallyWithoutSending_data()
{
    QTest::addColumn<bool>("logIn");
    QTest::addColumn<QString>("text");
    QTest::addColumn<Confab::ErrorCode>("code");

    QTest::newRow("empty text") << true << QString() << Confab::ErrorCode::TextTooLong;
    QTest::newRow("text over 16 KiB") << true << QString(Confab::Limits::MaxTextBytes + 1, u'x')
                                      << Confab::ErrorCode::TextTooLong;
    QTest::newRow("multi-byte text over 16 KiB") << true << QString(Confab::Limits::MaxTextBytes / 2 + 1, QChar(0x00E9))
                                                 << Confab::ErrorCode::TextTooLong;
    QTest::newRow("not logged in") << false << QStringLiteral("hi") << Confab::ErrorCode::NotLoggedIn;
}

void tst_ClientSession::refusedLocallyWithoutSending()
{
    QFETCH(bool, logIn);
    QFETCH(QString, text);
    QFETCH(Confab::ErrorCode, code);

    std::unique_ptr<ClientSession> session = logIn ? loggedIn(QStringLiteral("alice")) : std::make_unique<ClientSession>();
    QVERIFY(session);
    QSignalSpy failed(session.get(), &ClientSession::requestFailed);
    const quint64 framesBefore = session->connection() ? session->connection()->stats().framesOut : 0;

    const quint64 id = session->sendLobbyMessage(text);
    QVERIFY(id != 0);
    QCOMPARE(failed.count(), 0); // answered later, once the caller knows the id
    QCOMPARE(session->pendingRequestCount(), 1);
    QVERIFY(failed.wait(ReplyTimeoutMs));
    QCOMPARE(failed.at(0).at(0).toULongLong(), id);
    QCOMPARE(failed.at(0).at(1).value<Confab::ErrorCode>(), code);
    QCOMPARE(session->pendingRequestCount(), 0);
    if (session->connection())
        QCOMPARE(session->connection()->stats().framesOut, framesBefore);
}

void tst_ClientSession::presenceFeedsTheUserModel()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    UserModel users;
    QAbstractItemModelTester tester(&users, QAbstractItemModelTester::FailureReportingMode::QtTest);
    users.setSession(alice.get());
    alice->requestUserList();
    QTRY_COMPARE_WITH_TIMEOUT(users.names(), QStringList{QStringLiteral("alice")}, ReplyTimeoutMs);

    QSignalSpy joined(alice.get(), &ClientSession::userJoined);
    QSignalSpy left(alice.get(), &ClientSession::userLeft);
    auto bob = loggedIn(QStringLiteral("Bob"));
    QVERIFY(bob);
    QTRY_COMPARE_WITH_TIMEOUT(joined.count(), 1, ReplyTimeoutMs);
    const auto bobInfo = joined.at(0).at(0).value<OnlineUser>();
    QCOMPARE(bobInfo.name, QStringLiteral("Bob"));
    QCOMPARE(bobInfo.transport, QStringLiteral("tcp"));
    QCOMPARE(users.names(), (QStringList{"alice", "Bob"}));
    QCOMPARE(users.index(0).data(UserModel::IsSelfRole).toBool(), true);

    // Bob's own list holds both of them.
    QSignalSpy bobList(bob.get(), &ClientSession::userListReceived);
    bob->requestUserList();
    QVERIFY(bobList.wait(ReplyTimeoutMs));
    QStringList names;
    for (const OnlineUser &u : bobList.last().at(0).value<QList<OnlineUser>>())
        names << u.name;
    names.sort(Qt::CaseInsensitive);
    QCOMPARE(names, (QStringList{"alice", "Bob"}));

    bob->quit(QStringLiteral("lunch"));
    QTRY_COMPARE_WITH_TIMEOUT(left.count(), 1, ReplyTimeoutMs);
    QCOMPARE(left.at(0).at(0).toString(), QStringLiteral("Bob"));
    QVERIFY2(left.at(0).at(1).toString().contains(QLatin1String("lunch")), qPrintable(left.at(0).at(1).toString()));
    QCOMPARE(users.names(), QStringList{QStringLiteral("alice")});

    alice->quit();
    QTRY_COMPARE(alice->state(), State::Disconnected);
    QCOMPARE(users.rowCount(), 0);
}

void tst_ClientSession::quitEndsQuietly()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy lost(alice.get(), &ClientSession::connectionLost);
    QSignalSpy errors(alice.get(), &ClientSession::errorOccurred);
    QSignalSpy states(alice.get(), &ClientSession::stateChanged);
    alice->quit(QStringLiteral("bye"));
    QTRY_COMPARE(alice->state(), State::Disconnected);
    QCOMPARE(states.first().at(0).value<State>(), State::Closing);
    QCOMPARE(lost.count(), 0);
    QCOMPARE(errors.count(), 0);
    QTRY_VERIFY(m_server->server->onlineUsers().isEmpty());
    alice->quit(); // harmless when already disconnected
}

void tst_ClientSession::abortFailsOpenRequests()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy failed(alice.get(), &ClientSession::requestFailed);
    const quint64 a = alice->sendLobbyMessage(QStringLiteral("one"));
    const quint64 b = alice->sendLobbyMessage(QStringLiteral("two"));
    alice->abort();
    QCOMPARE(alice->state(), State::Disconnected);
    QCOMPARE(failed.count(), 2);
    QCOMPARE(failed.at(0).at(0).toULongLong(), a);
    QCOMPARE(failed.at(1).at(0).toULongLong(), b);
    QCOMPARE(failed.at(0).at(1).value<Confab::ErrorCode>(), Confab::ErrorCode::None);
    QCOMPARE(alice->pendingRequestCount(), 0);
}

void tst_ClientSession::serverShutdownIsAnnounced()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy shutdown(alice.get(), &ClientSession::serverShutdown);
    QSignalSpy lost(alice.get(), &ClientSession::connectionLost);
    m_server->server->shutdown(QStringLiteral("maintenance at noon"));
    QTRY_COMPARE_WITH_TIMEOUT(alice->state(), State::Disconnected, ReplyTimeoutMs);
    QCOMPARE(shutdown.count(), 1);
    QCOMPARE(shutdown.at(0).at(0).toString(), QStringLiteral("maintenance at noon"));
    QCOMPARE(lost.count(), 1);
    QVERIFY2(lost.at(0).at(0).toString().contains(QLatin1String("maintenance at noon")),
             qPrintable(lost.at(0).at(0).toString()));
}

void tst_ClientSession::connectionRefused()
{
    // A port that was just free: nobody listens on it.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();

    ClientSession session;
    QSignalSpy errors(&session, &ClientSession::errorOccurred);
    QSignalSpy lost(&session, &ClientSession::connectionLost);
    session.connectToServer(QStringLiteral("127.0.0.1"), port, QStringLiteral("alice"), Password);
    QCOMPARE(session.state(), State::Connecting);
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), State::Disconnected, ReplyTimeoutMs);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::ConnectFailed);
    QVERIFY(!errors.at(0).at(2).toString().isEmpty());
    QCOMPARE(lost.count(), 0); // never connected, so nothing was lost
}

void tst_ClientSession::roundTripIsMeasured()
{
    ClientSession session;
    session.setKeepalive(50, 5000);
    QSignalSpy rtt(&session, &ClientSession::roundTripChanged);
    QVERIFY(logIn(session, QStringLiteral("alice")));
    QTRY_VERIFY_WITH_TIMEOUT(session.roundTripMs() >= 0, ReplyTimeoutMs);
    QVERIFY(!rtt.isEmpty());
}

QTEST_GUILESS_MAIN(tst_ClientSession)
#include "tst_clientsession.moc"
