// UdpPeerLink (udppeerlink.h): set-up, reading the socket, the connecting side and the peer's
// channel. The listening side (admitting a peer) is in udppeerlink_listen.cpp.
#include "udppeerlink.h"
#include "udppeerlink_p.h"
#include "peeridentity.h"
#include "tlsfingerprint.h"

#include <QDtls>
#include <QLoggingCategory>
#include <QNetworkDatagram>
#include <QUdpSocket>

#include <algorithm>

namespace Confab {

Q_LOGGING_CATEGORY(lcUdpPeer, "confab.peer.udp")

using namespace UdpPeerLinkDetail;

UdpPeerLink::UdpPeerLink(QObject *parent)
    : QObject(parent)
    , m_socket(new QUdpSocket(this))
{
    m_clock.start();
    m_handshakeTimer.setSingleShot(true);
    connect(&m_handshakeTimer, &QTimer::timeout, this, [this] { failHandshake(tr("no answer")); });
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpPeerLink::onReadyRead);
}

UdpPeerLink::~UdpPeerLink()
{
    // Hanging up without a word: the drivers go before the socket they write to.
    dropAllPending();
    delete m_driver;
    m_driver = nullptr;
}

void UdpPeerLink::setPeerTimeouts(int keepaliveIntervalMs, int deadPeerTimeoutMs)
{
    m_keepaliveIntervalMs = keepaliveIntervalMs;
    m_deadPeerTimeoutMs = deadPeerTimeoutMs;
    if (m_driver)
        m_driver->setPeerTimeouts(keepaliveIntervalMs, deadPeerTimeoutMs);
}

QString UdpPeerLink::peerName() const
{
    if (m_peerAddress.isNull())
        return {};
    QHostAddress address = m_peerAddress;
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // show ::ffff:a.b.c.d as a.b.c.d
    if (isV4)
        address = QHostAddress(v4);
    return QStringLiteral("%1:%2").arg(address.toString()).arg(m_peerPort);
}

quint16 UdpPeerLink::localPort() const
{
    return m_socket->localPort();
}

void UdpPeerLink::setEncryption(const QSslConfiguration &configuration, const QString &peerFingerprint)
{
    m_dtlsConfiguration = configuration;
    m_dtlsConfiguration.setProtocol(QSsl::DtlsV1_2OrLater);
    // Self-made certificates: asked for, then checked against the announced fingerprint.
    m_dtlsConfiguration.setPeerVerifyMode(QSslSocket::QueryPeer);
    m_expectedFingerprint = peerFingerprint;
}

QDtls *UdpPeerLink::makeDtls(bool server, const QHostAddress &address, quint16 port)
{
    auto *dtls = new QDtls(server ? QSslSocket::SslServerMode : QSslSocket::SslClientMode, this);
    dtls->setDtlsConfiguration(m_dtlsConfiguration);
    dtls->setPeer(address, port);
    dtls->setMtuHint(UdpWire::DtlsMtuHint);
    // Retransmits a lost flight; the handshake as a whole is bounded by our own timers.
    connect(dtls, &QDtls::handshakeTimeout, this, [this, dtls] { dtls->handleTimeout(m_socket); });
    return dtls;
}

UdpChannelDriver *UdpPeerLink::makeDriver(ReliableChannel::Role role, quint32 connectionId,
                                          const QHostAddress &address, quint16 port, QDtls *dtls)
{
    QUdpSocket *socket = m_socket;
    UdpChannelDriver::DatagramWriter write;
    if (dtls) {
        write = [socket, session = QPointer<QDtls>(dtls)](const QByteArray &datagram) {
            if (session)
                session->writeDatagramEncrypted(socket, datagram);
        };
    } else {
        write = [socket, address, port](const QByteArray &datagram) { socket->writeDatagram(datagram, address, port); };
    }
    auto *driver = new UdpChannelDriver(role, connectionId, std::move(write), this);
    driver->setPeerTimeouts(m_keepaliveIntervalMs, m_deadPeerTimeoutMs);
    return driver;
}

// --- Reading the socket (both sides) ---------------------------------------------------------

void UdpPeerLink::onReadyRead()
{
    QList<QPointer<UdpChannelDriver>> touched;
    auto touch = [&touched](UdpChannelDriver *driver) {
        if (!touched.contains(driver))
            touched.append(driver);
    };
    const bool encrypted = encrypting();
    // One byte more than the largest we take, so an oversized one is seen (and dropped) as such.
    const int largest = encrypted ? UdpWire::MaxDtlsDatagramSize : UdpWire::MaxDatagramSize;
    for (int read = 0; read < MaxDatagramsPerRead && m_socket->hasPendingDatagrams(); ++read) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(largest + 1);
        if (!datagram.isValid())
            break;
        QByteArray bytes = datagram.data();
        if (bytes.size() > largest || (encrypted && !UdpWire::looksLikeDtls(bytes)))
            continue; // encrypted: plain datagrams from anyone are ignored
        const QHostAddress address = datagram.senderAddress();
        const quint16 port = quint16(datagram.senderPort());
        if (m_driver || (encrypted && m_state == State::Connecting)) {
            // Once there is a peer, nobody else is heard.
            if (!sameEndpoint(address, port, m_peerAddress, m_peerPort))
                continue;
            if (encrypted) {
                if (!m_dtls)
                    continue;
                if (!m_driver) { // connecting: the DTLS handshake comes first
                    advanceConnectorDtls(bytes);
                    continue;
                }
                bytes = m_dtls->decryptDatagram(m_socket, bytes);
                if (bytes.isEmpty() || bytes.size() > UdpWire::MaxDatagramSize)
                    continue;
            }
            if (m_driver && m_driver->handleDatagram(bytes))
                touch(m_driver);
            continue;
        }
        if (m_state != State::Listening || m_token.isEmpty())
            continue; // not introduced yet: the connector retransmits its Hello
        const auto slot = std::find_if(m_pending.begin(), m_pending.end(), [&](const Pending &p) {
            return sameEndpoint(address, port, p.address, p.port);
        });
        if (slot == m_pending.end()) {
            if (encrypted)
                admitDtls(bytes, address, port);
            else
                screen(bytes, address, port, nullptr, &touched);
            continue;
        }
        if (QDtls *dtls = slot->dtls) {
            if (!dtls->isConnectionEncrypted()) {
                advancePendingDtls(dtls, bytes);
                continue;
            }
            bytes = dtls->decryptDatagram(m_socket, bytes);
            if (bytes.isEmpty() || bytes.size() > UdpWire::MaxDatagramSize)
                continue;
            if (!slot->driver) { // the channel handshake, screened as for a plain source
                screen(bytes, address, port, dtls, &touched);
                continue;
            }
        }
        if (slot->driver && slot->driver->handleDatagram(bytes))
            touch(slot->driver);
    }
    // Once per batch: acknowledgements go out, payloads and events are handed over.
    const QPointer<UdpPeerLink> alive(this);
    for (const QPointer<UdpChannelDriver> &driver : std::as_const(touched)) {
        if (!alive)
            return;
        if (driver)
            driver->drain();
    }
}
// --- Connecting side ---------------------------------------------------------------------------

void UdpPeerLink::connectToPeer(const QHostAddress &address, quint16 port, const QByteArray &token, int timeoutMs)
{
    if (m_state != State::Idle)
        return;
    m_state = State::Connecting;
    m_peerAddress = address;
    m_peerPort = port;
    m_token = token;
    m_handshakeTimer.start(timeoutMs);
    const QHostAddress local = address.protocol() == QAbstractSocket::IPv4Protocol
                                   ? QHostAddress(QHostAddress::AnyIPv4)
                                   : QHostAddress(QHostAddress::Any);
    if (address.isNull() || port == 0 || !m_socket->bind(local, 0)) {
        const QString why = address.isNull() || port == 0 ? tr("no address to reach") : m_socket->errorString();
        // Reported from the event loop, like every other outcome of a connection attempt.
        QMetaObject::invokeMethod(this, [this, why] { failHandshake(why); }, Qt::QueuedConnection);
        return;
    }
    qCDebug(lcUdpPeer).noquote() << "connecting to the direct peer" << peerName() << "over UDP"
                                 << (encrypting() ? "(DTLS)" : "(not encrypted)");
    if (!encrypting()) {
        startChannel();
        return;
    }
    m_dtls = makeDtls(false, address, port);
    if (!m_dtls->doHandshake(m_socket)) {
        const QString why = tr("cannot start DTLS: %1").arg(m_dtls->dtlsErrorString());
        QMetaObject::invokeMethod(this, [this, why] { failHandshake(why); }, Qt::QueuedConnection);
    }
}

void UdpPeerLink::advanceConnectorDtls(const QByteArray &datagram)
{
    if (m_dtls->isConnectionEncrypted())
        return;
    if (!m_dtls->doHandshake(m_socket, datagram)) {
        failHandshake(tr("the DTLS handshake failed: %1").arg(m_dtls->dtlsErrorString()));
        return;
    }
    if (!m_dtls->isConnectionEncrypted())
        return;
    const QString seen = PeerIdentity::fingerprintOf(m_dtls->dtlsConfiguration().peerCertificate());
    if (seen != m_expectedFingerprint) {
        // Not the peer the server introduced: it never sees our channel, let alone the token.
        failHandshake(tr("its certificate is not the one the server announced (%1 instead of %2)")
                          .arg(normalizedFingerprint(seen), normalizedFingerprint(m_expectedFingerprint)));
        return;
    }
    m_verifiedFingerprint = seen;
    startChannel();
}

void UdpPeerLink::startChannel()
{
    m_driver = makeDriver(ReliableChannel::Role::Client, ReliableChannel::randomConnectionId(), m_peerAddress,
                          m_peerPort, m_dtls);
    connect(m_driver, &UdpChannelDriver::payloadReceived, this, &UdpPeerLink::onPeerPayload);
    connect(m_driver, &UdpChannelDriver::eventOccurred, this, &UdpPeerLink::onPeerEvent);
    m_driver->connectToPeer();
}

void UdpPeerLink::failHandshake(const QString &reason)
{
    if (m_state != State::Connecting)
        return;
    m_state = State::Finished;
    m_handshakeTimer.stop();
    m_verifiedFingerprint.clear();
    if (m_dtls && m_dtls->handshakeState() == QDtls::HandshakeInProgress)
        m_dtls->abortHandshake(m_socket); // no more retransmitted flights
    qCInfo(lcUdpPeer).noquote() << "direct UDP connection to" << peerName() << "failed:" << reason;
    if (!m_disposed)
        emit handshakeFailed(reason);
}

// --- The peer's channel ------------------------------------------------------------------------

void UdpPeerLink::onPeerPayload(const QByteArray &payload)
{
    switch (m_state) {
    case State::Connecting:
        // The first payload answers our token.
        if (payload != Welcome) {
            failHandshake(tr("the peer refused the token"));
            return;
        }
        m_handshakeTimer.stop();
        m_state = State::Connected;
        emit established();
        return;
    case State::Connected:
    case State::Closing:
        deliver(payload);
        return;
    default:
        return;
    }
}

void UdpPeerLink::onPeerEvent(ReliableChannel::Event event)
{
    if (m_state == State::Connecting) {
        switch (event) {
        case ReliableChannel::Event::Connected:
            m_driver->send(HelloPrefix + m_token + '\n');
            return;
        case ReliableChannel::Event::PeerClosed:
        case ReliableChannel::Event::Closed:
            failHandshake(tr("the peer closed the connection"));
            return;
        case ReliableChannel::Event::Dead:
            failHandshake(tr("no answer"));
            return;
        case ReliableChannel::Event::ProtocolError:
            failHandshake(m_driver->channel().errorString());
            return;
        }
        return;
    }
    if (m_state == State::Closing) {
        // Our Close confirmed, or the peer gone while we waited for it: either way we are done.
        if (event == ReliableChannel::Event::Closed || event == ReliableChannel::Event::Dead
            || event == ReliableChannel::Event::ProtocolError) {
            m_state = State::Finished;
            if (!m_disposed)
                emit closed();
        }
        return;
    }
    if (m_state != State::Connected)
        return;
    switch (event) {
    case ReliableChannel::Event::Connected:
        return;
    case ReliableChannel::Event::PeerClosed:
    case ReliableChannel::Event::Closed:
        finishWith(HeldEnd::PeerClosed, {});
        return;
    case ReliableChannel::Event::Dead:
        finishWith(HeldEnd::PeerLost, tr("the peer stopped answering for %1 seconds; the direct chat is lost")
                                          .arg(m_deadPeerTimeoutMs / 1000.0, 0, 'g', 3));
        return;
    case ReliableChannel::Event::ProtocolError:
        finishWith(HeldEnd::PeerLost,
                   tr("the peer broke the direct-chat protocol (%1)").arg(m_driver->channel().errorString()));
        return;
    }
}

void UdpPeerLink::finishWith(HeldEnd end, const QString &reason)
{
    m_state = State::Finished;
    if (m_disposed)
        return;
    if (!m_delivering) {
        // The owner has not started taking payloads yet: the end waits behind them.
        m_heldEnd = end;
        m_heldReason = reason;
        return;
    }
    if (end == HeldEnd::PeerClosed)
        emit peerClosed();
    else
        emit peerLost(reason);
}

void UdpPeerLink::deliver(const QByteArray &payload)
{
    if (m_disposed)
        return;
    if (!m_delivering) {
        m_held.push_back(payload);
        return;
    }
    emit payloadReceived(payload);
}

void UdpPeerLink::startDelivery()
{
    if (m_delivering)
        return;
    m_delivering = true;
    const QPointer<UdpPeerLink> alive(this);
    while (!m_held.empty() && !m_disposed) {
        const QByteArray payload = std::move(m_held.front());
        m_held.pop_front();
        emit payloadReceived(payload);
        if (!alive)
            return;
    }
    const HeldEnd end = std::exchange(m_heldEnd, HeldEnd::None);
    if (m_disposed || end == HeldEnd::None)
        return;
    if (end == HeldEnd::PeerClosed)
        emit peerClosed();
    else
        emit peerLost(m_heldReason);
}

bool UdpPeerLink::send(const QByteArray &payload)
{
    if (m_state != State::Connected || !m_driver)
        return false;
    switch (m_driver->send(payload)) {
    case UdpChannelDriver::SendResult::Accepted:
        return true;
    case UdpChannelDriver::SendResult::Refused:
        return false;
    case UdpChannelDriver::SendResult::Overflow:
        QMetaObject::invokeMethod(this, [this] {
            if (m_state != State::Connected)
                return;
            m_driver->abandon();
            finishWith(HeldEnd::PeerLost, tr("the peer stopped taking messages; the direct chat is lost"));
        }, Qt::QueuedConnection);
        return false;
    }
    return false;
}

void UdpPeerLink::close()
{
    switch (m_state) {
    case State::Connected:
        m_state = State::Closing;
        m_driver->close(); // everything accepted goes first, then Close
        return;
    case State::Idle:
    case State::Listening:
    case State::Connecting:
        m_handshakeTimer.stop();
        dropAllPending();
        m_state = State::Finished;
        return;
    case State::Closing:
    case State::Finished:
        return;
    }
}

void UdpPeerLink::dispose()
{
    if (m_disposed)
        return;
    m_disposed = true;
    m_held.clear();
    m_heldEnd = HeldEnd::None;
    close();
    if (m_driver && m_driver->state() == ReliableChannel::State::Connected)
        m_driver->close(); // e.g. a handshake given up while the channel was up: say goodbye
    if (!m_driver || m_driver->isDiscardable()) {
        deleteLater();
        return;
    }
    // Lingers while the channel may still have to answer its peer (ReliableChannel::LingerMs).
    connect(m_driver, &UdpChannelDriver::discardable, this, &QObject::deleteLater);
}

} // namespace Confab
