#include "udplistener.h"

#include "udpsocketoptions.h"

#include <QDtls>
#include <QNetworkDatagram>
#include <QSet>
#include <QTimer>
#include <QUdpSocket>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

namespace Confab {

struct UdpListener::PeerAddress {
    sockaddr_storage storage{};
    socklen_t length = 0; // 0: not expressible for this socket; written through QUdpSocket instead
};

struct UdpListener::PendingDatagram {
    QByteArray bytes;
    PeerAddress to;
};

// The channels that took datagrams in one read batch, each once, in order: drained at its end.
class UdpListener::TouchedDrivers
{
public:
    void add(UdpChannelDriver *driver)
    {
        if (m_seen.contains(driver))
            return;
        m_seen.insert(driver);
        m_drivers.append(driver);
    }
    void drainAll()
    {
        for (const QPointer<UdpChannelDriver> &driver : std::as_const(m_drivers)) {
            if (driver)
                driver->drain();
        }
    }

private:
    QList<QPointer<UdpChannelDriver>> m_drivers;
    QSet<UdpChannelDriver *> m_seen;
};

namespace {
constexpr qint64 FullTableLogIntervalMs = 10 * 1000; // log a full table at most this often

// (address, port) as a socket address of `family` (the socket's): an IPv4 peer of a dual-stack
// socket as IPv4-mapped IPv6. Scoped (link-local) IPv6 addresses are left to QUdpSocket.
void toSocketAddress(const QHostAddress &address, quint16 port, int family, sockaddr_storage *storage,
                     socklen_t *length)
{
    *length = 0;
    if (family == AF_INET) {
        bool isIpv4 = false;
        const quint32 ipv4 = address.toIPv4Address(&isIpv4); // also an IPv4-mapped IPv6 address
        if (!isIpv4)
            return;
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(port);
        in.sin_addr.s_addr = htonl(ipv4);
        std::memcpy(storage, &in, sizeof in);
        *length = sizeof in;
    } else if (family == AF_INET6 && address.scopeId().isEmpty()) {
        sockaddr_in6 in6{};
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&in6.sin6_addr, bytes.c, sizeof in6.sin6_addr);
        std::memcpy(storage, &in6, sizeof in6);
        *length = sizeof in6;
    }
}
} // namespace

UdpServerConnection::UdpServerConnection(UdpChannelDriver *driver, const QHostAddress &address, quint16 port,
                                         QObject *parent)
    : UdpChannelConnection(parent)
    , m_address(address)
    , m_port(port)
{
    attachDriver(driver);
}

UdpListener::UdpListener(QObject *parent)
    : QObject(parent)
    , m_socket(new QUdpSocket(this))
    , m_secret(UdpWire::generateCookieSecret())
{
    m_clock.start();
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpListener::onReadyRead);
}

UdpListener::~UdpListener()
{
    sendPending();
    // The drivers write through m_socket: they go first. A Connection still holding one sees it
    // vanish (it keeps a QPointer) and stays silent.
    for (const Entry &entry : std::as_const(m_entries)) {
        delete entry.driver;
        delete entry.dtls;
    }
    m_entries.clear();
}

void UdpListener::setDtlsConfiguration(const QSslConfiguration &configuration)
{
    m_dtls = !configuration.isNull() && !configuration.localCertificate().isNull();
    if (!m_dtls) {
        m_dtlsConfiguration = QSslConfiguration();
        return;
    }
    m_dtlsConfiguration = configuration;
    m_dtlsConfiguration.setProtocol(QSsl::DtlsV1_2OrLater);
    m_dtlsConfiguration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients show no certificate
    if (!m_verifier)
        m_verifier = new QDtlsClientVerifier(this);
}

bool UdpListener::bind(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_socket->bind(address, port, QAbstractSocket::DontShareAddress)) {
        if (error)
            *error = m_socket->errorString();
        return false;
    }
    // Every UDP client shares this one socket's receive buffer (a TCP peer has its own): with the
    // system's default (about 200 KiB, some 300 small datagrams) a burst of acknowledgements from
    // a few hundred room members overflows it. The kernel caps the size at net.core.rmem_max.
    m_socket->setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, ReceiveBufferBytes);
    // Path MTU discovery: don't-fragment set, datagrams up to this size read and advertised.
    m_maxDatagramSize = UdpSocketOptions::enableLargeDatagrams(m_socket->socketDescriptor());
    sockaddr_storage local{};
    socklen_t localLength = sizeof local;
    if (::getsockname(int(m_socket->socketDescriptor()), reinterpret_cast<sockaddr *>(&local), &localLength) == 0)
        m_socketFamily = local.ss_family;
    return true;
}

bool UdpListener::isBound() const
{
    return m_socket->state() == QAbstractSocket::BoundState;
}

QHostAddress UdpListener::address() const
{
    return m_socket->localAddress();
}

quint16 UdpListener::port() const
{
    return m_socket->localPort();
}

void UdpListener::onReadyRead()
{
    TouchedDrivers touched;
    // One byte more than the largest datagram taken, so an oversized one is seen (and dropped) as such.
    const int largest = m_dtls ? UdpWire::MaxDtlsDatagramSize : m_maxDatagramSize;
    for (int read = 0; read < MaxDatagramsPerRead && m_socket->hasPendingDatagrams(); ++read) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(largest + 1);
        if (!datagram.isValid())
            break;
        ++m_stats.datagramsIn;
        const QByteArray bytes = datagram.data();
        const QHostAddress address = datagram.senderAddress();
        const quint16 port = quint16(datagram.senderPort());
        const quint32 id = UdpWire::peekConnectionId(bytes);
        if (id != 0) {
            // A plain channel (with DTLS on, only one admitted before it was turned on).
            const auto it = m_entries.constFind(Key{address, port, id});
            if (it != m_entries.cend()) {
                UdpChannelDriver *driver = it->driver;
                if (!driver->handleDatagram(bytes)) {
                    ++m_stats.dropped;
                    continue;
                }
                if (it->connection)
                    it->connection->noteDatagramIn(bytes.size());
                touched.add(driver);
                continue;
            }
        }
        if (m_dtls || UdpWire::looksLikeDtls(bytes))
            onDtlsDatagram(bytes, address, port, &touched);
        else
            screen(bytes, address, port);
    }
    // Once per batch: acknowledgements go out, payloads and events are handed over.
    touched.drainAll();
    // Datagrams left over are announced again: each read above re-armed the socket's notifier.
    // (Reading them from a queued call instead would race with a notification already under
    // way, which then finds nothing, and QAbstractSocket leaves its notifier off for good.)
}

bool UdpListener::takeUnverified(const QHostAddress &address)
{
    if (!m_accepting) {
        ++m_stats.dropped;
        return false;
    }
    // Before anything else, even decoding: a source sending faster than any client needs to is
    // dropped unanswered (the bucket table is bounded, see SourceBuckets).
    if (!m_unverified.take(limitKey(address), m_clock.elapsed())) {
        ++m_stats.dropped;
        ++m_stats.throttled;
        emit sourceThrottled(address);
        return false;
    }
    return true;
}

void UdpListener::screen(const QByteArray &datagram, const QHostAddress &address, quint16 port)
{
    if (!takeUnverified(address))
        return;
    const UdpWire::GateVerdict verdict =
        UdpWire::screenUnverified(datagram, address, port, m_secret, m_clock.elapsed(), m_transports);
    switch (verdict.action) {
    case UdpWire::GateVerdict::Action::Drop:
        ++m_stats.dropped;
        if (verdict.decodeError != UdpWire::DecodeError::None)
            qCDebug(lcUdp).noquote() << "dropped a datagram from" << address.toString() << port << ":"
                                     << UdpWire::decodeErrorName(verdict.decodeError);
        return;
    case UdpWire::GateVerdict::Action::Reply:
        // screenUnverified() never answers with more bytes than it was sent.
        Q_ASSERT(verdict.reply.size() <= datagram.size());
        if (verdict.reply.size() == UdpWire::ProbeReplySize)
            ++m_stats.probesAnswered;
        else
            ++m_stats.cookiesSent;
        m_socket->writeDatagram(verdict.reply, address, port);
        ++m_stats.datagramsOut;
        return;
    case UdpWire::GateVerdict::Action::Admit:
        if (m_dtls) { // never minted while DTLS is on: a cookie from before cannot open a plain channel
            ++m_stats.dropped;
            return;
        }
        admit(Key{address, port, verdict.connectionId}, verdict.connectionId, datagram);
        return;
    }
}

bool UdpListener::hasRoomForChannel(const QHostAddress &address, quint16 port)
{
    if (m_entries.size() < m_maxChannels || freeLingeringChannel())
        return true;
    ++m_stats.refusedFull;
    ++m_stats.dropped;
    if (m_lastFullLogAt < 0 || m_clock.elapsed() - m_lastFullLogAt >= FullTableLogIntervalMs) {
        m_lastFullLogAt = m_clock.elapsed();
        qCWarning(lcUdp) << "UDP session table full (" << m_maxChannels << "channels ); refusing"
                         << address.toString() << port;
    }
    return false;
}

// A plain channel gets its own entry (key carries its connection id); a DTLS session's channel
// moves into the session's entry (key with id 0) and writes through the session.
void UdpListener::admit(const Key &key, quint32 connectionId, const QByteArray &datagram, QDtls *dtls)
{
    if (!dtls && !hasRoomForChannel(key.address, key.port))
        return; // a DTLS session was given its place in the table when it was created
    const QHostAddress address = key.address;
    const quint16 port = key.port;
    UdpChannelDriver::DatagramWriter write;
    if (dtls) {
        write = [this, session = QPointer<QDtls>(dtls)](const QByteArray &bytes) {
            if (session && session->writeDatagramEncrypted(m_socket, bytes) >= 0)
                ++m_stats.datagramsOut;
        };
    } else {
        PeerAddress to;
        toSocketAddress(address, port, m_socketFamily, &to.storage, &to.length);
        write = [this, address, port, to](const QByteArray &bytes) {
            if (to.length != 0) {
                queueDatagram(bytes, to);
                return;
            }
            m_socket->writeDatagram(bytes, address, port);
            ++m_stats.datagramsOut;
        };
    }
    auto *driver = new UdpChannelDriver(ReliableChannel::Role::Server, connectionId, std::move(write));
    // Path MTU discovery for plain channels; a DTLS channel stays at the base size, which with
    // the record overhead fits what DTLS sessions read (UdpWire::MaxDtlsDatagramSize).
    if (!dtls)
        driver->setMaxDatagramSize(m_maxDatagramSize);
    auto *connection = new UdpServerConnection(driver, address, port);
    connection->setEncrypted(dtls != nullptr);
    if (dtls) {
        Entry &entry = m_entries[key];
        entry.driver = driver;
        entry.connection = connection;
        --m_pendingHandshakes;
    } else {
        m_entries.insert(key, Entry{driver, connection, nullptr});
    }
    connect(driver, &UdpChannelDriver::discardable, this, [this, key] { discard(key); });
    ++m_stats.admitted;
    qCDebug(lcUdp).noquote() << "admitted" << address.toString() << port << "connection"
                             << QString::number(connectionId, 16) << (dtls ? "(DTLS)" : "");
    driver->handleDatagram(datagram); // the channel answers Accept
    connection->noteDatagramIn(datagram.size());
    driver->drain();
    emit connectionAdmitted(connection);
}

// --- DTLS ----------------------------------------------------------------------------------------

void UdpListener::onDtlsDatagram(const QByteArray &datagram, const QHostAddress &address, quint16 port,
                                 TouchedDrivers *touched)
{
    const Key key{address, port, 0};
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        if (m_dtls)
            screenDtls(datagram, address, port);
        else
            ++m_stats.dropped; // DTLS was turned off: no new sessions
        return;
    }
    QDtls *dtls = it->dtls;
    if (!UdpWire::looksLikeDtls(datagram)) {
        ++m_stats.dropped; // no plain text from a DTLS peer
        return;
    }
    if (!dtls->isConnectionEncrypted()) {
        if (!dtls->doHandshake(m_socket, datagram)) {
            ++m_stats.dtlsFailed;
            qCInfo(lcUdp).noquote() << "DTLS handshake with" << address.toString() << port
                                    << "failed:" << dtls->dtlsErrorString();
            discard(key);
            return;
        }
        if (dtls->isConnectionEncrypted())
            ++m_stats.dtlsHandshakes;
        return;
    }
    const QByteArray plain = dtls->decryptDatagram(m_socket, datagram);
    if (plain.isEmpty()) {
        // A retransmitted handshake flight (answered inside QDtls), a record that does not
        // authenticate, or the peer's close_notify.
        ++m_stats.dropped;
        if (dtls->dtlsError() == QDtlsError::RemoteClosedConnectionError && !it->driver)
            discard(key);
        return;
    }
    if (UdpChannelDriver *driver = it->driver) {
        if (!driver->handleDatagram(plain)) {
            ++m_stats.dropped;
            return;
        }
        if (it->connection)
            it->connection->noteDatagramIn(datagram.size());
        touched->add(driver);
        return;
    }
    screenInsideDtls(key, dtls, plain);
}

void UdpListener::screenDtls(const QByteArray &datagram, const QHostAddress &address, quint16 port)
{
    if (!takeUnverified(address))
        return;
    if (!UdpWire::looksLikeDtls(datagram)) {
        // Plain: a Probe is answered as always, a Hello is told to come back over DTLS.
        const UdpWire::GateVerdict verdict =
            UdpWire::screenUnverified(datagram, address, port, m_secret, m_clock.elapsed(), m_transports);
        if (verdict.action != UdpWire::GateVerdict::Action::Reply) {
            ++m_stats.dropped;
            return;
        }
        QByteArray reply = verdict.reply;
        if (reply.size() == UdpWire::ProbeReplySize) {
            ++m_stats.probesAnswered;
        } else {
            reply = UdpWire::encryptionRequiredReply(UdpWire::peekConnectionId(datagram), m_transports);
            ++m_stats.encryptionDemanded;
        }
        Q_ASSERT(reply.size() <= datagram.size());
        m_socket->writeDatagram(reply, address, port);
        ++m_stats.datagramsOut;
        return;
    }
    // Stateless: a ClientHello without a valid cookie gets at most a HelloVerifyRequest (smaller
    // than the ClientHello), anything else nothing; nothing is kept either way.
    if (!m_verifier->verifyClient(m_socket, datagram, address, port)) {
        ++m_stats.dropped;
        return;
    }
    if (m_pendingHandshakes >= MaxPendingHandshakes) {
        ++m_stats.dropped;
        qCDebug(lcUdp).noquote() << "too many DTLS handshakes under way; dropping" << address.toString() << port;
        return;
    }
    if (!hasRoomForChannel(address, port))
        return;
    auto *dtls = new QDtls(QSslSocket::SslServerMode, this);
    dtls->setDtlsConfiguration(m_dtlsConfiguration);
    dtls->setPeer(address, port);
    dtls->setMtuHint(UdpWire::DtlsMtuHint);
    connect(dtls, &QDtls::handshakeTimeout, this, [this, dtls] { dtls->handleTimeout(m_socket); });
    if (!dtls->doHandshake(m_socket, datagram)) {
        ++m_stats.dtlsFailed;
        qCInfo(lcUdp).noquote() << "cannot start DTLS with" << address.toString() << port << ":" << dtls->dtlsErrorString();
        delete dtls;
        return;
    }
    const Key key{address, port, 0};
    m_entries.insert(key, Entry{nullptr, nullptr, dtls});
    ++m_pendingHandshakes;
    // The place is only lent: a session without a channel after this long is dropped.
    QTimer::singleShot(DtlsSetUpTimeoutMs, dtls, [this, key, dtls] {
        const auto it = m_entries.constFind(key);
        if (it == m_entries.cend() || it->dtls != dtls || it->driver)
            return;
        ++m_stats.dtlsFailed;
        qCDebug(lcUdp).noquote() << "dropped a DTLS session from" << key.address.toString() << key.port
                                 << "that did not set up a channel in time";
        discard(key);
    });
}

// The channel's own stateless handshake, inside an established DTLS session: its cookie is
// redundant after DTLS's, but keeps one handshake for every client.
void UdpListener::screenInsideDtls(const Key &key, QDtls *dtls, const QByteArray &plain)
{
    const UdpWire::GateVerdict verdict =
        UdpWire::screenUnverified(plain, key.address, key.port, m_secret, m_clock.elapsed(), m_transports);
    switch (verdict.action) {
    case UdpWire::GateVerdict::Action::Drop:
        ++m_stats.dropped;
        return;
    case UdpWire::GateVerdict::Action::Reply:
        if (verdict.reply.size() == UdpWire::ProbeReplySize)
            ++m_stats.probesAnswered;
        else
            ++m_stats.cookiesSent;
        if (dtls->writeDatagramEncrypted(m_socket, verdict.reply) >= 0)
            ++m_stats.datagramsOut;
        return;
    case UdpWire::GateVerdict::Action::Admit:
        admit(key, verdict.connectionId, plain, dtls);
        return;
    }
}

bool UdpListener::freeLingeringChannel()
{
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it) {
        if (!it->driver)
            continue; // a DTLS session setting up: bounded by MaxPendingHandshakes and its time
        const ReliableChannel::State state = it->driver->state();
        if (state == ReliableChannel::State::Closed || state == ReliableChannel::State::Dead
            || state == ReliableChannel::State::Failed) {
            const Key key = it.key(); // discard() erases the entry holding it
            discard(key);
            return true;
        }
    }
    return false;
}

void UdpListener::discard(const Key &key)
{
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return;
    UdpChannelDriver *driver = it->driver;
    QDtls *dtls = it->dtls;
    m_entries.erase(it);
    if (driver) {
        driver->disconnect(this);
        driver->deleteLater(); // may be in the middle of emitting
    } else if (dtls) {
        --m_pendingHandshakes;
    }
    if (dtls) {
        dtls->disconnect(this);
        dtls->deleteLater(); // after the driver, which writes through it
    }
}

void UdpListener::queueDatagram(const QByteArray &datagram, const PeerAddress &to)
{
    m_pending.push_back(PendingDatagram{datagram, to});
    if (int(m_pending.size()) >= SendBatch) {
        sendPending();
        return;
    }
    if (!m_sendQueued) {
        m_sendQueued = true;
        QMetaObject::invokeMethod(this, [this] {
            m_sendQueued = false;
            sendPending();
        }, Qt::QueuedConnection);
    }
}

void UdpListener::sendPending()
{
    const int fd = int(m_socket->socketDescriptor());
    const size_t total = m_pending.size();
    m_stats.datagramsOut += total;
    size_t at = 0;
    while (fd >= 0 && at < total) {
        mmsghdr messages[SendBatch];
        iovec buffers[SendBatch];
        const int count = int(qMin<size_t>(total - at, SendBatch));
        for (int i = 0; i < count; ++i) {
            PendingDatagram &pending = m_pending[at + size_t(i)];
            buffers[i].iov_base = const_cast<char *>(pending.bytes.constData());
            buffers[i].iov_len = size_t(pending.bytes.size());
            messages[i] = {};
            messages[i].msg_hdr.msg_name = &pending.to.storage;
            messages[i].msg_hdr.msg_namelen = pending.to.length;
            messages[i].msg_hdr.msg_iov = &buffers[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        const int sent = ::sendmmsg(fd, messages, unsigned(count), MSG_DONTWAIT);
        if (sent > 0) {
            at += size_t(sent);
        } else if (sent < 0 && errno == EINTR) {
            continue;
        } else {
            // The first datagram could not be sent (a full buffer, an unreachable peer): it is
            // lost, as any datagram may be, and its channel resends it. Go on with the rest.
            ++at;
        }
    }
    m_pending.clear(); // keeps the capacity for the next pass
}

} // namespace Confab
