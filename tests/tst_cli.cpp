// confab-cli end to end: the real program, as a child process, against an in-process server,
// with another user on a ClientSession. Asserts what a user (or a script) sees: printed lines and
// exit codes.
#include "testsupport.h"

#include "clientsession.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>

#include <memory>
#include <unistd.h>

using namespace ConfabTest;
using Confab::ClientSession;
using State = Confab::ClientSession::State;

namespace {

constexpr int LoginTimeoutMs = 30000;
constexpr int EventTimeoutMs = 10000;
const QString Password = QStringLiteral("correct horse");

QString cliPath()
{
    const QString dir = qEnvironmentVariableIsSet("CONFAB_BIN_DIR")
        ? qEnvironmentVariable("CONFAB_BIN_DIR")
        : QCoreApplication::applicationDirPath() + QStringLiteral("/../bin");
    return dir + QStringLiteral("/confab-cli");
}

// One confab-cli run; collects stdout as it comes.
class Cli
{
public:
    // password: put in CONFAB_PASSWORD unless null.
    Cli(const QStringList &arguments, const QString &password)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("CONFAB_PASSWORD"));
        if (!password.isNull())
            env.insert(QStringLiteral("CONFAB_PASSWORD"), password);
        m_process.setProcessEnvironment(env);
        // No controlling terminal, as under a script or CI: the password prompt cannot open /dev/tty.
        m_process.setChildProcessModifier([] { ::setsid(); });
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] {
            m_stdout += QString::fromUtf8(m_process.readAllStandardOutput());
        });
        QObject::connect(&m_process, &QProcess::readyReadStandardError, [this] {
            m_stderr += QString::fromUtf8(m_process.readAllStandardError());
        });
        m_process.start(cliPath(), arguments);
    }
    ~Cli()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            (void)QTest::qWaitFor([this] { return m_process.state() == QProcess::NotRunning; }, 5000);
        }
    }

    void write(const QString &lines) { m_process.write(lines.toUtf8()); }
    void closeInput() { m_process.closeWriteChannel(); }

    bool waitForLine(const QString &needle, int timeoutMs = EventTimeoutMs)
    {
        return QTest::qWaitFor([&] { return hasLine(needle); }, timeoutMs);
    }
    // A printed line "[hh:mm:ss] <needle>" exactly.
    bool hasLine(const QString &needle) const { return lines().contains(needle); }
    // The printed lines without their "[hh:mm:ss] " time.
    QStringList lines() const
    {
        static const QRegularExpression time(QStringLiteral("^\\[\\d\\d:\\d\\d:\\d\\d\\] "));
        QStringList result;
        for (QString line : m_stdout.split(u'\n', Qt::SkipEmptyParts))
            result << line.remove(time);
        return result;
    }
    QString output() const { return m_stdout + QStringLiteral("\n--- stderr ---\n") + m_stderr; }
    QString rawStdout() const { return m_stdout; }

    // Exit code, or -1 if it did not end in time (or crashed).
    int waitForExit(int timeoutMs = EventTimeoutMs)
    {
        if (!QTest::qWaitFor([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs))
            return -1;
        m_stdout += QString::fromUtf8(m_process.readAllStandardOutput());
        m_stderr += QString::fromUtf8(m_process.readAllStandardError());
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

private:
    QProcess m_process;
    QString m_stdout;
    QString m_stderr;
};

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void pipedInputPrintsEveryConfirmation_data();
    void pipedInputPrintsEveryConfirmation();
    void incomingEventsArePrinted();
    void endOfInputWaitsForPendingConfirmations();
    void passwordFromFile();
    void wrongPasswordExitsWithOne();
    void serverShutdownExitsWithTwo();
    void connectionRefusedExitsWithTwo();
    void seedRoomSpellings();
    void pokeOpensADirectChatBetweenTwoClis();
    void ownerKicksEveryoneWithSeedKick();
    void usageErrorsExitWithThree_data();
    void usageErrorsExitWithThree();

private:
    QStringList args(const QString &user) const
    {
        return {QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                QString::number(m_server->port()), QStringLiteral("--user"), user};
    }
    std::unique_ptr<ClientSession> loggedIn(const QString &user);

    std::unique_ptr<TestServer> m_server;
};

void tst_Cli::initTestCase()
{
    QVERIFY2(QFileInfo(cliPath()).isExecutable(), qPrintable(cliPath()));
}

void tst_Cli::init()
{
    m_server = std::make_unique<TestServer>();
    QVERIFY(m_server->start());
}

void tst_Cli::cleanup()
{
    m_server.reset();
}

std::unique_ptr<ClientSession> tst_Cli::loggedIn(const QString &user)
{
    auto session = std::make_unique<ClientSession>();
    QSignalSpy list(session.get(), &ClientSession::userListReceived);
    session->connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), user, Password);
    if (!list.wait(LoginTimeoutMs) || !session->isLoggedIn())
        return nullptr;
    return session;
}

void tst_Cli::pipedInputPrintsEveryConfirmation_data()
{
    QTest::addColumn<QStringList>("transportArguments");
    QTest::addColumn<QString>("transport"); // the one it must use, and print
    QTest::newRow("default (auto)") << QStringList{} << QStringLiteral("tcp");
    QTest::newRow("--transport udp") << QStringList{QStringLiteral("--transport"), QStringLiteral("udp")}
                                     << QStringLiteral("udp");
    QTest::newRow("--transport tcp") << QStringList{QStringLiteral("--transport"), QStringLiteral("TCP")}
                                     << QStringLiteral("tcp");
}

void tst_Cli::pipedInputPrintsEveryConfirmation()
{
    QFETCH(QStringList, transportArguments);
    QFETCH(QString, transport);
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy lobby(alice.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy dm(alice.get(), &ClientSession::directMessageReceived);
    QSignalSpy left(alice.get(), &ClientSession::userLeft);
    QSignalSpy joined(alice.get(), &ClientSession::userJoined);

    Cli cli(args(QStringLiteral("bob")) + transportArguments, Password);
    cli.write(QStringLiteral("hello from bob\n"
                             "/msg alice hi alice\n"
                             "/msg carol anyone there?\n"
                             "/bogus\n"
                             "\n"
                             "$userlist\n"));
    cli.closeInput();
    QCOMPARE(cli.waitForExit(LoginTimeoutMs), 0);

    const QStringList lines = cli.lines();
    QVERIFY2(lines.contains(QStringLiteral("[server] * logged in to Confab as bob over %1 (new account)").arg(transport)),
             qPrintable(cli.output()));
    QVERIFY2(lines.contains(QStringLiteral("[lobby] * delivered to 1")), qPrintable(cli.output()));
    QVERIFY2(lines.contains(QStringLiteral("[@alice] -> alice: hi alice")), qPrintable(cli.output()));
    QVERIFY2(lines.contains(QStringLiteral("[@carol] ! no such user: carol")), qPrintable(cli.output()));
    QVERIFY2(lines.filter(QRegularExpression(QStringLiteral("^\\[lobby\\] ! unknown command /bogus"))).size() == 1,
             qPrintable(cli.output()));
    QVERIFY2(lines.filter(QRegularExpression(QStringLiteral("^\\[server\\] \\* online \\(2\\): "))).size() == 2, // login + $userlist
             qPrintable(cli.output()));
    // Every line but the help-less ones carries a time stamp.
    for (const QString &raw : cli.rawStdout().split(u'\n', Qt::SkipEmptyParts))
        QVERIFY2(QRegularExpression(QStringLiteral("^\\[\\d\\d:\\d\\d:\\d\\d\\] ")).match(raw).hasMatch(), qPrintable(raw));

    QTRY_COMPARE_WITH_TIMEOUT(lobby.count(), 1, EventTimeoutMs);
    QCOMPARE(lobby.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(lobby.at(0).at(1).toString(), QStringLiteral("hello from bob"));
    QTRY_COMPARE_WITH_TIMEOUT(dm.count(), 1, EventTimeoutMs);
    QCOMPARE(dm.at(0).at(2).toString(), QStringLiteral("hi alice"));
    QTRY_COMPARE_WITH_TIMEOUT(left.count(), 1, EventTimeoutMs);
    QCOMPARE(left.at(0).at(0).toString(), QStringLiteral("bob"));
    // The server saw the transport the program printed.
    QCOMPARE(joined.count(), 1);
    QCOMPARE(joined.at(0).at(0).value<Confab::OnlineUser>().transport, transport);
}

void tst_Cli::incomingEventsArePrinted()
{
    Cli cli(args(QStringLiteral("bob")), Password);
    QVERIFY2(cli.waitForLine(QStringLiteral("[server] * online (1): bob"), LoginTimeoutMs), qPrintable(cli.output()));

    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QVERIFY2(cli.waitForLine(QStringLiteral("[lobby] * alice joined")), qPrintable(cli.output()));

    alice->sendLobbyMessage(QStringLiteral("hi bob\nsecond line \x1b[31mred"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[lobby] <alice> hi bob↵second line \uFFFD[31mred")), qPrintable(cli.output()));
    alice->sendDirectMessage(QStringLiteral("bob"), QStringLiteral("psst"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[@alice] <- alice (DM): psst")), qPrintable(cli.output()));

    cli.write(QStringLiteral("/help\n"));
    QVERIFY2(QTest::qWaitFor([&] { return cli.rawStdout().contains(QLatin1String("/msg <user> <text>")); }, EventTimeoutMs),
             qPrintable(cli.output()));

    QSignalSpy left(alice.get(), &ClientSession::userLeft);
    cli.write(QStringLiteral("/quit off to lunch\n"));
    QCOMPARE(cli.waitForExit(), 0);
    // waitForExit() runs the event loop, so the departure may have been seen already.
    QTRY_VERIFY_WITH_TIMEOUT(left.count() == 1, EventTimeoutMs);
    QVERIFY2(left.at(0).at(1).toString().contains(QLatin1String("off to lunch")), qPrintable(left.at(0).at(1).toString()));

    alice->quit();
}

void tst_Cli::endOfInputWaitsForPendingConfirmations()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy lobby(alice.get(), &ClientSession::lobbyMessageReceived);

    const int count = 200;
    QString input;
    for (int i = 0; i < count; ++i)
        input += QStringLiteral("message %1\n").arg(i);
    Cli cli(args(QStringLiteral("bob")), Password);
    cli.write(input);
    cli.closeInput(); // EOF long before the confirmations can have arrived
    QCOMPARE(cli.waitForExit(LoginTimeoutMs), 0);
    QCOMPARE(cli.lines().count(QStringLiteral("[lobby] * delivered to 1")), count);
    QTRY_COMPARE_WITH_TIMEOUT(lobby.count(), count, EventTimeoutMs);
    QCOMPARE(lobby.last().at(1).toString(), QStringLiteral("message %1").arg(count - 1));
}

void tst_Cli::passwordFromFile()
{
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("password")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(Password.toUtf8() + "\n");
    file.close();

    {
        Cli first(args(QStringLiteral("dora")) << QStringLiteral("--password-file") << file.fileName(), QString());
        first.closeInput();
        QCOMPARE(first.waitForExit(LoginTimeoutMs), 0);
        QVERIFY2(first.hasLine(QStringLiteral("[server] * logged in to Confab as dora over tcp (new account)")), qPrintable(first.output()));
    }
    // The file wins over the environment.
    Cli second(args(QStringLiteral("dora")) << QStringLiteral("--password-file") << file.fileName(),
               QStringLiteral("not the password"));
    second.closeInput();
    QCOMPARE(second.waitForExit(LoginTimeoutMs), 0);
    QVERIFY2(second.hasLine(QStringLiteral("[server] * logged in to Confab as dora over tcp")), qPrintable(second.output()));
}

void tst_Cli::wrongPasswordExitsWithOne()
{
    {
        auto alice = loggedIn(QStringLiteral("alice"));
        QVERIFY(alice);
        alice->quit();
        QTRY_COMPARE(alice->state(), State::Disconnected);
    }
    Cli cli(args(QStringLiteral("alice")), QStringLiteral("guessing"));
    QCOMPARE(cli.waitForExit(LoginTimeoutMs), 1);
    QVERIFY2(cli.hasLine(QStringLiteral("[server] ! login failed: wrong password")), qPrintable(cli.output()));
}

void tst_Cli::serverShutdownExitsWithTwo()
{
    Cli cli(args(QStringLiteral("bob")), Password);
    QVERIFY2(cli.waitForLine(QStringLiteral("[server] * online (1): bob"), LoginTimeoutMs), qPrintable(cli.output()));
    m_server->server->shutdown(QStringLiteral("maintenance"));
    QCOMPARE(cli.waitForExit(), 2);
    QVERIFY2(cli.hasLine(QStringLiteral("[server] ! the server is shutting down: maintenance")), qPrintable(cli.output()));
}

void tst_Cli::connectionRefusedExitsWithTwo()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const QString port = QString::number(probe.serverPort());
    probe.close();

    Cli cli({QStringLiteral("--port"), port, QStringLiteral("--user"), QStringLiteral("bob")}, Password);
    QCOMPARE(cli.waitForExit(), 2);
    QVERIFY2(cli.lines().filter(QRegularExpression(QStringLiteral("^\\[server\\] ! could not connect to 127\\.0\\.0\\.1:%1").arg(port))).size() == 1,
             qPrintable(cli.output()));
}

void tst_Cli::usageErrorsExitWithThree_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("password");

    const QString pw = Password;
    QTest::newRow("port zero") << QStringList{"--port", "0", "--user", "bob"} << pw;
    QTest::newRow("port not a number") << QStringList{"--port", "http", "--user", "bob"} << pw;
    QTest::newRow("port too big") << QStringList{"--port", "65536", "--user", "bob"} << pw;
    QTest::newRow("unknown option") << QStringList{"--frobnicate", "--user", "bob"} << pw;
    QTest::newRow("unknown transport") << QStringList{"--transport", "carrier-pigeon", "--user", "bob"} << pw;
    QTest::newRow("stray argument") << QStringList{"--user", "bob", "extra"} << pw;
    QTest::newRow("no user and no terminal") << QStringList{} << pw;
    QTest::newRow("no password and no terminal") << QStringList{"--user", "bob"} << QString();
    QTest::newRow("missing password file") << QStringList{"--user", "bob", "--password-file", "/nonexistent/pw"} << QString();
}

void tst_Cli::usageErrorsExitWithThree()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, password);
    Cli cli(arguments, password);
    QCOMPARE(cli.waitForExit(), 3);
    QVERIFY2(cli.output().contains(QLatin1String("confab-cli: ")), qPrintable(cli.output()));
    QCOMPARE(m_server->server->connectionCount(), 0);
}

void tst_Cli::seedRoomSpellings()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    QVERIFY(alice);
    QSignalSpy joined(alice.get(), &ClientSession::roomJoined);
    alice->createRoom(QStringLiteral("games"), QStringLiteral("board games"));
    QVERIFY(joined.wait(EventTimeoutMs));
    QSignalSpy roomText(alice.get(), &ClientSession::roomMessageReceived);
    QSignalSpy lobbyText(alice.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy memberLeft(alice.get(), &ClientSession::memberLeft);

    // Seed 001's spellings, piped: each line right after $roomjoin already goes to the room.
    Cli cli(args(QStringLiteral("bob")), QStringLiteral("secret1"));
    cli.write(QStringLiteral("$roomjoin #games\nhello games\n$roomlist\n$userlist\n/members\n"
                             "$roomleave\nback in the lobby\n$roomjoin nowhere\nstill lobby\n:q\n"));
    cli.closeInput();
    QCOMPARE(cli.waitForExit(LoginTimeoutMs), 0);
    const QStringList lines = cli.lines();
    for (const QString &expected : {QStringLiteral("[#games] * you joined (members: alice, bob)"),
                                    QStringLiteral("[#games] * topic: board games"),
                                    QStringLiteral("[#games] * delivered to 1"),
                                    QStringLiteral("[server] * #games (joined) — 2 member(s), owner alice: board games"),
                                    QStringLiteral("[#games] * members (2): alice, bob; owner alice"),
                                    QStringLiteral("[#games] * you left"),
                                    QStringLiteral("[lobby] * delivered to 1"),
                                    QStringLiteral("[#nowhere] ! no such room: nowhere"),
                                    QStringLiteral("[#nowhere] ! not sent: still lobby (no such room: nowhere)"),
                                    QStringLiteral("[lobby] * plain lines now go to the lobby")}) {
        QVERIFY2(lines.contains(expected), qPrintable(expected + QStringLiteral("\n---\n") + cli.output()));
    }
    QVERIFY2(lines.filter(QRegularExpression(QStringLiteral("^\\[server\\] \\* online \\(2\\)"))).size() == 2, qPrintable(cli.output()));
    QCOMPARE(roomText.count(), 1);
    QCOMPARE(roomText.at(0).at(2).toString(), QStringLiteral("hello games"));
    QCOMPARE(memberLeft.count(), 1);
    // A line typed after a refused join is never sent anywhere else.
    QTRY_COMPARE(lobbyText.count(), 1);
    QCOMPARE(lobbyText.at(0).at(1).toString(), QStringLiteral("back in the lobby"));
    QCOMPARE(lines.filter(QStringLiteral("no such room")).size(), 2); // the join, and the line meant for it
}

void tst_Cli::ownerKicksEveryoneWithSeedKick()
{
    auto alice = loggedIn(QStringLiteral("alice"));
    auto carol = loggedIn(QStringLiteral("carol"));
    QVERIFY(alice && carol);
    Cli cli(args(QStringLiteral("bob")), QStringLiteral("secret1"));
    cli.write(QStringLiteral("$roomcreate den\n/topic cozy corner\n"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * you created #den and joined it"), LoginTimeoutMs), qPrintable(cli.output()));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * topic set")), qPrintable(cli.output()));

    QSignalSpy aliceKicked(alice.get(), &ClientSession::kickedFromRoom);
    QSignalSpy carolKicked(carol.get(), &ClientSession::kickedFromRoom);
    alice->joinRoom(QStringLiteral("den"));
    carol->joinRoom(QStringLiteral("den"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * carol joined the room")), qPrintable(cli.output()));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * alice joined the room")), qPrintable(cli.output()));
    cli.write(QStringLiteral("$kick\n"));
    QVERIFY(aliceKicked.wait(EventTimeoutMs) || aliceKicked.count() == 1);
    QTRY_COMPARE(carolKicked.count(), 1);
    QCOMPARE(aliceKicked.at(0).at(1).toString(), QStringLiteral("bob"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * kicked everyone: 2 member(s)")), qPrintable(cli.output()));

    // Kick one with a reason, ban, and the refused rejoin.
    alice->joinRoom(QStringLiteral("den"));
    QVERIFY2(cli.waitForLine(QStringLiteral("[#den] * alice joined the room")), qPrintable(cli.output()));
    cli.write(QStringLiteral("/ban alice too loud\n"));
    QTRY_COMPARE(aliceKicked.count(), 2);
    QCOMPARE(aliceKicked.at(1).at(2).toString(), QStringLiteral("banned: too loud"));
    QSignalSpy refused(alice.get(), &ClientSession::requestFailed);
    alice->joinRoom(QStringLiteral("den"));
    QVERIFY(refused.wait(EventTimeoutMs));
    QCOMPARE(refused.at(0).at(1).value<ErrorCode>(), ErrorCode::BannedFromRoom);
    cli.write(QStringLiteral(":q\n"));
    QCOMPARE(cli.waitForExit(), 0);
}

void tst_Cli::pokeOpensADirectChatBetweenTwoClis()
{
    Cli alice(args(QStringLiteral("alice")), QStringLiteral("secret1"));
    QVERIFY2(alice.waitForLine(QStringLiteral("[server] * online (1): alice"), LoginTimeoutMs), qPrintable(alice.output()));
    Cli bob(args(QStringLiteral("bob")), QStringLiteral("secret1"));
    QVERIFY2(bob.waitForLine(QStringLiteral("[server] * online (2): alice, bob"), LoginTimeoutMs), qPrintable(bob.output()));

    alice.write(QStringLiteral("$poke bob\n")); // seed 001's spelling
    QVERIFY2(bob.waitForLine(QStringLiteral("[server] * alice asks for a direct chat: /accept alice or /decline alice")),
             qPrintable(bob.output()));
    bob.write(QStringLiteral("/accept\n"));
    QVERIFY2(QTest::qWaitFor([&] { return alice.lines().filter(QStringLiteral("[direct:bob] * direct chat with bob")).size() == 1; }, EventTimeoutMs),
             qPrintable(alice.output()));
    QVERIFY2(QTest::qWaitFor([&] { return bob.lines().filter(QStringLiteral("[direct:alice] * direct chat with alice")).size() == 1; }, EventTimeoutMs),
             qPrintable(bob.output()));

    const quint64 framesBefore = [&] {
        quint64 n = 0;
        for (const SessionInfo &s : m_server->server->sessions())
            n += s.stats.framesIn + s.stats.framesOut;
        return n;
    }();
    alice.write(QStringLiteral("hello over the direct line\n"));
    QVERIFY2(bob.waitForLine(QStringLiteral("[direct:alice] <alice> hello over the direct line")), qPrintable(bob.output()));
    bob.write(QStringLiteral("and back\n"));
    QVERIFY2(alice.waitForLine(QStringLiteral("[direct:bob] <bob> and back")), qPrintable(alice.output()));
    quint64 framesAfter = 0;
    for (const SessionInfo &s : m_server->server->sessions())
        framesAfter += s.stats.framesIn + s.stats.framesOut;
    QCOMPARE(framesAfter, framesBefore); // the server carried none of it

    bob.write(QStringLiteral("/leave\n"));
    QVERIFY2(alice.waitForLine(QStringLiteral("[direct:bob] * the direct chat ended")), qPrintable(alice.output()));
    QVERIFY2(alice.waitForLine(QStringLiteral("[lobby] * plain lines now go to the lobby")), qPrintable(alice.output()));
    alice.write(QStringLiteral(":q\n"));
    bob.write(QStringLiteral(":q\n"));
    QCOMPARE(alice.waitForExit(), 0);
    QCOMPARE(bob.waitForExit(), 0);
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
