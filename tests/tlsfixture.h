// What the TLS (tst_tls) and DTLS (tst_dtls) end-to-end tests share: two self-signed certificates
// made by openssl once per test program (A: EC P-256, B: RSA 2048), a fresh client folder per test
// (for known_servers), a TestServer started with a copy of one of them (so reload tests can
// replace the files), and ClientSessions over one transport that log in with one password.
#pragma once

#include "testcertificates.h"
#include "testsupport.h"

#include "clientsession.h"

#include <QSslSocket>

#include <memory>
#include <optional>

namespace ConfabTest {

class TlsFixture
{
public:
    static constexpr int LoginTimeoutMs = 30000;
    static constexpr int EventTimeoutMs = 10000;

    TlsFixture(const QString &password, Confab::ClientSession::Transport transport)
        : m_password(password)
        , m_transport(transport)
    {
    }

    // From initTestCase(): makes A and B.
    bool makeCertificates()
    {
        QStandardPaths::setTestModeEnabled(true);
        if (!QSslSocket::supportsSsl() || !m_certificates.isValid()) {
            qWarning("no TLS backend in this Qt (libqt6network6's OpenSSL plugin), or no temporary folder");
            return false;
        }
        const auto a = makeSelfSigned(m_certificates.path(), QStringLiteral("a"), false);
        const auto b = makeSelfSigned(m_certificates.path(), QStringLiteral("b"), true);
        if (!a || !b)
            return false;
        m_a = *a;
        m_b = *b;
        return !m_a.fingerprint.isEmpty() && m_a.fingerprint != m_b.fingerprint;
    }
    // From init() and cleanup().
    bool makeClientDir()
    {
        m_clientDir.emplace();
        return m_clientDir->isValid();
    }
    void dropServerAndClientDir()
    {
        m_server.reset();
        m_clientDir.reset();
    }

    // A server with a copy of `files` as its certificate and key (TLS on TCP, DTLS on UDP).
    bool startTlsServer(const CertificateFiles &files, bool serveTcp = true)
    {
        m_serverCertificate = m_clientDir->filePath(QStringLiteral("server.crt"));
        m_serverKey = m_clientDir->filePath(QStringLiteral("server.key"));
        if (!copyOver(files.certificate, m_serverCertificate) || !copyOver(files.key, m_serverKey))
            return false;
        QFile::setPermissions(m_serverKey, QFile::ReadOwner | QFile::WriteOwner);
        ServerConfig config;
        config.tlsCertificateFile = m_serverCertificate;
        config.tlsKeyFile = m_serverKey;
        config.serveTcp = serveTcp;
        m_server = std::make_unique<TestServer>(config);
        return m_server->start() && m_server->server->isTlsEnabled();
    }
    std::unique_ptr<Confab::ClientSession> newSession(Confab::ClientSession::TlsMode mode = Confab::ClientSession::TlsMode::On) const
    {
        auto session = std::make_unique<Confab::ClientSession>();
        session->setTransport(m_transport);
        session->setTlsMode(mode);
        session->setKnownServersFile(m_clientDir->filePath(QStringLiteral("known_servers")));
        return session;
    }
    // For the capture checks: a server with certificate A, or a plain one.
    bool startServer(bool encrypted)
    {
        if (encrypted)
            return startTlsServer(m_a);
        m_server = std::make_unique<TestServer>();
        return m_server->start();
    }
    // Bob logs in directly, Alice through a recorder listening on `recorderPort`; one distinctive
    // lobby text goes each way. `secrets`: what a recording of Alice's traffic must not show when
    // encrypted (her password and both texts).
    bool chatThroughRecorder(quint16 recorderPort, bool encrypted, QStringList *secrets) const
    {
        const auto mode = encrypted ? Confab::ClientSession::TlsMode::On : Confab::ClientSession::TlsMode::Off;
        auto bob = newSession(mode);
        bob->setTrustedFingerprint(m_a.fingerprint);
        auto alice = newSession(mode);
        alice->setTrustedFingerprint(m_a.fingerprint);
        if (!logIn(bob.get(), m_server->port(), QStringLiteral("bob")) || !logIn(alice.get(), recorderPort, QStringLiteral("alice"))
            || alice->isEncrypted() != encrypted)
            return false;
        const QString fromAlice = QStringLiteral("quixotic-zebra-lobby-text-from-alice");
        const QString toAlice = QStringLiteral("vermilion-okapi-lobby-text-from-bob");
        QSignalSpy atBob(bob.get(), &Confab::ClientSession::lobbyMessageReceived);
        QSignalSpy atAlice(alice.get(), &Confab::ClientSession::lobbyMessageReceived);
        alice->sendLobbyMessage(fromAlice);
        if (!atBob.wait(EventTimeoutMs))
            return false;
        bob->sendLobbyMessage(toAlice);
        if (!atAlice.wait(EventTimeoutMs) || atAlice.at(0).at(1).toString() != toAlice)
            return false;
        *secrets = {m_password, fromAlice, toAlice};
        return true;
    }
    // Connects and waits for the login; the session must trust the certificate by then.
    bool logIn(Confab::ClientSession *session, quint16 port, const QString &user) const
    {
        QSignalSpy list(session, &Confab::ClientSession::userListReceived);
        session->connectToServer(QStringLiteral("127.0.0.1"), port, user, m_password);
        return list.wait(LoginTimeoutMs) && session->isLoggedIn();
    }

protected:
    QString m_password;
    Confab::ClientSession::Transport m_transport;
    QTemporaryDir m_certificates;
    CertificateFiles m_a;
    CertificateFiles m_b;
    std::optional<QTemporaryDir> m_clientDir;
    std::unique_ptr<TestServer> m_server;
    QString m_serverCertificate; // the files the server reads (a copy of A, or whatever a test puts there)
    QString m_serverKey;
};

} // namespace ConfabTest
