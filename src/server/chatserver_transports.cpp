// ChatServer: the transports it serves. TCP and reliable UDP share one port number (TCP and UDP
// ports are separate name spaces, so both can be bound at once); either can be turned off
// (ServerConfig::serveTcp / serveUdp, confab-server --no-tcp / --no-udp). See
// docs/PROTOCOL-UDP.md §14.
#include "chatserver.h"
#include "chatserver_p.h"

#include "nativetcpconnection.h"
#include "udplistener.h"

#include <QTcpServer>

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
        transports |= UdpWire::TransportTcp;
    if (m_udpListener->isAccepting())
        transports |= UdpWire::TransportUdp;
    m_udpListener->setAdvertisedTransports(transports);
}

QStringList ChatServer::servedTransports() const
{
    QStringList names;
    if (m_config.serveTcp)
        names.append(QStringLiteral("tcp"));
    if (m_config.serveUdp)
        names.append(QStringLiteral("udp"));
    return names;
}

} // namespace Confab
