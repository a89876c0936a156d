// The server's abuse limits (ServerConfig::limits, docs/SECURITY.md), each tripped and recovered
// from, over real loopback sockets: a client over a limit is told to slow down (SlowDown with
// retryAfter), one that goes on is disconnected and its address held back, the administrator sees
// every block (log and Limits tab) and can lift it.
#include "testsupport.h"

#include "limitsmodel.h"
#include <QApplication>
#include <QAbstractItemModelTester>
#include "limitsource.h"
#include "udplistener.h"

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");
const QString Loopback = QStringLiteral("127.0.0.1");

// Only the limit under test is on (the others are off, so they cannot interfere).
AbuseLimits only()
{
    AbuseLimits limits;
    limits.maxConnectionsPerAddress = 0;
    limits.newConnectionsPerAddress = 0;
    limits.messagesPerSecond = 0;
    limits.messageBurst = 0;
    limits.loginAttemptsPerAddress = 0;
    limits.loginAttemptsPerAccount = 0;
    limits.udpUnverifiedPerSecond = 0;
    limits.udpUnverifiedBurst = 0;
    return limits;
}

ServerConfig withLimits(const AbuseLimits &limits)
{
    ServerConfig config;
    config.limits = limits;
    return config;
}

bool isSlowDown(const std::optional<Message> &m)
{
    return errorCodeOf(m) == ErrorCode::SlowDown && m->contains(Key::RetryAfter);
}

std::optional<LimitBlock> blockOn(const ChatServer &server, const QString &target)
{
    for (const LimitBlock &block : server.limitBlocks()) {
        if (block.target == target)
            return block;
    }
    return std::nullopt;
}
} // namespace

class tst_Limits : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase_data() { addTransportRows(); }
    void messageRateSlowsDownWithoutLoss();
    void ignoringSlowDownDisconnectsAndHoldsBack();
    void connectionsAtOncePerAddress();
    void newConnectionsPerWindow();
    void loginAttemptsPerAccount();
    void loginAttemptsPerAddress();
    void limitsTabShowsAndLifts();
};

// The one limit that exists only for UDP, so it runs once, outside the per-transport rows.
class tst_UdpLimits : public QObject
{
    Q_OBJECT
private slots:
    void udpBeforeHandshake();
};

void tst_Limits::messageRateSlowsDownWithoutLoss()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.messagesPerSecond = 10;
    limits.messageBurst = 5;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    RawPeer alice(transport, ts.port()), bob(transport, ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("limit: account alice slowed down .*more than 10 messages a second")));

    constexpr int Count = 15; // 3 taken by Hello and Login, so 13 over the burst
    for (int i = 1; i <= Count; ++i)
        alice.send(Message::postLobby(quint64(i), QStringLiteral("m%1").arg(i)));
    // Told once, in plain words, with a time to wait; the connection stays open.
    bool warned = false;
    int delivered = 0;
    while (delivered < Count) {
        const std::optional<Message> m = alice.next(10000);
        QVERIFY(m);
        if (m->type() == MessageType::Error) {
            QVERIFY(isSlowDown(m));
            QVERIFY(!m->boolean(Key::Fatal));
            QVERIFY(m->integer(Key::RetryAfter) > 0);
            QVERIFY(m->text(Key::Message).contains(QStringLiteral("Slow down")));
            QVERIFY(!warned);
            warned = true;
            continue;
        }
        if (m->type() != MessageType::Delivered)
            continue; // bob's UserJoined
        QCOMPARE(m->replyTo(), quint64(++delivered)); // every message, in order: nothing lost
    }
    QVERIFY(warned);
    for (int i = 1; i <= Count; ++i)
        QCOMPARE(bob.expect(MessageType::LobbyMessage)->text(Key::Text), QStringLiteral("m%1").arg(i));
    const auto block = blockOn(*ts.server, QStringLiteral("alice"));
    QVERIFY(block);
    QCOMPARE(block->kind, LimitBlock::Kind::Account);
    QVERIFY(!block->heldBack);

    // Recovered: once the bucket has refilled the block is gone and messages pass at once again.
    QTRY_VERIFY_WITH_TIMEOUT(!blockOn(*ts.server, QStringLiteral("alice")), 10000);
    alice.send(Message::postLobby(100, QStringLiteral("calm again")));
    const auto reply = alice.next();
    QCOMPARE(reply->type(), MessageType::Delivered);
    QCOMPARE(reply->replyTo(), quint64(100));
}

void tst_Limits::ignoringSlowDownDisconnectsAndHoldsBack()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.messagesPerSecond = 20;
    limits.messageBurst = 3;
    limits.slowDownGraceMs = 200;
    limits.holdBackMs = 60 * 1000;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    RawPeer flooder(transport, ts.port());
    QVERIFY(flooder.login(QStringLiteral("mallory"), pw));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("limit: address 127.0.0.1 held back for 60 s: kept sending")));

    for (int i = 1; i <= 200; ++i)
        flooder.send(Message::postLobby(quint64(i), QStringLiteral("spam")));
    std::optional<Message> m;
    bool warned = false;
    for (;;) {
        m = flooder.next(10000);
        QVERIFY(m);
        if (m->type() != MessageType::Error)
            continue;
        QVERIFY(isSlowDown(m));
        if (!m->boolean(Key::Fatal)) {
            warned = true; // first told to slow down...
            continue;
        }
        break; // ...then disconnected
    }
    QVERIFY(warned);
    QCOMPARE(m->integer(Key::RetryAfter), qint64(limits.holdBackMs));
    QVERIFY(flooder.waitClosed());
    QTRY_COMPARE(ts.server->onlineUsers(), QStringList());

    // Held back: a new connection from the address is refused, with the time left.
    const auto block = blockOn(*ts.server, Loopback);
    QVERIFY(block && block->heldBack);
    {
        RawPeer again(transport, ts.port());
        const auto refused = again.next();
        QVERIFY(isSlowDown(refused));
        QVERIFY(refused->boolean(Key::Fatal));
        QVERIFY(refused->integer(Key::RetryAfter) > 0);
        QVERIFY(refused->text(Key::Message).contains(QStringLiteral("held back")));
        QVERIFY(again.waitClosed());
    }
    // Recovered: the administrator lifts it, and the address may connect and log in again.
    QVERIFY(ts.server->liftLimitBlock(LimitBlock::Kind::Address, Loopback));
    QVERIFY(!blockOn(*ts.server, Loopback));
    RawPeer back(transport, ts.port());
    QCOMPARE(back.login(QStringLiteral("mallory"), pw)->type(), MessageType::LoginOk);
}

void tst_Limits::connectionsAtOncePerAddress()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.maxConnectionsPerAddress = 2;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    auto first = std::make_unique<RawPeer>(transport, ts.port());
    RawPeer second(transport, ts.port());
    QVERIFY(first->login(QStringLiteral("alice"), pw));
    QVERIFY(second.login(QStringLiteral("bob"), pw));
    {
        RawPeer third(transport, ts.port());
        const auto refused = third.next();
        QVERIFY(isSlowDown(refused));
        QVERIFY(refused->boolean(Key::Fatal));
        QVERIFY(refused->text(Key::Message).contains(QStringLiteral("at most 2 at once")));
        QVERIFY(third.waitClosed());
    }
    QVERIFY(blockOn(*ts.server, Loopback));
    QTRY_COMPARE(ts.server->connectionCount(), 2);

    // Recovered: one closes, and there is room again.
    first->send(Message::quit());
    QVERIFY(first->waitClosed());
    first.reset();
    QTRY_COMPARE(ts.server->connectionCount(), 1);
    RawPeer fourth(transport, ts.port());
    QCOMPARE(fourth.login(QStringLiteral("carol"), pw)->type(), MessageType::LoginOk);
}

void tst_Limits::newConnectionsPerWindow()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.newConnectionsPerAddress = 3;
    limits.windowMs = 60 * 1000; // long enough that a loaded machine cannot let it pass early
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    for (int i = 0; i < 3; ++i) {
        RawPeer peer(transport, ts.port());
        peer.send(Message::hello(QStringLiteral("t")));
        QVERIFY(peer.expect(MessageType::Welcome));
    }
    {
        RawPeer fourth(transport, ts.port());
        const auto refused = fourth.next();
        QVERIFY(isSlowDown(refused));
        QVERIFY(refused->boolean(Key::Fatal));
        QVERIFY(refused->integer(Key::RetryAfter) > 0);
        QVERIFY(refused->integer(Key::RetryAfter) <= limits.windowMs);
        QVERIFY(fourth.waitClosed());
    }
    const auto block = blockOn(*ts.server, Loopback);
    QVERIFY(block && !block->heldBack);

    // Recovered: once the window has moved on, connections are taken again.
    ts.server->advanceLimitClock(limits.windowMs);
    QVERIFY(!blockOn(*ts.server, Loopback));
    RawPeer later(transport, ts.port());
    QCOMPARE(later.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
}

void tst_Limits::loginAttemptsPerAccount()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.loginAttemptsPerAccount = 2;
    limits.windowMs = 60 * 1000;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    {
        RawPeer owner(transport, ts.port());
        QVERIFY(owner.login(QStringLiteral("alice"), pw)); // attempt 1: creates the account
    }
    RawPeer guesser(transport, ts.port());
    QCOMPARE(errorCodeOf(guesser.login(QStringLiteral("alice"), QStringLiteral("guess1"), 5)), ErrorCode::WrongPassword);
    guesser.send(Message::login(6, QStringLiteral("Alice"), QStringLiteral("guess2")));
    const auto refused = guesser.next();
    QVERIFY(isSlowDown(refused));
    QCOMPARE(refused->replyTo(), quint64(6));
    QVERIFY(!refused->boolean(Key::Fatal)); // only refused: the account's owner is not punished
    QVERIFY(refused->text(Key::Message).contains(QStringLiteral("slow down")));
    const auto block = blockOn(*ts.server, QStringLiteral("alice"));
    QVERIFY(block);
    QCOMPARE(block->kind, LimitBlock::Kind::Account);

    // Other accounts are not affected, and the account recovers when the window moves on.
    RawPeer bob(transport, ts.port());
    QCOMPARE(bob.login(QStringLiteral("bob"), pw)->type(), MessageType::LoginOk);
    ts.server->advanceLimitClock(limits.windowMs);
    QVERIFY(!blockOn(*ts.server, QStringLiteral("alice")));
    guesser.send(Message::login(7, QStringLiteral("alice"), pw));
    const auto ok = guesser.next();
    QVERIFY(ok);
    QCOMPARE(ok->type(), MessageType::LoginOk);
    QCOMPARE(ok->replyTo(), quint64(7));
}

void tst_Limits::loginAttemptsPerAddress()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.loginAttemptsPerAddress = 2;
    limits.windowMs = 60 * 1000;
    limits.holdBackMs = 30 * 1000;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    {
        RawPeer owner(transport, ts.port());
        QVERIFY(owner.login(QStringLiteral("alice"), pw)); // attempt 1
    }
    RawPeer guesser(transport, ts.port());
    QCOMPARE(errorCodeOf(guesser.login(QStringLiteral("a"), QStringLiteral("x"), 1)), ErrorCode::InvalidUsername); // not hashed: not counted
    guesser.send(Message::login(2, QStringLiteral("alice"), QStringLiteral("wrong1"))); // attempt 2
    QCOMPARE(errorCodeOf(guesser.next()), ErrorCode::WrongPassword);
    // Over the allowance: refused, told to slow down, still connected.
    for (quint64 id = 3; id <= 4; ++id) {
        guesser.send(Message::login(id, QStringLiteral("alice"), QStringLiteral("wrong")));
        const auto refused = guesser.next();
        QVERIFY(isSlowDown(refused));
        QCOMPARE(refused->replyTo(), id);
        QVERIFY(!refused->boolean(Key::Fatal));
    }
    // Twice over: disconnected, and the address is held back.
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("limit: address 127.0.0.1 held back .*login attempts")));
    guesser.send(Message::login(5, QStringLiteral("alice"), QStringLiteral("wrong")));
    const auto last = guesser.next();
    QVERIFY(isSlowDown(last));
    QVERIFY(last->boolean(Key::Fatal));
    QVERIFY(guesser.waitClosed());
    const auto block = blockOn(*ts.server, Loopback);
    QVERIFY(block);
    const QList<LimitBlock> blocks = ts.server->limitBlocks();
    QVERIFY(std::any_of(blocks.cbegin(), blocks.cend(), [](const LimitBlock &b) { return b.heldBack; }));

    // Recovered: once the hold-back and the window have passed, the address logs in again.
    QVERIFY(blockOn(*ts.server, Loopback)); // still held back: nothing passes by itself
    ts.server->advanceLimitClock(limits.windowMs);
    QVERIFY(!blockOn(*ts.server, Loopback));
    RawPeer owner(transport, ts.port());
    QCOMPARE(owner.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
}

void tst_UdpLimits::udpBeforeHandshake()
{
    AbuseLimits limits = only();
    limits.udpUnverifiedPerSecond = 2;
    limits.udpUnverifiedBurst = 3;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    QUdpSocket source;
    QVERIFY(source.bind(QHostAddress::LocalHost, 0));
    UdpWire::Datagram probe;
    probe.kind = UdpWire::Kind::Probe;
    probe.connectionId = 0x5eed;
    const QByteArray bytes = UdpWire::encode(probe);
    constexpr int Sent = 12;
    for (int i = 0; i < Sent; ++i)
        source.writeDatagram(bytes, QHostAddress::LocalHost, ts.port());
    QTRY_COMPARE(ts.server->udpListener()->stats().datagramsIn, quint64(Sent));
    const UdpListener::Stats stats = ts.server->udpListener()->stats();
    // The burst is answered, the rest dropped unanswered before any other work.
    QVERIFY2(stats.probesAnswered >= 3 && stats.probesAnswered < Sent, qPrintable(QString::number(stats.probesAnswered)));
    QCOMPARE(stats.throttled, Sent - stats.probesAnswered);
    const auto block = blockOn(*ts.server, Loopback);
    QVERIFY(block);
    QVERIFY(block->rule.contains(QStringLiteral("before the handshake")));

    // Recovered: the bucket refills, and a client completes its handshake and logs in.
    QTRY_VERIFY_WITH_TIMEOUT(!blockOn(*ts.server, Loopback), 10000);
    RawPeer client(RawPeer::Transport::Udp, ts.port());
    QVERIFY(client.isConnected());
    QCOMPARE(client.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
}

void tst_Limits::limitsTabShowsAndLifts()
{
    QFETCH_GLOBAL(RawPeer::Transport, transport);
    AbuseLimits limits = only();
    limits.newConnectionsPerAddress = 1;
    TestServer ts(withLimits(limits));
    QVERIFY(ts.start());
    LimitsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addSource(new BanLimitSource(ts.server.get()));
    model.addSource(new RateLimitSource(ts.server.get()));
    QCOMPARE(model.rowCount(), 0);

    { RawPeer first(transport, ts.port()); }
    for (int i = 0; i < 2; ++i) { // the second over the allowance, the third twice over
        RawPeer refused(transport, ts.port());
        QVERIFY(isSlowDown(refused.next()));
    }
    // Both rules the address hit are listed, with their own rows.
    QCOMPARE(model.rowCount(), 2);
    QStringList rules;
    for (int row = 0; row < model.rowCount(); ++row) {
        QCOMPARE(model.entryAt(row).target, Loopback);
        QCOMPARE(model.entryAt(row).kind, HeldBack::Kind::Address);
        QVERIFY(model.entryAt(row).until.isValid());
        rules << model.entryAt(row).rule;
    }
    rules.sort();
    QVERIFY2(rules.at(0).contains(QStringLiteral("more than 1 new connections")), qPrintable(rules.join(u';')));
    QVERIFY2(rules.at(1).contains(QStringLiteral("more than 2 connection attempts")), qPrintable(rules.join(u';')));

    // Lifting from the tab lets the address in again at once.
    QString error;
    QVERIFY(model.lift(0, &error));
    QCOMPARE(model.rowCount(), 0);
    RawPeer back(transport, ts.port());
    QCOMPARE(back.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv); // the Limits tab's model is tested too
    tst_Limits limits;
    tst_UdpLimits udpLimits;
    const int failedLimits = QTest::qExec(&limits, argc, argv);
    const int failedUdpLimits = QTest::qExec(&udpLimits, argc, argv);
    return failedLimits + failedUdpLimits == 0 ? 0 : 1;
}

#include "tst_limits.moc"
