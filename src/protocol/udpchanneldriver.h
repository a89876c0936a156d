// Runs one ReliableChannel (a socket-free state machine) on the Qt event loop: a monotonic clock,
// one single-shot timer armed for the channel's next deadline, and a backlog for payloads the
// channel's bounded send queue cannot take yet. The owner supplies how datagrams leave (a
// QUdpSocket write to the peer) and feeds in the datagrams that arrive:
//
//     for each datagram read from the socket: driver.handleDatagram(bytes);
//     driver.drain();   // once per batch: writes acks, emits payloadReceived / eventOccurred
//
// Used by both ends: the client's UdpConnection owns one; the server's UdpListener owns one per
// admitted peer (it outlives the Connection object so that a closed channel can linger, see
// ReliableChannel::LingerMs). Never blocks, never sleeps.
//
// send() only queues the payload in the channel: every driver of a thread that was given payloads
// is flushed once control is back in the event loop (one queued call per pass, as
// NativeTcpConnection does for TCP), so that the payloads of one pass (a server fanning out many
// room messages) leave together, several to a datagram when the peer agreed to bundles. A lone
// payload leaves in the same event-loop pass, as before.
#pragma once

#include "passflushqueue.h"

#include "reliablechannel.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcUdp)

class UdpChannelDriver : public QObject
{
    Q_OBJECT
public:
    using DatagramWriter = std::function<void(const QByteArray &datagram)>;

    enum class SendResult {
        Accepted,  // queued in the channel, or in the backlog until the channel has room
        Refused,   // the channel is not open (or closing), or the payload is empty or too large
        Overflow,  // the peer has left more than BacklogLimitBytes unacknowledged: drop it
    };

    // Payload bytes that may wait in the backlog (beyond the channel's own queue and window), the
    // same bound a TCP peer gets for unread data (Limits::MaxOutboundBuffer).
    static constexpr qsizetype BacklogLimitBytes = Limits::MaxOutboundBuffer;

    UdpChannelDriver(ReliableChannel::Role role, quint32 connectionId, DatagramWriter writer,
                     QObject *parent = nullptr);
    ~UdpChannelDriver() override;

    const ReliableChannel &channel() const { return m_channel; }
    ReliableChannel::State state() const { return m_channel.state(); }
    quint32 connectionId() const { return m_channel.connectionId(); }
    // The channel's clock: milliseconds since this driver was made.
    qint64 now() const { return m_clock.elapsed(); }

    // Client role: sends Hello.
    void connectToPeer();

    // See ReliableChannel::setPeerTimeouts(); re-arms the timer.
    void setPeerTimeouts(qint64 keepaliveIntervalMs, qint64 deadPeerTimeoutMs);
    // See ReliableChannel::setDelayedAck().
    void setDelayedAck(qint64 delayMs, int everyDatagrams);
    // See ReliableChannel::setMaxDatagramSize(): before the handshake, for a socket that reads it.
    void setMaxDatagramSize(int bytes) { m_channel.setMaxDatagramSize(bytes); }

    // Feeds one datagram from the peer. Emits nothing: call drain() after the batch. Returns
    // whether the channel accepted it (false: dropped, nothing changed).
    bool handleDatagram(const QByteArray &datagram);
    // Sends what the channel produced (acknowledgements included), then emits payloadReceived()
    // for every payload delivered and eventOccurred() for every event, and re-arms the timer.
    // Call it only from the top of an event handler: the slots it reaches may do anything.
    void drain();

    // Never emits (so it is safe from inside any slot, e.g. while the server fans out a message).
    // The payload leaves when the thread's drivers are flushed (see above), or with drain().
    SendResult send(const QByteArray &payload);
    // Flushes every driver of this thread that has payloads waiting (normally done by the event
    // loop; for callers that need the datagrams written now).
    static void flushAll();
    qsizetype backlogBytes() const { return m_backlogBytes; }

    // Sends the backlog, then Close; eventOccurred(Closed) follows once the peer confirmed it.
    void close();
    // For an owner that stops listening at once: drops the backlog and starts closing without
    // waiting for it. The channel keeps answering its peer until it may be discarded.
    void abandon();

    // Emitted once the channel is finished and its linger time is over: the owner may delete it.
    bool isDiscardable() const;

signals:
    void payloadReceived(const QByteArray &payload);
    void eventOccurred(Confab::ReliableChannel::Event event);
    void discardable();

private:
    using FlushQueue = PassFlushQueue<UdpChannelDriver>;
    friend FlushQueue;
    void flushFromQueue();

    void queueForFlush();
    void flushOutput();
    void pushBacklog();
    void schedule();
    void onTimer();
    void queueDrain();

    ReliableChannel m_channel;
    DatagramWriter m_writer;
    QElapsedTimer m_clock;
    QTimer m_timer;
    qint64 m_timerDueAt = -1; // the channel time m_timer was armed for
    std::deque<QByteArray> m_backlog;
    qsizetype m_backlogBytes = 0;
    bool m_closeRequested = false;
    bool m_closeIssued = false;
    bool m_draining = false;
    bool m_drainAgain = false;
    bool m_drainQueued = false;
    bool m_discardReported = false;
    bool m_flushQueued = false; // on the thread's flush list
    FlushQueue *m_flushQueue;
};

} // namespace Confab
