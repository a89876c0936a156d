#include "udplistener.h"

#include "udpsocketoptions.h"

#include <QNetworkDatagram>
#include <QSet>
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
    for (const Entry &entry : std::as_const(m_entries))
        delete entry.driver;
    m_entries.clear();
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
    QList<QPointer<UdpChannelDriver>> touched;
    QSet<UdpChannelDriver *> seen;
    for (int read = 0; read < MaxDatagramsPerRead && m_socket->hasPendingDatagrams(); ++read) {
        // One byte more than any Confab datagram, so an oversized one is seen (and dropped) as such.
        const QNetworkDatagram datagram = m_socket->receiveDatagram(m_maxDatagramSize + 1);
        if (!datagram.isValid())
            break;
        ++m_stats.datagramsIn;
        const QByteArray bytes = datagram.data();
        const QHostAddress address = datagram.senderAddress();
        const quint16 port = quint16(datagram.senderPort());
        const quint32 id = UdpWire::peekConnectionId(bytes);
        if (id != 0) {
            const auto it = m_entries.constFind(Key{address, port, id});
            if (it != m_entries.cend()) {
                UdpChannelDriver *driver = it->driver;
                if (!driver->handleDatagram(bytes)) {
                    ++m_stats.dropped;
                    continue;
                }
                if (it->connection)
                    it->connection->noteDatagramIn(bytes.size());
                if (!seen.contains(driver)) {
                    seen.insert(driver);
                    touched.append(driver);
                }
                continue;
            }
        }
        screen(bytes, address, port);
    }
    // Once per batch: acknowledgements go out, payloads and events are handed over.
    for (const QPointer<UdpChannelDriver> &driver : std::as_const(touched)) {
        if (driver)
            driver->drain();
    }
    // Datagrams left over are announced again: each read above re-armed the socket's notifier.
    // (Reading them from a queued call instead would race with a notification already under
    // way, which then finds nothing, and QAbstractSocket leaves its notifier off for good.)
}

void UdpListener::screen(const QByteArray &datagram, const QHostAddress &address, quint16 port)
{
    if (!m_accepting) {
        ++m_stats.dropped;
        return;
    }
    // Before anything else, even decoding: a source sending faster than any client needs to is
    // dropped unanswered (the bucket table is bounded, see SourceBuckets).
    if (!m_unverified.take(limitKey(address), m_clock.elapsed())) {
        ++m_stats.dropped;
        ++m_stats.throttled;
        emit sourceThrottled(address);
        return;
    }
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
        admit(Key{address, port, verdict.connectionId}, datagram);
        return;
    }
}

void UdpListener::admit(const Key &key, const QByteArray &datagram)
{
    if (m_entries.size() >= m_maxChannels && !freeLingeringChannel()) {
        ++m_stats.refusedFull;
        ++m_stats.dropped;
        if (m_lastFullLogAt < 0 || m_clock.elapsed() - m_lastFullLogAt >= FullTableLogIntervalMs) {
            m_lastFullLogAt = m_clock.elapsed();
            qCWarning(lcUdp) << "UDP session table full (" << m_maxChannels << "channels ); refusing"
                             << key.address.toString() << key.port;
        }
        return;
    }
    const QHostAddress address = key.address;
    const quint16 port = key.port;
    PeerAddress to;
    toSocketAddress(address, port, m_socketFamily, &to.storage, &to.length);
    auto *driver = new UdpChannelDriver(
        ReliableChannel::Role::Server, key.connectionId,
        [this, address, port, to](const QByteArray &bytes) {
            if (to.length != 0) {
                queueDatagram(bytes, to);
                return;
            }
            m_socket->writeDatagram(bytes, address, port);
            ++m_stats.datagramsOut;
        });
    driver->setMaxDatagramSize(m_maxDatagramSize);
    auto *connection = new UdpServerConnection(driver, address, port);
    m_entries.insert(key, Entry{driver, connection});
    connect(driver, &UdpChannelDriver::discardable, this, [this, key] { discard(key); });
    ++m_stats.admitted;
    qCDebug(lcUdp).noquote() << "admitted" << address.toString() << port << "connection"
                             << QString::number(key.connectionId, 16);
    driver->handleDatagram(datagram); // the channel answers Accept
    connection->noteDatagramIn(datagram.size());
    driver->drain();
    emit connectionAdmitted(connection);
}

bool UdpListener::freeLingeringChannel()
{
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it) {
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
    m_entries.erase(it);
    driver->disconnect(this);
    driver->deleteLater(); // may be in the middle of emitting
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
