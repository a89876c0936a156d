// Datagram packetization layer path MTU discovery (RFC 8899 DPLPMTUD, as QUIC does it, RFC 9000
// §14) for one ReliableChannel: which datagram size the channel may use towards its peer, when to
// send a SizeProbe of which size, what an acknowledged or lost probe means, and when to fall back
// to the base size because large datagrams stopped arriving (a black hole). A clock-free state
// machine like the channel: every call that depends on time takes `now`. It sends nothing itself:
// the channel asks probeDueAt() / nextProbeSize(), sends the SizeProbe and reports back.
//
// Sizes tried, in order (each only if the ceiling allows it, the ceiling itself last):
//   BaseDatagramSize (1,200, known to work: the handshake carried it)
//   1,452  Ethernet MTU 1,500 less IPv6 (40) and UDP (8) headers
//   1,472  Ethernet MTU 1,500 less IPv4 (20) and UDP (8) headers
//   8,952  jumbo Ethernet MTU 9,000 less IPv6 and UDP headers (UdpWire::LargestDatagramSize)
// The ceiling is the smaller of what the peer advertised and what this end allows.
//
// A probe unanswered after probeTimeoutMs (the channel's RTO, not backed off) is lost: it is tried
// MaxProbes times, then that size is taken as too large and the search stops (RFC 8899's
// SEARCH_COMPLETE) until RaiseIntervalMs later. Probe losses say nothing about congestion or data:
// the channel does not retransmit, count or time out anything because of them.
//
// Black hole (the path shrank, e.g. a route change onto a tunnel): the channel resends a bundle
// whose last two transmissions, both larger than the base size, were lost, in BundleParts of the
// base size. When such a datagram is then acknowledged, small datagrams got through where large
// ones did not. BlackHoleLosses of those, with no large datagram acknowledged in between, send the
// size back to the base; the search starts again BlackHoleRetryMs later. (A datagram lost once is
// no evidence: reordering makes the sender presume losses that were none.)
#pragma once

#include <QtGlobal>

#include <array>

namespace Confab {

class PathMtuSearch
{
public:
    static constexpr std::array<int, 3> Ladder{1452, 1472, 8952};
    static constexpr int MaxProbes = 3;                   // RFC 8899 MAX_PROBES
    static constexpr qint64 RaiseIntervalMs = 600'000;    // RFC 8899 PMTU_RAISE_TIMER
    static constexpr int BlackHoleLosses = 3;
    static constexpr qint64 BlackHoleRetryMs = 60'000;
    static constexpr qint64 MinProbeTimeoutMs = 100;

    PathMtuSearch();

    // Starts the search towards a peer whose ceiling (see above) is `ceiling` bytes; a ceiling at
    // or below the base size leaves the search off and the size at the base.
    void start(int ceiling, qint64 now);
    // Stops probing (the channel is closing or finished); the size stays where it is.
    void stop();

    // The largest datagram the channel may send now.
    int datagramSize() const { return m_size; }
    int ceiling() const { return m_ceiling; }
    // Probing now (a probe out or due), as opposed to done, or waiting to try again later.
    bool isSearching() const { return m_probeOutstanding || (m_probeDueAt >= 0 && !m_waiting); }

    // When the next SizeProbe should go out (-1: none planned, e.g. one is awaiting its answer).
    qint64 probeDueAt() const { return m_probeOutstanding ? -1 : m_probeDueAt; }
    // Its size, while probeDueAt() >= 0.
    int nextProbeSize() const;
    // The probe of nextProbeSize() was sent; returns the id to put in it.
    quint32 probeSent(qint64 now, qint64 probeTimeoutMs);
    // A SizeProbeAck arrived. Returns true when it raised datagramSize().
    bool probeAcknowledged(quint32 probeId, int size, qint64 now);

    // The next time onTimer() has something to do (a probe's deadline, or the next probe), or -1.
    qint64 nextTimeoutAt() const;
    void onTimer(qint64 now);

    // A datagram the channel sent larger than the base size was acknowledged.
    void largeDatagramAcknowledged() { m_largeLosses = 0; }
    // A datagram lost twice while sent larger than the base size was acknowledged once sent in
    // parts of the base size. Returns true when that sent datagramSize() back to the base.
    bool largeDatagramUndeliverable(qint64 now);

    quint64 probesSent() const { return m_probesSent; }
    quint64 probesLost() const { return m_probesLost; }
    quint64 blackHoles() const { return m_blackHoles; }

private:
    int rungAbove(int size) const;
    void planNext(qint64 at);

    int m_ceiling = 0;
    int m_size;
    qint64 m_probeDueAt = -1;
    bool m_probeOutstanding = false;
    quint32 m_probeId = 0;
    int m_probeSize = 0;
    qint64 m_probeDeadline = -1;
    bool m_waiting = false;    // m_probeDueAt is a later retry, not part of a search under way
    int m_attempts = 0;        // probes of m_probeSize lost in a row
    int m_largeLosses = 0;     // largeDatagramUndeliverable() since the last large one acknowledged
    quint64 m_probesSent = 0;
    quint64 m_probesLost = 0;
    quint64 m_blackHoles = 0;
};

} // namespace Confab
