// One reliable, ordered, message-preserving channel over an unreliable datagram link: the state
// machine only. It owns no socket and no timer and never reads a clock: every call that depends
// on time takes `now` (milliseconds of any monotonic clock, the same clock on every call). A
// QUdpSocket adapter (or a test's simulated link) feeds it datagrams and timer ticks and drains
// what it produces:
//
//     channel.handleDatagram(bytes, now);          // for each datagram from the peer
//     channel.onTimer(now);                        // whenever now >= channel.nextTimeoutAt()
//     channel.send(payload, now);                  // whenever the application has a payload
//     channel.enqueue(payload); channel.flush(now); // or: queue several, then send them at once
//     for (const QByteArray &d : channel.takeDatagrams()) socket.writeDatagram(d, peer);
//     for (const QByteArray &p : channel.takePayloads()) deliver(p);
//     for (ReliableChannel::Event e : channel.takeEvents()) report(e);
//
// Drain takeDatagrams() after each batch of calls: acknowledgements are produced there, once
// per batch, unless an outgoing datagram already carried them. Take payloads before events, so
// that PeerClosed comes after the last payload the peer sent.
//
// The wire format is in udpwire.h; the behaviour (window, RTO, keepalive, dead-peer timing,
// close) is specified in docs/PROTOCOL-UDP.md. A Server channel must only be created for a
// HelloWithCookie that UdpWire::screenUnverified() admitted: the channel trusts that check.
#pragma once

#include "pathmtusearch.h"
#include "udpwire.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <array>
#include <deque>
#include <map>

namespace Confab {

class ReliableChannel
{
public:
    enum class Role { Client, Server };
    enum class State {
        Idle,       // Client: connectToPeer() not called yet. Server: waiting for HelloWithCookie.
        Connecting, // Client: Hello / HelloWithCookie sent, waiting for Accept.
        Connected,
        Closing,    // close() called: sending what is queued, then Close; waiting for its ack.
        Closed,     // finished: our Close acknowledged, or the peer's Close delivered (lingers).
        Dead,       // the peer owed us an answer for DeadPeerTimeoutMs and gave none.
        Failed,     // the peer broke the protocol (e.g. inconsistent fragments); see errorString().
    };
    enum class Event {
        Connected,     // the handshake completed
        PeerClosed,    // the peer's Close was delivered, after every payload sent before it
        Closed,        // our Close was acknowledged (see closeConfirmed()), or close() came
                       // before the handshake finished
        Dead,          // the peer stopped answering
        ProtocolError, // the peer broke the protocol; the channel is Failed
    };
    enum class SendResult {
        Queued,
        Empty,     // payloads are 1..Limits::MaxFramePayload bytes
        TooLarge,
        QueueFull, // back-pressure: the send queue is at its bound, try again after some is sent
        NotOpen,   // Idle, Closing, Closed, Dead or Failed
    };

    // --- Policy constants (docs/PROTOCOL-UDP.md §8-§11) ---------------------------------------
    // RFC 6298 retransmission timeout. MinRto follows Linux rather than RFC 6298's 1 s; MaxRto is
    // far below RFC 6298's 60 s because dead-peer detection is by time (below), so a long backoff
    // would only delay recovery after a short outage.
    static constexpr qint64 InitialRtoMs = 1000;
    static constexpr qint64 MinRtoMs = 200;
    static constexpr qint64 MaxRtoMs = 2000;
    static constexpr double ClockGranularityMs = 1.0;
    // Loss detection without waiting for the timer (see detectLosses()): a datagram is presumed
    // lost when one sent this many transmissions after it has been acknowledged...
    static constexpr int FastRetransmitThreshold = 3;
    // ...or when a higher one was acknowledged and it was sent this many RTTs ago.
    static constexpr double LossTimeThreshold = 9.0 / 8.0;
    // A duplicate is answered with this many acknowledgements (its first answer was lost).
    static constexpr int DuplicateAckCopies = 2;
    // Send a Ping after this long without hearing from the peer with nothing awaiting an ack.
    static constexpr qint64 KeepaliveIntervalMs = 15000;
    // Report Dead when the peer has not been heard from for this long while it owed us an answer:
    // counted from the later of the last datagram heard and the moment something was sent with
    // nothing else awaiting acknowledgement. So a busy channel is declared dead 30 s after the
    // last datagram heard, an idle one 45 s after (the Ping goes out at 15 s), and a connecting
    // client 30 s after connectToPeer().
    static constexpr qint64 DeadPeerTimeoutMs = 30000;
    // A Closed channel keeps answering a peer that missed its last word (the CloseAck, or the
    // acknowledgement of the peer's data) this long; the peer gives up on its own after
    // DeadPeerTimeoutMs of silence, so nothing it retransmits goes unanswered.
    static constexpr qint64 LingerMs = DeadPeerTimeoutMs;
    // A client drops a cookie this old and starts again with Hello.
    static constexpr qint64 CookieRefreshMs = UdpWire::CookieLifetimeSecs * 1000 / 2;

    // Sent but not yet acknowledged: at most WindowDatagrams sequence numbers beyond the oldest
    // unacknowledged one, and at most SendWindowBytes wire bytes not acknowledged in any way.
    static constexpr int SendWindowDatagrams = UdpWire::WindowDatagrams;
    static constexpr qsizetype SendWindowBytes = 64 * 1024;
    // Accepted by send() but not yet sent once; send() answers QueueFull beyond this.
    static constexpr int MaxQueuedDatagrams = 256;
    static constexpr qsizetype MaxQueuedBytes = 256 * 1024;
    // Out-of-order datagrams (at most WindowDatagrams - 1 of them) plus the payload being
    // reassembled: the most a channel ever holds for data from its peer.
    static constexpr qsizetype MaxReassemblyBytes =
        qsizetype(UdpWire::WindowDatagrams) * UdpWire::MaxFragmentPayload + Limits::MaxFramePayload;

    // connectionId: non-zero; a client picks one with randomConnectionId(), a server uses the one
    // the gate admitted.
    ReliableChannel(Role role, quint32 connectionId);
    ReliableChannel(const ReliableChannel &) = delete;
    ReliableChannel &operator=(const ReliableChannel &) = delete;

    static quint32 randomConnectionId();

    // This channel's keepalive interval and dead-peer timeout (KeepaliveIntervalMs and
    // DeadPeerTimeoutMs unless set; a Closed channel lingers for the dead-peer timeout). A direct
    // chat between two peers may choose its own, and tests shorten them to see a lost peer
    // reported without waiting half a minute. Takes effect from the next call that takes `now`.
    void setPeerTimeouts(qint64 keepaliveIntervalMs, qint64 deadPeerTimeoutMs);
    qint64 keepaliveIntervalMs() const { return m_keepaliveIntervalMs; }
    qint64 deadPeerTimeoutMs() const { return m_deadPeerTimeoutMs; }

    // Delayed acknowledgement (docs/PROTOCOL-UDP.md §6), off unless set: an acknowledgement owed
    // only for in-order Data waits until `everyDatagrams` such datagrams are owed one or `delayMs`
    // has passed (onTimer() sends it), whichever comes first, unless a datagram of ours carries it
    // sooner. Duplicates, out-of-order or gap-filling arrivals, Ping and Close are still answered
    // in the same batch. A receiver of many small payloads then sends one Ack per few datagrams
    // instead of one per read batch. delayMs <= 0 turns it off.
    void setDelayedAck(qint64 delayMs, int everyDatagrams);
    static constexpr qint64 DefaultAckDelayMs = 10;
    static constexpr int DefaultAckEveryDatagrams = 8;
    // Also acknowledged at once: in-order payload bytes owed an acknowledgement reaching half the
    // sender's byte window, so that a few large datagrams (path MTU discovery) do not fill the
    // window and then wait for the delay.
    static constexpr qsizetype AckEveryBytes = SendWindowBytes / 2;

    // Large datagrams (docs/PROTOCOL-UDP.md §2.1). The largest datagram this end reads, which it
    // advertises in the handshake with FeatureLargeDatagrams, and the most it will ever send:
    // UdpWire::BaseDatagramSize unless set (the feature is then not offered). Set before the
    // handshake, only by an owner whose socket reads that much and sets the don't-fragment bit
    // without letting the kernel fragment (udpsocketoptions.h). Clamped to
    // BaseDatagramSize..LargestDatagramSize. Datagrams above it are dropped and counted
    // (oversizedDropped()).
    void setMaxDatagramSize(int bytes);
    int maxDatagramSize() const { return m_maxDatagramSize; }
    // What the peer advertised (BaseDatagramSize if it did not, or large datagrams were not agreed).
    int peerMaxDatagramSize() const { return m_peerMaxDatagramSize; }
    // The largest datagram this channel sends now: the base size, raised by acknowledged
    // SizeProbes up to the smaller of the two advertised sizes, back to the base on a black hole.
    int datagramSize() const { return m_pmtu.datagramSize(); }
    const PathMtuSearch &pathMtu() const { return m_pmtu; }
    quint64 oversizedDropped() const { return m_oversizedDropped; }

    // Channel features (UdpWire::Feature*) this end offers; UdpWire::SupportedFeatures unless set.
    // A client offers them in HelloWithCookie, a server agrees to those it offers too in Accept
    // (docs/PROTOCOL-UDP.md §3.1). Set before the handshake; 0 behaves as a peer older than
    // features (tests use it to stand in for one).
    // FeatureLargeDatagrams is offered only with setMaxDatagramSize() above the base size.
    void setOfferedFeatures(quint16 features) { m_offeredFeatures = features; }
    quint16 offeredFeatures() const;
    // The features both ends agreed on in the handshake (0 until then, and if the Accept was lost).
    quint16 agreedFeatures() const { return m_agreedFeatures; }

    Role role() const { return m_role; }
    State state() const { return m_state; }
    quint32 connectionId() const { return m_connectionId; }
    QString errorString() const { return m_errorString; }

    // Client only: starts the handshake (sends Hello).
    void connectToPeer(qint64 now);

    // Payloads may be queued while connecting; they go out once connected. send() is enqueue()
    // then flush(): the payload leaves at once if the window has room.
    SendResult send(const QByteArray &payload, qint64 now);
    // Queues a payload without sending anything yet. A small payload joins the datagram queued
    // last if that is not sent yet and has room (a Bundle, if the peer agreed to them), so several
    // queued in one pass, or behind a full window, share a datagram.
    SendResult enqueue(const QByteArray &payload);
    // Sends what is queued, as far as the window allows; nothing waits for more to come.
    void flush(qint64 now);

    // Returns false when the datagram was dropped (malformed, another connection's, or not valid
    // in this state); a dropped datagram changes nothing.
    bool handleDatagram(const QByteArray &datagram, qint64 now);

    void onTimer(qint64 now);
    // The earliest time onTimer() has something to do, or -1 for never (until another call).
    qint64 nextTimeoutAt() const;

    // Sends what is queued, then Close; Closed follows the peer's CloseAck. Payloads from the peer
    // keep being delivered until then.
    void close(qint64 now);

    // Once finished (Closed, Dead, Failed): the time from which the owner may destroy the channel
    // (a Closed channel lingers, see LingerMs). -1 while the channel is live.
    qint64 discardableAt() const { return m_discardableAt; }
    // After Closed following close(): whether the peer acknowledged our Close in order, i.e.
    // received everything we sent. False only when both sides closed at once and the peer
    // finished first.
    bool closeConfirmed() const { return m_closeConfirmed; }

    QList<QByteArray> takeDatagrams();
    QList<QByteArray> takePayloads();
    QList<Event> takeEvents();

    // --- Introspection (statistics and tests) -------------------------------------------------
    int datagramsInFlight() const { return int(m_sndNxt - m_sndUna); }
    qsizetype bytesInFlight() const { return m_bytesInFlight; }
    int queuedDatagrams() const { return m_queuedDatagrams; }
    qsizetype queuedBytes() const { return m_queuedBytes; }
    // Payload bytes held for sending: queued plus sent and not yet acknowledged.
    qsizetype sendBufferBytes() const { return m_sendBufferBytes; }
    // Bytes held for receiving: out-of-order fragments plus the partly reassembled payload.
    qsizetype reassemblyBytes() const { return m_rcvBufferedBytes + m_partial.size(); }
    double smoothedRttMs() const { return m_srtt; }   // 0 until the first sample
    double rttVarianceMs() const { return m_rttvar; }
    qint64 retransmissionTimeoutMs() const { return m_rto; }
    bool hasRttSample() const { return m_hasRttSample; }
    quint64 retransmissions() const { return m_retransmissions; }
    quint64 bundlesSent() const { return m_bundlesSent; } // first transmissions only
    qint64 lastHeardAt() const { return m_lastHeard; }

private:
    enum class HandshakeStage { None, HelloSent, CookieEchoed };

    struct Outgoing {
        QByteArray fragment; // dropped once selectively acknowledged
        QList<QByteArray> payloads; // Bundle; dropped once selectively acknowledged
        qsizetype payloadBytes = 0; // in fragment or payloads (0 once dropped)
        UdpWire::Kind kind = UdpWire::Kind::Data;
        quint8 fragmentIndex = 0;
        quint8 fragmentCount = 0;
        int wireSize = 0;
        int sentSize = 0; // the largest datagram of its latest transmission (smaller if cut in parts)
        int largeLosses = 0; // transmissions larger than the base size that were lost
        int transmissions = 0;
        qint64 lastSentAt = -1;
        quint64 txOrder = 0; // order of the latest transmission among all of ours
        bool sacked = false;
    };
    struct Incoming {
        bool present = false;
        UdpWire::Kind kind = UdpWire::Kind::Data;
        quint8 fragmentIndex = 0;
        quint8 fragmentCount = 0;
        QByteArray fragment;
        QList<QByteArray> payloads; // Bundle
        qsizetype payloadBytes() const;
    };
    // The BundleParts received of a bundle not complete yet (rare: only after a black hole), kept
    // beside the receive window rather than in every slot of it.
    struct PartialBundle {
        quint32 partsSeen = 0;
        quint8 partCount = 0;
        QList<QList<QByteArray>> parts;
    };

    void emitEvent(Event event) { m_events.append(event); }
    void becomeConnected(qint64 now);
    void fail(const QString &reason, qint64 now);
    void finish(State state, qint64 now, qint64 lingerMs);
    void releaseBuffers();

    void sendHandshake(qint64 now);
    void queueControl(UdpWire::Kind kind, qint64 now);
    void pump(qint64 now);
    bool addToQueuedBundle(const QByteArray &payload);
    void transmit(Outgoing &out, quint32 seq, qint64 now);
    void transmitParts(const Outgoing &out, UdpWire::Datagram &header);
    void noteDelivered(const Outgoing &out, qint64 now);
    void startPathMtu(qint64 now);
    void maybeProbe(qint64 now);
    bool handleSizeProbe(const UdpWire::Datagram &d, qint64 now);
    bool storePart(Incoming &slot, UdpWire::Datagram &d, qint64 now);
    void dropPartial(quint32 seq);
    void emitDatagram(const UdpWire::Datagram &datagram);
    void emitAccept();
    void emitAckCarrier(UdpWire::Kind kind, quint32 seq);
    void noteAckSent();
    quint64 sackBits() const;

    bool handleEstablished(UdpWire::Datagram &d, qint64 now);
    bool acceptAck(const UdpWire::Datagram &d) const;
    void processAck(const UdpWire::Datagram &d, qint64 now);
    void detectLosses(qint64 now);
    void receiveSequenced(UdpWire::Datagram &d, qint64 now);
    void deliverInOrder(Incoming &in, qint64 now);
    void onRetransmissionTimeout(qint64 now);
    void takeRttSample(qint64 sampleMs);
    bool awaitingPeer() const;

    Role m_role;
    State m_state = State::Idle;
    quint32 m_connectionId;
    QString m_errorString;

    quint16 m_offeredFeatures = UdpWire::SupportedFeatures;
    quint16 m_agreedFeatures = 0;
    int m_maxDatagramSize = UdpWire::BaseDatagramSize;
    int m_peerMaxDatagramSize = UdpWire::BaseDatagramSize;
    PathMtuSearch m_pmtu;
    quint64 m_oversizedDropped = 0;

    // Handshake (client)
    HandshakeStage m_stage = HandshakeStage::None;
    QByteArray m_cookie;
    qint64 m_cookieReceivedAt = -1;
    qint64 m_handshakeSentAt = -1;
    int m_handshakeTransmissions = 0;

    // Sending: m_out[0] has seq m_sndUna; [m_sndUna, m_sndNxt) are in flight, the rest queued.
    std::deque<Outgoing> m_out;
    quint32 m_sndUna = 0;
    quint32 m_sndNxt = 0;
    qsizetype m_bytesInFlight = 0;
    int m_queuedDatagrams = 0;
    qsizetype m_queuedBytes = 0;
    qsizetype m_sendBufferBytes = 0;
    quint64 m_txCounter = 0;
    quint64 m_largestAckedTxOrder = 0;
    quint32 m_highestAckedNext = 0; // one past the highest sequence number acknowledged
    bool m_closeConfirmed = false;
    quint32 m_closeSeq = 0;
    qint64 m_discardableAt = -1;

    // Receiving: slot seq % WindowDatagrams holds seq for seq in [m_rcvNext, m_rcvNext + window).
    std::array<Incoming, UdpWire::WindowDatagrams> m_rcv;
    std::map<quint32, PartialBundle> m_partials; // by seq, within the receive window
    quint32 m_rcvNext = 0;
    qsizetype m_rcvBufferedBytes = 0;
    int m_rcvBufferedCount = 0;
    QByteArray m_partial;
    int m_partialNextIndex = 0;
    int m_partialCount = 0;
    int m_acksDue = 0; // acknowledgements owed: each outgoing full-header datagram pays one
    // Delayed acknowledgement (off while m_ackDelayMs is 0): in-order Data owed an ack, and when
    // that ack is due at the latest (-1: none owed).
    qint64 m_ackDelayMs = 0;
    int m_ackEveryDatagrams = 1;
    int m_ackDeferredCount = 0;
    qsizetype m_ackDeferredBytes = 0;
    qint64 m_ackDeferredUntil = -1;

    // RFC 6298
    double m_srtt = 0;
    double m_rttvar = 0;
    double m_latestRtt = 0;
    qint64 m_rto = InitialRtoMs;
    bool m_hasRttSample = false;
    int m_backoffCount = 0;
    qint64 m_rtoDeadline = -1;
    quint64 m_retransmissions = 0;
    quint64 m_bundlesSent = 0;

    qint64 m_keepaliveIntervalMs = KeepaliveIntervalMs;
    qint64 m_deadPeerTimeoutMs = DeadPeerTimeoutMs;
    qint64 m_lastHeard = 0;
    qint64 m_waitingSince = 0; // when the peer last started owing us an answer

    QList<QByteArray> m_datagramsOut;
    QList<QByteArray> m_payloadsOut;
    QList<Event> m_events;
};

} // namespace Confab
