#include "udplistener.h"

#include <QNetworkDatagram>
#include <QSet>
#include <QUdpSocket>

namespace Confab {

namespace {
constexpr qint64 FullTableLogIntervalMs = 10 * 1000; // log a full table at most this often
}

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
        const QNetworkDatagram datagram = m_socket->receiveDatagram(UdpWire::MaxDatagramSize + 1);
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
    auto *driver = new UdpChannelDriver(
        ReliableChannel::Role::Server, key.connectionId,
        [this, address, port](const QByteArray &bytes) {
            m_socket->writeDatagram(bytes, address, port);
            ++m_stats.datagramsOut;
        });
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

} // namespace Confab
