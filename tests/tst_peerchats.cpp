// Poke and bridge: the server introduces two users, who then chat directly. Real sockets on
// loopback, a real server core, real client sessions.
#include "peerchats.h"
#include "testsupport.h"

#include <QTcpServer>

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");

struct User {
    ClientSession session;
    PeerChats peers{&session};
    QSignalSpy started{&peers, &PeerChats::chatStarted};
    QSignalSpy failed{&peers, &PeerChats::failed};
    QSignalSpy poked{&peers, &PeerChats::pokeReceived};

    User(quint16 port, const QString &name)
    {
        peers.setListenAddress(QHostAddress::LocalHost);
        QSignalSpy in(&session, &ClientSession::loggedIn);
        session.connectToServer(QStringLiteral("127.0.0.1"), port, name, pw);
        ok = in.wait(10000) || in.count() == 1;
    }
    DirectChat *chat(int i = 0) const { return started.at(i).at(0).value<DirectChat *>(); }
    bool ok = false;
};

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

quint64 framesOf(const ChatServer &server, const QString &user)
{
    for (const SessionInfo &s : server.sessions()) {
        if (s.user == user)
            return s.stats.framesIn + s.stats.framesOut;
    }
    return 0;
}
} // namespace

class tst_PeerChats : public QObject
{
    Q_OBJECT
private slots:
    void acceptedPokeChatsDirectlyAndTheServerRelaysNothing();
    void declinedPoke();
    void pokeTimesOut();
    void pokeErrors();
    void unreachablePeerIsReportedOnBothSides();
    void wrongTokenIsTurnedAway();
    void bridgePairsWaitingUsers();
    void bridgeCancel();
};

void tst_PeerChats::acceptedPokeChatsDirectlyAndTheServerRelaysNothing()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice")), bob(ts.port(), QStringLiteral("bob"));
    QVERIFY(alice.ok && bob.ok);
    alice.peers.poke(QStringLiteral("bob"));
    QVERIFY(bob.poked.wait(5000));
    QCOMPARE(bob.poked.at(0).at(1).toString(), QStringLiteral("alice"));
    bob.peers.accept(bob.poked.at(0).at(0).value<quint64>());
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(bob.started.count(), 1);
    QCOMPARE(alice.started.at(0).at(1).toString(), QStringLiteral("bob"));
    QCOMPARE(bob.started.at(0).at(1).toString(), QStringLiteral("alice"));

    const quint64 aliceFrames = framesOf(*ts.server, QStringLiteral("alice"));
    const quint64 bobFrames = framesOf(*ts.server, QStringLiteral("bob"));
    QSignalSpy bobGot(bob.chat(), &DirectChat::lineReceived), aliceGot(alice.chat(), &DirectChat::lineReceived);
    for (int i = 0; i < 50; ++i) {
        QVERIFY(alice.chat()->send(QStringLiteral("a%1").arg(i)));
        QVERIFY(bob.chat()->send(QStringLiteral("b%1").arg(i)));
    }
    QTRY_COMPARE(bobGot.count(), 50);
    QTRY_COMPARE(aliceGot.count(), 50);
    QCOMPARE(bobGot.at(49).at(0).toString(), QStringLiteral("a49"));
    QCOMPARE(aliceGot.at(0).at(0).toString(), QStringLiteral("b0"));
    // 100 direct messages, and not one frame more through the server for either of them.
    QCOMPARE(framesOf(*ts.server, QStringLiteral("alice")), aliceFrames);
    QCOMPARE(framesOf(*ts.server, QStringLiteral("bob")), bobFrames);

    QSignalSpy left(bob.chat(), &DirectChat::peerLeft);
    alice.chat()->close();
    QVERIFY(left.wait(5000));
}

void tst_PeerChats::declinedPoke()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice")), bob(ts.port(), QStringLiteral("bob"));
    alice.peers.poke(QStringLiteral("bob"));
    QVERIFY(bob.poked.wait(5000));
    bob.peers.decline(bob.poked.at(0).at(0).value<quint64>());
    QVERIFY(alice.failed.wait(5000));
    QCOMPARE(alice.failed.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(alice.failed.at(0).at(1).toString(), QStringLiteral("bob declined"));
    QCOMPARE(alice.started.count(), 0);
    QVERIFY(bob.peers.incomingPokes().isEmpty());
}

void tst_PeerChats::pokeTimesOut()
{
    ServerConfig config;
    config.pokeTimeoutMs = 300;
    TestServer ts(config);
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice")), bob(ts.port(), QStringLiteral("bob"));
    alice.peers.poke(QStringLiteral("bob"));
    QVERIFY(bob.poked.wait(5000));
    QVERIFY(alice.failed.wait(5000));
    QVERIFY(alice.failed.at(0).at(1).toString().contains(QStringLiteral("no answer")));
    QTRY_COMPARE(bob.failed.count(), 1); // bob's prompt is withdrawn
    QVERIFY(bob.peers.incomingPokes().isEmpty());
    // Answering now is too late.
    QSignalSpy refused(&bob.session, &ClientSession::requestFailed);
    bob.session.acceptPoke(bob.poked.at(0).at(0).value<quint64>());
    QVERIFY(refused.wait(5000));
    QCOMPARE(refused.at(0).at(1).value<ErrorCode>(), ErrorCode::NoSuchPoke);
}

void tst_PeerChats::pokeErrors()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"));
    alice.peers.poke(QStringLiteral("nobody"));
    QVERIFY(alice.failed.wait(5000));
    QVERIFY(alice.failed.at(0).at(1).toString().contains(QStringLiteral("no such user")));
    alice.peers.poke(QStringLiteral("alice"));
    QVERIFY(alice.failed.wait(5000));
    QVERIFY(alice.failed.at(1).at(1).toString().contains(QStringLiteral("yourself")));
}

void tst_PeerChats::unreachablePeerIsReportedOnBothSides()
{
    TestServer ts;
    QVERIFY(ts.start());
    // Mallory pokes with a port nobody listens on: bob's direct connection cannot be made.
    RawPeer mallory(ts.port());
    QVERIFY(mallory.login(QStringLiteral("mallory"), pw));
    User bob(ts.port(), QStringLiteral("bob"));
    mallory.send(Message::poke(2, QStringLiteral("bob"), freePort()));
    QVERIFY(bob.poked.wait(5000));
    bob.peers.accept(bob.poked.at(0).at(0).value<quint64>());
    QVERIFY(bob.failed.wait(5000));
    QVERIFY2(bob.failed.at(0).at(1).toString().contains(QStringLiteral("could not reach mallory directly")),
             qPrintable(bob.failed.at(0).at(1).toString()));
    // And alice, who listens, hears nothing from a peer that never connects: she is told too.
    User alice(ts.port(), QStringLiteral("alice"));
    alice.peers.setHandshakeTimeout(500);
    alice.peers.poke(QStringLiteral("mallory"));
    const auto request = mallory.expect(MessageType::PokeRequest);
    QVERIFY(request);
    mallory.send(Message::pokeAnswer(3, quint64(request->integer(Key::Poke)), true));
    QVERIFY(mallory.expect(MessageType::PokeResult)); // introduced, but mallory never connects
    QVERIFY(alice.failed.wait(5000));
    QVERIFY2(alice.failed.at(0).at(1).toString().contains(QStringLiteral("did not reach us directly")),
             qPrintable(alice.failed.at(0).at(1).toString()));
    // The server path still works.
    QSignalSpy delivered(&alice.session, &ClientSession::delivered);
    alice.session.sendDirectMessage(QStringLiteral("bob"), QStringLiteral("fallback"));
    QVERIFY(delivered.wait(5000));
}

void tst_PeerChats::wrongTokenIsTurnedAway()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"));
    RawPeer bob(ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    alice.peers.poke(QStringLiteral("bob"));
    const auto request = bob.expect(MessageType::PokeRequest);
    QVERIFY(request);
    bob.send(Message::pokeAnswer(2, quint64(request->integer(Key::Poke)), true));
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QCOMPARE(intro->text(Key::Role), QStringLiteral("connect"));
    const quint16 port = quint16(intro->integer(Key::Port));

    QTcpSocket impostor;
    impostor.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE(impostor.state(), QAbstractSocket::ConnectedState);
    impostor.write("CONFAB-P2P 1 00000000000000000000000000000000\n");
    QTRY_VERIFY(impostor.canReadLine());
    QCOMPARE(impostor.readLine(), QByteArray("CONFAB-P2P DENIED\n"));
    QCOMPARE(alice.started.count(), 0);

    // Consumers hook up to a chat when it starts, as both clients do.
    QStringList lines;
    connect(&alice.peers, &PeerChats::chatStarted, this, [&lines](DirectChat *chat) {
        connect(chat, &DirectChat::lineReceived, chat, [&lines](const QString &line) { lines << line; });
    });
    QTcpSocket real;
    real.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE(real.state(), QAbstractSocket::ConnectedState);
    real.write("CONFAB-P2P 1 " + intro->text(Key::Token).toLatin1() + "\nfirst line\n");
    QTRY_VERIFY(real.canReadLine());
    QCOMPARE(real.readLine(), QByteArray("CONFAB-P2P OK\n"));
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(lines, QStringList{QStringLiteral("first line")}); // sent together with the token, not lost
}

void tst_PeerChats::bridgePairsWaitingUsers()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice")), bob(ts.port(), QStringLiteral("bob"));
    alice.peers.bridge();
    QTest::qWait(100); // alice is waiting; nobody else is
    QCOMPARE(alice.started.count(), 0);
    bob.peers.bridge();
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(bob.started.count(), 1);
    QCOMPARE(alice.started.at(0).at(1).toString(), QStringLiteral("bob"));
    QSignalSpy got(alice.chat(), &DirectChat::lineReceived);
    bob.chat()->send(QStringLiteral("paired by the server"));
    QVERIFY(got.wait(5000));
}

void tst_PeerChats::bridgeCancel()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice")), bob(ts.port(), QStringLiteral("bob"));
    alice.peers.bridge();
    QSignalSpy ok(&alice.session, &ClientSession::requestSucceeded);
    alice.peers.cancelBridge();
    QVERIFY(alice.failed.wait(5000));
    QCOMPARE(alice.failed.at(0).at(1).toString(), QStringLiteral("cancelled"));
    QTRY_COMPARE(ok.count(), 1);
    // Bob now waits alone: nobody is paired with a cancelled wait.
    bob.peers.bridge();
    QTest::qWait(200);
    QCOMPARE(bob.started.count(), 0);
    QCOMPARE(alice.started.count(), 0);
}

QTEST_GUILESS_MAIN(tst_PeerChats)
#include "tst_peerchats.moc"
