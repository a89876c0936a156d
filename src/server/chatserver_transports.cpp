// ChatServer: the transports it serves. TCP and reliable UDP share one port number (TCP and UDP
// ports are separate name spaces, so both can be bound at once); either can be turned off
// (ServerConfig::serveTcp / serveUdp, confab-server --no-tcp / --no-udp). See
// docs/PROTOCOL-UDP.md §14.
#include "chatserver.h"
#include "chatserver_p.h"

#include "nativetcpconnection.h"
#include "tcpconnection.h"
#include "tlscredentials.h"
#include "udplistener.h"

#include <QSslSocket>
#include <QTcpServer>

#include <unistd.h>

namespace Confab {

namespace {
// With port 0 the system picks the TCP port, and UDP must then get the same number, which another
// program may already hold: a fresh pick is tried up to this many times.
constexpr int PortPickAttempts = 16;
} // namespace

bool ChatServer::openListeners(QString *error)
{
    if (!m_config.serveTcp && !m_config.serveUdp) {
        *error = tr("neither TCP nor UDP is to be served");
        return false;
    }
    const bool picking = m_config.port == 0 && m_config.serveTcp && m_config.serveUdp;
    for (int attempt = 1;; ++attempt) {
        quint16 port = m_config.port;
        if (m_config.serveTcp) {
            if (!m_tcpServer) {
                auto *server = new NativeTcpServer(this);
                connect(server, &NativeTcpServer::descriptorAccepted, this, &ChatServer::onNewConnection);
                m_tcpServer = server;
            }
            if (!m_tcpServer->listen(m_config.host, port)) {
                *error = tr("cannot listen on %1 port %2 (TCP): %3")
                             .arg(m_config.host.toString()).arg(port).arg(m_tcpServer->errorString());
                return false;
            }
            port = m_tcpServer->serverPort();
        }
        if (!m_config.serveUdp)
            break;
        if (!m_udpListener) {
            m_udpListener = new UdpListener(this);
            m_udpListener->setMaxChannels(m_config.maxUdpSessions);
            if (m_config.limits.enabled)
                m_udpListener->setUnverifiedRate(m_config.limits.udpUnverifiedPerSecond, m_config.limits.udpUnverifiedBurst);
            if (m_tlsConfiguration)
                m_udpListener->setDtlsConfiguration(*m_tlsConfiguration); // UDP: DTLS only
            connect(m_udpListener, &UdpListener::sourceThrottled, this, [this](const QHostAddress &address) {
                // One-second entries: the bucket refills within about that long once the flood stops.
                noteBlock(LimitBlock::Kind::Address, limitKey(address),
                          tr("more than %1 UDP datagrams a second before the handshake")
                              .arg(m_config.limits.udpUnverifiedPerSecond),
                          limitNow() + 1000);
            });
            connect(m_udpListener, &UdpListener::connectionAdmitted, this, [this](Connection *connection) {
                if (m_shuttingDown) {
                    connection->abort();
                    connection->deleteLater();
                    return;
                }
                adoptConnection(connection);
            });
        }
        QString why;
        if (m_udpListener->bind(m_config.host, port, &why))
            break;
        if (m_tcpServer)
            m_tcpServer->close();
        if (!picking || attempt >= PortPickAttempts) {
            *error = tr("cannot listen on %1 port %2 (UDP): %3").arg(m_config.host.toString()).arg(port).arg(why);
            delete m_udpListener;
            m_udpListener = nullptr;
            return false;
        }
    }
    updateAdvertisedTransports();
    return true;
}

// TLS: each accepted descriptor becomes a QSslSocket that starts the server handshake at once,
// carried by a TcpConnection. The connection is adopted before the handshake ends, so the login
// deadline, the idle timeout and the per-address limits cover clients that never finish it
// (QSslServer in Qt 6.4 hands a socket over only after its handshake, and has no deadline).
// Without TLS, sockets are driven directly, without a QTcpSocket each (docs/PERFORMANCE.md).
Connection *ChatServer::makeTcpConnection(qintptr descriptor)
{
    if (!m_tlsConfiguration)
        return new NativeTcpConnection(descriptor);
    auto *socket = new QSslSocket;
    socket->setSslConfiguration(*m_tlsConfiguration);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcServer) << "cannot take an accepted connection:" << socket->errorString();
        delete socket;
        ::close(int(descriptor));
        return nullptr;
    }
    socket->startServerEncryption();
    auto *connection = new TcpConnection(socket);
    connect(connection, &TcpConnection::handshakeFailed, this, [connection](const QString &reason) {
        qCInfo(lcServer).noquote() << "TLS handshake with" << connection->peerAddress().toString() << "failed:" << reason;
    });
    return connection;
}

bool ChatServer::loadTlsCredentials(QString *error)
{
    if (!m_config.tlsEnabled())
        return true;
    QStringList warnings;
    const std::optional<TlsCredentials> credentials =
        TlsCredentials::load(m_config.tlsCertificateFile, m_config.tlsKeyFile, error, &warnings);
    if (!credentials)
        return false;
    for (const QString &warning : std::as_const(warnings))
        qCWarning(lcServer).noquote() << warning;
    m_tlsConfiguration = credentials->serverConfiguration();
    m_tlsFingerprint = credentials->fingerprint;
    qCInfo(lcServer).noquote() << "TLS on (TCP accepts TLS 1.2 or later only, UDP DTLS 1.2 or later only); certificate"
                               << credentials->summary()
                               << "SHA-256 fingerprint" << m_tlsFingerprint;
    return true;
}

bool ChatServer::reloadCertificate()
{
    QString error;
    if (!m_tlsConfiguration) {
        error = tr("TLS is off (the server was started without --tls-cert and --tls-key)");
    } else {
        QStringList warnings;
        const std::optional<TlsCredentials> credentials =
            TlsCredentials::load(m_config.tlsCertificateFile, m_config.tlsKeyFile, &error, &warnings);
        if (credentials) {
            for (const QString &warning : std::as_const(warnings))
                qCWarning(lcServer).noquote() << warning;
            m_tlsConfiguration = credentials->serverConfiguration(); // copied into each new socket
            m_tlsFingerprint = credentials->fingerprint;
            if (m_udpListener)
                m_udpListener->setDtlsConfiguration(*m_tlsConfiguration); // new DTLS sessions
            qCInfo(lcServer).noquote() << "TLS certificate reloaded:" << credentials->summary()
                                       << "SHA-256 fingerprint" << m_tlsFingerprint
                                       << "(new connections get it; open ones keep theirs)";
            emit tlsCertificateChanged(m_tlsFingerprint);
            return true;
        }
    }
    qCWarning(lcServer).noquote() << "TLS certificate not reloaded, the current one stays:" << error;
    emit tlsCertificateReloadFailed(error);
    return false;
}

QSslCertificate ChatServer::tlsCertificate() const
{
    return m_tlsConfiguration ? m_tlsConfiguration->localCertificate() : QSslCertificate();
}

quint16 ChatServer::udpPort() const
{
    return m_udpListener && m_udpListener->isBound() ? m_udpListener->port() : 0;
}

void ChatServer::updateAdvertisedTransports()
{
    if (!m_udpListener)
        return;
    quint16 transports = 0;
    if (m_tcpServer && m_tcpServer->isListening())
        transports |= m_tlsConfiguration ? (UdpWire::TransportTcp | UdpWire::TransportTls) : UdpWire::TransportTcp;
    if (m_udpListener->isAccepting())
        transports |= m_udpListener->isDtls() ? (UdpWire::TransportUdp | UdpWire::TransportDtls) : UdpWire::TransportUdp;
    m_udpListener->setAdvertisedTransports(transports);
}

QStringList ChatServer::servedTransports() const
{
    QStringList names;
    if (m_config.serveTcp)
        names.append(QStringLiteral("tcp"));
    if (m_config.serveUdp)
        names.append(QStringLiteral("udp"));
    if (m_config.serveTcp && m_config.tlsEnabled())
        names.append(QStringLiteral("tls"));
    if (m_config.serveUdp && m_config.tlsEnabled())
        names.append(QStringLiteral("dtls"));
    return names;
}

} // namespace Confab
