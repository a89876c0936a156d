// TCP and UDP side by side on one server: a TCP user and a UDP user chat with each other in the
// lobby, a room and DMs; Auto picks TCP when it is served and UDP otherwise; spoofed and malformed
// datagrams change nothing for the sessions chatting meanwhile; the UDP session table is bounded;
// a UDP client whose server vanishes finds out. Real sockets on 127.0.0.1, ClientSession on both
// ends of the conversation.
#include "testsupport.h"

#include "clientsession.h"
#include "udpconnection.h"
#include "udplistener.h"
#include "udpwire.h"

#include <memory>

using namespace ConfabTest;
using Confab::ClientSession;
using Transport = Confab::ClientSession::Transport;

namespace {

constexpr int LoginTimeoutMs = 30000; // password hashing is slow on purpose, even at test strength
constexpr int EventTimeoutMs = 10000;
const QString Password = QStringLiteral("secret1");

std::unique_ptr<ClientSession> loggedIn(quint16 port, const QString &user, Transport transport)
{
    auto session = std::make_unique<ClientSession>();
    session->setTransport(transport);
    QSignalSpy list(session.get(), &ClientSession::userListReceived);
    session->connectToServer(QStringLiteral("127.0.0.1"), port, user, Password);
    if (!list.wait(LoginTimeoutMs) || !session->isLoggedIn())
        return nullptr;
    return session;
}

QString transportOf(const ChatServer &server, const QString &user)
{
    for (const SessionInfo &info : server.sessions()) {
        if (info.user == user)
            return info.transport;
    }
    return {};
}

// Forwards datagrams between one client and the server until cut, so a test can make either
// side vanish without it saying goodbye.
class UdpRelay
{
public:
    explicit UdpRelay(quint16 serverPort)
        : m_serverPort(serverPort)
    {
        m_front.bind(QHostAddress::LocalHost, 0);
        m_back.bind(QHostAddress::LocalHost, 0);
        QObject::connect(&m_front, &QUdpSocket::readyRead, &m_front, [this] {
            while (m_front.hasPendingDatagrams()) {
                const QNetworkDatagram d = m_front.receiveDatagram();
                m_client = d.senderAddress();
                m_clientPort = quint16(d.senderPort());
                if (!cut)
                    m_back.writeDatagram(d.data(), QHostAddress::LocalHost, m_serverPort);
            }
        });
        QObject::connect(&m_back, &QUdpSocket::readyRead, &m_back, [this] {
            while (m_back.hasPendingDatagrams()) {
                const QNetworkDatagram d = m_back.receiveDatagram();
                if (!cut && m_clientPort != 0)
                    m_front.writeDatagram(d.data(), m_client, m_clientPort);
            }
        });
    }
    quint16 port() const { return m_front.localPort(); }
    bool cut = false;

private:
    QUdpSocket m_front; // the client talks to this one
    QUdpSocket m_back;  // this one talks to the server
    quint16 m_serverPort;
    QHostAddress m_client;
    quint16 m_clientPort = 0;
};

// Receives whatever the server sends to a spoofing socket.
struct Spoofer {
    QUdpSocket socket;
    QList<QByteArray> received;

    Spoofer()
    {
        socket.bind(QHostAddress::LocalHost, 0);
    }
    void send(const QByteArray &datagram, quint16 port) { socket.writeDatagram(datagram, QHostAddress::LocalHost, port); }
    void collect()
    {
        while (socket.hasPendingDatagrams())
            received.append(socket.receiveDatagram().data());
    }
};

UdpWire::Datagram shortDatagram(UdpWire::Kind kind, quint32 id)
{
    UdpWire::Datagram d;
    d.kind = kind;
    d.connectionId = id;
    return d;
}

UdpWire::Datagram dataDatagram(quint32 id, quint32 seq, const QByteArray &fragment)
{
    UdpWire::Datagram d = shortDatagram(UdpWire::Kind::Data, id);
    d.seq = seq;
    d.fragmentCount = 1;
    d.fragment = fragment;
    return d;
}

// Asks for a cookie from `from` for connection `id`; empty when none came.
QByteArray fetchCookie(Spoofer &from, quint16 port, quint32 id)
{
    from.send(UdpWire::encode(shortDatagram(UdpWire::Kind::Hello, id)), port);
    if (!QTest::qWaitFor([&] { return from.socket.hasPendingDatagrams(); }, EventTimeoutMs))
        return {};
    UdpWire::Datagram reply;
    if (UdpWire::decode(from.socket.receiveDatagram().data(), &reply) != UdpWire::DecodeError::None
        || reply.kind != UdpWire::Kind::Cookie)
        return {};
    return reply.cookie;
}

} // namespace

class tst_UdpTransport : public QObject
{
    Q_OBJECT
private slots:
    void tcpAndUdpUsersChat();
    void largeAndManyMessagesBothWays();
    void autoPicksTcpWhenServed();
    void autoPicksUdpWhenOnlyUdpIsServed();
    void autoFallsBackToTcpWithoutUdp();
    void probeAndWelcomeNameTheServedTransports_data();
    void probeAndWelcomeNameTheServedTransports();
    void notListeningAnswersNoProbe();
    void explicitUdpWithoutUdpServerTimesOut();
    void spoofedAndMalformedDatagramsChangeNothing_data();
    void spoofedAndMalformedDatagramsChangeNothing();
    void sessionTableIsBounded();
    void pathMtuDiscoveredOnLoopback();
    void vanishedServerIsReportedLost();
    void noTransportRefusesToStart();
};

void tst_UdpTransport::tcpAndUdpUsersChat()
{
    TestServer ts;
    QVERIFY(ts.start());
    auto alice = loggedIn(ts.port(), QStringLiteral("alice"), Transport::Tcp);
    QVERIFY(alice);
    QSignalSpy joined(alice.get(), &ClientSession::userJoined);
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Udp);
    QVERIFY(bob);
    QCOMPARE(alice->activeTransport(), Transport::Tcp);
    QCOMPARE(bob->activeTransport(), Transport::Udp);
    QCOMPARE(bob->connection()->transportName(), QStringLiteral("udp"));
    QCOMPARE(transportOf(*ts.server, QStringLiteral("alice")), QStringLiteral("tcp"));
    QCOMPARE(transportOf(*ts.server, QStringLiteral("bob")), QStringLiteral("udp"));
    QTRY_COMPARE_WITH_TIMEOUT(joined.count(), 1, EventTimeoutMs);
    QCOMPARE(joined.at(0).at(0).value<Confab::OnlineUser>().transport, QStringLiteral("udp"));

    // Lobby, both ways.
    QSignalSpy aliceLobby(alice.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy bobLobby(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy bobDelivered(bob.get(), &ClientSession::delivered);
    alice->sendLobbyMessage(QStringLiteral("hello from tcp"));
    const quint64 fromBob = bob->sendLobbyMessage(QStringLiteral("hello from udp ✓"));
    QTRY_COMPARE_WITH_TIMEOUT(bobLobby.count(), 1, EventTimeoutMs);
    QCOMPARE(bobLobby.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(bobLobby.at(0).at(1).toString(), QStringLiteral("hello from tcp"));
    QTRY_COMPARE_WITH_TIMEOUT(aliceLobby.count(), 1, EventTimeoutMs);
    QCOMPARE(aliceLobby.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(aliceLobby.at(0).at(1).toString(), QStringLiteral("hello from udp ✓"));
    QTRY_COMPARE_WITH_TIMEOUT(bobDelivered.count(), 1, EventTimeoutMs);
    QCOMPARE(bobDelivered.at(0).at(0).toULongLong(), fromBob);
    QCOMPARE(bobDelivered.at(0).at(1).toInt(), 1);

    // A room: created over TCP, joined over UDP, messages both ways.
    QSignalSpy aliceRoomJoined(alice.get(), &ClientSession::roomJoined);
    QSignalSpy bobRoomJoined(bob.get(), &ClientSession::roomJoined);
    QSignalSpy memberJoined(alice.get(), &ClientSession::memberJoined);
    alice->createRoom(QStringLiteral("mixed"), QStringLiteral("tcp meets udp"));
    QVERIFY(aliceRoomJoined.wait(EventTimeoutMs));
    bob->joinRoom(QStringLiteral("#mixed"));
    QVERIFY(bobRoomJoined.wait(EventTimeoutMs));
    const auto room = bobRoomJoined.at(0).at(0).value<Confab::JoinedRoom>();
    QCOMPARE(room.topic, QStringLiteral("tcp meets udp"));
    QCOMPARE(room.members, (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
    QTRY_COMPARE_WITH_TIMEOUT(memberJoined.count(), 1, EventTimeoutMs);
    QSignalSpy aliceRoom(alice.get(), &ClientSession::roomMessageReceived);
    QSignalSpy bobRoom(bob.get(), &ClientSession::roomMessageReceived);
    bob->sendRoomMessage(QStringLiteral("mixed"), QStringLiteral("room post over udp"));
    alice->sendRoomMessage(QStringLiteral("mixed"), QStringLiteral("room post over tcp"));
    QTRY_COMPARE_WITH_TIMEOUT(aliceRoom.count(), 1, EventTimeoutMs);
    QCOMPARE(aliceRoom.at(0).at(1).toString(), QStringLiteral("bob"));
    QCOMPARE(aliceRoom.at(0).at(2).toString(), QStringLiteral("room post over udp"));
    QTRY_COMPARE_WITH_TIMEOUT(bobRoom.count(), 1, EventTimeoutMs);
    QCOMPARE(bobRoom.at(0).at(1).toString(), QStringLiteral("alice"));
    QCOMPARE(bobRoom.at(0).at(2).toString(), QStringLiteral("room post over tcp"));

    // DMs, both ways.
    QSignalSpy aliceDm(alice.get(), &ClientSession::directMessageReceived);
    QSignalSpy bobDm(bob.get(), &ClientSession::directMessageReceived);
    alice->sendDirectMessage(QStringLiteral("bob"), QStringLiteral("psst, udp"));
    bob->sendDirectMessage(QStringLiteral("ALICE"), QStringLiteral("psst, tcp"));
    QTRY_COMPARE_WITH_TIMEOUT(bobDm.count(), 1, EventTimeoutMs);
    QCOMPARE(bobDm.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(bobDm.at(0).at(2).toString(), QStringLiteral("psst, udp"));
    QTRY_COMPARE_WITH_TIMEOUT(aliceDm.count(), 1, EventTimeoutMs);
    QCOMPARE(aliceDm.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(aliceDm.at(0).at(2).toString(), QStringLiteral("psst, tcp"));

    // The UDP user leaves with a reason; the TCP user sees it, in the room too.
    QSignalSpy left(alice.get(), &ClientSession::userLeft);
    QSignalSpy memberLeft(alice.get(), &ClientSession::memberLeft);
    bob->quit(QStringLiteral("bye over udp"));
    QTRY_COMPARE_WITH_TIMEOUT(bob->state(), ClientSession::State::Disconnected, EventTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(left.count(), 1, EventTimeoutMs);
    QCOMPARE(left.at(0).at(0).toString(), QStringLiteral("bob"));
    QCOMPARE(left.at(0).at(1).toString(), QStringLiteral("quit: bye over udp"));
    QTRY_COMPARE_WITH_TIMEOUT(memberLeft.count(), 1, EventTimeoutMs);
    QCOMPARE(ts.server->onlineUsers(), QStringList{QStringLiteral("alice")});
}

void tst_UdpTransport::largeAndManyMessagesBothWays()
{
    // 16 KB texts take 14 datagrams each; 60 of them (~1 MB) overflow the channel's own queue
    // (256 KB), so the adapters' backlogs and the windows are exercised in both directions.
    TestServer ts;
    QVERIFY(ts.start());
    auto alice = loggedIn(ts.port(), QStringLiteral("alice"), Transport::Tcp);
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Udp);
    QVERIFY(alice && bob);
    QSignalSpy aliceLobby(alice.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy bobLobby(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy aliceDelivered(alice.get(), &ClientSession::delivered);
    QSignalSpy bobDelivered(bob.get(), &ClientSession::delivered);
    constexpr int Count = 60;
    auto text = [](QChar fill, int i) {
        return QStringLiteral("%1:").arg(i, 3, 10, QLatin1Char('0')) + QString(Limits::MaxTextBytes - 4, fill);
    };
    for (int i = 0; i < Count; ++i) {
        bob->sendLobbyMessage(text(u'u', i));
        alice->sendLobbyMessage(text(u't', i));
    }
    QTRY_COMPARE_WITH_TIMEOUT(aliceLobby.count(), Count, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(bobLobby.count(), Count, 30000);
    for (int i = 0; i < Count; ++i) {
        QCOMPARE(aliceLobby.at(i).at(1).toString(), text(u'u', i)); // whole and in order
        QCOMPARE(bobLobby.at(i).at(1).toString(), text(u't', i));
    }
    QTRY_COMPARE_WITH_TIMEOUT(aliceDelivered.count(), Count, EventTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(bobDelivered.count(), Count, EventTimeoutMs);
    QCOMPARE(alice->pendingRequestCount(), 0);
    QCOMPARE(bob->pendingRequestCount(), 0);
}

void tst_UdpTransport::autoPicksTcpWhenServed()
{
    TestServer ts;
    QVERIFY(ts.start());
    ClientSession session;
    QCOMPARE(session.transport(), Transport::Auto); // the default
    QSignalSpy chosen(&session, &ClientSession::transportChosen);
    QSignalSpy list(&session, &ClientSession::userListReceived);
    session.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("alice"), Password);
    QCOMPARE(session.activeTransport(), Transport::Auto); // not decided before the probe's answer
    QVERIFY(list.wait(LoginTimeoutMs));
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.at(0).at(0).value<Transport>(), Transport::Tcp);
    QCOMPARE(session.activeTransport(), Transport::Tcp);
    QCOMPARE(transportOf(*ts.server, QStringLiteral("alice")), QStringLiteral("tcp"));
    // It asked first: the server answered one probe.
    QVERIFY(ts.server->udpListener()->stats().probesAnswered >= 1);
    QCOMPARE(ts.server->udpListener()->stats().admitted, quint64(0));
}

void tst_UdpTransport::autoPicksUdpWhenOnlyUdpIsServed()
{
    ServerConfig config;
    config.serveTcp = false;
    TestServer ts(config);
    QVERIFY(ts.start());
    QCOMPARE(ts.server->tcpPort(), quint16(0));
    QVERIFY(ts.server->udpPort() != 0);
    ClientSession session;
    QSignalSpy chosen(&session, &ClientSession::transportChosen);
    QSignalSpy list(&session, &ClientSession::userListReceived);
    session.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("alice"), Password);
    QVERIFY(list.wait(LoginTimeoutMs));
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.at(0).at(0).value<Transport>(), Transport::Udp);
    QCOMPARE(session.activeTransport(), Transport::Udp);
    QCOMPARE(transportOf(*ts.server, QStringLiteral("alice")), QStringLiteral("udp"));
    // And it works: a second UDP user hears from the first.
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Auto);
    QVERIFY(bob);
    QCOMPARE(bob->activeTransport(), Transport::Udp);
    QSignalSpy lobby(bob.get(), &ClientSession::lobbyMessageReceived);
    session.sendLobbyMessage(QStringLiteral("udp only"));
    QVERIFY(lobby.wait(EventTimeoutMs));
    QCOMPARE(lobby.at(0).at(1).toString(), QStringLiteral("udp only"));
}

void tst_UdpTransport::autoFallsBackToTcpWithoutUdp()
{
    ServerConfig config;
    config.serveUdp = false;
    TestServer ts(config);
    QVERIFY(ts.start());
    QVERIFY(!ts.server->udpListener());
    ClientSession session;
    QSignalSpy chosen(&session, &ClientSession::transportChosen);
    QSignalSpy list(&session, &ClientSession::userListReceived);
    QElapsedTimer timer;
    timer.start();
    session.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("alice"), Password);
    QVERIFY(list.wait(LoginTimeoutMs));
    // Nobody answered the probe, so it waited out the probe's time before choosing TCP.
    QVERIFY(timer.elapsed() >= session.probeTimeoutMs());
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(chosen.at(0).at(0).value<Transport>(), Transport::Tcp);
    QCOMPARE(transportOf(*ts.server, QStringLiteral("alice")), QStringLiteral("tcp"));
}

void tst_UdpTransport::probeAndWelcomeNameTheServedTransports_data()
{
    QTest::addColumn<bool>("serveTcp");
    QTest::addColumn<bool>("serveUdp");
    QTest::newRow("both") << true << true;
    QTest::newRow("tcp-only") << true << false;
    QTest::newRow("udp-only") << false << true;
}

void tst_UdpTransport::probeAndWelcomeNameTheServedTransports()
{
    QFETCH(bool, serveTcp);
    QFETCH(bool, serveUdp);
    ServerConfig config;
    config.serveTcp = serveTcp;
    config.serveUdp = serveUdp;
    TestServer ts(config);
    QVERIFY(ts.start());

    UdpProbe probe;
    QSignalSpy answered(&probe, &UdpProbe::answered);
    QSignalSpy failed(&probe, &UdpProbe::failed);
    probe.start(QStringLiteral("127.0.0.1"), ts.port(), 500);
    QVERIFY(QTest::qWaitFor([&] { return !answered.isEmpty() || !failed.isEmpty(); }, EventTimeoutMs));
    if (serveUdp) {
        QCOMPARE(answered.count(), 1);
        const quint16 expected = quint16((serveTcp ? UdpWire::TransportTcp : 0) | UdpWire::TransportUdp);
        QCOMPARE(answered.at(0).at(0).value<quint16>(), expected);
        QCOMPARE(answered.at(0).at(1).value<quint32>(), ProtocolVersion);
    } else {
        QCOMPARE(failed.count(), 1); // no UDP socket: nobody answers
    }

    // Welcome's capabilities list the transports served, over either.
    RawPeer peer(serveTcp ? RawPeer::Transport::Tcp : RawPeer::Transport::Udp, ts.port());
    QVERIFY(peer.isConnected());
    peer.send(Message::hello(QStringLiteral("t")));
    const auto welcome = peer.expect(MessageType::Welcome);
    QVERIFY(welcome);
    QStringList caps;
    for (const QCborValue &cap : welcome->array(Key::Caps))
        caps << cap.toString();
    QCOMPARE(caps.contains(QStringLiteral("tcp")), serveTcp);
    QCOMPARE(caps.contains(QStringLiteral("udp")), serveUdp);

    QList<ListenerInfo> listeners = ts.server->listeners();
    QStringList names;
    for (const ListenerInfo &l : listeners) {
        names << l.transport;
        QCOMPARE(l.port, ts.port()); // one port number for both
        QVERIFY(l.listening);
    }
    QCOMPARE(names.contains(QStringLiteral("tcp")), serveTcp);
    QCOMPARE(names.contains(QStringLiteral("udp")), serveUdp);
}

void tst_UdpTransport::notListeningAnswersNoProbe()
{
    TestServer ts;
    QVERIFY(ts.start());
    auto alice = loggedIn(ts.port(), QStringLiteral("alice"), Transport::Udp);
    QVERIFY(alice);
    QVERIFY(ts.server->setListening(false));
    QVERIFY(!ts.server->isListening());
    for (const ListenerInfo &l : ts.server->listeners())
        QVERIFY2(!l.listening, qPrintable(l.transport));

    UdpProbe probe;
    QSignalSpy answered(&probe, &UdpProbe::answered);
    QSignalSpy failed(&probe, &UdpProbe::failed);
    probe.start(QStringLiteral("127.0.0.1"), ts.port(), 400);
    QVERIFY(failed.wait(EventTimeoutMs));
    QCOMPARE(answered.count(), 0);
    // Newcomers over UDP are not admitted either; the session already in carries on.
    ClientSession late;
    late.setTransport(Transport::Udp);
    late.setConnectTimeout(600);
    QSignalSpy lateError(&late, &ClientSession::errorOccurred);
    late.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("late"), Password);
    QVERIFY(lateError.wait(EventTimeoutMs));
    QCOMPARE(ts.server->connectionCount(), 1);
    QSignalSpy list(alice.get(), &ClientSession::userListReceived);
    alice->requestUserList();
    QVERIFY(list.wait(EventTimeoutMs));

    QVERIFY(ts.server->setListening(true));
    probe.start(QStringLiteral("127.0.0.1"), ts.port(), 2000);
    QVERIFY(answered.wait(EventTimeoutMs));
    QCOMPARE(answered.at(0).at(0).value<quint16>(), quint16(UdpWire::TransportTcp | UdpWire::TransportUdp));
}

void tst_UdpTransport::explicitUdpWithoutUdpServerTimesOut()
{
    ServerConfig config;
    config.serveUdp = false;
    TestServer ts(config);
    QVERIFY(ts.start());
    ClientSession session;
    session.setTransport(Transport::Udp);
    session.setConnectTimeout(800);
    QSignalSpy error(&session, &ClientSession::errorOccurred);
    QSignalSpy chosen(&session, &ClientSession::transportChosen);
    session.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("alice"), Password);
    QCOMPARE(chosen.count(), 1); // no probe: the choice is known at once
    QCOMPARE(chosen.at(0).at(0).value<Transport>(), Transport::Udp);
    QVERIFY(error.wait(EventTimeoutMs));
    QCOMPARE(error.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::TimedOut);
    QVERIFY2(error.at(0).at(2).toString().contains(QStringLiteral("could not connect")), qPrintable(error.at(0).at(2).toString()));
    QCOMPARE(session.state(), ClientSession::State::Disconnected);
    QCOMPARE(ts.server->connectionCount(), 0);
}

void tst_UdpTransport::spoofedAndMalformedDatagramsChangeNothing_data()
{
    QTest::addColumn<QString>("kind");
    // The size of the answer the spoofer may get: 0 = none at all.
    QTest::addColumn<int>("answerSize");
    QTest::newRow("bad-magic") << QStringLiteral("bad-magic") << 0;
    QTest::newRow("seed-002-text") << QStringLiteral("seed-002-text") << 0;
    QTest::newRow("unknown-session-data") << QStringLiteral("unknown-session-data") << 0;
    QTest::newRow("truncated-fragment") << QStringLiteral("truncated-fragment") << 0;
    QTest::newRow("absurd-fragment-count") << QStringLiteral("absurd-fragment-count") << 0;
    QTest::newRow("oversized") << QStringLiteral("oversized") << 0;
    QTest::newRow("data-with-a-live-session-id") << QStringLiteral("data-with-a-live-session-id") << 0;
    QTest::newRow("close-with-a-live-session-id") << QStringLiteral("close-with-a-live-session-id") << 0;
    QTest::newRow("ping-from-unadmitted-source") << QStringLiteral("ping-from-unadmitted-source") << 0;
    QTest::newRow("forged-cookie") << QStringLiteral("forged-cookie") << 0;
    QTest::newRow("cookie-of-another-source") << QStringLiteral("cookie-of-another-source") << 0;
    QTest::newRow("cookie-of-another-id") << QStringLiteral("cookie-of-another-id") << 0;
    QTest::newRow("short-hello") << QStringLiteral("short-hello") << 0;
    QTest::newRow("size-probe-from-unadmitted-source") << QStringLiteral("size-probe-from-unadmitted-source") << 0;
    QTest::newRow("large-bundle-with-a-live-session-id") << QStringLiteral("large-bundle-with-a-live-session-id") << 0;
    // Stateless answers, never larger than what caused them.
    QTest::newRow("hello") << QStringLiteral("hello") << UdpWire::CookieReplySize;
    QTest::newRow("probe") << QStringLiteral("probe") << UdpWire::ProbeReplySize;
}

void tst_UdpTransport::spoofedAndMalformedDatagramsChangeNothing()
{
    QFETCH(QString, kind);
    QFETCH(int, answerSize);
    TestServer ts;
    QVERIFY(ts.start());
    const quint16 port = ts.port();
    auto alice = loggedIn(port, QStringLiteral("alice"), Transport::Udp);
    auto bob = loggedIn(port, QStringLiteral("bob"), Transport::Tcp);
    QVERIFY(alice && bob);
    QSignalSpy bobLobby(bob.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("before"));
    QVERIFY(bobLobby.wait(EventTimeoutMs));
    const auto *aliceUdp = qobject_cast<const UdpConnection *>(alice->connection());
    QVERIFY(aliceUdp);
    const quint32 aliceId = aliceUdp->connectionId();
    QVERIFY(aliceId != 0);
    const UdpListener::Stats before = ts.server->udpListener()->stats();
    QCOMPARE(ts.server->connectionCount(), 2);
    QCOMPARE(ts.server->udpListener()->channelCount(), 1);

    Spoofer spoofer;
    const quint32 freshId = ReliableChannel::randomConnectionId();
    QByteArray datagram;
    if (kind == QLatin1String("bad-magic")) {
        datagram = UdpWire::encode(dataDatagram(freshId, 0, "hi"));
        datagram[0] = char(0x16);
    } else if (kind == QLatin1String("seed-002-text")) {
        datagram = QByteArrayLiteral("REGISTER mallory 127.0.0.1 4000");
    } else if (kind == QLatin1String("unknown-session-data")) {
        datagram = UdpWire::encode(dataDatagram(freshId, 0, Message::postLobby(1, QStringLiteral("spoof")).encode()));
    } else if (kind == QLatin1String("truncated-fragment")) {
        datagram = UdpWire::encode(dataDatagram(aliceId, 0, QByteArray(200, 'x')));
        datagram.chop(100);
    } else if (kind == QLatin1String("absurd-fragment-count")) {
        datagram = UdpWire::encode(dataDatagram(aliceId, 0, QByteArray(UdpWire::MaxFragmentPayload, 'x')));
        datagram[23] = char(255);
    } else if (kind == QLatin1String("oversized")) {
        datagram = UdpWire::encode(dataDatagram(freshId, 0, QByteArray(UdpWire::MaxFragmentPayload, 'x')));
        datagram += QByteArray(5000, 'x');
    } else if (kind == QLatin1String("data-with-a-live-session-id")) {
        // Alice's id from another port: a stranger cannot take over (or disturb) her channel.
        datagram = UdpWire::encode(dataDatagram(aliceId, 3, Message::quit(QStringLiteral("hijacked")).encode()));
    } else if (kind == QLatin1String("close-with-a-live-session-id")) {
        UdpWire::Datagram close = shortDatagram(UdpWire::Kind::Close, aliceId);
        close.seq = 3;
        datagram = UdpWire::encode(close);
    } else if (kind == QLatin1String("ping-from-unadmitted-source")) {
        datagram = UdpWire::encode(shortDatagram(UdpWire::Kind::Ping, freshId));
    } else if (kind == QLatin1String("forged-cookie")) {
        UdpWire::Datagram hello = shortDatagram(UdpWire::Kind::HelloWithCookie, freshId);
        hello.cookie = QByteArray(UdpWire::CookieSize, '\x5a');
        datagram = UdpWire::encode(hello);
    } else if (kind == QLatin1String("cookie-of-another-source")) {
        // A real cookie, fetched by another socket, replayed from the spoofer's.
        Spoofer owner;
        UdpWire::Datagram hello = shortDatagram(UdpWire::Kind::HelloWithCookie, freshId);
        hello.cookie = fetchCookie(owner, port, freshId);
        QCOMPARE(hello.cookie.size(), UdpWire::CookieSize);
        datagram = UdpWire::encode(hello);
    } else if (kind == QLatin1String("cookie-of-another-id")) {
        UdpWire::Datagram hello = shortDatagram(UdpWire::Kind::HelloWithCookie, freshId + 1);
        hello.cookie = fetchCookie(spoofer, port, freshId);
        QCOMPARE(hello.cookie.size(), UdpWire::CookieSize);
        datagram = UdpWire::encode(hello);
    } else if (kind == QLatin1String("short-hello")) {
        datagram = UdpWire::encode(shortDatagram(UdpWire::Kind::Hello, freshId)).left(100); // not padded
    } else if (kind == QLatin1String("size-probe-from-unadmitted-source")) {
        UdpWire::Datagram probe = shortDatagram(UdpWire::Kind::SizeProbe, freshId);
        probe.probeSize = 1400;
        datagram = UdpWire::encode(probe, UdpWire::LargestDatagramSize);
    } else if (kind == QLatin1String("large-bundle-with-a-live-session-id")) {
        UdpWire::Datagram bundle = shortDatagram(UdpWire::Kind::Bundle, aliceId);
        bundle.seq = 3;
        bundle.payloads = QList<QByteArray>(2, QByteArray(4000, 'x'));
        datagram = UdpWire::encode(bundle, UdpWire::LargestDatagramSize);
    } else if (kind == QLatin1String("hello")) {
        datagram = UdpWire::encode(shortDatagram(UdpWire::Kind::Hello, freshId));
    } else if (kind == QLatin1String("probe")) {
        datagram = UdpWire::encode(shortDatagram(UdpWire::Kind::Probe, freshId));
    }
    QVERIFY(!datagram.isEmpty());
    const UdpListener::Stats afterSetUp = ts.server->udpListener()->stats();

    // Five copies, with alice chatting right behind them: the server reads its socket in order,
    // so once bob has alice's message every answer to the spoofer has been sent.
    constexpr int Copies = 5;
    for (int i = 0; i < Copies; ++i)
        spoofer.send(datagram, port);
    alice->sendLobbyMessage(QStringLiteral("after"));
    QVERIFY(bobLobby.wait(EventTimeoutMs));
    QCOMPARE(bobLobby.last().at(1).toString(), QStringLiteral("after"));
    QTRY_VERIFY(ts.server->udpListener()->stats().datagramsIn >= afterSetUp.datagramsIn + Copies + 1);
    QCoreApplication::processEvents();
    spoofer.collect();

    // No state: no session, no channel, nothing admitted.
    const UdpListener::Stats after = ts.server->udpListener()->stats();
    QCOMPARE(ts.server->connectionCount(), 2);
    QCOMPARE(ts.server->udpListener()->channelCount(), 1);
    QCOMPARE(after.admitted, before.admitted);
    QCOMPARE(ts.server->onlineUsers(), (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
    // Answers: none, or one per copy of exactly the expected (not larger) size.
    if (answerSize == 0) {
        QCOMPARE(spoofer.received.size(), 0);
        QCOMPARE(after.dropped - afterSetUp.dropped, quint64(Copies));
    } else {
        QCOMPARE(spoofer.received.size(), Copies);
        for (const QByteArray &answer : std::as_const(spoofer.received)) {
            QCOMPARE(answer.size(), answerSize);
            QVERIFY(answer.size() <= datagram.size());
        }
    }

    // Alice's session is undisturbed, both ways.
    QSignalSpy aliceLobby(alice.get(), &ClientSession::lobbyMessageReceived);
    bob->sendLobbyMessage(QStringLiteral("still with us?"));
    QVERIFY(aliceLobby.wait(EventTimeoutMs));
    QCOMPARE(aliceLobby.at(0).at(1).toString(), QStringLiteral("still with us?"));
    QVERIFY(alice->isLoggedIn());
}

void tst_UdpTransport::pathMtuDiscoveredOnLoopback()
{
    // Both ends set the don't-fragment option and advertise 8,952 bytes; loopback carries that
    // (its MTU is 65,536), so the client's probes are answered and its datagram size rises to it.
    // A burst of lobby messages then reaches the UDP user whole and in order.
    TestServer ts;
    QVERIFY(ts.start());
    auto alice = loggedIn(ts.port(), QStringLiteral("alice"), Transport::Udp);
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Tcp);
    QVERIFY(alice && bob);
    const auto *aliceUdp = qobject_cast<const UdpConnection *>(alice->connection());
    QVERIFY(aliceUdp && aliceUdp->channel());
    const ReliableChannel *channel = aliceUdp->channel();
    if (channel->maxDatagramSize() == UdpWire::BaseDatagramSize)
        QSKIP("this system has no don't-fragment socket option: large datagrams are not advertised");
    QCOMPARE(channel->maxDatagramSize(), UdpWire::LargestDatagramSize);
    QVERIFY(channel->agreedFeatures() & UdpWire::FeatureLargeDatagrams);
    QCOMPARE(channel->peerMaxDatagramSize(), UdpWire::LargestDatagramSize);
    QTRY_COMPARE_WITH_TIMEOUT(channel->datagramSize(), UdpWire::LargestDatagramSize, EventTimeoutMs);
    QCOMPARE(channel->pathMtu().probesLost(), 0u);

    QSignalSpy aliceLobby(alice.get(), &ClientSession::lobbyMessageReceived);
    constexpr int Count = 50;
    for (int i = 0; i < Count; ++i)
        bob->sendLobbyMessage(QStringLiteral("burst %1 ").arg(i) + QString(100, QLatin1Char('x')));
    QTRY_COMPARE_WITH_TIMEOUT(aliceLobby.count(), Count, EventTimeoutMs);
    for (int i = 0; i < Count; ++i)
        QVERIFY(aliceLobby.at(i).at(1).toString().startsWith(QStringLiteral("burst %1 ").arg(i)));
    QCOMPARE(channel->oversizedDropped(), 0u);
    QCOMPARE(channel->pathMtu().blackHoles(), 0u);
}

void tst_UdpTransport::sessionTableIsBounded()
{
    ServerConfig config;
    config.maxUdpSessions = 2;
    TestServer ts(config);
    QVERIFY(ts.start());
    auto alice = loggedIn(ts.port(), QStringLiteral("alice"), Transport::Udp);
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Udp);
    QVERIFY(alice && bob);
    QCOMPARE(ts.server->udpListener()->channelCount(), 2);

    // A third is not admitted (its handshake goes unanswered); TCP is not limited by it.
    ClientSession carol;
    carol.setTransport(Transport::Udp);
    carol.setConnectTimeout(800);
    QSignalSpy carolError(&carol, &ClientSession::errorOccurred);
    carol.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("carol"), Password);
    QVERIFY(carolError.wait(EventTimeoutMs));
    QCOMPARE(carolError.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::TimedOut);
    QVERIFY(ts.server->udpListener()->stats().refusedFull >= 1);
    QCOMPARE(ts.server->connectionCount(), 2);
    auto carolOverTcp = loggedIn(ts.port(), QStringLiteral("carol"), Transport::Tcp);
    QVERIFY(carolOverTcp);

    // When bob leaves, his channel lingers (it answers his retransmissions for a while), yet a
    // newcomer gets its place.
    bob->quit();
    QTRY_COMPARE_WITH_TIMEOUT(bob->state(), ClientSession::State::Disconnected, EventTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(ts.server->connectionCount(), 2, EventTimeoutMs); // alice, carol over TCP
    QCOMPARE(ts.server->udpListener()->channelCount(), 2);
    auto dave = loggedIn(ts.port(), QStringLiteral("dave"), Transport::Udp);
    QVERIFY(dave);
    QCOMPARE(ts.server->udpListener()->channelCount(), 2);
}

void tst_UdpTransport::vanishedServerIsReportedLost()
{
    ServerConfig config;
    config.pingIntervalMs = 100;
    config.idleTimeoutMs = 600;
    TestServer ts(config);
    QVERIFY(ts.start());
    UdpRelay relay(ts.port());
    auto bob = loggedIn(ts.port(), QStringLiteral("bob"), Transport::Tcp);
    QVERIFY(bob);
    ClientSession alice;
    alice.setTransport(Transport::Udp);
    alice.setKeepalive(100, 600);
    QSignalSpy list(&alice, &ClientSession::userListReceived);
    alice.connectToServer(QStringLiteral("127.0.0.1"), relay.port(), QStringLiteral("alice"), Password);
    QVERIFY(list.wait(LoginTimeoutMs));
    // Pings keep an idle session up across several idle timeouts.
    QSignalSpy lost(&alice, &ClientSession::connectionLost);
    QTest::qWait(1500);
    QCOMPARE(lost.count(), 0);
    QVERIFY(alice.isLoggedIn());

    // Now nothing gets through, either way: neither side says goodbye, both find out.
    QSignalSpy bobSawLeft(bob.get(), &ClientSession::userLeft);
    relay.cut = true;
    QVERIFY(lost.wait(EventTimeoutMs));
    QCOMPARE(lost.at(0).at(0).toString(), QStringLiteral("the server stopped answering"));
    QCOMPARE(alice.state(), ClientSession::State::Disconnected);
    QTRY_COMPARE_WITH_TIMEOUT(bobSawLeft.count(), 1, EventTimeoutMs);
    QCOMPARE(bobSawLeft.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(bobSawLeft.at(0).at(1).toString(), QStringLiteral("timed out"));
}

void tst_UdpTransport::noTransportRefusesToStart()
{
    ServerConfig config;
    config.serveTcp = false;
    config.serveUdp = false;
    TestServer ts(config);
    QString error;
    QVERIFY(!ts.server->start(&error));
    QVERIFY2(error.contains(QStringLiteral("neither TCP nor UDP")), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_UdpTransport)
#include "tst_udptransport.moc"
