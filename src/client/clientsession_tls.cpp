// ClientSession: TLS over TCP (docs/PROTOCOL.md §10) and DTLS over UDP (PROTOCOL-UDP.md §17) —
// when to use them, how the server's certificate is trusted (authorities, a pinned fingerprint,
// or the user now; one pin per server covers both, as the server shows one certificate on both),
// and what a failed handshake means for the attempt.
#include "clientsession.h"

#include "tcpconnection.h"
#include "tlsfingerprint.h"
#include "udpwire.h"

#include <QMetaMethod>
#include <QSslSocket>

namespace Confab {

bool ClientSession::useTls(Transport transport) const
{
    switch (m_tlsMode) {
    case TlsMode::Off:
        return false;
    case TlsMode::On:
        return true;
    case TlsMode::Auto:
        break;
    }
    // A server trusted before spoke TLS then: never plain text for it.
    if (!m_knownServers.fingerprint(m_host, m_port).isEmpty())
        return true;
    if (m_probedTransports)
        return *m_probedTransports & (transport == Transport::Udp ? UdpWire::TransportDtls : UdpWire::TransportTls);
    return m_tlsAfterPlain; // no probe answer: plain first, encrypted if the server turns plain away
}

QSslConfiguration ClientSession::clientTlsConfiguration() const
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (!m_extraCaCertificates.isEmpty())
        configuration.setCaCertificates(QSslConfiguration::systemCaCertificates() + m_extraCaCertificates);
    return configuration;
}

void ClientSession::setTrustedFingerprint(const QString &fingerprint)
{
    m_trustedFingerprint = normalizedFingerprint(fingerprint);
}

bool ClientSession::isEncrypted() const
{
    return m_connection && m_connection->isEncrypted();
}

QString ClientSession::encryptionName() const
{
    return m_activeTransport == Transport::Udp ? QStringLiteral("DTLS") : QStringLiteral("TLS");
}

// A plain UDP attempt that the server answered with "DTLS only": in Auto, nothing secret was
// sent yet (the password goes only after Welcome), so start again inside DTLS.
void ClientSession::onEncryptionRequired()
{
    if (!m_tlsRetryAllowed)
        return; // connectFailed() follows with the reason
    qCInfo(lcClient) << "the server takes UDP only inside DTLS; connecting again with DTLS";
    m_tlsRetryAllowed = false;
    m_tlsAfterPlain = true;
    detachConnection();
    startPhaseTimer(m_connectTimeoutMs);
    startConnection(Transport::Udp);
}

QString ClientSession::tlsModeName(TlsMode mode)
{
    switch (mode) {
    case TlsMode::Auto: return QStringLiteral("auto");
    case TlsMode::On: return QStringLiteral("on");
    case TlsMode::Off: return QStringLiteral("off");
    }
    return {};
}

std::optional<ClientSession::TlsMode> ClientSession::tlsModeFromName(const QString &name)
{
    for (TlsMode mode : {TlsMode::Auto, TlsMode::On, TlsMode::Off}) {
        if (name.compare(tlsModeName(mode), Qt::CaseInsensitive) == 0)
            return mode;
    }
    return std::nullopt;
}

// Runs inside the handshake, only when the certificate did not verify against the authorities.
// Ignoring the errors lets the handshake finish; otherwise it fails and onHandshakeFailed() acts
// on the verdict.
void ClientSession::onSslErrors(const QList<QSslError> &errors)
{
    Connection *connection = m_connection.data();
    if (!connection)
        return;
    const QString presented = certificateFingerprint(connection->peerCertificate());
    m_presentedFingerprint = presented;
    QStringList reasons;
    for (const QSslError &error : errors)
        reasons << error.errorString();
    qCInfo(lcClient).noquote() << "server certificate" << presented << "not verified by an authority:" << reasons.join(QStringLiteral("; "));
    if (presented.isEmpty())
        return;
    const QString pinned = m_knownServers.fingerprint(m_host, m_port);
    if (!pinned.isEmpty()) {
        if (pinned == presented) {
            m_serverTrust = ServerTrust::Pinned;
            connection->ignoreSslErrors();
        } else {
            m_pinnedFingerprint = pinned;
            m_verdict = CertificateVerdict::Mismatch;
        }
        return;
    }
    if (presented == m_trustedNow) { // trusted just now, but the pin could not be saved
        m_serverTrust = ServerTrust::Pinned;
        connection->ignoreSslErrors();
        return;
    }
    if (!m_trustedFingerprint.isEmpty()) {
        if (presented != m_trustedFingerprint) {
            m_verdict = CertificateVerdict::NotTheTrustedOne;
            return;
        }
        QString error;
        if (m_knownServers.pin(m_host, m_port, presented, &error)) {
            QMetaObject::invokeMethod(this, [this, presented] {
                emit serverCertificatePinned(presented, m_knownServers.path());
            }, Qt::QueuedConnection);
        } else {
            qCWarning(lcClient).noquote() << "cannot remember the server's certificate:" << error;
        }
        m_serverTrust = ServerTrust::Pinned;
        connection->ignoreSslErrors();
        return;
    }
    m_verdict = CertificateVerdict::NeedsTrust;
}

void ClientSession::onHandshakeFailed(const QString &reason)
{
    qCInfo(lcClient).noquote() << encryptionName() << "handshake with" << m_host << m_port << "failed:" << reason;
    const QString server = QStringLiteral("%1:%2").arg(m_host).arg(m_port);
    switch (m_verdict) {
    case CertificateVerdict::Mismatch: {
        const int line = m_knownServers.lineNumber(m_host, m_port);
        emit serverCertificateMismatch(m_host, m_port, m_pinnedFingerprint, m_presentedFingerprint, m_knownServers.path());
        failUntrusted(tr("REFUSED: the server at %1 presented a different TLS certificate from the one trusted before. "
                         "Someone may be intercepting the connection, or the server's administrator replaced the "
                         "certificate. Trusted SHA-256 fingerprint: %2. Presented: %3. Nothing was sent. Only if the "
                         "administrator confirms the new fingerprint, delete the line for %4 (line %5) in %6 and connect again.")
                          .arg(server, m_pinnedFingerprint, m_presentedFingerprint, KnownServers::serverKey(m_host, m_port))
                          .arg(line)
                          .arg(m_knownServers.path()));
        return;
    }
    case CertificateVerdict::NotTheTrustedOne:
        failUntrusted(tr("the server at %1 presented a TLS certificate with SHA-256 fingerprint %2, not the expected %3; "
                         "nothing was sent")
                          .arg(server, m_presentedFingerprint, m_trustedFingerprint));
        return;
    case CertificateVerdict::NeedsTrust:
        if (!isSignalConnected(QMetaMethod::fromSignal(&ClientSession::serverCertificateNeedsTrust))) {
            failUntrusted(tr("the server at %1 presented a TLS certificate that no trusted authority signed and that this "
                             "client has not seen before (SHA-256 fingerprint %2); nothing was sent")
                              .arg(server, m_presentedFingerprint));
            return;
        }
        m_fingerprintAwaitingTrust = m_presentedFingerprint;
        m_phaseTimer.stop(); // the user may take their time
        detachConnection();
        emit serverCertificateNeedsTrust(m_fingerprintAwaitingTrust, m_host, m_port);
        return;
    case CertificateVerdict::None:
        break;
    }
    detachConnection();
    if (m_tlsAfterPlain && m_activeTransport == Transport::Tcp) {
        m_endReason = tr("the server at %1 closed the connection without a greeting, over plain TCP and over TLS (%2)")
                          .arg(server, reason);
        m_endReported = true;
        emit errorOccurred(Error::ConnectFailed, ErrorCode::None, m_endReason);
        if (m_state != State::Disconnected)
            onDisconnected();
        return;
    }
    m_endReason = tr("the %1 handshake with %2 failed: %3").arg(encryptionName(), server, reason);
    if (m_tlsMode == TlsMode::On)
        m_endReason += tr(" (is TLS turned on at the server?)");
    m_endReported = true;
    emit errorOccurred(Error::ConnectFailed, ErrorCode::None, m_endReason);
    if (m_state != State::Disconnected)
        onDisconnected();
}

void ClientSession::trustServerCertificate(const QString &fingerprint)
{
    if (!isAwaitingTrust() || normalizedFingerprint(fingerprint) != m_fingerprintAwaitingTrust) {
        qCWarning(lcClient) << "trustServerCertificate() ignored: no question about" << fingerprint;
        return;
    }
    m_trustedNow = m_fingerprintAwaitingTrust;
    m_fingerprintAwaitingTrust.clear();
    QString error;
    if (m_knownServers.pin(m_host, m_port, m_trustedNow, &error))
        emit serverCertificatePinned(m_trustedNow, m_knownServers.path());
    else
        qCWarning(lcClient).noquote() << "cannot remember the server's certificate:" << error;
    if (m_state != State::Connecting)
        return; // a slot gave up meanwhile
    startPhaseTimer(m_connectTimeoutMs);
    startConnection(m_activeTransport);
}

void ClientSession::rejectServerCertificate()
{
    if (!isAwaitingTrust())
        return;
    const QString fingerprint = m_fingerprintAwaitingTrust;
    m_fingerprintAwaitingTrust.clear();
    failUntrusted(tr("the server's TLS certificate (SHA-256 fingerprint %1) was not trusted; nothing was sent").arg(fingerprint));
}

void ClientSession::failUntrusted(const QString &message)
{
    m_endReason = message;
    m_endReported = true;
    detachConnection();
    emit errorOccurred(Error::UntrustedServer, ErrorCode::None, message);
    if (m_state != State::Disconnected)
        onDisconnected();
}

void ClientSession::clearEncryption()
{
    m_serverTrust = ServerTrust::None;
    m_serverCertificate = QSslCertificate();
    if (m_serverFingerprint.isEmpty())
        return;
    m_serverFingerprint.clear();
    emit encryptionChanged(false, QString());
}

} // namespace Confab
