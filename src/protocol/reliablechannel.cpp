// ReliableChannel (reliablechannel.h): set-up and handshake, sending (queue, bundles, transmission),
// timers and retransmission. What arrives from the peer is handled in reliablechannel_receive.cpp.
#include "reliablechannel.h"
#include "reliablechannel_p.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

#include <cmath>
#include <utility>

namespace Confab {

Q_LOGGING_CATEGORY(lcReliableUdp, "confab.udp.channel", QtInfoMsg)

using namespace ReliableChannelDetail;

qsizetype ReliableChannel::Incoming::payloadBytes() const
{
    return fragment.size() + totalSize(payloads);
}

ReliableChannel::ReliableChannel(Role role, quint32 connectionId)
    : m_role(role)
    , m_connectionId(connectionId)
{
    Q_ASSERT(connectionId != 0);
}

void ReliableChannel::setPeerTimeouts(qint64 keepaliveIntervalMs, qint64 deadPeerTimeoutMs)
{
    m_keepaliveIntervalMs = qMax<qint64>(keepaliveIntervalMs, 1);
    m_deadPeerTimeoutMs = qMax<qint64>(deadPeerTimeoutMs, 1);
}

void ReliableChannel::setDelayedAck(qint64 delayMs, int everyDatagrams)
{
    m_ackDelayMs = qMax<qint64>(delayMs, 0);
    m_ackEveryDatagrams = qMax(everyDatagrams, 1);
}

void ReliableChannel::setMaxDatagramSize(int bytes)
{
    m_maxDatagramSize = qBound(UdpWire::BaseDatagramSize, bytes, UdpWire::LargestDatagramSize);
}

quint16 ReliableChannel::offeredFeatures() const
{
    // Large datagrams only from an end that reads them.
    if (m_maxDatagramSize <= UdpWire::BaseDatagramSize)
        return m_offeredFeatures & ~UdpWire::FeatureLargeDatagrams;
    return m_offeredFeatures;
}

quint32 ReliableChannel::randomConnectionId()
{
    quint32 id = 0;
    while (id == 0)
        id = QRandomGenerator::system()->generate();
    return id;
}

// --- Lifecycle ---------------------------------------------------------------------------------

void ReliableChannel::connectToPeer(qint64 now)
{
    if (m_role != Role::Client || m_state != State::Idle)
        return;
    m_state = State::Connecting;
    m_stage = HandshakeStage::HelloSent;
    m_handshakeTransmissions = 0;
    m_lastHeard = now;
    m_waitingSince = now;
    sendHandshake(now);
}

void ReliableChannel::sendHandshake(qint64 now)
{
    Datagram d;
    d.connectionId = m_connectionId;
    if (m_stage == HandshakeStage::CookieEchoed) {
        d.kind = Kind::HelloWithCookie;
        d.cookie = m_cookie;
        d.features = offeredFeatures();
        d.maxDatagramSize = quint16(m_maxDatagramSize);
    } else {
        d.kind = Kind::Hello;
    }
    if (m_handshakeTransmissions > 0)
        ++m_retransmissions;
    ++m_handshakeTransmissions;
    m_handshakeSentAt = now;
    emitDatagram(d);
    m_rtoDeadline = now + m_rto;
}

void ReliableChannel::becomeConnected(qint64 now)
{
    m_state = State::Connected;
    m_stage = HandshakeStage::None;
    m_cookie.clear();
    m_rtoDeadline = -1;
    m_backoffCount = 0;
    emitEvent(Event::Connected);
    startPathMtu(now);
    pump(now);
}

void ReliableChannel::startPathMtu(qint64 now)
{
    if (!(m_agreedFeatures & UdpWire::FeatureLargeDatagrams) || m_pmtu.ceiling() != 0)
        return; // not agreed, or already searching
    m_pmtu.start(qMin(m_maxDatagramSize, m_peerMaxDatagramSize), now);
}

void ReliableChannel::maybeProbe(qint64 now)
{
    if (m_state != State::Connected || m_pmtu.probeDueAt() < 0 || now < m_pmtu.probeDueAt())
        return;
    // Not sequenced: it carries no data, so its loss leaves no hole, is never retransmitted and
    // does not count toward dead-peer detection (it does not touch m_waitingSince or the RTO).
    Datagram d = shortDatagram(Kind::SizeProbe, m_connectionId);
    d.probeSize = quint16(m_pmtu.nextProbeSize());
    d.probeId = m_pmtu.probeSent(now, m_rto);
    emitDatagram(d);
}

bool ReliableChannel::handleSizeProbe(const Datagram &d, qint64 now)
{
    if (m_state != State::Connected && m_state != State::Closing)
        return false;
    m_lastHeard = now;
    if (d.kind == Kind::SizeProbe) {
        // decode() already dropped a probe larger than we read: this size reached us.
        Datagram ack = shortDatagram(Kind::SizeProbeAck, m_connectionId);
        ack.probeId = d.probeId;
        ack.probeSize = d.probeSize;
        emitDatagram(ack);
    } else if (m_pmtu.probeAcknowledged(d.probeId, d.probeSize, now)) {
        qCDebug(lcReliableUdp) << "connection" << Qt::hex << m_connectionId << Qt::dec
                               << "datagram size raised to" << m_pmtu.datagramSize();
    }
    return true;
}

void ReliableChannel::close(qint64 now)
{
    switch (m_state) {
    case State::Idle:
    case State::Connecting:
        finish(State::Closed, now, 0); // no connection yet: nothing to linger for
        emitEvent(Event::Closed);
        return;
    case State::Connected:
        m_state = State::Closing;
        queueControl(Kind::Close, now);
        return;
    default:
        return;
    }
}

void ReliableChannel::fail(const QString &reason, qint64 now)
{
    qCInfo(lcReliableUdp) << "connection" << Qt::hex << m_connectionId << "failed:" << reason;
    m_errorString = reason;
    finish(State::Failed, now, 0);
    emitEvent(Event::ProtocolError);
}

void ReliableChannel::finish(State state, qint64 now, qint64 lingerMs)
{
    m_state = state;
    m_discardableAt = now + lingerMs;
    m_pmtu.stop();
    releaseBuffers();
}

void ReliableChannel::releaseBuffers()
{
    m_out.clear();
    m_sndUna = m_sndNxt;
    m_bytesInFlight = 0;
    m_queuedDatagrams = 0;
    m_queuedBytes = 0;
    m_sendBufferBytes = 0;
    for (Incoming &slot : m_rcv)
        slot = Incoming();
    m_partials.clear();
    m_rcvBufferedBytes = 0;
    m_rcvBufferedCount = 0;
    m_partial = QByteArray();
    m_partialCount = 0;
    m_partialNextIndex = 0;
    m_rtoDeadline = -1;
    m_cookie.clear();
    m_ackDeferredCount = 0;
    m_ackDeferredBytes = 0;
    m_ackDeferredUntil = -1;
}

// --- Sending -----------------------------------------------------------------------------------

ReliableChannel::SendResult ReliableChannel::send(const QByteArray &payload, qint64 now)
{
    const SendResult result = enqueue(payload);
    if (result == SendResult::Queued)
        pump(now);
    return result;
}

void ReliableChannel::flush(qint64 now)
{
    pump(now);
}

ReliableChannel::SendResult ReliableChannel::enqueue(const QByteArray &payload)
{
    if (payload.isEmpty())
        return SendResult::Empty;
    if (payload.size() > qsizetype(Limits::MaxFramePayload))
        return SendResult::TooLarge;
    if (m_state != State::Connected && m_state != State::Connecting)
        return SendResult::NotOpen;
    const qsizetype size = payload.size();
    const int count = int((size + UdpWire::MaxFragmentPayload - 1) / UdpWire::MaxFragmentPayload);
    if (m_queuedDatagrams + count > MaxQueuedDatagrams || m_queuedBytes + size > MaxQueuedBytes)
        return SendResult::QueueFull;

    if (count == 1 && addToQueuedBundle(payload)) {
        m_queuedBytes += size;
        m_sendBufferBytes += size;
        return SendResult::Queued;
    }

    for (int i = 0; i < count; ++i) {
        Outgoing out;
        out.kind = Kind::Data;
        out.fragment = count == 1 ? payload
                                  : payload.mid(qsizetype(i) * UdpWire::MaxFragmentPayload,
                                                UdpWire::MaxFragmentPayload);
        out.fragmentIndex = quint8(i);
        out.fragmentCount = quint8(count);
        out.wireSize = UdpWire::DataHeaderSize + int(out.fragment.size());
        out.payloadBytes = out.fragment.size();
        m_out.push_back(std::move(out));
    }
    m_queuedDatagrams += count;
    m_queuedBytes += size;
    m_sendBufferBytes += size;
    return SendResult::Queued;
}

void ReliableChannel::queueControl(Kind kind, qint64 now)
{
    Outgoing out;
    out.kind = kind;
    out.wireSize = UdpWire::FullHeaderSize;
    m_out.push_back(out);
    if (kind == Kind::Close) {
        m_closeSeq = m_sndUna + quint32(m_out.size() - 1);
    }
    pump(now);
}

void ReliableChannel::pump(qint64 now)
{
    if (m_state != State::Connected && m_state != State::Closing)
        return;
    maybeProbe(now);
    for (;;) {
        const quint32 inFlight = m_sndNxt - m_sndUna;
        if (inFlight >= m_out.size() || inFlight >= Window)
            return;
        Outgoing &out = m_out[inFlight];
        if (m_bytesInFlight + out.wireSize > SendWindowBytes)
            return;
        if (inFlight == 0)
            m_waitingSince = now; // silence before this point was not the peer's fault
        if (out.kind == Kind::Data || out.kind == Kind::Bundle) {
            --m_queuedDatagrams;
            m_queuedBytes -= out.payloadBytes;
        }
        if (out.kind == Kind::Bundle)
            ++m_bundlesSent;
        m_bytesInFlight += out.wireSize;
        transmit(out, m_sndNxt, now);
        ++m_sndNxt;
    }
}

bool ReliableChannel::addToQueuedBundle(const QByteArray &payload)
{
    // Only a datagram still queued (not sent yet) behind what is in flight takes company: what is
    // queued leaves at the next flush(), so nothing ever waits for more payloads. Bundled payloads
    // are small enough that a bundle can always be cut into BundleParts of the base size.
    if (!(m_agreedFeatures & UdpWire::FeatureBundles) || m_out.size() <= size_t(m_sndNxt - m_sndUna)
        || payload.size() > UdpWire::MaxBundleablePayload)
        return false;
    Outgoing &tail = m_out.back();
    const int limit = m_pmtu.datagramSize();
    int wireSize;
    if (tail.kind == Kind::Data && tail.fragmentCount == 1 && tail.fragment.size() <= UdpWire::MaxBundleablePayload)
        wireSize = UdpWire::BundleHeaderSize + UdpWire::bundleEntrySize(tail.fragment.size());
    else if (tail.kind == Kind::Bundle && tail.payloads.size() < UdpWire::MaxBundlePayloads)
        wireSize = tail.wireSize;
    else
        return false; // a fragment, a control datagram or a full bundle
    wireSize += UdpWire::bundleEntrySize(payload.size());
    if (wireSize > limit)
        return false;
    if (tail.kind == Kind::Data) {
        // About as many as fit, so the list is allocated once.
        tail.payloads.reserve(qMin<qsizetype>(UdpWire::MaxBundlePayloads,
                                              (limit - UdpWire::BundleHeaderSize)
                                                  / UdpWire::bundleEntrySize(tail.fragment.size())));
        tail.payloads.append(std::exchange(tail.fragment, QByteArray()));
        tail.kind = Kind::Bundle;
        tail.fragmentIndex = 0;
        tail.fragmentCount = 0;
    }
    tail.payloads.append(payload);
    tail.payloadBytes += payload.size();
    tail.wireSize = wireSize;
    return true;
}

void ReliableChannel::transmit(Outgoing &out, quint32 seq, qint64 now)
{
    // A resend means the last transmission was lost (or is presumed so).
    if (out.transmissions > 0 && out.sentSize > UdpWire::BaseDatagramSize)
        ++out.largeLosses;
    Datagram d;
    d.kind = out.kind;
    d.connectionId = m_connectionId;
    d.seq = seq;
    d.ack = m_rcvNext;
    d.sack = sackBits();
    if (out.kind == Kind::Data) {
        d.fragmentIndex = out.fragmentIndex;
        d.fragmentCount = out.fragmentCount;
        d.fragment = out.fragment;
    } else if (out.kind == Kind::Bundle) {
        d.payloads = out.payloads;
    }
    if (m_acksDue > 0)
        --m_acksDue; // this datagram carries the acknowledgement
    noteAckSent();
    // A bundle larger than the path now carries, or lost twice at its size (the path may have
    // shrunk: see PathMtuSearch), goes in parts of the base size.
    if (out.kind == Kind::Bundle && (out.wireSize > m_pmtu.datagramSize() || out.largeLosses >= 2)) {
        transmitParts(out, d);
        out.sentSize = UdpWire::BaseDatagramSize;
    } else {
        emitDatagram(d);
        out.sentSize = out.wireSize;
    }
    if (out.transmissions > 0)
        ++m_retransmissions;
    ++out.transmissions;
    out.lastSentAt = now;
    out.txOrder = ++m_txCounter;
    if (m_rtoDeadline < 0)
        m_rtoDeadline = now + m_rto;
}

void ReliableChannel::transmitParts(const Outgoing &out, Datagram &header)
{
    // The bundle is larger than the path now carries: its payloads go in BundleParts of the base
    // size, under its sequence number (the receiver joins them; all are resent if any is lost).
    QList<QList<QByteArray>> parts;
    int used = 0;
    for (const QByteArray &payload : out.payloads) {
        const int entry = UdpWire::bundleEntrySize(payload.size());
        if (parts.isEmpty() || used + entry > UdpWire::BaseDatagramSize) {
            parts.append(QList<QByteArray>());
            used = UdpWire::BundlePartHeaderSize;
        }
        parts.last().append(payload);
        used += entry;
    }
    Q_ASSERT(parts.size() >= 2 && parts.size() <= UdpWire::MaxBundleParts);
    header.kind = Kind::BundlePart;
    header.payloads.clear();
    header.partCount = quint8(parts.size());
    for (qsizetype i = 0; i < parts.size(); ++i) {
        header.partIndex = quint8(i);
        header.payloads = std::move(parts[i]);
        emitDatagram(header);
    }
}

void ReliableChannel::noteDelivered(const Outgoing &out, qint64 now)
{
    if (out.sentSize > UdpWire::BaseDatagramSize) {
        m_pmtu.largeDatagramAcknowledged();
    } else if (out.largeLosses >= 2 && m_pmtu.largeDatagramUndeliverable(now)) {
        // Large datagrams are lost where small ones get through: a black hole.
        qCInfo(lcReliableUdp) << "connection" << Qt::hex << m_connectionId << Qt::dec
                              << "large datagrams are being lost: back to" << m_pmtu.datagramSize() << "bytes";
    }
}

void ReliableChannel::emitDatagram(const Datagram &datagram)
{
    QByteArray bytes = UdpWire::encode(datagram, m_peerMaxDatagramSize);
    Q_ASSERT(!bytes.isEmpty());
    m_datagramsOut.append(std::move(bytes));
}

void ReliableChannel::emitAccept()
{
    Datagram d = shortDatagram(Kind::Accept, m_connectionId);
    d.features = m_agreedFeatures; // 0: the 6-byte Accept an older client expects
    d.maxDatagramSize = quint16(m_maxDatagramSize); // sent only with FeatureLargeDatagrams agreed
    emitDatagram(d);
}

void ReliableChannel::emitAckCarrier(Kind kind, quint32 seq)
{
    Datagram d;
    d.kind = kind;
    d.connectionId = m_connectionId;
    d.seq = seq;
    d.ack = m_rcvNext;
    d.sack = sackBits();
    if (m_acksDue > 0)
        --m_acksDue;
    noteAckSent();
    emitDatagram(d);
}

void ReliableChannel::noteAckSent()
{
    // Every full header carries the whole acknowledgement state: nothing deferred is owed any more.
    m_ackDeferredCount = 0;
    m_ackDeferredBytes = 0;
    m_ackDeferredUntil = -1;
}

quint64 ReliableChannel::sackBits() const
{
    if (m_rcvBufferedCount == 0)
        return 0;
    quint64 bits = 0;
    for (quint32 i = 0; i + 1 < Window; ++i) {
        if (m_rcv[(m_rcvNext + 1 + i) % Window].present)
            bits |= quint64(1) << i;
    }
    return bits;
}

QList<QByteArray> ReliableChannel::takeDatagrams()
{
    while (m_acksDue > 0 && (m_state == State::Connected || m_state == State::Closing))
        emitAckCarrier(Kind::Ack, 0);
    m_acksDue = 0;
    if (m_state != State::Connected && m_state != State::Closing)
        noteAckSent(); // nothing is acknowledged any more
    return std::exchange(m_datagramsOut, {});
}

QList<QByteArray> ReliableChannel::takePayloads()
{
    return std::exchange(m_payloadsOut, {});
}

QList<ReliableChannel::Event> ReliableChannel::takeEvents()
{
    return std::exchange(m_events, {});
}

// --- Timers ------------------------------------------------------------------------------------

bool ReliableChannel::awaitingPeer() const
{
    return m_state == State::Connecting
           || ((m_state == State::Connected || m_state == State::Closing) && m_sndNxt != m_sndUna);
}

qint64 ReliableChannel::nextTimeoutAt() const
{
    if (m_state != State::Connecting && m_state != State::Connected && m_state != State::Closing)
        return -1;
    qint64 at = m_rtoDeadline;
    auto consider = [&at](qint64 t) {
        if (at < 0 || t < at)
            at = t;
    };
    if (awaitingPeer())
        consider(qMax(m_lastHeard, m_waitingSince) + m_deadPeerTimeoutMs);
    if (m_state == State::Connected && m_sndNxt == m_sndUna)
        consider(m_lastHeard + m_keepaliveIntervalMs);
    if (m_state == State::Connected && m_pmtu.nextTimeoutAt() >= 0)
        consider(m_pmtu.nextTimeoutAt());
    if (m_ackDeferredUntil >= 0)
        consider(m_ackDeferredUntil);
    return at;
}

void ReliableChannel::onTimer(qint64 now)
{
    if (m_state != State::Connecting && m_state != State::Connected && m_state != State::Closing)
        return;
    if (awaitingPeer() && now - qMax(m_lastHeard, m_waitingSince) >= m_deadPeerTimeoutMs) {
        qCInfo(lcReliableUdp) << "connection" << Qt::hex << m_connectionId << "dead: no answer for"
                              << Qt::dec << (now - qMax(m_lastHeard, m_waitingSince)) << "ms";
        finish(State::Dead, now, 0);
        emitEvent(Event::Dead);
        return;
    }
    if (m_ackDeferredUntil >= 0 && now >= m_ackDeferredUntil) {
        m_acksDue = qMax(m_acksDue, 1); // goes out with the next takeDatagrams()
        noteAckSent();
    }
    if (m_rtoDeadline >= 0 && now >= m_rtoDeadline)
        onRetransmissionTimeout(now);
    if (m_state == State::Connected && m_sndNxt == m_sndUna
        && now - m_lastHeard >= m_keepaliveIntervalMs)
        queueControl(Kind::Ping, now);
    m_pmtu.onTimer(now); // a probe unanswered is only a probe lost
    maybeProbe(now);
}

void ReliableChannel::onRetransmissionTimeout(qint64 now)
{
    const qint64 expiredRto = m_rto;
    // RFC 6298 (5.5): back off. Karn: the backed-off value stays until a valid sample.
    m_rto = qMin(m_rto * 2, MaxRtoMs);
    ++m_backoffCount;
    m_rtoDeadline = -1;

    if (m_state == State::Connecting) {
        if (m_stage == HandshakeStage::CookieEchoed && now - m_cookieReceivedAt >= CookieRefreshMs) {
            m_stage = HandshakeStage::HelloSent; // the cookie may have expired: ask for a new one
            m_cookie.clear();
            m_handshakeTransmissions = 0;
        }
        sendHandshake(now);
        return;
    }

    const quint32 inFlight = m_sndNxt - m_sndUna;
    bool first = true;
    for (quint32 i = 0; i < inFlight; ++i) {
        Outgoing &out = m_out[i];
        if (out.sacked)
            continue;
        // RFC 6298 (5.4) resends the earliest unacknowledged datagram. On the first expiry we also
        // resend the others whose own timeout has passed, so a lost tail costs one RTO, not one
        // per datagram; while backed off, only the earliest probes the path.
        if (first || (m_backoffCount == 1 && now - out.lastSentAt >= expiredRto))
            transmit(out, m_sndUna + i, now);
        first = false;
    }
    if (inFlight > 0)
        m_rtoDeadline = now + m_rto;
}

void ReliableChannel::takeRttSample(qint64 sampleMs)
{
    const double r = double(qMax<qint64>(sampleMs, 0));
    m_latestRtt = r;
    if (!m_hasRttSample) {
        // RFC 6298 (2.2)
        m_srtt = r;
        m_rttvar = r / 2;
        m_hasRttSample = true;
    } else {
        // RFC 6298 (2.3), alpha = 1/8, beta = 1/4; RTTVAR uses the previous SRTT.
        m_rttvar = 0.75 * m_rttvar + 0.25 * std::abs(m_srtt - r);
        m_srtt = 0.875 * m_srtt + 0.125 * r;
    }
    const double rto = m_srtt + qMax(ClockGranularityMs, 4 * m_rttvar);
    m_rto = qBound(MinRtoMs, qint64(std::ceil(rto)), MaxRtoMs);
    m_backoffCount = 0;
}

} // namespace Confab
