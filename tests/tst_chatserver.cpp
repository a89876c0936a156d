// The server core over real loopback sockets: accounts, lobby, DMs, presence, keepalive,
// shutdown, and every kind of bad input. Every test runs over TCP and over UDP (the global data
// rows "tcp" and "udp"); the few about one transport's framing skip the other row.
#include "testsupport.h"

#include "udplistener.h"
#include "udpwire.h"

#include <QtEndian>

using namespace Confab;
using namespace ConfabTest;

class tst_ChatServer : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase_data();
    void helloGetsWelcome();
    void firstMessageMustBeHello();
    void versionMismatchIsRefused();
    void newUsernameCreatesAccount();
    void usernamesAreCaseInsensitive();
    void secondLoginIsRefused();
    void invalidUsernames_data();
    void invalidUsernames();
    void newAccountNeedsLongerPassword();
    void commandsBeforeLoginAreRefused();
    void accountsPersistAcrossRestart();
    void lobbyReachesEveryoneElse();
    void directMessages();
    void userListAndPresence();
    void quitEndsSessionCleanly();
    void malformedPayloadKeepsConnection_data();
    void malformedPayloadKeepsConnection();
    void emptyLobbyTextRefused();
    void silentPeerIsDropped();
    void shutdownNotifiesEveryone();
    void vanishedPeerIsReportedAsLeft();
    void loginTimeout();

private:
    static RawPeer::Transport currentTransport()
    {
        QFETCH_GLOBAL(RawPeer::Transport, transport);
        return transport;
    }
};

// Garbage that only one transport can carry: a TCP length prefix, or a stray UDP datagram. These
// run once each, outside the per-transport rows.
class tst_TransportGarbage : public QObject
{
    Q_OBJECT
private slots:
    void oversizedFrameClosesOnlyThatConnection(); // TCP
    void emptyFrameClosesConnection();             // TCP
    void garbageFromThePeersAddressIsDropped();    // UDP

private:
    static constexpr RawPeer::Transport Tcp = RawPeer::Transport::Tcp;
    static constexpr RawPeer::Transport Udp = RawPeer::Transport::Udp;
};

void tst_ChatServer::initTestCase_data()
{
    addTransportRows();
}

void tst_ChatServer::helloGetsWelcome()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    QVERIFY(peer.isConnected());
    peer.send(Message::hello(QStringLiteral("test")));
    const auto welcome = peer.expect(MessageType::Welcome);
    QVERIFY(welcome);
    QCOMPARE(welcome->integer(Key::Version), qint64(ProtocolVersion));
    QCOMPARE(welcome->map(Key::Limits).value(Key::MaxFrame).toInteger(), qint64(Limits::MaxFramePayload));
    // The capabilities name the transports served, both by default.
    QStringList caps;
    for (const QCborValue &cap : welcome->array(Key::Caps))
        caps << cap.toString();
    QVERIFY2(caps.contains(QStringLiteral("tcp")) && caps.contains(QStringLiteral("udp")), qPrintable(caps.join(u',')));
}

void tst_ChatServer::firstMessageMustBeHello()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    peer.send(Message::login(1, QStringLiteral("alice"), QStringLiteral("secret1")));
    const auto reply = peer.next();
    QCOMPARE(errorCodeOf(reply), ErrorCode::HelloRequired);
    QVERIFY(reply->boolean(Key::Fatal));
    QVERIFY(peer.waitClosed());
}

void tst_ChatServer::versionMismatchIsRefused()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    Message hello = Message::hello(QStringLiteral("future"));
    hello.set(Key::Version, 99);
    peer.send(hello);
    const auto reply = peer.next();
    QCOMPARE(errorCodeOf(reply), ErrorCode::VersionMismatch);
    QVERIFY(reply->text(Key::Message).contains(QStringLiteral("99")));
    QVERIFY(peer.waitClosed());
}

void tst_ChatServer::newUsernameCreatesAccount()
{
    TestServer ts;
    QVERIFY(ts.start());
    QSignalSpy created(ts.server->accounts(), &AccountStore::accountCreated);
    RawPeer alice(currentTransport(), ts.port());
    const auto ok = alice.login(QStringLiteral("Alice"), QStringLiteral("secret1"), 5);
    QVERIFY(ok);
    QCOMPARE(ok->type(), MessageType::LoginOk);
    QCOMPARE(ok->replyTo(), quint64(5));
    QCOMPARE(ok->text(Key::User), QStringLiteral("Alice"));
    QVERIFY(ok->boolean(Key::Created));
    QCOMPARE(created.count(), 1);
    const auto account = ts.server->accounts()->find(QStringLiteral("alice"));
    QVERIFY(account);
    // Only a salted slow hash is stored, never the password.
    QCOMPARE(account->password.iterations, TestIterations);
    QCOMPARE(account->password.salt.size(), PasswordHasher::SaltBytes);
    QCOMPARE(account->password.hash, PasswordHasher::derive(QStringLiteral("secret1"), account->password.salt, TestIterations));
    QVERIFY(!account->password.hash.contains("secret1"));
    QCOMPARE(ts.server->onlineUsers(), QStringList{QStringLiteral("Alice")});
}

void tst_ChatServer::usernamesAreCaseInsensitive()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer first(currentTransport(), ts.port());
        QCOMPARE(first.login(QStringLiteral("Alice"), QStringLiteral("secret1"))->type(), MessageType::LoginOk);
        first.send(Message::quit());
        QVERIFY(first.waitClosed());
    }
    RawPeer again(currentTransport(), ts.port());
    const auto ok = again.login(QStringLiteral("ALICE"), QStringLiteral("secret1"));
    QCOMPARE(ok->type(), MessageType::LoginOk);
    QVERIFY(!ok->boolean(Key::Created));
    QCOMPARE(ok->text(Key::User), QStringLiteral("Alice")); // the registered spelling
    QCOMPARE(ts.server->accounts()->count(), 1);
}

void tst_ChatServer::secondLoginIsRefused()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer first(currentTransport(), ts.port());
    QCOMPARE(first.login(QStringLiteral("alice"), QStringLiteral("secret1"))->type(), MessageType::LoginOk);
    RawPeer second(currentTransport(), ts.port());
    const auto reply = second.login(QStringLiteral("alice"), QStringLiteral("secret1"), 9);
    QCOMPARE(errorCodeOf(reply), ErrorCode::AlreadyLoggedIn);
    QCOMPARE(reply->replyTo(), quint64(9));
    // The refused connection stays open and may log in as someone else.
    second.send(Message::login(10, QStringLiteral("bob"), QStringLiteral("secret2")));
    QCOMPARE(second.expect(MessageType::LoginOk)->text(Key::User), QStringLiteral("bob"));
    // A second Login on a logged-in connection is refused too.
    second.send(Message::login(11, QStringLiteral("carol"), QStringLiteral("secret3")));
    QCOMPARE(errorCodeOf(second.next()), ErrorCode::AlreadyLoggedIn);
}

void tst_ChatServer::invalidUsernames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("too-short") << QStringLiteral("a");
    QTest::newRow("too-long") << QString(33, u'a');
    QTest::newRow("space") << QStringLiteral("al ice");
    QTest::newRow("starts-with-digit") << QStringLiteral("1alice");
    QTest::newRow("non-ascii") << QStringLiteral("älice");
    QTest::newRow("markup") << QStringLiteral("<b>x</b>");
    QTest::newRow("empty") << QString();
}

void tst_ChatServer::invalidUsernames()
{
    QFETCH(QString, name);
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    const auto reply = peer.login(name, QStringLiteral("secret1"));
    QCOMPARE(errorCodeOf(reply), ErrorCode::InvalidUsername);
    QVERIFY(!reply->text(Key::Message).isEmpty());
    QCOMPARE(ts.server->accounts()->count(), 0);
}

void tst_ChatServer::newAccountNeedsLongerPassword()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    QCOMPARE(errorCodeOf(peer.login(QStringLiteral("alice"), QStringLiteral("abc"))), ErrorCode::InvalidPassword);
    peer.send(Message::login(2, QStringLiteral("alice"), QString()));
    QCOMPARE(errorCodeOf(peer.next()), ErrorCode::InvalidPassword);
    QCOMPARE(ts.server->accounts()->count(), 0);
}

void tst_ChatServer::commandsBeforeLoginAreRefused()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(currentTransport(), ts.port());
    peer.send(Message::hello(QStringLiteral("t")));
    QVERIFY(peer.expect(MessageType::Welcome));
    peer.send(Message::postLobby(3, QStringLiteral("hi")));
    const auto reply = peer.next();
    QCOMPARE(errorCodeOf(reply), ErrorCode::NotLoggedIn);
    QCOMPARE(reply->replyTo(), quint64(3));
    peer.send(Message::listUsers(4));
    QCOMPARE(errorCodeOf(peer.next()), ErrorCode::NotLoggedIn);
}

void tst_ChatServer::accountsPersistAcrossRestart()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer peer(currentTransport(), ts.port());
        QVERIFY(peer.login(QStringLiteral("alice"), QStringLiteral("correct horse"))->boolean(Key::Created));
    }
    QVERIFY(ts.restart());
    RawPeer wrong(currentTransport(), ts.port());
    QCOMPARE(errorCodeOf(wrong.login(QStringLiteral("alice"), QStringLiteral("battery staple"))), ErrorCode::WrongPassword);
    wrong.send(Message::login(2, QStringLiteral("alice"), QStringLiteral("correct horse")));
    const auto ok = wrong.next(15000);
    QCOMPARE(ok->type(), MessageType::LoginOk);
    QVERIFY(!ok->boolean(Key::Created));
    const auto account = ts.server->accounts()->find(QStringLiteral("alice"));
    QVERIFY(account->lastLogin.isValid());
}

void tst_ChatServer::lobbyReachesEveryoneElse()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), bob(currentTransport(), ts.port()), carol(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    QVERIFY(carol.login(QStringLiteral("carol"), QStringLiteral("secret1")));

    alice.send(Message::postLobby(42, QStringLiteral("hello, <everyone> ✓")));
    const auto delivered = alice.expect(MessageType::Delivered);
    QVERIFY(delivered);
    QCOMPARE(delivered->replyTo(), quint64(42));
    QCOMPARE(delivered->integer(Key::Count), 2);
    for (RawPeer *peer : {&bob, &carol}) {
        const auto m = peer->expect(MessageType::LobbyMessage);
        QVERIFY(m);
        QCOMPARE(m->text(Key::From), QStringLiteral("alice"));
        QCOMPARE(m->text(Key::Text), QStringLiteral("hello, <everyone> ✓"));
        QCOMPARE(m->integer(Key::Msg), delivered->integer(Key::Msg));
    }
    // The sender does not get its own message back.
    QVERIFY(!alice.expect(MessageType::LobbyMessage, 200));
}

void tst_ChatServer::directMessages()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), bob(currentTransport(), ts.port()), carol(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    QVERIFY(carol.login(QStringLiteral("carol"), QStringLiteral("secret1")));
    carol.send(Message::quit());
    QVERIFY(carol.waitClosed());

    alice.send(Message::postDm(1, QStringLiteral("BOB"), QStringLiteral("psst")));
    const auto dm = bob.expect(MessageType::DmMessage);
    QVERIFY(dm);
    QCOMPARE(dm->text(Key::From), QStringLiteral("alice"));
    QCOMPARE(dm->text(Key::To), QStringLiteral("bob"));
    QCOMPARE(dm->text(Key::Text), QStringLiteral("psst"));
    const auto ok = alice.expect(MessageType::Delivered);
    QCOMPARE(ok->replyTo(), quint64(1));
    QCOMPARE(ok->integer(Key::Count), 1);

    alice.send(Message::postDm(2, QStringLiteral("nobody"), QStringLiteral("hello?")));
    auto reply = alice.expect(MessageType::Error);
    QCOMPARE(errorCodeOf(reply), ErrorCode::NoSuchUser);
    QCOMPARE(reply->replyTo(), quint64(2));

    alice.send(Message::postDm(3, QStringLiteral("carol"), QStringLiteral("are you there?")));
    reply = alice.expect(MessageType::Error);
    QCOMPARE(errorCodeOf(reply), ErrorCode::UserOffline);
    QCOMPARE(reply->replyTo(), quint64(3));
    // Carol, bob's third party, received nothing; bob got exactly one DM.
    QVERIFY(!bob.expect(MessageType::DmMessage, 200));
}

void tst_ChatServer::userListAndPresence()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    RawPeer bob(currentTransport(), ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    const auto joined = alice.expect(MessageType::UserJoined);
    QCOMPARE(joined->text(Key::User), QStringLiteral("bob"));
    QCOMPARE(joined->text(Key::Transport), transportName(currentTransport()));

    bob.send(Message::listUsers(8));
    const auto list = bob.expect(MessageType::UserList);
    QCOMPARE(list->replyTo(), quint64(8));
    QStringList names;
    for (const QCborValue &v : list->array(Key::Users))
        names << v.toMap().value(Key::User).toString();
    QCOMPARE(names, (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
    for (const QCborValue &v : list->array(Key::Users))
        QCOMPARE(v.toMap().value(Key::Transport).toString(), transportName(currentTransport()));
}

void tst_ChatServer::quitEndsSessionCleanly()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), bob(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    bob.send(Message::quit(QStringLiteral("dinner")));
    QVERIFY(bob.waitClosed());
    const auto left = alice.expect(MessageType::UserLeft);
    QCOMPARE(left->text(Key::User), QStringLiteral("bob"));
    QVERIFY(left->text(Key::Reason).contains(QStringLiteral("dinner")));
    QCOMPARE(ts.server->onlineUsers(), QStringList{QStringLiteral("alice")});
}

void tst_TransportGarbage::oversizedFrameClosesOnlyThatConnection()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(Tcp, ts.port()), bob(Tcp, ts.port()), mallory(Tcp, ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    QVERIFY(mallory.login(QStringLiteral("mallory"), QStringLiteral("secret1")));

    QByteArray header(4, Qt::Uninitialized);
    qToBigEndian<quint32>(Limits::MaxFramePayload + 1, header.data());
    mallory.sendRaw(header); // the header alone is enough to be refused
    const auto reply = mallory.next();
    QCOMPARE(errorCodeOf(reply), ErrorCode::FrameTooLarge);
    QVERIFY(reply->boolean(Key::Fatal));
    QVERIFY(mallory.waitClosed());
    QCOMPARE(alice.expect(MessageType::UserLeft)->text(Key::User), QStringLiteral("mallory"));

    alice.send(Message::postLobby(1, QStringLiteral("still here?")));
    QCOMPARE(bob.expect(MessageType::LobbyMessage)->text(Key::Text), QStringLiteral("still here?"));
    QCOMPARE(alice.expect(MessageType::Delivered)->integer(Key::Count), 1);
}

void tst_TransportGarbage::emptyFrameClosesConnection()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer peer(Tcp, ts.port());
    peer.sendRaw(QByteArray(4, '\0'));
    QCOMPARE(errorCodeOf(peer.next()), ErrorCode::EmptyFrame);
    QVERIFY(peer.waitClosed());
}

// Datagrams that must change nothing, built for the connection id of the peer that sends them.
static QByteArray garbageDatagram(const QString &kind, quint32 connectionId)
{
    UdpWire::Datagram data;
    data.kind = UdpWire::Kind::Data;
    data.connectionId = connectionId;
    data.seq = 1000;
    data.fragmentCount = 1;
    data.fragment = QByteArray(100, 'x');
    QByteArray bytes = UdpWire::encode(data);
    if (kind == QLatin1String("seed-002-text"))
        return QByteArrayLiteral("PROBE");
    if (kind == QLatin1String("bad-magic"))
        bytes[0] = char(0x17); // a DTLS record's first byte
    else if (kind == QLatin1String("bad-version"))
        bytes[0] = char(0xC2);
    else if (kind == QLatin1String("unknown-kind"))
        bytes[1] = char(99);
    else if (kind == QLatin1String("zero-connection-id"))
        bytes.replace(2, 4, QByteArray(4, '\0'));
    else if (kind == QLatin1String("truncated-fragment"))
        bytes.chop(50); // the length field still says 100
    else if (kind == QLatin1String("absurd-fragment-count"))
        bytes[23] = char(200);
    else if (kind == QLatin1String("fragment-index-past-count"))
        bytes[22] = char(1);
    else if (kind == QLatin1String("oversized")) {
        data.fragment = QByteArray(UdpWire::MaxFragmentPayload, 'x');
        bytes = UdpWire::encode(data) + QByteArray(300, 'x');
    } else if (kind == QLatin1String("short-header"))
        bytes.truncate(5);
    else if (kind == QLatin1String("other-connection-id")) {
        data.connectionId = connectionId + 1;
        bytes = UdpWire::encode(data);
    } else if (kind == QLatin1String("ack-of-unsent")) {
        UdpWire::Datagram ack;
        ack.kind = UdpWire::Kind::Ack;
        ack.connectionId = connectionId;
        ack.ack = 1000000; // the server never sent that much: forged or stale
        bytes = UdpWire::encode(ack);
    } else if (kind == QLatin1String("hello-of-this-id")) {
        UdpWire::Datagram hello; // the channel exists: it answers Accept, nothing more
        hello.kind = UdpWire::Kind::Hello;
        hello.connectionId = connectionId;
        bytes = UdpWire::encode(hello);
    }
    return bytes;
}

void tst_TransportGarbage::garbageFromThePeersAddressIsDropped()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(Udp, ts.port()), bob(Udp, ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    QVERIFY(alice.expect(MessageType::UserJoined));

    quint64 id = 100;
    for (const char *name : {"seed-002-text", "bad-magic", "bad-version", "unknown-kind", "zero-connection-id",
                             "short-header", "truncated-fragment", "absurd-fragment-count",
                             "fragment-index-past-count", "oversized", "other-connection-id", "ack-of-unsent",
                             "hello-of-this-id"}) {
        const QString kind = QString::fromLatin1(name);
        const UdpListener::Stats before = ts.server->udpListener()->stats();
        // From alice's own address and port, so it reaches her channel (or the gate, for another id).
        const QByteArray garbage = garbageDatagram(kind, alice.connectionId());
        for (int i = 0; i < 3; ++i)
            alice.sendRaw(garbage);
        QVERIFY2(QTest::qWaitFor([&] { return ts.server->udpListener()->stats().datagramsIn >= before.datagramsIn + 3; }),
                 name);
        const UdpListener::Stats after = ts.server->udpListener()->stats();
        // A Hello with her id reaches her channel, which answers Accept (6 bytes) and nothing more.
        const quint64 dropped = kind == QLatin1String("hello-of-this-id") ? 0 : 3;
        QVERIFY2(after.dropped == before.dropped + dropped, name);
        QVERIFY2(after.admitted == before.admitted, name);

        // Nothing was disturbed: the same two sessions, and alice still chats in order.
        QVERIFY2(ts.server->connectionCount() == 2, name);
        QVERIFY2(ts.server->udpListener()->channelCount() == 2, name);
        ++id;
        alice.send(Message::postLobby(id, QStringLiteral("still here after %1").arg(kind)));
        const auto delivered = alice.expect(MessageType::Delivered);
        QVERIFY2(delivered && delivered->replyTo() == id && delivered->integer(Key::Count) == 1, name);
        const auto got = bob.expect(MessageType::LobbyMessage);
        QVERIFY2(got && got->text(Key::Text) == QStringLiteral("still here after %1").arg(kind), name);
    }
    QCOMPARE(ts.server->onlineUsers(), (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
}

void tst_ChatServer::malformedPayloadKeepsConnection_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<ErrorCode>("expected");
    QTest::addColumn<quint64>("re");
    QCborMap unknown;
    unknown.insert(Key::Type, 4000);
    unknown.insert(Key::Id, 17);
    QCborMap missing;
    missing.insert(Key::Type, qint64(MessageType::PostDm));
    missing.insert(Key::Id, 18);
    missing.insert(Key::Text, QStringLiteral("no recipient"));
    QCborMap mistyped;
    mistyped.insert(Key::Type, qint64(MessageType::PostLobby));
    mistyped.insert(Key::Id, 19);
    mistyped.insert(Key::Text, QCborArray{1, 2, 3});
    QCborMap tooLong;
    tooLong.insert(Key::Type, qint64(MessageType::PostLobby));
    tooLong.insert(Key::Id, 20);
    tooLong.insert(Key::Text, QString(Limits::MaxTextBytes + 1, u'x'));
    QCborMap serverOnly = Message::lobbyMessage(QStringLiteral("x"), QStringLiteral("y"), 1, 1).toCborMap();
    QTest::newRow("garbage") << QByteArray("\x9f\xff\xff\x00garbage", 11) << ErrorCode::MalformedMessage << quint64(0);
    QTest::newRow("unknown-type") << unknown.toCborValue().toCbor() << ErrorCode::UnknownMessageType << quint64(17);
    QTest::newRow("missing-field") << missing.toCborValue().toCbor() << ErrorCode::BadField << quint64(18);
    QTest::newRow("mistyped-field") << mistyped.toCborValue().toCbor() << ErrorCode::BadField << quint64(19);
    QTest::newRow("text-too-long") << tooLong.toCborValue().toCbor() << ErrorCode::TextTooLong << quint64(20);
    QTest::newRow("server-only-type") << serverOnly.toCborValue().toCbor() << ErrorCode::UnexpectedMessage << quint64(0);
}

void tst_ChatServer::malformedPayloadKeepsConnection()
{
    QFETCH(QByteArray, payload);
    QFETCH(ErrorCode, expected);
    QFETCH(quint64, re);
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), bob(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    alice.sendPayload(payload); // a TCP frame, or one UDP channel payload
    const auto reply = alice.expect(MessageType::Error);
    QCOMPARE(errorCodeOf(reply), expected);
    QCOMPARE(reply->replyTo(), re);
    QVERIFY(!reply->boolean(Key::Fatal));
    // The stream is still in sync: the next good message goes through.
    alice.send(Message::postLobby(21, QStringLiteral("after the bad one")));
    QCOMPARE(alice.expect(MessageType::Delivered)->replyTo(), quint64(21));
    QCOMPARE(bob.expect(MessageType::LobbyMessage)->text(Key::Text), QStringLiteral("after the bad one"));
}

void tst_ChatServer::emptyLobbyTextRefused()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    alice.send(Message::postLobby(5, QStringLiteral("   ")));
    const auto reply = alice.expect(MessageType::Error);
    QCOMPARE(errorCodeOf(reply), ErrorCode::TextTooLong);
    QCOMPARE(reply->replyTo(), quint64(5));
}

void tst_ChatServer::silentPeerIsDropped()
{
    ServerConfig config;
    config.pingIntervalMs = 100;
    config.idleTimeoutMs = 400;
    TestServer ts(config);
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), silent(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(silent.login(QStringLiteral("silent"), QStringLiteral("secret1")));
    silent.autoPong = false;
    QElapsedTimer timer;
    timer.start();
    // Alice answers pings, so she stays; the silent one is dropped within the idle timeout.
    const auto left = alice.expect(MessageType::UserLeft, 5000);
    QVERIFY(left);
    QCOMPARE(left->text(Key::User), QStringLiteral("silent"));
    QCOMPARE(left->text(Key::Reason), QStringLiteral("timed out"));
    QVERIFY(silent.waitClosed());
    QVERIFY(timer.elapsed() < 5000);
    QCOMPARE(ts.server->onlineUsers(), QStringList{QStringLiteral("alice")});
}

void tst_ChatServer::shutdownNotifiesEveryone()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port()), bob(currentTransport(), ts.port()), anonymous(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
    QSignalSpy stopped(ts.server.get(), &ChatServer::stopped);
    ts.server->shutdown(QStringLiteral("maintenance at noon"));
    for (RawPeer *peer : {&alice, &bob, &anonymous}) {
        const auto notice = peer->expect(MessageType::ServerShutdown);
        QVERIFY(notice);
        QCOMPARE(notice->text(Key::Reason), QStringLiteral("maintenance at noon"));
        QVERIFY(peer->waitClosed());
    }
    QVERIFY(stopped.count() == 1 || stopped.wait(5000));
    QVERIFY(!ts.server->accounts()->isOpen());
    QVERIFY(!ts.server->isListening());
}

void tst_ChatServer::vanishedPeerIsReportedAsLeft()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(currentTransport(), ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("secret1")));
    {
        RawPeer bob(currentTransport(), ts.port());
        QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("secret1")));
        bob.abort();
    }
    const auto left = alice.expect(MessageType::UserLeft);
    QCOMPARE(left->text(Key::User), QStringLiteral("bob"));
    QCOMPARE(left->text(Key::Reason), QStringLiteral("connection lost"));
    // Bob may come back at once.
    RawPeer bobAgain(currentTransport(), ts.port());
    QCOMPARE(bobAgain.login(QStringLiteral("bob"), QStringLiteral("secret1"))->type(), MessageType::LoginOk);
}

void tst_ChatServer::loginTimeout()
{
    ServerConfig config;
    config.loginTimeoutMs = 300;
    TestServer ts(config);
    QVERIFY(ts.start());
    RawPeer idle(currentTransport(), ts.port());
    idle.send(Message::hello(QStringLiteral("t")));
    QVERIFY(idle.expect(MessageType::Welcome));
    QCOMPARE(errorCodeOf(idle.expect(MessageType::Error, 3000)), ErrorCode::NotLoggedIn);
    QVERIFY(idle.waitClosed());
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    tst_ChatServer server;
    tst_TransportGarbage garbage;
    const int failedServer = QTest::qExec(&server, argc, argv);
    const int failedGarbage = QTest::qExec(&garbage, argc, argv);
    return failedServer + failedGarbage == 0 ? 0 : 1;
}
#include "tst_chatserver.moc"
