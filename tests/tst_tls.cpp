// TLS over TCP end to end (docs/SECURITY.md §5): a ChatServer with a certificate made at test time
// by openssl, ClientSessions on loopback, a recording proxy in between for the capture check, and
// the real confab-cli for what a user without a terminal sees.
#include "tlsfixture.h"

#include "clientsession.h"
#include "knownservers.h"
#include "tlsfingerprint.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSslSocket>
#include <QTcpServer>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace ConfabTest;
using Confab::ClientSession;
using State = Confab::ClientSession::State;

namespace {

const QString Password = QStringLiteral("tls-test-password-7391");

// A test certificate authority and a server certificate it signed for 127.0.0.1.
std::optional<CertificateFiles> makeCaSigned(const QString &dir, QString *caFile)
{
    *caFile = dir + QStringLiteral("/ca.crt");
    const QString caKey = dir + QStringLiteral("/ca.key");
    CertificateFiles files{dir + QStringLiteral("/signed.crt"), dir + QStringLiteral("/signed.key"), {}};
    QFile extensions(dir + QStringLiteral("/signed.ext"));
    if (!extensions.open(QIODevice::WriteOnly))
        return std::nullopt;
    extensions.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    extensions.close();
    const QStringList ec{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                         QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes")};
    if (!runOpenssl(QStringList{QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-days"), QStringLiteral("30"),
                                QStringLiteral("-subj"), QStringLiteral("/CN=Confab Test CA"),
                                QStringLiteral("-addext"), QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                QStringLiteral("-addext"), QStringLiteral("keyUsage=critical,keyCertSign,cRLSign"),
                                QStringLiteral("-keyout"), caKey, QStringLiteral("-out"), *caFile} + ec, dir)
        || !runOpenssl(QStringList{QStringLiteral("req"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                                   QStringLiteral("-keyout"), files.key, QStringLiteral("-out"), dir + QStringLiteral("/signed.csr")} + ec, dir)
        || !runOpenssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-days"), QStringLiteral("30"),
                        QStringLiteral("-in"), dir + QStringLiteral("/signed.csr"), QStringLiteral("-CA"), *caFile,
                        QStringLiteral("-CAkey"), caKey, QStringLiteral("-CAcreateserial"),
                        QStringLiteral("-extfile"), extensions.fileName(), QStringLiteral("-out"), files.certificate}, dir))
        return std::nullopt;
    files.fingerprint = fingerprintOf(files.certificate);
    return files;
}

// Sits between a client and the server and keeps every byte that passes, both ways.
class RecordingProxy : public QObject
{
public:
    explicit RecordingProxy(quint16 target)
        : m_target(target)
    {
        connect(&m_listener, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_listener.nextPendingConnection()) {
                auto *upstream = new QTcpSocket(client);
                upstream->connectToHost(QHostAddress::LocalHost, m_target); // writes wait until connected
                connect(client, &QTcpSocket::readyRead, upstream, [this, client, upstream] { relay(client, upstream); });
                connect(upstream, &QTcpSocket::readyRead, client, [this, client, upstream] { relay(upstream, client); });
                connect(client, &QTcpSocket::disconnected, upstream, &QTcpSocket::disconnectFromHost);
                connect(upstream, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
                connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
            }
        });
    }
    bool listen() { return m_listener.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_listener.serverPort(); }
    const QByteArray &capture() const { return m_capture; }

private:
    void relay(QTcpSocket *from, QTcpSocket *to)
    {
        const QByteArray bytes = from->readAll();
        m_capture += bytes;
        to->write(bytes);
    }

    QTcpServer m_listener;
    quint16 m_target;
    QByteArray m_capture;
};

QString programPath(const QString &name)
{
    const QString dir = qEnvironmentVariableIsSet("CONFAB_BIN_DIR") ? qEnvironmentVariable("CONFAB_BIN_DIR")
                                                                    : QCoreApplication::applicationDirPath() + QStringLiteral("/../bin");
    return dir + u'/' + name;
}

QString cliPath()
{
    return programPath(QStringLiteral("confab-cli"));
}

} // namespace

class tst_Tls : public QObject, private TlsFixture
{
    Q_OBJECT
public:
    tst_Tls()
        : TlsFixture(Password, ClientSession::Transport::Tcp)
    {
    }

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void badCertificateFilesStopTheServer_data();
    void badCertificateFilesStopTheServer();
    void sessionOverTlsEndToEnd_data();
    void sessionOverTlsEndToEnd();
    void firstUsePinIsStoredAndUsedSilently();
    void rejectedCertificateSendsNothing();
    void changedCertificateIsRefused();
    void certificateSignedByTrustedAuthorityNeedsNoQuestion();
    void plainClientIsTurnedAwayAndOthersStillServed();
    void refusalSentDuringTheHandshakeStillArrives();
    void autoModeFindsTlsAndPlainServers_data();
    void autoModeFindsTlsAndPlainServers();
    void captureHoldsNoSecretsOverTls_data();
    void captureHoldsNoSecretsOverTls();
    void reloadServesTheNewCertificateAndKeepsSessions();
    void cliWithoutTerminalNeedsTheFingerprint();
    void serverProgramFlagsAndSighupReload();
};

void tst_Tls::initTestCase()
{
    QVERIFY2(makeCertificates(), "no TLS backend, or openssl could not make the test certificates");
}

void tst_Tls::init()
{
    QVERIFY(makeClientDir());
}

void tst_Tls::cleanup()
{
    dropServerAndClientDir();
}

void tst_Tls::badCertificateFilesStopTheServer_data()
{
    QTest::addColumn<QString>("certificate");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");
    const QString dir = m_certificates.path();
    QFile garbage(dir + QStringLiteral("/garbage.pem"));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write("not a certificate\n");
    garbage.close();
    QTest::newRow("missing certificate") << dir + QStringLiteral("/nope.crt") << m_a.key << "cannot read the TLS certificate";
    QTest::newRow("missing key") << m_a.certificate << dir + QStringLiteral("/nope.key") << "cannot read the TLS key";
    QTest::newRow("not a certificate") << garbage.fileName() << m_a.key << "holds no certificate";
    QTest::newRow("not a key") << m_a.certificate << garbage.fileName() << "no usable private key";
    QTest::newRow("key of another certificate") << m_a.certificate << m_b.key << "does not belong";
}

void tst_Tls::badCertificateFilesStopTheServer()
{
    QFETCH(QString, certificate);
    QFETCH(QString, key);
    QFETCH(QString, expected);
    ServerConfig config;
    config.tlsCertificateFile = certificate;
    config.tlsKeyFile = key;
    TestServer server(config);
    QString error;
    QVERIFY(!server.server->start(&error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY(!server.server->isListening());
}

void tst_Tls::sessionOverTlsEndToEnd_data()
{
    QTest::addColumn<bool>("rsa");
    QTest::newRow("EC P-256 key") << false;
    QTest::newRow("RSA 2048 key") << true;
}

void tst_Tls::sessionOverTlsEndToEnd()
{
    QFETCH(bool, rsa);
    const CertificateFiles &files = rsa ? m_b : m_a;
    QVERIFY(startTlsServer(files));
    QCOMPARE(m_server->server->tlsFingerprint(), files.fingerprint);

    // Alice is asked and says yes; Bob vouched for the fingerprint beforehand.
    auto alice = newSession();
    QSignalSpy asked(alice.get(), &ClientSession::serverCertificateNeedsTrust);
    connect(alice.get(), &ClientSession::serverCertificateNeedsTrust, alice.get(), &ClientSession::trustServerCertificate);
    QSignalSpy encryption(alice.get(), &ClientSession::encryptionChanged);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.at(0).at(0).toString(), files.fingerprint);
    QCOMPARE(asked.at(0).at(1).toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(asked.at(0).at(2).value<quint16>(), m_server->port());
    QVERIFY(alice->isEncrypted());
    QCOMPARE(alice->serverFingerprint(), files.fingerprint);
    QCOMPARE(alice->serverTrust(), ClientSession::ServerTrust::Pinned);
    QCOMPARE(encryption.count(), 1);
    QCOMPARE(encryption.at(0).at(0).toBool(), true);

    auto bob = newSession();
    bob->setKnownServersFile(m_clientDir->filePath(QStringLiteral("bob_known_servers")));
    bob->setTrustedFingerprint(files.fingerprint.toLower().remove(u':')); // as a person may type it
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QVERIFY(bob->isEncrypted());

    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy atAlice(alice.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy delivered(alice.get(), &ClientSession::delivered);
    alice->sendLobbyMessage(QStringLiteral("hello over TLS"));
    QVERIFY(atBob.wait(EventTimeoutMs));
    QCOMPARE(atBob.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(atBob.at(0).at(1).toString(), QStringLiteral("hello over TLS"));
    QVERIFY(delivered.count() == 1 || delivered.wait(EventTimeoutMs));
    QCOMPARE(delivered.at(0).at(1).toInt(), 1);
    bob->sendLobbyMessage(QStringLiteral("and back"));
    QVERIFY(atAlice.wait(EventTimeoutMs));
    QCOMPARE(atAlice.at(0).at(1).toString(), QStringLiteral("and back"));

    // The server knows these sessions are encrypted.
    for (const SessionInfo &info : m_server->server->sessions())
        QVERIFY2(info.encrypted, qPrintable(info.user));

    alice->quit();
    QTRY_COMPARE(alice->state(), State::Disconnected);
    QVERIFY(!alice->isEncrypted());
    QCOMPARE(encryption.last().at(0).toBool(), false);
}

void tst_Tls::firstUsePinIsStoredAndUsedSilently()
{
    QVERIFY(startTlsServer(m_a));
    {
        auto first = newSession();
        QSignalSpy pinned(first.get(), &ClientSession::serverCertificatePinned);
        connect(first.get(), &ClientSession::serverCertificateNeedsTrust, first.get(), [&first](const QString &fingerprint) {
            QVERIFY(first->isAwaitingTrust());
            QCOMPARE(first->state(), State::Connecting); // nothing sent yet: no Hello, no password
            first->trustServerCertificate(fingerprint);
        });
        QVERIFY(logIn(first.get(), m_server->port(), QStringLiteral("alice")));
        QCOMPARE(pinned.count(), 1);
        QCOMPARE(pinned.at(0).at(1).toString(), first->knownServersFile());
        first->quit();
        QTRY_COMPARE(first->state(), State::Disconnected);
    }
    const Confab::KnownServers known(m_clientDir->filePath(QStringLiteral("known_servers")));
    QCOMPARE(known.fingerprint(QStringLiteral("127.0.0.1"), m_server->port()), m_a.fingerprint);
    QFile file(known.path());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().contains(QStringLiteral("127.0.0.1:%1 %2").arg(m_server->port()).arg(m_a.fingerprint).toUtf8()));
    QCOMPARE(QFile::permissions(known.path()) & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());

    // The second time nobody is asked (no slot is even connected: it would be refused otherwise).
    auto second = newSession();
    QSignalSpy asked(second.get(), &ClientSession::serverCertificateNeedsTrust);
    QVERIFY(logIn(second.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(asked.count(), 0);
    QCOMPARE(second->serverTrust(), ClientSession::ServerTrust::Pinned);
    QCOMPARE(second->serverFingerprint(), m_a.fingerprint);
}

void tst_Tls::rejectedCertificateSendsNothing()
{
    QVERIFY(startTlsServer(m_a));
    auto session = newSession();
    connect(session.get(), &ClientSession::serverCertificateNeedsTrust, session.get(), &ClientSession::rejectServerCertificate);
    QSignalSpy errors(session.get(), &ClientSession::errorOccurred);
    session->connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), QStringLiteral("alice"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), State::Disconnected, LoginTimeoutMs);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::UntrustedServer);
    QVERIFY(errors.at(0).at(2).toString().contains(m_a.fingerprint));
    QVERIFY(!QFile::exists(session->knownServersFile()));
    QTRY_COMPARE(m_server->server->connectionCount(), 0);
    QCOMPARE(m_server->server->stats().framesIn, quint64(0)); // not even Hello reached the server
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("alice")).has_value());
}

void tst_Tls::changedCertificateIsRefused()
{
    // Pinned: certificate A. The server (same address and port) now presents B.
    QVERIFY(startTlsServer(m_b));
    const quint16 port = m_server->port();
    Confab::KnownServers known(m_clientDir->filePath(QStringLiteral("known_servers")));
    QString error;
    QVERIFY2(known.pin(QStringLiteral("127.0.0.1"), port, m_a.fingerprint, &error), qPrintable(error));

    auto session = newSession(ClientSession::TlsMode::Auto); // a pin means TLS, whatever the mode
    session->setTrustedFingerprint(m_b.fingerprint);          // and a vouched fingerprint does not override it
    QSignalSpy asked(session.get(), &ClientSession::serverCertificateNeedsTrust);
    QSignalSpy mismatch(session.get(), &ClientSession::serverCertificateMismatch);
    QSignalSpy errors(session.get(), &ClientSession::errorOccurred);
    QSignalSpy loggedIn(session.get(), &ClientSession::loggedIn);
    session->connectToServer(QStringLiteral("127.0.0.1"), port, QStringLiteral("alice"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), State::Disconnected, LoginTimeoutMs);

    QCOMPARE(asked.count(), 0);
    QCOMPARE(loggedIn.count(), 0);
    QCOMPARE(mismatch.count(), 1);
    QCOMPARE(mismatch.at(0).at(0).toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(mismatch.at(0).at(1).value<quint16>(), port);
    QCOMPARE(mismatch.at(0).at(2).toString(), m_a.fingerprint);
    QCOMPARE(mismatch.at(0).at(3).toString(), m_b.fingerprint);
    QCOMPARE(mismatch.at(0).at(4).toString(), known.path());
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.at(0).at(0).value<ClientSession::Error>(), ClientSession::Error::UntrustedServer);
    const QString message = errors.at(0).at(2).toString();
    for (const QString &needle : {m_a.fingerprint, m_b.fingerprint, known.path(), QStringLiteral("different")})
        QVERIFY2(message.contains(needle), qPrintable(message));

    // No password was sent: no frame at all reached the server, no account was made.
    QTRY_COMPARE(m_server->server->connectionCount(), 0);
    QCOMPARE(m_server->server->stats().framesIn, quint64(0));
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("alice")).has_value());
    // The pin is untouched.
    QCOMPARE(known.fingerprint(QStringLiteral("127.0.0.1"), port), m_a.fingerprint);
}

void tst_Tls::certificateSignedByTrustedAuthorityNeedsNoQuestion()
{
    QString caFile;
    const auto signedFiles = makeCaSigned(m_clientDir->path(), &caFile);
    QVERIFY(signedFiles);
    QVERIFY(startTlsServer(*signedFiles));
    auto session = newSession();
    session->addCaCertificates(QSslCertificate::fromPath(caFile));
    QSignalSpy asked(session.get(), &ClientSession::serverCertificateNeedsTrust);
    QVERIFY(logIn(session.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(asked.count(), 0);
    QCOMPARE(session->serverTrust(), ClientSession::ServerTrust::CertificateAuthority);
    QCOMPARE(session->serverFingerprint(), signedFiles->fingerprint);
    QVERIFY(!QFile::exists(session->knownServersFile())); // nothing to pin
}

void tst_Tls::plainClientIsTurnedAwayAndOthersStillServed()
{
    QVERIFY(startTlsServer(m_a));
    auto alice = newSession();
    alice->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));

    // A raw plain peer: its Hello is not TLS, so the handshake fails and it is closed, unanswered.
    RawPeer raw(m_server->port());
    QVERIFY(raw.isConnected());
    raw.send(Message::hello(QStringLiteral("plain/1")));
    QVERIFY(raw.waitClosed(EventTimeoutMs));
    QVERIFY(!raw.next(0));

    // A ClientSession with TLS off fails with words that point at TLS.
    auto plain = newSession(ClientSession::TlsMode::Off);
    QSignalSpy lost(plain.get(), &ClientSession::connectionLost);
    QSignalSpy errors(plain.get(), &ClientSession::errorOccurred);
    plain->connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), QStringLiteral("carol"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(plain->state(), State::Disconnected, LoginTimeoutMs);
    QVERIFY(!plain->isEncrypted());
    const QString reason = !lost.isEmpty() ? lost.at(0).at(0).toString() : errors.value(0).value(2).toString();
    QVERIFY2(reason.contains(QLatin1String("TLS")), qPrintable(reason));
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("carol")).has_value());

    // The server goes on serving: alice is still there and a new TLS client gets in.
    auto bob = newSession();
    bob->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("still here"));
    QVERIFY(atBob.wait(EventTimeoutMs));
}

void tst_Tls::refusalSentDuringTheHandshakeStillArrives()
{
    // The server refuses a banned address as soon as it accepts the connection, before the TLS
    // handshake has ended; the error waits for the handshake and then reaches the client.
    QVERIFY(startTlsServer(m_a));
    QVERIFY(m_server->server->banAddress(QHostAddress::LocalHost, 0, QStringLiteral("testing")));
    auto session = newSession();
    session->setTrustedFingerprint(m_a.fingerprint);
    QSignalSpy errors(session.get(), &ClientSession::errorOccurred);
    QSignalSpy lost(session.get(), &ClientSession::connectionLost);
    session->connectToServer(QStringLiteral("127.0.0.1"), m_server->port(), QStringLiteral("alice"), Password);
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), State::Disconnected, LoginTimeoutMs);
    QStringList said;
    for (const QList<QVariant> &error : std::as_const(errors))
        said << error.at(2).toString();
    for (const QList<QVariant> &reason : std::as_const(lost))
        said << reason.at(0).toString();
    QVERIFY2(said.join(u'|').contains(QLatin1String("banned")), qPrintable(said.join(u'|')));
}

void tst_Tls::autoModeFindsTlsAndPlainServers_data()
{
    QTest::addColumn<bool>("serverTls");
    QTest::addColumn<ClientSession::Transport>("transport");
    QTest::addColumn<bool>("encrypted");
    // Auto transport: the UDP probe's answer says whether TLS is on.
    QTest::newRow("probe, TLS server") << true << ClientSession::Transport::Auto << true;
    QTest::newRow("probe, plain server") << false << ClientSession::Transport::Auto << false;
    // TCP chosen, no probe: plain first; a TLS server closes it unanswered, so TLS next.
    QTest::newRow("no probe, TLS server") << true << ClientSession::Transport::Tcp << true;
    QTest::newRow("no probe, plain server") << false << ClientSession::Transport::Tcp << false;
}

void tst_Tls::autoModeFindsTlsAndPlainServers()
{
    QFETCH(bool, serverTls);
    QFETCH(ClientSession::Transport, transport);
    QFETCH(bool, encrypted);
    if (serverTls) {
        QVERIFY(startTlsServer(m_a));
    } else {
        m_server = std::make_unique<TestServer>();
        QVERIFY(m_server->start());
    }
    auto session = newSession(ClientSession::TlsMode::Auto);
    session->setTransport(transport);
    session->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(session.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(session->activeTransport(), ClientSession::Transport::Tcp);
    QCOMPARE(session->isEncrypted(), encrypted);
    QCOMPARE(session->serverFingerprint(), encrypted ? m_a.fingerprint : QString());
}

void tst_Tls::captureHoldsNoSecretsOverTls_data()
{
    QTest::addColumn<bool>("tls");
    QTest::newRow("TLS on") << true;
    QTest::newRow("TLS off (control: the check can fail)") << false;
}

void tst_Tls::captureHoldsNoSecretsOverTls()
{
    QFETCH(bool, tls);
    QVERIFY(startServer(tls));
    RecordingProxy proxy(m_server->port());
    QVERIFY(proxy.listen());
    // Every byte of Alice's session passes the proxy and is recorded.
    QStringList secrets;
    QVERIFY(chatThroughRecorder(proxy.port(), tls, &secrets));
    QVERIFY(proxy.capture().size() > 200);
    for (const QString &secret : std::as_const(secrets))
        QVERIFY2(proxy.capture().contains(secret.toUtf8()) == !tls, qPrintable(secret));
}

void tst_Tls::reloadServesTheNewCertificateAndKeepsSessions()
{
    QVERIFY(startTlsServer(m_a));
    auto alice = newSession();
    alice->setTrustedFingerprint(m_a.fingerprint);
    QVERIFY(logIn(alice.get(), m_server->port(), QStringLiteral("alice")));
    QCOMPARE(alice->serverFingerprint(), m_a.fingerprint);

    // A failed reload (half-replaced files: B's certificate with A's key) keeps A.
    QSignalSpy changed(m_server->server.get(), &ChatServer::tlsCertificateChanged);
    QSignalSpy failed(m_server->server.get(), &ChatServer::tlsCertificateReloadFailed);
    QVERIFY(copyOver(m_b.certificate, m_serverCertificate));
    QVERIFY(!m_server->server->reloadCertificate());
    QCOMPARE(failed.count(), 1);
    QVERIFY2(failed.at(0).at(0).toString().contains(QLatin1String("does not belong")), qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(m_server->server->tlsFingerprint(), m_a.fingerprint);
    {
        auto stillA = newSession();
        stillA->setKnownServersFile(m_clientDir->filePath(QStringLiteral("a_known_servers")));
        stillA->setTrustedFingerprint(m_a.fingerprint);
        QVERIFY(logIn(stillA.get(), m_server->port(), QStringLiteral("dave")));
        QCOMPARE(stillA->serverFingerprint(), m_a.fingerprint);
    }

    // Both files replaced: new connections get B.
    QVERIFY(copyOver(m_b.key, m_serverKey));
    QVERIFY(m_server->server->reloadCertificate());
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toString(), m_b.fingerprint);
    QCOMPARE(m_server->server->tlsFingerprint(), m_b.fingerprint);
    QCOMPARE(Confab::certificateFingerprint(m_server->server->tlsCertificate()), m_b.fingerprint);

    auto bob = newSession();
    bob->setKnownServersFile(m_clientDir->filePath(QStringLiteral("b_known_servers")));
    bob->setTrustedFingerprint(m_b.fingerprint);
    QVERIFY(logIn(bob.get(), m_server->port(), QStringLiteral("bob")));
    QCOMPARE(bob->serverFingerprint(), m_b.fingerprint);

    // Alice's session, made with A, carries on both ways.
    QVERIFY(alice->isLoggedIn());
    QCOMPARE(alice->serverFingerprint(), m_a.fingerprint);
    QSignalSpy atBob(bob.get(), &ClientSession::lobbyMessageReceived);
    QSignalSpy atAlice(alice.get(), &ClientSession::lobbyMessageReceived);
    alice->sendLobbyMessage(QStringLiteral("after the reload"));
    QVERIFY(atBob.wait(EventTimeoutMs));
    bob->sendLobbyMessage(QStringLiteral("welcome to B"));
    QVERIFY(atAlice.wait(EventTimeoutMs));
}

void tst_Tls::cliWithoutTerminalNeedsTheFingerprint()
{
    QVERIFY2(QFileInfo(cliPath()).isExecutable(), qPrintable(cliPath()));
    QVERIFY(startTlsServer(m_a));
    const QString dataHome = m_clientDir->filePath(QStringLiteral("xdg"));
    auto run = [&](const QStringList &extra, QString *out, QString *err) {
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CONFAB_PASSWORD"), Password);
        env.insert(QStringLiteral("XDG_DATA_HOME"), dataHome);
        cli.setProcessEnvironment(env);
        cli.setChildProcessModifier([] { ::setsid(); }); // no controlling terminal
        cli.start(cliPath(), QStringList{QStringLiteral("--port"), QString::number(m_server->port()), QStringLiteral("--user"),
                                         QStringLiteral("erin"), QStringLiteral("--tls"), QStringLiteral("on")} + extra);
        cli.closeWriteChannel();
        if (!QTest::qWaitFor([&] { return cli.state() == QProcess::NotRunning; }, LoginTimeoutMs))
            return -1;
        *out = QString::fromUtf8(cli.readAllStandardOutput());
        *err = QString::fromUtf8(cli.readAllStandardError());
        return cli.exitStatus() == QProcess::NormalExit ? cli.exitCode() : -1;
    };
    QString out;
    QString err;
    QCOMPARE(run({}, &out, &err), 2);
    QVERIFY2(err.contains(m_a.fingerprint) && err.contains(QLatin1String("--trust-fingerprint")), qPrintable(err));
    QVERIFY(!m_server->server->accounts()->find(QStringLiteral("erin")).has_value());

    QCOMPARE(run({QStringLiteral("--trust-fingerprint"), m_a.fingerprint}, &out, &err), 0);
    QVERIFY2(out.contains(QLatin1String("logged in to Confab as erin over tcp with TLS")), qPrintable(out + err));
    // Remembered: the next run needs no flag.
    QCOMPARE(run({}, &out, &err), 0);
    QVERIFY2(out.contains(QLatin1String("over tcp with TLS")), qPrintable(out + err));
}

void tst_Tls::serverProgramFlagsAndSighupReload()
{
    const QString serverPath = programPath(QStringLiteral("confab-server"));
    QVERIFY2(QFileInfo(serverPath).isExecutable(), qPrintable(serverPath));
    const QString certificate = m_clientDir->filePath(QStringLiteral("server.crt"));
    const QString key = m_clientDir->filePath(QStringLiteral("server.key"));
    QVERIFY(copyOver(m_a.certificate, certificate) && copyOver(m_a.key, key));
    const QStringList common{QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
                             QStringLiteral("--data-dir"), m_clientDir->filePath(QStringLiteral("data"))};

    // Usage errors and unreadable files end the program with a sentence and a non-zero code.
    auto runToEnd = [&](const QStringList &arguments, QString *err) {
        QProcess server;
        server.start(serverPath, common + arguments);
        if (!QTest::qWaitFor([&] { return server.state() == QProcess::NotRunning; }, EventTimeoutMs)) {
            server.kill();
            (void)QTest::qWaitFor([&] { return server.state() == QProcess::NotRunning; }, EventTimeoutMs);
            return -1;
        }
        *err = QString::fromUtf8(server.readAllStandardError());
        return server.exitCode();
    };
    QString err;
    QCOMPARE(runToEnd({QStringLiteral("--tls-cert"), certificate}, &err), 3);
    QVERIFY2(err.contains(QLatin1String("go together")), qPrintable(err));
    QCOMPARE(runToEnd({QStringLiteral("--tls-cert"), certificate + QStringLiteral(".missing"), QStringLiteral("--tls-key"), key}, &err), 1);
    QVERIFY2(err.contains(QLatin1String("cannot read the TLS certificate")), qPrintable(err));

    // Running: the fingerprint is printed; SIGHUP after the files changed prints the new one.
    QProcess server;
    QString out;
    QObject::connect(&server, &QProcess::readyReadStandardOutput, &server, [&] { out += QString::fromUtf8(server.readAllStandardOutput()); });
    server.start(serverPath, common + QStringList{QStringLiteral("--tls-cert"), certificate, QStringLiteral("--tls-key"), key});
    const QString fingerprintLine = QStringLiteral("confab-server TLS certificate SHA-256 fingerprint %1");
    QVERIFY2(QTest::qWaitFor([&] { return out.contains(fingerprintLine.arg(m_a.fingerprint)); }, EventTimeoutMs), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("(TCP with TLS, UDP)")), qPrintable(out));
    QVERIFY(copyOver(m_b.certificate, certificate) && copyOver(m_b.key, key));
    ::kill(pid_t(server.processId()), SIGHUP);
    QVERIFY2(QTest::qWaitFor([&] { return out.contains(fingerprintLine.arg(m_b.fingerprint)); }, EventTimeoutMs), qPrintable(out));
    QCOMPARE(server.state(), QProcess::Running);
    server.terminate(); // SIGTERM: a clean shutdown
    QVERIFY(QTest::qWaitFor([&] { return server.state() == QProcess::NotRunning; }, EventTimeoutMs));
    QCOMPARE(server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
