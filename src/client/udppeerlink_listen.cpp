// UdpPeerLink, the listening side: admitting one peer that proves the token, over a stateless
// cookie (plain) or QDtlsClientVerifier and a DTLS session (encrypted), in bounded pending slots
// (docs/PROTOCOL-UDP.md §16.1, §16.3).
#include "udppeerlink.h"
#include "udppeerlink_p.h"
#include "peeridentity.h"
#include "tlsfingerprint.h"

#include <QDtls>
#include <QUdpSocket>

#include <algorithm>

namespace Confab {

using namespace UdpPeerLinkDetail;

bool UdpPeerLink::bind(const QHostAddress &address, quint16 port)
{
    if (m_state != State::Idle)
        return false;
    if (!m_socket->bind(address, port)) {
        m_errorString = m_socket->errorString();
        return false;
    }
    m_cookieSecret = UdpWire::generateCookieSecret();
    m_verifier = new QDtlsClientVerifier(this);
    m_state = State::Listening;
    return true;
}

void UdpPeerLink::expectPeer(const QByteArray &token, int timeoutMs)
{
    m_token = token;
    m_pendingTimeoutMs = timeoutMs;
}
void UdpPeerLink::screen(const QByteArray &datagram, const QHostAddress &address, quint16 port, QDtls *dtls,
                         QList<QPointer<UdpChannelDriver>> *touched)
{
    // A peer is not a server: a Probe gets nothing.
    if (datagram.size() >= 2 && quint8(datagram.at(1)) == quint8(UdpWire::Kind::Probe))
        return;
    const UdpWire::GateVerdict verdict =
        UdpWire::screenUnverified(datagram, address, port, m_cookieSecret, m_clock.elapsed(), 0);
    switch (verdict.action) {
    case UdpWire::GateVerdict::Action::Drop:
        return;
    case UdpWire::GateVerdict::Action::Reply:
        // A Cookie (42 bytes) for a Hello (1,200): never more than the source sent.
        Q_ASSERT(verdict.reply.size() <= datagram.size());
        if (dtls)
            dtls->writeDatagramEncrypted(m_socket, verdict.reply);
        else
            m_socket->writeDatagram(verdict.reply, address, port);
        return;
    case UdpWire::GateVerdict::Action::Admit:
        break;
    }
    if (dtls) {
        // A source past the DTLS handshake already holds a slot: its channel goes there.
        const auto slot = std::find_if(m_pending.begin(), m_pending.end(),
                                       [dtls](const Pending &p) { return p.dtls == dtls; });
        if (slot == m_pending.end())
            return;
        UdpChannelDriver *driver = makeDriver(ReliableChannel::Role::Server, verdict.connectionId, address, port, dtls);
        connect(driver, &UdpChannelDriver::payloadReceived, this,
                [this, driver](const QByteArray &payload) { onPendingPayload(driver, payload); });
        connect(driver, &UdpChannelDriver::eventOccurred, this,
                [this, driver](ReliableChannel::Event event) { onPendingEvent(driver, event); });
        slot->driver = driver;
        driver->handleDatagram(datagram); // answers Accept
        touched->append(driver);
        return;
    }
    if (int(m_pending.size()) >= MaxPendingPeers) {
        qCInfo(lcUdpPeer).noquote() << "no room for another direct peer from" << address.toString() << port;
        return;
    }
    UdpChannelDriver *driver = makeDriver(ReliableChannel::Role::Server, verdict.connectionId, address, port, nullptr);
    connect(driver, &UdpChannelDriver::payloadReceived, this,
            [this, driver](const QByteArray &payload) { onPendingPayload(driver, payload); });
    connect(driver, &UdpChannelDriver::eventOccurred, this,
            [this, driver](ReliableChannel::Event event) { onPendingEvent(driver, event); });
    // The slot is only lent: a source that does not prove the token in time loses it.
    QTimer::singleShot(m_pendingTimeoutMs, driver, [this, driver] { dropPending(driver); });
    m_pending.push_back(Pending{address, port, driver, nullptr, false});
    driver->handleDatagram(datagram); // answers Accept
    touched->append(driver);
}

void UdpPeerLink::admitDtls(const QByteArray &datagram, const QHostAddress &address, quint16 port)
{
    if (int(m_pending.size()) >= MaxPendingPeers) {
        qCInfo(lcUdpPeer).noquote() << "no room for another direct peer from" << address.toString() << port;
        return;
    }
    // Stateless: a ClientHello without a valid cookie gets at most a HelloVerifyRequest (smaller
    // than the ClientHello), anything else nothing; we keep nothing either way.
    if (!m_verifier->verifyClient(m_socket, datagram, address, port))
        return;
    QDtls *dtls = makeDtls(true, address, port);
    // The slot is only lent: a source that does not prove its certificate and token in time loses it.
    QTimer::singleShot(m_pendingTimeoutMs, dtls, [this, dtls] { dropPending(dtls); });
    m_pending.push_back(Pending{address, port, nullptr, dtls, false});
    advancePendingDtls(dtls, datagram);
}

void UdpPeerLink::advancePendingDtls(QDtls *dtls, const QByteArray &datagram)
{
    if (!dtls->doHandshake(m_socket, datagram)) {
        qCInfo(lcUdpPeer).noquote() << "dropped a direct UDP peer whose DTLS handshake failed:"
                                    << dtls->dtlsErrorString();
        dropPending(dtls);
        return;
    }
    if (!dtls->isConnectionEncrypted())
        return;
    const QString seen = PeerIdentity::fingerprintOf(dtls->dtlsConfiguration().peerCertificate());
    if (seen != m_expectedFingerprint) {
        // Not the peer the server introduced: it gets no channel; we keep waiting for the right one.
        ++m_refusedCertificates;
        qCInfo(lcUdpPeer).noquote() << "refused a direct UDP peer from" << dtls->peerAddress().toString()
                                    << dtls->peerPort() << "showing certificate" << normalizedFingerprint(seen)
                                    << "instead of" << normalizedFingerprint(m_expectedFingerprint);
        dropPending(dtls);
    }
}

void UdpPeerLink::onPendingPayload(UdpChannelDriver *driver, const QByteArray &payload)
{
    const auto slot = std::find_if(m_pending.begin(), m_pending.end(),
                                   [driver](const Pending &p) { return p.driver == driver; });
    if (slot == m_pending.end() || slot->refused || m_driver)
        return;
    QByteArray line = payload;
    if (line.endsWith('\n'))
        line.chop(1);
    if (line.endsWith('\r'))
        line.chop(1);
    const bool valid = !m_token.isEmpty() && line.startsWith(HelloPrefix)
                       && sameToken(line.sliced(HelloPrefix.size()), m_token);
    if (!valid) {
        qCInfo(lcUdpPeer).noquote() << "refused a direct UDP peer without the right token from"
                                    << slot->address.toString() << slot->port;
        slot->refused = true;
        driver->send(Denied);
        driver->close(); // the slot goes when the channel has finished (or its time is up)
        return;
    }
    // The peer: it takes over the socket, everyone else is dropped.
    const Pending peer = *slot;
    m_pending.erase(slot);
    dropAllPending();
    m_driver = driver;
    if (peer.dtls) {
        m_dtls = peer.dtls;
        m_verifiedFingerprint = m_expectedFingerprint; // checked when its handshake finished
    }
    m_peerAddress = peer.address;
    m_peerPort = peer.port;
    driver->disconnect(this);
    connect(driver, &UdpChannelDriver::payloadReceived, this, &UdpPeerLink::onPeerPayload);
    connect(driver, &UdpChannelDriver::eventOccurred, this, &UdpPeerLink::onPeerEvent);
    driver->send(Welcome);
    m_state = State::Connected;
    qCInfo(lcUdpPeer).noquote() << "direct UDP peer" << peerName() << "proved the token";
    emit established();
}

void UdpPeerLink::onPendingEvent(UdpChannelDriver *driver, ReliableChannel::Event event)
{
    if (event != ReliableChannel::Event::Connected)
        dropPending(driver); // closed, lost or broke the protocol before proving anything
}

void UdpPeerLink::dropPending(QObject *driverOrDtls)
{
    const auto slot = std::find_if(m_pending.begin(), m_pending.end(), [driverOrDtls](const Pending &p) {
        return p.driver == driverOrDtls || (p.dtls && p.dtls == driverOrDtls);
    });
    if (slot == m_pending.end())
        return;
    const Pending gone = *slot;
    m_pending.erase(slot);
    if (gone.driver) {
        gone.driver->disconnect(this);
        gone.driver->deleteLater();
    }
    if (gone.dtls) {
        gone.dtls->disconnect(this);
        gone.dtls->deleteLater();
    }
}

void UdpPeerLink::dropAllPending()
{
    for (const Pending &p : std::exchange(m_pending, {})) {
        if (p.driver) {
            p.driver->disconnect(this);
            p.driver->deleteLater();
        }
        if (p.dtls) {
            p.dtls->disconnect(this);
            p.dtls->deleteLater();
        }
    }
}

} // namespace Confab
