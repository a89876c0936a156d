// What the administrator can do to a running server, over real loopback sockets.
#include "testsupport.h"

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");
}

class tst_ServerAdmin : public QObject
{
    Q_OBJECT
private slots:
    void announceReachesEveryone();
    void disconnectUserWithReason();
    void timedAccountBan();
    void addressBan();
    void bansPersistAcrossRestart();
    void deleteAccount();
    void passwordReset();
    void trafficTap();
    void statsCount();
    void stopAndStartListening();
};

void tst_ServerAdmin::announceReachesEveryone()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(ts.port()), bob(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    ts.server->announce(QStringLiteral("restart at 18:00"));
    for (RawPeer *peer : {&alice, &bob})
        QCOMPARE(peer->expect(MessageType::Notice)->text(Key::Text), QStringLiteral("restart at 18:00"));
}

void tst_ServerAdmin::disconnectUserWithReason()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(ts.port()), bob(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QVERIFY(ts.server->disconnectUser(QStringLiteral("BOB"), QStringLiteral("flooding")));
    const auto ended = bob.expect(MessageType::SessionEnded);
    QCOMPARE(ended->text(Key::Reason), QStringLiteral("flooding"));
    QCOMPARE(ended->text(Key::By), ChatServer::administratorName());
    QVERIFY(bob.waitClosed());
    QVERIFY(alice.expect(MessageType::UserLeft)->text(Key::Reason).contains(QStringLiteral("flooding")));
    QString error;
    QVERIFY(!ts.server->disconnectUser(QStringLiteral("carol"), {}, &error));
    QVERIFY(error.contains(QStringLiteral("carol")));
}

void tst_ServerAdmin::timedAccountBan()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer bob(ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QVERIFY(ts.server->banAccount(QStringLiteral("bob"), 60 * 60 * 1000, QStringLiteral("cool off")));
    const auto ended = bob.expect(MessageType::SessionEnded);
    QVERIFY(ended->integer(Key::RetryAfter) > 59 * 60 * 1000);
    QVERIFY(bob.waitClosed());

    RawPeer again(ts.port());
    const auto refused = again.login(QStringLiteral("bob"), pw);
    QCOMPARE(errorCodeOf(refused), ErrorCode::Banned);
    QVERIFY(refused->text(Key::Message).contains(QStringLiteral("cool off")));
    QVERIFY(refused->integer(Key::RetryAfter) > 0);
    QCOMPARE(ts.server->bans().size(), 1);

    QVERIFY(ts.server->liftBan(ServerBan::Kind::Account, QStringLiteral("Bob")));
    again.send(Message::login(2, QStringLiteral("bob"), pw));
    QCOMPARE(again.expect(MessageType::LoginOk)->text(Key::User), QStringLiteral("bob"));
    QVERIFY(!ts.server->banAccount(QStringLiteral("nobody"), 0, {}));
}

void tst_ServerAdmin::addressBan()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(ts.server->banAddress(QHostAddress::LocalHost, 0, QStringLiteral("abuse")));
    QVERIFY(alice.expect(MessageType::SessionEnded));
    QVERIFY(alice.waitClosed());
    RawPeer next(ts.port());
    const auto refused = next.next();
    QCOMPARE(errorCodeOf(refused), ErrorCode::Banned);
    QCOMPARE(refused->integer(Key::RetryAfter), 0); // for good
    QVERIFY(next.waitClosed());
    QVERIFY(ts.server->liftBan(ServerBan::Kind::Address, QHostAddress(QHostAddress::LocalHost).toString()));
    RawPeer after(ts.port());
    QCOMPARE(after.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
}

void tst_ServerAdmin::bansPersistAcrossRestart()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer bob(ts.port());
        QVERIFY(bob.login(QStringLiteral("bob"), pw));
    }
    QVERIFY(ts.server->banAccount(QStringLiteral("bob"), 0, QStringLiteral("for good")));
    QVERIFY(ts.restart());
    RawPeer bob(ts.port());
    QCOMPARE(errorCodeOf(bob.login(QStringLiteral("bob"), pw)), ErrorCode::Banned);
}

void tst_ServerAdmin::deleteAccount()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(ts.port()), bob(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    bob.send(Message::createRoom(1, QStringLiteral("bobs")));
    QVERIFY(bob.expect(MessageType::RoomJoined));
    QVERIFY(ts.server->deleteAccount(QStringLiteral("bob")));
    QCOMPARE(bob.expect(MessageType::SessionEnded)->text(Key::Reason), QStringLiteral("your account was deleted"));
    QVERIFY(bob.waitClosed());
    QVERIFY(!ts.server->accounts()->find(QStringLiteral("bob")));
    QVERIFY(ts.server->rooms().isEmpty()); // bob's room went with the account
    RawPeer newBob(ts.port());
    QVERIFY(newBob.login(QStringLiteral("bob"), QStringLiteral("another1"))->boolean(Key::Created));
}

void tst_ServerAdmin::passwordReset()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer alice(ts.port());
        QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("forgotten")));
    }
    QVERIFY(ts.server->requirePasswordReset(QStringLiteral("alice")));
    QVERIFY(ts.server->accounts()->find(QStringLiteral("alice"))->resetRequired);
    RawPeer alice(ts.port());
    QCOMPARE(errorCodeOf(alice.login(QStringLiteral("alice"), QStringLiteral("abc"))), ErrorCode::InvalidPassword);
    alice.send(Message::login(2, QStringLiteral("alice"), QStringLiteral("brand new")));
    const auto ok = alice.expect(MessageType::LoginOk, 15000);
    QVERIFY(ok->boolean(Key::PasswordReset));
    QVERIFY(!ok->boolean(Key::Created));
    alice.send(Message::quit());
    QVERIFY(alice.waitClosed());
    QVERIFY(!ts.server->accounts()->find(QStringLiteral("alice"))->resetRequired);
    RawPeer old(ts.port());
    QCOMPARE(errorCodeOf(old.login(QStringLiteral("alice"), QStringLiteral("forgotten"))), ErrorCode::WrongPassword);
    old.send(Message::login(3, QStringLiteral("alice"), QStringLiteral("brand new")));
    QVERIFY(old.expect(MessageType::LoginOk, 15000));
}

void tst_ServerAdmin::trafficTap()
{
    TestServer ts;
    QVERIFY(ts.start());
    QSignalSpy spy(ts.server.get(), &ChatServer::trafficObserved);
    RawPeer alice(ts.port()), bob(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QCOMPARE(spy.count(), 0); // the tap is off by default

    ts.server->setTrafficObserved(true);
    alice.send(Message::postLobby(7, QStringLiteral("observed")));
    QVERIFY(bob.expect(MessageType::LobbyMessage));
    QVERIFY(alice.expect(MessageType::Delivered));
    QTRY_VERIFY(spy.count() >= 3);
    QList<MessageType> types;
    for (const QList<QVariant> &args : spy) {
        const TrafficEvent e = args.at(0).value<TrafficEvent>();
        types << e.type;
        QVERIFY(e.bytes > 4);
        QVERIFY(e.peer.startsWith(QStringLiteral("127.0.0.1:")));
        QCOMPARE(e.transport, QStringLiteral("tcp"));
        if (e.type == MessageType::PostLobby) {
            QCOMPARE(e.direction, TrafficEvent::Direction::In);
            QCOMPARE(e.user, QStringLiteral("alice"));
            QCOMPARE(e.bytes, Message::postLobby(7, QStringLiteral("observed")).toFrame().size());
        }
    }
    QVERIFY(types.contains(MessageType::PostLobby));
    QVERIFY(types.contains(MessageType::LobbyMessage));
    QVERIFY(types.contains(MessageType::Delivered));

    ts.server->setTrafficObserved(false);
    spy.clear();
    alice.send(Message::postLobby(8, QStringLiteral("not observed")));
    QVERIFY(bob.expect(MessageType::LobbyMessage));
    QCOMPARE(spy.count(), 0);
}

void tst_ServerAdmin::statsCount()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(ts.port()), bob(ts.port()), carol(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QVERIFY(carol.login(QStringLiteral("carol"), pw));
    alice.send(Message::postLobby(1, QStringLiteral("one")));
    QVERIFY(alice.expect(MessageType::Delivered));
    alice.send(Message::postDm(2, QStringLiteral("bob"), QStringLiteral("two")));
    QVERIFY(alice.expect(MessageType::Delivered));
    const ServerStats s = ts.server->stats();
    QCOMPARE(s.messagesRelayed, quint64(2));
    QCOMPARE(s.deliveries, quint64(3));
    QCOMPARE(s.online, 3);
    QCOMPARE(s.accounts, 3);
    QVERIFY(s.framesIn >= 8);
    QVERIFY(s.bytesOut > 0);
    QVERIFY(s.startedAt.isValid());
}

void tst_ServerAdmin::stopAndStartListening()
{
    TestServer ts;
    QVERIFY(ts.start());
    const quint16 port = ts.port();
    RawPeer alice(port);
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QSignalSpy changed(ts.server.get(), &ChatServer::listeningChanged);
    QVERIFY(ts.server->setListening(false));
    QVERIFY(!ts.server->isListening());
    RawPeer refused(port);
    QVERIFY(!refused.isConnected());
    // Sessions already in carry on.
    alice.send(Message::listUsers(3));
    QVERIFY(alice.expect(MessageType::UserList));
    QVERIFY(ts.server->setListening(true));
    QCOMPARE(ts.server->tcpPort(), port);
    RawPeer bob(port);
    QCOMPARE(bob.login(QStringLiteral("bob"), pw)->type(), MessageType::LoginOk);
    QCOMPARE(changed.count(), 2);
}

QTEST_GUILESS_MAIN(tst_ServerAdmin)
#include "tst_serveradmin.moc"
