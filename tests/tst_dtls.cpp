// DTLS for the server's UDP transport end to end (docs/PROTOCOL-UDP.md §17, docs/SECURITY.md): a
// ChatServer with a certificate made at test time by openssl, ClientSessions over UDP on loopback,
// raw UDP sockets for what a plain or hostile source gets, and a recording UDP relay for the
// capture check.
#include "tlsfixture.h"

#include "knownservers.h"
#include "udplistener.h"
#include "udpwire.h"

#include <QDtls>
#include <QNetworkDatagram>
#include <QSslSocket>
#include <QUdpSocket>

#include <map>
#include <memory>

using namespace ConfabTest;
using Confab::ClientSession;
using Confab::UdpListener;
using State = Confab::ClientSession::State;
namespace UdpWire = Confab::UdpWire;

namespace {

const QString Password = QStringLiteral("dtls-test-password-5120");

// Relays datagrams between clients and the server (one upstream socket per client address, as a
// NAT would) and keeps every byte that passes, both ways.
class RecordingUdpRelay : public QObject
{
public:
    explicit RecordingUdpRelay(quint16 target)
        : m_target(target)
    {
        connect(&m_front, &QUdpSocket::readyRead, this, [this] {
            while (m_front.hasPendingDatagrams()) {
                const QNetworkDatagram datagram = m_front.receiveDatagram();
                m_capture += datagram.data();
                upstreamFor(datagram.senderAddress(), quint16(datagram.senderPort()))
                    ->writeDatagram(datagram.data(), QHostAddress::LocalHost, m_target);
            }
        });
    }
    bool bind() { return m_front.bind(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_front.localPort(); }
    const QByteArray &capture() const { return m_capture; }

private:
    QUdpSocket *upstreamFor(const QHostAddress &address, quint16 port)
    {
        const QString key = QStringLiteral("%1:%2").arg(address.toString()).arg(port);
        auto found = m_upstreams.find(key);
        if (found != m_upstreams.end())
            return found->second.get();
        auto upstream = std::make_unique<QUdpSocket>();
        upstream->bind(QHostAddress::LocalHost, 0);
        QUdpSocket *socket = upstream.get();
        connect(socket, &QUdpSocket::readyRead, this, [this, socket, address, port] {
            while (socket->hasPendingDatagrams()) {
                const QNetworkDatagram datagram = socket->receiveDatagram();
                m_capture += datagram.data();
                m_front.writeDatagram(datagram.data(), address, port);
            }
        });
        m_upstreams.emplace(key, std::move(upstream));
        return socket;
    }

    QUdpSocket m_front;
    quint16 m_target;
    std::map<QString, std::unique_ptr<QUdpSocket>> m_upstreams;
    QByteArray m_capture;
};

// Sends `datagram` from a fresh socket and returns the first answer (empty when none came). The
// event loop runs meanwhile: the server lives in this thread.
QByteArray answerTo(const QByteArray &datagram, quint16 port, int timeoutMs = 2000)
{
    QUdpSocket socket;
    if (!socket.bind(QHostAddress::LocalHost, 0))
        return {};
    QSignalSpy ready(&socket, &QUdpSocket::readyRead);
    socket.writeDatagram(datagram, QHostAddress::LocalHost, port);
    if (!ready.wait(timeoutMs))
        return {};
    return socket.receiveDatagram().data();
}

} // namespace

class tst_Dtls : public QObject, private TlsFixture
{
    Q_OBJECT
public:
    tst_Dtls()
        : TlsFixture(Password, ClientSession::Transport::Udp)
    {
    }


private slots:
    void initTestCase();
    void init();
    void cleanup();

    void sessionOverDtlsEndToEnd();
    void probeAdvertisesDtls();
    void onePinCoversTlsAndDtls();
    void changedCertificateIsRefusedOverUdp();
    void plainUdpIsToldToUseDtlsAndOthersStillServed();
    void autoModeFindsDtls_data();
    void autoModeFindsDtls();
    void unverifiedSourceGetsOnlyASmallerCookie();
    void captureHoldsNoSecretsOverDtls_data();
    void captureHoldsNoSecretsOverDtls();
    void reloadAppliesToNewDtlsSessions();

private:
    // A server with `files` whose UDP port takes DTLS only.
    bool startDtlsServer(const CertificateFiles &files, bool serveTcp = true)
    {
        return startTlsServer(files, serveTcp) && listener() && listener()->isDtls();
    }
    const UdpListener *listener() const { return m_server->server->udpListener(); }
};

void tst_Dtls::initTestCase()
{
    QVERIFY2(makeCertificates(), "no TLS backend, or openssl could not make the test certificates");
}

void tst_Dtls::init()
{
    QVERIFY(makeClientDir());
}

void tst_Dtls::cleanup()
{
    dropServerAndClientDir();
}

void tst_Dtls::sessionOverDtlsEndToEnd()
{
    QVERIFY(startDtlsServer(m_a));

    // Alice is asked about the unknown certificate and says yes; Bob vouched for it beforehand.
    auto alice = newSession();
    QSignalSpy asked(alice.get(), &ClientSession::serverCertificateNeedsTrust);
    connect(alice.get(), &ClientSession::serverCertificateNeedsTrust, alice.get(), &ClientSession::trustServerCertificate);
    QSignalSpy encryption(alice.get(), &ClientSession::encryptionChanged);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.at(0).at(0).toString(), m_a.fingerprint);
    QCOMPARE(alice->activeTransport(), ClientSession::Transport::Udp);
    QVERIFY(alice->isEncrypted());
    QCOMPARE(alice->encryptionName(), QStringLiteral("DTLS"));
    QCOMPARE(alice->serverFingerprint(), m_a.fingerprint);
    QCOMPARE(alice->serverTrust(), ClientSession::ServerTrust::Pinned);
    QCOMPARE(encryption.count(), 1);

    auto bob = newSession();
    bob->setKnownServersFile(m_clientDir->filePath(QStringLiteral("bob_known_servers")));
    bob->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QVERIFY(bob->isEncrypted());

    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy atAlice(alice.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("hello over DTLS"));
    QVERIFY(atBob.wait(EventTimeoutMs));
    QCOMPARE(atBob.at(0).at(1).toString(), QStringLiteral("hello over DTLS"));
    // A payload larger than one datagram is fragmented inside DTLS and arrives whole.
    const QString longText(3000, u'd');
    bob->sendLobbyMessage(longText);
    QVERIFY(atAlice.wait(EventTimeoutMs));
    QCOMPARE(atAlice.at(0).at(1).toString(), longText);

    // The server knows these sessions are encrypted, and over UDP.
    QCOMPARE(m_server->server->sessions().size(), 2);
    for (const SessionInfo &info : m_server->server->sessions()) {
        QVERIFY2(info.encrypted, qPrintable(info.user));
        QCOMPARE(info.transport, QStringLiteral("udp"));
    }
    // Alice's first DTLS session ended at the trust question (complete for the server, refused by
    // her): it holds a pending place until its set-up time is up, then it is dropped.
    QVERIFY(listener()->stats().dtlsHandshakes >= 3);
    QCOMPARE(listener()->pendingHandshakes(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(listener()->pendingHandshakes(), 0, UdpListener::DtlsSetUpTimeoutMs + EventTimeoutMs);
    QCOMPARE(listener()->stats().dtlsFailed, quint64(1));
    QCOMPARE(listener()->channelCount(), 2);

    alice->quit();
    QTRY_COMPARE(alice->state(), State::Disconnected);
    QVERIFY(!alice->isEncrypted());
    QTRY_COMPARE_WITH_TIMEOUT(m_server->server->sessions().size(), 1, EventTimeoutMs);
}

void tst_Dtls::probeAdvertisesDtls()
{
    QVERIFY(startDtlsServer(m_a));
    UdpWire::Datagram probe;
    probe.kind = UdpWire::Kind::Probe;
    probe.connectionId = 0x5eed;
    const QByteArray answer = answerTo(UdpWire::encode(probe), m_server->port());
    UdpWire::Datagram reply;
    QCOMPARE(UdpWire::decode(answer, &reply), UdpWire::DecodeError::None);
    QCOMPARE(reply.kind, UdpWire::Kind::ProbeReply);
    QCOMPARE(reply.transports, quint16(UdpWire::TransportTcp | UdpWire::TransportTls | UdpWire::TransportUdp
                                       | UdpWire::TransportDtls));
}

void tst_Dtls::onePinCoversTlsAndDtls()
{
    // The server shows one certificate on both transports: trusted over TCP, known over UDP.
    QVERIFY(startDtlsServer(m_a));
    auto overTcp = newSession();
    overTcp->setTransport(ClientSession::Transport::Tcp);
    connect(overTcp.get(), &ClientSession::serverCertificateNeedsTrust, overTcp.get(), &ClientSession::trustServerCertificate);
    QVERIFY(logIn(overTcp.get(), m_server->port(), QStringLiteral("alice")));
    overTcp->quit();
    QTRY_COMPARE(overTcp->state(), State::Disconnected);

    auto overUdp = newSession(ClientSession::TlsMode::Auto); // the pin alone means DTLS
    QSignalSpy asked(overUdp.get(), &ClientSession::serverCertificateNeedsTrust);
    QVERIFY(logIn(overUdp.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(asked.count(), 0);
    QVERIFY(overUdp->isEncrypted());
    QCOMPARE(overUdp->serverTrust(), ClientSession::ServerTrust::Pinned);
}

void tst_Dtls::changedCertificateIsRefusedOverUdp()
{
    QVERIFY(startDtlsServer(m_b));
    const quint16 port = m_server->port();
    Confab::KnownServers known(m_clientDir->filePath(QStringLiteral("known_servers")));
    QString error;
    QVERIFY2(known.pin(QStringLiteral("127.0.0.1"), port, m_a.fingerprint, &error), qPrintable(error));

    auto session = newSession(ClientSession::TlsMode::Auto);
    QSignalSpy mismatch(session.get(), &ClientSession::serverCertificateMismatch);
    QSignalSpy errors(session.get(), &ClientSession::errorOccurred);
    session->connectToServer(QStringLiteral("127.0.0.1"), port, QStringLiteral("alice"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), State::Disconnected, LoginTimeoutMs);
    QCOMPARE(mismatch.count(), 1);
    QCOMPARE(mismatch.at(0).at(2).toString(), m_a.fingerprint);
    QCOMPARE(mismatch.at(0).at(3).toString(), m_b.fingerprint);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::UntrustedServer);
    // Nothing was sent: no channel, no frame, no account.
    QCOMPARE(listener()->stats().admitted, quint64(0));
    QCOMPARE(m_server->server->stats().framesIn, quint64(0));
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("alice")).has_value());
    QCOMPARE(known.fingerprint(QStringLiteral("127.0.0.1"), port), m_a.fingerprint);
}

void tst_Dtls::plainUdpIsToldToUseDtlsAndOthersStillServed()
{
    QVERIFY(startDtlsServer(m_a));
    auto alice = newSession();
    alice->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));

    // A raw plain Hello: answered with a ProbeReply for its connection id that says "DTLS",
    // smaller than the Hello, and nothing is kept.
    UdpWire::Datagram hello;
    hello.kind = UdpWire::Kind::Hello;
    hello.connectionId = 0xabcdef01;
    const QByteArray helloBytes = UdpWire::encode(hello);
    const QByteArray answer = answerTo(helloBytes, m_server->port());
    UdpWire::Datagram reply;
    QCOMPARE(UdpWire::decode(answer, &reply), UdpWire::DecodeError::None);
    QCOMPARE(reply.kind, UdpWire::Kind::ProbeReply);
    QCOMPARE(reply.connectionId, hello.connectionId);
    QVERIFY(reply.transports & UdpWire::TransportDtls);
    QVERIFY(answer.size() < helloBytes.size());
    QCOMPARE(listener()->stats().encryptionDemanded, quint64(1));
    QCOMPARE(listener()->channelCount(), 1); // alice's

    // Junk that looks like DTLS application data from a stranger: dropped, unanswered.
    QByteArray junk(200, '\x5a');
    junk[0] = 23;
    junk[1] = char(0xfe);
    junk[2] = char(0xfd);
    QVERIFY(answerTo(junk, m_server->port(), 300).isEmpty());
    QCOMPARE(listener()->pendingHandshakes(), 0);

    // A ClientSession with encryption off fails with words that point at DTLS.
    auto plain = newSession(ClientSession::TlsMode::Off);
    QSignalSpy errors(plain.get(), &ClientSession::errorOccurred);
    plain->connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), QStringLiteral("carol"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(plain->state(), State::Disconnected, LoginTimeoutMs);
    QCOMPARE(errors.count(), 1);
    const QString reason = errors.at(0).at(2).toString();
    QVERIFY2(reason.contains(QLatin1String("only encrypted (DTLS)")), qPrintable(reason));
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("carol")).has_value());

    // The server goes on serving: alice is still there and a new DTLS client gets in.
    auto bob = newSession();
    bob->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("still here"));
    QVERIFY(atBob.wait(EventTimeoutMs));
}

void tst_Dtls::autoModeFindsDtls_data()
{
    QTest::addColumn<bool>("serveTcp");
    QTest::addColumn<ClientSession::Transport>("transport");
    // UDP chosen, no probe: the plain Hello is answered "DTLS only", so DTLS next.
    QTest::newRow("udp chosen, no probe") << true << ClientSession::Transport::Udp;
    // Auto transport, a UDP-only server: the probe's answer says UDP with DTLS.
    QTest::newRow("probe, UDP-only server") << false << ClientSession::Transport::Auto;
}

void tst_Dtls::autoModeFindsDtls()
{
    QFETCH(bool, serveTcp);
    QFETCH(ClientSession::Transport, transport);
    QVERIFY(startDtlsServer(m_a, serveTcp));
    auto session = newSession(ClientSession::TlsMode::Auto);
    session->setTransport(transport);
    session->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(session.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(session->activeTransport(), ClientSession::Transport::Udp);
    QVERIFY(session->isEncrypted());
    QCOMPARE(session->serverFingerprint(), m_a.fingerprint);
    QCOMPARE(listener()->stats().encryptionDemanded, quint64(serveTcp ? 1 : 0));
}

void tst_Dtls::unverifiedSourceGetsOnlyASmallerCookie()
{
    // A DTLS client's ClientHello, caught on its way and sent to the server from a raw socket:
    // the server answers with a HelloVerifyRequest smaller than it and keeps nothing.
    QVERIFY(startDtlsServer(m_a));
    QUdpSocket catcher;
    QVERIFY(catcher.bind(QHostAddress::LocalHost, 0));
    QUdpSocket clientSocket;
    QVERIFY(clientSocket.bind(QHostAddress::LocalHost, 0));
    QDtls client(QSslSocket::SslClientMode);
    QSslConfiguration configuration = QSslConfiguration::defaultDtlsConfiguration();
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    QVERIFY(client.setDtlsConfiguration(configuration));
    QVERIFY(client.setPeer(QHostAddress::LocalHost, catcher.localPort()));
    QVERIFY(client.doHandshake(&clientSocket));
    QVERIFY(catcher.waitForReadyRead(EventTimeoutMs));
    const QByteArray clientHello = catcher.receiveDatagram().data();
    QVERIFY(UdpWire::looksLikeDtls(clientHello));

    const QByteArray answer = answerTo(clientHello, m_server->port());
    QVERIFY2(!answer.isEmpty(), "no HelloVerifyRequest");
    QVERIFY(UdpWire::looksLikeDtls(answer));
    QCOMPARE(int(quint8(answer.at(13))), 3); // handshake type hello_verify_request
    QVERIFY2(answer.size() < clientHello.size(), qPrintable(QStringLiteral("%1 >= %2").arg(answer.size()).arg(clientHello.size())));
    QCOMPARE(listener()->pendingHandshakes(), 0);
    QCOMPARE(listener()->channelCount(), 0);
    client.abortHandshake(&clientSocket);
}

void tst_Dtls::captureHoldsNoSecretsOverDtls_data()
{
    QTest::addColumn<bool>("dtls");
    QTest::newRow("DTLS on") << true;
    QTest::newRow("DTLS off (control: the check can fail)") << false;
}

void tst_Dtls::captureHoldsNoSecretsOverDtls()
{
    QFETCH(bool, dtls);
    QVERIFY(startServer(dtls));
    QCOMPARE(listener()->isDtls(), dtls);
    RecordingUdpRelay relay(m_server->port());
    QVERIFY(relay.bind());
    // Every datagram of Alice's session passes the relay and is recorded.
    QStringList secrets;
    QVERIFY(chatThroughRecorder(relay.port(), dtls, &secrets));
    QVERIFY(relay.capture().size() > 200);
    for (const QString &secret : std::as_const(secrets))
        QVERIFY2(relay.capture().contains(secret.toUtf8()) == !dtls, qPrintable(secret));
}

void tst_Dtls::reloadAppliesToNewDtlsSessions()
{
    QVERIFY(startDtlsServer(m_a));
    auto alice = newSession();
    alice->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));

    QVERIFY(copyOver(m_b.certificate, m_serverCertificate) && copyOver(m_b.key, m_serverKey));
    QVERIFY(m_server->server->reloadCertificate());

    // A newcomer over UDP meets the new certificate; alice's session goes on with the old one.
    auto bob = newSession();
    bob->setKnownServersFile(m_clientDir->filePath(QStringLiteral("bob_known_servers")));
    bob->setTrustedFingerprint(m_b.fingerprint);
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QCOMPARE(bob->serverFingerprint(), m_b.fingerprint);
    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("after the reload"));
    QVERIFY(atBob.wait(EventTimeoutMs));
    QCOMPARE(alice->serverFingerprint(), m_a.fingerprint);
}

QTEST_GUILESS_MAIN(tst_Dtls)
#include "tst_dtls.moc"
