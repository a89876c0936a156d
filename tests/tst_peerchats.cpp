// Poke and bridge: the server introduces two users, who then chat directly. Real sockets on
// loopback, a real server core, real client sessions. Users logged in over UDP chat over the
// reliable UDP channel, encrypted with DTLS; the rest over TCP, encrypted with TLS; both against
// the certificate fingerprints the server passed on.
#include "peerchats.h"
#include "peeridentity.h"
#include "testsupport.h"
#include "tlsfingerprint.h"
#include "udppeerlink.h"

#include <QDtls>
#include <QSslConfiguration>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");

using Transport = ClientSession::Transport;

struct User {
    ClientSession session;
    PeerChats peers{&session};
    QSignalSpy started{&peers, &PeerChats::chatStarted};
    QSignalSpy failed{&peers, &PeerChats::failed};
    QSignalSpy poked{&peers, &PeerChats::pokeReceived};

    User(quint16 port, const QString &name, Transport transport = Transport::Tcp)
    {
        peers.setListenAddress(QHostAddress::LocalHost);
        session.setTransport(transport);
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

// Which transport a direct chat runs over, seen from what it holds.
bool runsOverUdp(const DirectChat *chat)
{
    return chat->findChild<UdpPeerLink *>() != nullptr && chat->findChild<QTcpSocket *>() == nullptr;
}

void addPairTransportRows()
{
    QTest::addColumn<Transport>("aliceTransport");
    QTest::addColumn<Transport>("bobTransport");
    QTest::addColumn<bool>("overUdp");
    QTest::newRow("tcp") << Transport::Tcp << Transport::Tcp << false;
    QTest::newRow("udp") << Transport::Udp << Transport::Udp << true;
    QTest::newRow("udp+tcp") << Transport::Udp << Transport::Tcp << false; // only both on UDP use UDP
    QTest::newRow("tcp+udp") << Transport::Tcp << Transport::Udp << false;
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
    void acceptedPokeChatsDirectlyAndTheServerRelaysNothing_data() { addPairTransportRows(); }
    void acceptedPokeChatsDirectlyAndTheServerRelaysNothing();
    void declinedPoke();
    void pokeTimesOut();
    void pokeErrors();
    void unreachablePeerIsReportedOnBothSides_data();
    void unreachablePeerIsReportedOnBothSides();
    void wrongTokenIsTurnedAway();
    void bridgePairsWaitingUsers_data() { addPairTransportRows(); }
    void bridgePairsWaitingUsers();
    void bridgeCancel();
    void udpChatSurvivesALostPeer();
    void udpWrongTokenIsIgnored();
    void rendezvousFieldsAreChecked();
    void encryptedChatTurnsAwayPlainAndForeignCallers();
    void connectorRefusesAListenerWithTheWrongCertificate();
    void udpListenerTakesOnlyTheAnnouncedCertificate();
    void udpConnectorRefusesAListenerWithTheWrongCertificate();
};

void tst_PeerChats::acceptedPokeChatsDirectlyAndTheServerRelaysNothing()
{
    QFETCH(Transport, aliceTransport);
    QFETCH(Transport, bobTransport);
    QFETCH(bool, overUdp);
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"), aliceTransport), bob(ts.port(), QStringLiteral("bob"), bobTransport);
    QVERIFY(alice.ok && bob.ok);
    QCOMPARE(alice.session.activeTransport(), aliceTransport);
    QCOMPARE(bob.session.activeTransport(), bobTransport);
    alice.peers.poke(QStringLiteral("bob"));
    QVERIFY(bob.poked.wait(5000));
    QCOMPARE(bob.poked.at(0).at(1).toString(), QStringLiteral("alice"));
    bob.peers.accept(bob.poked.at(0).at(0).value<quint64>());
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(bob.started.count(), 1);
    QCOMPARE(alice.started.at(0).at(1).toString(), QStringLiteral("bob"));
    QCOMPARE(bob.started.at(0).at(1).toString(), QStringLiteral("alice"));
    QCOMPARE(runsOverUdp(alice.chat()), overUdp);
    QCOMPARE(runsOverUdp(bob.chat()), overUdp);
    // Both clients offered a certificate, so the chat is TLS (over UDP: DTLS), checked both ways.
    QVERIFY(!alice.peers.fingerprint().isEmpty() && !bob.peers.fingerprint().isEmpty());
    QVERIFY(alice.chat()->isEncrypted());
    QVERIFY(bob.chat()->isEncrypted());
    QCOMPARE(alice.chat()->encryptionName(), overUdp ? QStringLiteral("DTLS") : QStringLiteral("TLS"));
    QCOMPARE(bob.chat()->encryptionName(), overUdp ? QStringLiteral("DTLS") : QStringLiteral("TLS"));
    QCOMPARE(alice.chat()->peerFingerprint(), bob.peers.fingerprint());
    QCOMPARE(bob.chat()->peerFingerprint(), alice.peers.fingerprint());
    QVERIFY(alice.chat()->peerName().startsWith(QStringLiteral("127.0.0.1:")));
    QVERIFY(bob.chat()->peerName().startsWith(QStringLiteral("127.0.0.1:")));

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

    // A line too long for one datagram, and an empty one, arrive whole.
    const QString longLine(5000, u'x');
    QVERIFY(alice.chat()->send(longLine));
    QVERIFY(alice.chat()->send(QString()));
    QTRY_COMPARE(bobGot.count(), 52);
    QCOMPARE(bobGot.at(50).at(0).toString(), longLine);
    QCOMPARE(bobGot.at(51).at(0).toString(), QString());

    // Alice ends it; bob is told, after every line she sent before.
    QSignalSpy left(bob.chat(), &DirectChat::peerLeft);
    QVERIFY(alice.chat()->send(QStringLiteral("bye")));
    alice.chat()->close();
    QVERIFY(left.wait(5000));
    QCOMPARE(bobGot.count(), 53);
    QCOMPARE(bobGot.last().at(0).toString(), QStringLiteral("bye"));
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

void tst_PeerChats::unreachablePeerIsReportedOnBothSides_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::newRow("tcp") << Transport::Tcp;
    QTest::newRow("udp") << Transport::Udp;
}

void tst_PeerChats::unreachablePeerIsReportedOnBothSides()
{
    QFETCH(Transport, transport);
    const bool udp = transport == Transport::Udp;
    TestServer ts;
    QVERIFY(ts.start());
    // Mallory pokes with a port nobody listens on: bob's direct connection cannot be made.
    RawPeer mallory(udp ? RawPeer::Transport::Udp : RawPeer::Transport::Tcp, ts.port());
    QVERIFY(mallory.login(QStringLiteral("mallory"), pw));
    User bob(ts.port(), QStringLiteral("bob"), transport);
    bob.peers.setHandshakeTimeout(500);
    mallory.send(Message::poke(2, QStringLiteral("bob"), freePort(), udp ? freePort() : 0));
    QVERIFY(bob.poked.wait(5000));
    bob.peers.accept(bob.poked.at(0).at(0).value<quint64>());
    QVERIFY(bob.failed.wait(5000));
    QVERIFY2(bob.failed.at(0).at(1).toString().contains(QStringLiteral("could not reach mallory directly")),
             qPrintable(bob.failed.at(0).at(1).toString()));
    // And alice, who listens, hears nothing from a peer that never connects: she is told too.
    User alice(ts.port(), QStringLiteral("alice"), transport);
    alice.peers.setHandshakeTimeout(500);
    alice.peers.poke(QStringLiteral("mallory"));
    const auto request = mallory.expect(MessageType::PokeRequest);
    QVERIFY(request);
    mallory.send(Message::pokeAnswer(3, quint64(request->integer(Key::Poke)), true, udp));
    const auto result = mallory.expect(MessageType::PokeResult); // introduced, but mallory never connects
    QVERIFY(result);
    QCOMPARE(result->text(Key::Transport), udp ? QStringLiteral("udp") : QStringLiteral("tcp"));
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
    QFETCH(Transport, aliceTransport);
    QFETCH(Transport, bobTransport);
    QFETCH(bool, overUdp);
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"), aliceTransport), bob(ts.port(), QStringLiteral("bob"), bobTransport);
    QVERIFY(alice.ok && bob.ok);
    alice.peers.bridge();
    QTest::qWait(100); // alice is waiting; nobody else is
    QCOMPARE(alice.started.count(), 0);
    bob.peers.bridge();
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(bob.started.count(), 1);
    QCOMPARE(alice.started.at(0).at(1).toString(), QStringLiteral("bob"));
    QCOMPARE(runsOverUdp(alice.chat()), overUdp);
    QCOMPARE(runsOverUdp(bob.chat()), overUdp);
    QVERIFY(alice.chat()->isEncrypted());
    QVERIFY(bob.chat()->isEncrypted());
    QCOMPARE(alice.chat()->encryptionName(), overUdp ? QStringLiteral("DTLS") : QStringLiteral("TLS"));
    QCOMPARE(bob.chat()->encryptionName(), overUdp ? QStringLiteral("DTLS") : QStringLiteral("TLS"));
    QCOMPARE(alice.chat()->peerFingerprint(), bob.peers.fingerprint());
    QCOMPARE(bob.chat()->peerFingerprint(), alice.peers.fingerprint());
    QSignalSpy got(alice.chat(), &DirectChat::lineReceived);
    bob.chat()->send(QStringLiteral("paired by the server"));
    QVERIFY(got.wait(5000));
    QCOMPARE(got.at(0).at(0).toString(), QStringLiteral("paired by the server"));
    // Bob ends it this time.
    QSignalSpy left(alice.chat(), &DirectChat::peerLeft);
    bob.chat()->close();
    QVERIFY(left.wait(5000));
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

void tst_PeerChats::udpChatSurvivesALostPeer()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"), Transport::Udp), bob(ts.port(), QStringLiteral("bob"), Transport::Udp);
    QVERIFY(alice.ok && bob.ok);
    // Short keepalive and dead-peer times, so a lost peer is found in well under a second rather
    // than the default 30 to 45 s (which would outlast every wait below).
    alice.peers.setUdpPeerTimeouts(100, 500);
    bob.peers.setUdpPeerTimeouts(100, 500);
    alice.peers.poke(QStringLiteral("bob"));
    QVERIFY(bob.poked.wait(5000));
    bob.peers.accept(bob.poked.at(0).at(0).value<quint64>());
    QTRY_COMPARE(alice.started.count(), 1);
    QTRY_COMPARE(bob.started.count(), 1);
    QVERIFY(runsOverUdp(alice.chat()));
    DirectChat *chat = alice.chat();
    QSignalSpy aliceGot(chat, &DirectChat::lineReceived), left(chat, &DirectChat::peerLeft),
        errors(chat, &DirectChat::errorOccurred);
    QVERIFY(bob.chat()->send(QStringLiteral("still here")));
    QVERIFY(aliceGot.wait(5000));

    // Bob's chat vanishes without a word (as when his program is killed): no Close is sent.
    delete bob.chat();
    QVERIFY(left.wait(10000));
    QCOMPARE(aliceGot.count(), 1);
    QCOMPARE(errors.count(), 1);
    QVERIFY2(errors.at(0).at(0).toString().contains(QStringLiteral("stopped answering")),
             qPrintable(errors.at(0).at(0).toString()));

    // Both sessions carry on: the server path works, and a new direct chat can be set up.
    QSignalSpy dm(&bob.session, &ClientSession::directMessageReceived);
    alice.session.sendDirectMessage(QStringLiteral("bob"), QStringLiteral("are you there?"));
    QVERIFY(dm.wait(5000));
    alice.peers.poke(QStringLiteral("bob"));
    QTRY_COMPARE(bob.poked.count(), 2);
    bob.peers.accept(bob.poked.at(1).at(0).value<quint64>());
    QTRY_COMPARE(alice.started.count(), 2);
    QTRY_COMPARE(bob.started.count(), 2);
    QSignalSpy bobGot(bob.chat(1), &DirectChat::lineReceived);
    QVERIFY(alice.chat(1)->send(QStringLiteral("again")));
    QVERIFY(bobGot.wait(5000));
    QCOMPARE(bobGot.at(0).at(0).toString(), QStringLiteral("again"));
}

void tst_PeerChats::udpWrongTokenIsIgnored()
{
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"), Transport::Udp);
    RawPeer bob(RawPeer::Transport::Udp, ts.port());
    QVERIFY(alice.ok);
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QSignalSpy introduced(&alice.session, &ClientSession::peerIntroduced);
    alice.peers.poke(QStringLiteral("bob"));
    const auto request = bob.expect(MessageType::PokeRequest);
    QVERIFY(request);
    bob.send(Message::pokeAnswer(2, quint64(request->integer(Key::Poke)), true, true)); // no fingerprint: plain, as with an older client
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QCOMPARE(intro->text(Key::Role), QStringLiteral("connect"));
    QCOMPARE(intro->text(Key::Transport), QStringLiteral("udp"));
    const quint16 port = quint16(intro->integer(Key::Port));
    const QByteArray token = intro->text(Key::Token).toLatin1();
    QCOMPARE(token.size(), 32);
    QTRY_COMPARE(introduced.count(), 1); // alice knows the token: her port now admits a peer

    // A stranger's datagrams: the token line as plain text, garbage, a Probe. None is answered;
    // then a Hello gets only a Cookie, far smaller than the Hello (it is the first reply to come).
    QUdpSocket stranger;
    QVERIFY(stranger.bind(QHostAddress::LocalHost, 0));
    auto sendRaw = [&](const QByteArray &bytes) { stranger.writeDatagram(bytes, QHostAddress::LocalHost, port); };
    sendRaw("CONFAB-P2P 1 " + token + "\n");
    sendRaw(QByteArray(1300, 'x'));
    UdpWire::Datagram probe;
    probe.kind = UdpWire::Kind::Probe;
    probe.connectionId = 7;
    sendRaw(UdpWire::encode(probe));
    UdpWire::Datagram hello;
    hello.kind = UdpWire::Kind::Hello;
    hello.connectionId = 9;
    const QByteArray helloBytes = UdpWire::encode(hello);
    sendRaw(helloBytes);
    QTRY_VERIFY(stranger.hasPendingDatagrams());
    const QNetworkDatagram cookie = stranger.receiveDatagram(2048);
    QCOMPARE(cookie.data().size(), UdpWire::CookieReplySize);
    QVERIFY(cookie.data().size() < helloBytes.size());
    UdpWire::Datagram decoded;
    QCOMPARE(UdpWire::decode(cookie.data(), &decoded), UdpWire::DecodeError::None);
    QCOMPARE(decoded.kind, UdpWire::Kind::Cookie);

    // An impostor who completes the channel handshake but has the wrong token is turned away.
    UdpPeerLink impostor;
    QSignalSpy impostorFailed(&impostor, &UdpPeerLink::handshakeFailed);
    impostor.connectToPeer(QHostAddress::LocalHost, port, QByteArray(32, '0'), 5000);
    QVERIFY(impostorFailed.wait(5000));
    QCOMPARE(impostorFailed.at(0).at(0).toString(), QStringLiteral("the peer refused the token"));
    QCOMPARE(alice.started.count(), 0);

    // The real peer (bob's side, played by a bare link) gets in, and the chat runs both ways.
    UdpPeerLink real;
    QSignalSpy up(&real, &UdpPeerLink::established), got(&real, &UdpPeerLink::payloadReceived);
    real.connectToPeer(QHostAddress::LocalHost, port, token, 5000);
    QVERIFY(up.wait(5000));
    real.startDelivery();
    QTRY_COMPARE(alice.started.count(), 1);
    QVERIFY(runsOverUdp(alice.chat()));
    QVERIFY(!alice.chat()->isEncrypted());
    QVERIFY(alice.chat()->peerFingerprint().isEmpty());
    QSignalSpy aliceGot(alice.chat(), &DirectChat::lineReceived);
    QVERIFY(real.send("first line\n"));
    QVERIFY(aliceGot.wait(5000));
    QCOMPARE(aliceGot.at(0).at(0).toString(), QStringLiteral("first line"));

    // Once the peer is in, nobody else is heard: not the stranger's token line nor a fresh Hello,
    // and a replayed copy of the real token from elsewhere changes nothing.
    while (stranger.hasPendingDatagrams())
        (void)stranger.receiveDatagram(2048);
    sendRaw("CONFAB-P2P 1 " + token + "\n");
    sendRaw(helloBytes);
    UdpPeerLink late;
    QSignalSpy lateFailed(&late, &UdpPeerLink::handshakeFailed);
    late.connectToPeer(QHostAddress::LocalHost, port, token, 300);
    QVERIFY(alice.chat()->send(QStringLiteral("still with you")));
    QVERIFY(got.wait(5000));
    QCOMPARE(got.at(0).at(0).toByteArray(), QByteArray("still with you\n"));
    QVERIFY(real.send("and me\n"));
    QVERIFY(aliceGot.wait(5000));
    QCOMPARE(aliceGot.at(1).at(0).toString(), QStringLiteral("and me"));
    // Alice read the stranger's datagrams before the real peer's last one, and answered none.
    QVERIFY(!stranger.hasPendingDatagrams());
    QVERIFY(lateFailed.wait(5000));
    QCOMPARE(lateFailed.at(0).at(0).toString(), QStringLiteral("no answer"));
    QCOMPARE(alice.started.count(), 1);
    QCOMPARE(alice.chat()->state(), DirectChat::State::Connected);

    // The real peer closes: alice sees it leave.
    QSignalSpy left(alice.chat(), &DirectChat::peerLeft);
    real.close();
    QVERIFY(left.wait(5000));
}

void tst_PeerChats::rendezvousFieldsAreChecked()
{
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer alice(RawPeer::Transport::Udp, ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    RawPeer bob(RawPeer::Transport::Tcp, ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    // A UDP port of 0 is not a port.
    Message bad = Message::poke(2, QStringLiteral("bob"), 4000);
    bad.set(Key::UdpPort, 0);
    alice.send(bad);
    auto error = alice.expect(MessageType::Error);
    QVERIFY(error);
    QCOMPARE(ErrorCode(error->integer(Key::Code)), ErrorCode::BadField);
    // A UDP user poking a TCP user: TCP it is, whatever either offers.
    alice.send(Message::poke(3, QStringLiteral("bob"), 4000, 4001));
    const auto request = bob.expect(MessageType::PokeRequest);
    QVERIFY(request);
    bob.send(Message::pokeAnswer(4, quint64(request->integer(Key::Poke)), true, true));
    const auto toBob = bob.expect(MessageType::PokeResult);
    QVERIFY(toBob);
    QCOMPARE(toBob->text(Key::Transport), QStringLiteral("tcp"));
    QCOMPARE(toBob->integer(Key::Port), qint64(4000));
    const auto toAlice = alice.expect(MessageType::PokeResult);
    QVERIFY(toAlice);
    QCOMPARE(toAlice->text(Key::Transport), QStringLiteral("tcp"));
    QCOMPARE(toAlice->text(Key::Role), QStringLiteral("listen"));
    // Without a fingerprint from both sides there is none in either result.
    QVERIFY(!toBob->contains(Key::Fingerprint));
    QVERIFY(!toAlice->contains(Key::Fingerprint));
    // A fingerprint must be a SHA-256 digest in lowercase hex.
    alice.send(Message::poke(5, QStringLiteral("bob"), 4000, 0, QStringLiteral("AB:CD")));
    error = alice.expect(MessageType::Error);
    QVERIFY(error);
    QCOMPARE(ErrorCode(error->integer(Key::Code)), ErrorCode::BadField);
    QCOMPARE(quint64(error->integer(Key::Re)), quint64(5));
    alice.send(Message::bridge(6, 4000, 0, QString(64, u'G')));
    error = alice.expect(MessageType::Error);
    QVERIFY(error);
    QCOMPARE(ErrorCode(error->integer(Key::Code)), ErrorCode::BadField);
}

// TLS as a client showing `identity` uses it, asking for (not verifying) the peer's certificate.
QSslConfiguration showing(const PeerIdentity &identity)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificate(identity.certificate());
    config.setPrivateKey(identity.key());
    config.setPeerVerifyMode(QSslSocket::QueryPeer);
    return config;
}

// A TLS client socket showing `identity`, connected to 127.0.0.1:port.
std::unique_ptr<QSslSocket> tlsCaller(quint16 port, const PeerIdentity &identity)
{
    auto socket = std::make_unique<QSslSocket>();
    socket->setSslConfiguration(showing(identity));
    socket->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    return socket;
}

void tst_PeerChats::encryptedChatTurnsAwayPlainAndForeignCallers()
{
    // Bob (a raw client holding his own certificate) accepts Alice's poke offering his fingerprint,
    // so Alice's listener must take nothing but TLS from exactly that certificate.
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"));
    RawPeer bob(ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    const PeerIdentity bobIdentity = PeerIdentity::generate();
    const PeerIdentity stranger = PeerIdentity::generate();
    QVERIFY(!bobIdentity.isNull() && !stranger.isNull());
    QVERIFY(bobIdentity.fingerprint() != stranger.fingerprint());
    alice.peers.poke(QStringLiteral("bob"));
    const auto request = bob.expect(MessageType::PokeRequest);
    QVERIFY(request);
    bob.send(Message::pokeAnswer(2, quint64(request->integer(Key::Poke)), true, false, bobIdentity.fingerprint()));
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QCOMPARE(intro->text(Key::Fingerprint), alice.peers.fingerprint()); // Bob learns Alice's
    const quint16 port = quint16(intro->integer(Key::Port));
    const QByteArray hello = "CONFAB-P2P 1 " + intro->text(Key::Token).toLatin1() + "\n";

    // The right token in clear text is refused: the chat was announced as encrypted.
    QTcpSocket plain;
    plain.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE(plain.state(), QAbstractSocket::ConnectedState);
    plain.write(hello);
    QTRY_VERIFY(plain.canReadLine());
    QCOMPARE(plain.readLine(), QByteArray("CONFAB-P2P DENIED\n"));

    // TLS with the right token but someone else's certificate is refused too.
    auto foreign = tlsCaller(port, stranger);
    QTRY_VERIFY(foreign->isEncrypted());
    foreign->write(hello);
    QTRY_VERIFY(foreign->canReadLine());
    QCOMPARE(foreign->readLine(), QByteArray("CONFAB-P2P DENIED\n"));
    QCOMPARE(alice.started.count(), 0);

    // Bob with his own certificate gets in, after checking Alice's against the announced one.
    QStringList lines;
    connect(&alice.peers, &PeerChats::chatStarted, this, [&lines](DirectChat *chat) {
        connect(chat, &DirectChat::lineReceived, chat, [&lines](const QString &line) { lines << line; });
    });
    auto real = tlsCaller(port, bobIdentity);
    QTRY_VERIFY(real->isEncrypted());
    QCOMPARE(PeerIdentity::fingerprintOf(real->peerCertificate()), alice.peers.fingerprint());
    real->write(hello + "over tls\n");
    QTRY_VERIFY(real->canReadLine());
    QCOMPARE(real->readLine(), QByteArray("CONFAB-P2P OK\n"));
    QTRY_COMPARE(alice.started.count(), 1);
    QVERIFY(alice.chat()->isEncrypted());
    QCOMPARE(alice.chat()->peerFingerprint(), bobIdentity.fingerprint());
    QTRY_COMPARE(lines, QStringList{QStringLiteral("over tls")});
    QVERIFY(alice.chat()->send(QStringLiteral("hello bob")));
    QTRY_VERIFY(real->canReadLine());
    QCOMPARE(real->readLine(), QByteArray("hello bob\n"));
}

void tst_PeerChats::connectorRefusesAListenerWithTheWrongCertificate()
{
    // Bob (raw) pokes Alice announcing one certificate but listens with another: Alice must not
    // send the token, and tells her user the direct connection failed.
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer bob(ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    User alice(ts.port(), QStringLiteral("alice"));
    const PeerIdentity announced = PeerIdentity::generate();
    const PeerIdentity shown = PeerIdentity::generate();
    QVERIFY(!announced.isNull() && !shown.isNull());

    QSslServer listener;
    listener.setSslConfiguration(showing(shown));
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    QByteArray received;
    QPointer<QSslSocket> accepted; // QSslServer deletes it once it is closed
    bool reached = false;
    connect(&listener, &QSslServer::startedEncryptionHandshake, this, [&](QSslSocket *socket) {
        reached = true;
        accepted = socket;
        connect(socket, &QSslSocket::readyRead, this, [&] { received += accepted->readAll(); });
    });

    bob.send(Message::poke(2, QStringLiteral("alice"), listener.serverPort(), 0, announced.fingerprint()));
    QTRY_COMPARE(alice.poked.count(), 1);
    alice.peers.accept(alice.poked.at(0).at(0).value<quint64>());
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QTRY_COMPARE(alice.failed.count(), 1);
    QVERIFY2(alice.failed.at(0).at(1).toString().contains(QStringLiteral("certificate")),
             qPrintable(alice.failed.at(0).at(1).toString()));
    QVERIFY(reached); // Alice did reach the listener and start TLS
    QTRY_VERIFY(!accepted || accepted->state() == QAbstractSocket::UnconnectedState); // and hung up
    QVERIFY2(!received.contains(intro->text(Key::Token).toLatin1()), "the token went to the wrong certificate");
    QVERIFY(!received.contains("CONFAB-P2P"));
    QCOMPARE(alice.started.count(), 0);
}

// A UDP link that speaks DTLS showing `identity` and expects the peer to show `peerFingerprint`.
std::unique_ptr<UdpPeerLink> dtlsLink(const PeerIdentity &identity, const QString &peerFingerprint)
{
    auto link = std::make_unique<UdpPeerLink>();
    link->setEncryption(showing(identity), peerFingerprint);
    return link;
}

void tst_PeerChats::udpListenerTakesOnlyTheAnnouncedCertificate()
{
    // Bob (a raw client over UDP holding his own certificate) accepts Alice's poke offering his
    // fingerprint: Alice's UDP port must take DTLS from exactly that certificate and nothing else.
    TestServer ts;
    QVERIFY(ts.start());
    User alice(ts.port(), QStringLiteral("alice"), Transport::Udp);
    RawPeer bob(RawPeer::Transport::Udp, ts.port());
    QVERIFY(alice.ok);
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    const PeerIdentity bobIdentity = PeerIdentity::generate();
    const PeerIdentity stranger = PeerIdentity::generate();
    QVERIFY(!bobIdentity.isNull() && !stranger.isNull());
    QVERIFY(bobIdentity.fingerprint() != stranger.fingerprint());
    QSignalSpy introduced(&alice.session, &ClientSession::peerIntroduced);
    alice.peers.poke(QStringLiteral("bob"));
    const auto request = bob.expect(MessageType::PokeRequest);
    QVERIFY(request);
    bob.send(Message::pokeAnswer(2, quint64(request->integer(Key::Poke)), true, true, bobIdentity.fingerprint()));
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QCOMPARE(intro->text(Key::Role), QStringLiteral("connect"));
    QCOMPARE(intro->text(Key::Transport), QStringLiteral("udp"));
    QCOMPARE(intro->text(Key::Fingerprint), alice.peers.fingerprint());
    const quint16 port = quint16(intro->integer(Key::Port));
    const QByteArray token = intro->text(Key::Token).toLatin1();
    QTRY_COMPARE(introduced.count(), 1);
    UdpPeerLink *listener = alice.peers.findChild<UdpPeerLink *>();
    QVERIFY(listener);

    // An unverified DTLS ClientHello draws only a HelloVerifyRequest, smaller than itself.
    QUdpSocket capture, asker;
    QVERIFY(capture.bind(QHostAddress::LocalHost, 0) && asker.bind(QHostAddress::LocalHost, 0));
    QDtls probe(QSslSocket::SslClientMode);
    QSslConfiguration probeConfig = showing(stranger);
    probeConfig.setProtocol(QSsl::DtlsV1_2OrLater);
    QVERIFY(probe.setDtlsConfiguration(probeConfig));
    QVERIFY(probe.setPeer(QHostAddress::LocalHost, capture.localPort()));
    QVERIFY(probe.doHandshake(&asker));
    QTRY_VERIFY(capture.hasPendingDatagrams());
    const QByteArray clientHello = capture.receiveDatagram(4096).data();
    asker.writeDatagram(clientHello, QHostAddress::LocalHost, port);
    QTRY_VERIFY(asker.hasPendingDatagrams());
    const QByteArray verifyRequest = asker.receiveDatagram(4096).data();
    QVERIFY(!verifyRequest.isEmpty());
    QCOMPARE(quint8(verifyRequest.at(0)), quint8(22)); // a DTLS handshake record
    QVERIFY2(verifyRequest.size() < clientHello.size(),
             qPrintable(QStringLiteral("%1 >= %2").arg(verifyRequest.size()).arg(clientHello.size())));

    // Plain channel datagrams, even a Hello and the right token, are not answered at all.
    QUdpSocket plain;
    QVERIFY(plain.bind(QHostAddress::LocalHost, 0));
    UdpWire::Datagram hello;
    hello.kind = UdpWire::Kind::Hello;
    hello.connectionId = 9;
    plain.writeDatagram(UdpWire::encode(hello), QHostAddress::LocalHost, port);
    plain.writeDatagram("CONFAB-P2P 1 " + token + "\n", QHostAddress::LocalHost, port);
    UdpPeerLink plainLink;
    QSignalSpy plainFailed(&plainLink, &UdpPeerLink::handshakeFailed);
    plainLink.connectToPeer(QHostAddress::LocalHost, port, token, 1000);
    QVERIFY(plainFailed.wait(5000));
    QCOMPARE(plainFailed.at(0).at(0).toString(), QStringLiteral("no answer"));

    // A stranger with the right token but another certificate: its DTLS handshake is done, then it
    // is dropped before any channel, and the listener keeps waiting.
    const auto impostor = dtlsLink(stranger, alice.peers.fingerprint());
    QSignalSpy impostorFailed(impostor.get(), &UdpPeerLink::handshakeFailed);
    impostor->connectToPeer(QHostAddress::LocalHost, port, token, 1000);
    QVERIFY(impostorFailed.wait(5000));
    QCOMPARE(impostorFailed.at(0).at(0).toString(), QStringLiteral("no answer"));
    QCOMPARE(listener->refusedCertificates(), 1);
    QCOMPARE(listener->state(), UdpPeerLink::State::Listening);
    QCOMPARE(alice.started.count(), 0);
    QCOMPARE(alice.failed.count(), 0);

    // Bob, showing the announced certificate, gets in; the chat is encrypted both ways.
    const auto real = dtlsLink(bobIdentity, alice.peers.fingerprint());
    QSignalSpy up(real.get(), &UdpPeerLink::established), got(real.get(), &UdpPeerLink::payloadReceived);
    real->connectToPeer(QHostAddress::LocalHost, port, token, 5000);
    QVERIFY(up.wait(5000));
    QVERIFY(real->isEncrypted());
    QCOMPARE(real->peerFingerprint(), alice.peers.fingerprint());
    real->startDelivery();
    QTRY_COMPARE(alice.started.count(), 1);
    QVERIFY(runsOverUdp(alice.chat()));
    QVERIFY(alice.chat()->isEncrypted());
    QCOMPARE(alice.chat()->peerFingerprint(), bobIdentity.fingerprint());
    QSignalSpy aliceGot(alice.chat(), &DirectChat::lineReceived);
    QVERIFY(real->send("over dtls\n"));
    QVERIFY(aliceGot.wait(5000));
    QCOMPARE(aliceGot.at(0).at(0).toString(), QStringLiteral("over dtls"));
    const QByteArray longLine(16000, 'x'); // fragmented by the channel, each datagram its own record
    QVERIFY(real->send(longLine + "\n"));
    QVERIFY(aliceGot.wait(5000));
    QCOMPARE(aliceGot.at(1).at(0).toString(), QString::fromLatin1(longLine));
    QVERIFY(alice.chat()->send(QStringLiteral("and back")));
    QVERIFY(got.wait(5000));
    QCOMPARE(got.at(0).at(0).toByteArray(), QByteArray("and back\n"));
    QVERIFY(!plain.hasPendingDatagrams()); // the plain source never heard a thing
    QSignalSpy left(alice.chat(), &DirectChat::peerLeft);
    real->close();
    QVERIFY(left.wait(5000));
}

void tst_PeerChats::udpConnectorRefusesAListenerWithTheWrongCertificate()
{
    // Bob (raw, over UDP) pokes Alice announcing one certificate but listens with DTLS showing
    // another: Alice must not send the token, and tells her user why the direct connection failed.
    TestServer ts;
    QVERIFY(ts.start());
    RawPeer bob(RawPeer::Transport::Udp, ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    User alice(ts.port(), QStringLiteral("alice"), Transport::Udp);
    QVERIFY(alice.ok);
    const PeerIdentity announced = PeerIdentity::generate();
    const PeerIdentity shown = PeerIdentity::generate();
    QVERIFY(!announced.isNull() && !shown.isNull());

    QTcpServer tcpPort; // offered as well; the server picks UDP for two UDP users
    QVERIFY(tcpPort.listen(QHostAddress::LocalHost, 0));
    QUdpSocket fake;
    QVERIFY(fake.bind(QHostAddress::LocalHost, 0));
    QSslConfiguration config = showing(shown);
    config.setProtocol(QSsl::DtlsV1_2OrLater);
    QDtlsClientVerifier verifier;
    std::unique_ptr<QDtls> session;
    bool handshaken = false;
    QByteArray received;
    connect(&fake, &QUdpSocket::readyRead, this, [&] {
        while (fake.hasPendingDatagrams()) {
            const QNetworkDatagram d = fake.receiveDatagram(4096);
            if (!session) {
                if (!verifier.verifyClient(&fake, d.data(), d.senderAddress(), quint16(d.senderPort())))
                    continue;
                session = std::make_unique<QDtls>(QSslSocket::SslServerMode);
                session->setDtlsConfiguration(config);
                session->setPeer(d.senderAddress(), quint16(d.senderPort()));
            }
            if (!session->isConnectionEncrypted()) {
                session->doHandshake(&fake, d.data());
                handshaken = session->isConnectionEncrypted();
            } else {
                received += session->decryptDatagram(&fake, d.data());
            }
        }
    });

    bob.send(Message::poke(2, QStringLiteral("alice"), tcpPort.serverPort(), fake.localPort(), announced.fingerprint()));
    QTRY_COMPARE(alice.poked.count(), 1);
    alice.peers.accept(alice.poked.at(0).at(0).value<quint64>());
    const auto intro = bob.expect(MessageType::PokeResult);
    QVERIFY(intro && intro->boolean(Key::Accepted));
    QCOMPARE(intro->text(Key::Transport), QStringLiteral("udp"));
    QTRY_COMPARE(alice.failed.count(), 1);
    const QString why = alice.failed.at(0).at(1).toString();
    QVERIFY2(why.contains(QStringLiteral("certificate")), qPrintable(why));
    QVERIFY2(why.contains(normalizedFingerprint(shown.fingerprint())), qPrintable(why));
    QVERIFY2(why.contains(normalizedFingerprint(announced.fingerprint())), qPrintable(why));
    QVERIFY(session); // Alice did reach the listener and start DTLS
    QTRY_VERIFY(handshaken);
    QVERIFY2(!received.contains(intro->text(Key::Token).toLatin1()), "the token went to the wrong certificate");
    QVERIFY(!received.contains("CONFAB-P2P"));
    QVERIFY(received.isEmpty()); // not even a channel Hello
    QCOMPARE(alice.started.count(), 0);
}

QTEST_GUILESS_MAIN(tst_PeerChats)
#include "tst_peerchats.moc"
