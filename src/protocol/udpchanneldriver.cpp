#include "udpchanneldriver.h"

#include <QPointer>

#include <algorithm>
#include <vector>

namespace Confab {

Q_LOGGING_CATEGORY(lcUdp, "confab.udp")

UdpChannelDriver::UdpChannelDriver(ReliableChannel::Role role, quint32 connectionId, DatagramWriter writer,
                                   QObject *parent)
    : QObject(parent)
    , m_channel(role, connectionId)
    , m_writer(std::move(writer))
    , m_flushQueue(FlushQueue::acquire())
{
    m_clock.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &UdpChannelDriver::onTimer);
}

UdpChannelDriver::~UdpChannelDriver()
{
    if (m_flushQueued)
        m_flushQueue->remove(this);
    m_flushQueue->release();
}

void UdpChannelDriver::flushAll()
{
    if (FlushQueue *queue = FlushQueue::current())
        queue->flush();
}

void UdpChannelDriver::flushFromQueue()
{
    m_flushQueued = false;
    flushOutput(); // emits nothing, so no driver of the batch can vanish meanwhile
}

void UdpChannelDriver::queueForFlush()
{
    if (m_flushQueued)
        return;
    m_flushQueued = true;
    m_flushQueue->add(this);
}

void UdpChannelDriver::connectToPeer()
{
    m_channel.connectToPeer(now());
    flushOutput();
}

void UdpChannelDriver::setPeerTimeouts(qint64 keepaliveIntervalMs, qint64 deadPeerTimeoutMs)
{
    m_channel.setPeerTimeouts(keepaliveIntervalMs, deadPeerTimeoutMs);
    schedule();
}

void UdpChannelDriver::setDelayedAck(qint64 delayMs, int everyDatagrams)
{
    m_channel.setDelayedAck(delayMs, everyDatagrams);
}

bool UdpChannelDriver::handleDatagram(const QByteArray &datagram)
{
    return m_channel.handleDatagram(datagram, now());
}

UdpChannelDriver::SendResult UdpChannelDriver::send(const QByteArray &payload)
{
    if (m_closeRequested)
        return SendResult::Refused;
    if (m_backlog.empty()) {
        switch (m_channel.enqueue(payload)) {
        case ReliableChannel::SendResult::Queued:
            queueForFlush();
            return SendResult::Accepted;
        case ReliableChannel::SendResult::QueueFull:
            break; // wait in the backlog, behind nothing
        case ReliableChannel::SendResult::Empty:
        case ReliableChannel::SendResult::TooLarge:
        case ReliableChannel::SendResult::NotOpen:
            return SendResult::Refused;
        }
    } else if (payload.isEmpty() || payload.size() > qsizetype(Limits::MaxFramePayload)) {
        return SendResult::Refused;
    }
    if (m_backlogBytes + payload.size() > BacklogLimitBytes)
        return SendResult::Overflow;
    m_backlog.push_back(payload);
    m_backlogBytes += payload.size();
    return SendResult::Accepted;
}

void UdpChannelDriver::close()
{
    if (m_closeRequested)
        return;
    m_closeRequested = true;
    flushOutput();  // closes now if the backlog is empty
    queueDrain();   // close() may finish the channel at once (before the handshake): report it
}

void UdpChannelDriver::abandon()
{
    m_backlog.clear();
    m_backlogBytes = 0;
    m_closeRequested = true;
    if (!m_closeIssued) {
        m_closeIssued = true;
        m_channel.close(now());
    }
    flushOutput();
    queueDrain();
}

bool UdpChannelDriver::isDiscardable() const
{
    const qint64 at = m_channel.discardableAt();
    return at >= 0 && now() >= at;
}

void UdpChannelDriver::pushBacklog()
{
    while (!m_backlog.empty()) {
        const ReliableChannel::SendResult result = m_channel.enqueue(m_backlog.front());
        if (result == ReliableChannel::SendResult::QueueFull)
            return;
        if (result != ReliableChannel::SendResult::Queued) {
            // The channel ended under the backlog: nothing of it can be delivered any more.
            m_backlog.clear();
            m_backlogBytes = 0;
            break;
        }
        m_backlogBytes -= m_backlog.front().size();
        m_backlog.pop_front();
    }
    if (m_closeRequested && !m_closeIssued) {
        m_closeIssued = true;
        m_channel.close(now());
    }
}

void UdpChannelDriver::flushOutput()
{
    pushBacklog();
    m_channel.flush(now());
    const QList<QByteArray> datagrams = m_channel.takeDatagrams();
    for (const QByteArray &datagram : datagrams)
        m_writer(datagram);
    schedule();
}

void UdpChannelDriver::drain()
{
    if (m_draining) {
        m_drainAgain = true;
        return;
    }
    m_draining = true;
    const QPointer<UdpChannelDriver> alive(this);
    do {
        m_drainAgain = false;
        // Payloads before events, so PeerClosed comes after the last payload the peer sent.
        const QList<QByteArray> payloads = m_channel.takePayloads();
        for (const QByteArray &payload : payloads) {
            emit payloadReceived(payload);
            if (!alive)
                return;
        }
        const QList<ReliableChannel::Event> events = m_channel.takeEvents();
        for (ReliableChannel::Event event : events) {
            emit eventOccurred(event);
            if (!alive)
                return;
        }
        // Last, so that replies sent by those slots carry our acknowledgements; what is still
        // owed goes out as Ack datagrams, once per batch.
        flushOutput();
    } while (m_drainAgain);
    m_draining = false;
}

void UdpChannelDriver::queueDrain()
{
    if (m_drainQueued)
        return;
    m_drainQueued = true;
    QMetaObject::invokeMethod(this, [this] {
        m_drainQueued = false;
        drain();
    }, Qt::QueuedConnection);
}

void UdpChannelDriver::schedule()
{
    const qint64 current = now();
    qint64 at = m_channel.nextTimeoutAt();
    if (at < 0) {
        at = m_channel.discardableAt();
        if (at < 0 || m_discardReported) {
            m_timer.stop();
            return;
        }
    }
    // Re-arming costs more than an early wake-up (the event dispatcher keeps its timers in a sorted
    // list, and the deadline moves with nearly every datagram under load): a timer already due no
    // later than `at` is left alone; when it fires, onTimer() finds nothing due and re-arms.
    if (m_timer.isActive() && m_timerDueAt <= at)
        return;
    const qint64 wait = qMax<qint64>(0, at - current);
    // Short waits (retransmissions) need a precise timer; keepalive and linger do not.
    m_timer.setTimerType(wait < 2000 ? Qt::PreciseTimer : Qt::CoarseTimer);
    m_timer.start(int(qMin<qint64>(wait, 24 * 3600 * 1000)));
    m_timerDueAt = at;
}

void UdpChannelDriver::onTimer()
{
    m_channel.onTimer(now());
    if (!m_discardReported && m_channel.nextTimeoutAt() < 0 && isDiscardable()) {
        m_discardReported = true;
        const QPointer<UdpChannelDriver> alive(this);
        drain(); // report how it ended before saying it may go
        if (!alive)
            return;
        m_timer.stop();
        emit discardable();
        return;
    }
    drain();
}

} // namespace Confab
