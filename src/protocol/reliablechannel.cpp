#include "reliablechannel.h"

#include <QLoggingCategory>
#include <QRandomGenerator>

#include <cmath>
#include <utility>

namespace Confab {

namespace {

Q_LOGGING_CATEGORY(lcReliableUdp, "confab.udp.channel", QtInfoMsg)

using UdpWire::Datagram;
using UdpWire::Kind;

// Serial-number difference (RFC 1982): positive when a is after b, valid within 2^31.
qint32 seqDiff(quint32 a, quint32 b)
{
    return qint32(a - b);
}

constexpr quint32 Window = quint32(UdpWire::WindowDatagrams);

qsizetype totalSize(const QList<QByteArray> &payloads)
{
    qsizetype bytes = 0;
    for (const QByteArray &payload : payloads)
        bytes += payload.size();
    return bytes;
}

Datagram shortDatagram(Kind kind, quint32 connectionId)
{
    Datagram d;
    d.kind = kind;
    d.connectionId = connectionId;
    return d;
}

} // namespace

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

// --- Receiving ---------------------------------------------------------------------------------

bool ReliableChannel::handleDatagram(const QByteArray &bytes, qint64 now)
{
    Datagram d;
    const UdpWire::DecodeError error = UdpWire::decode(bytes, &d, m_maxDatagramSize);
    if (error == UdpWire::DecodeError::TooLarge)
        ++m_oversizedDropped; // larger than we advertised (or, without the feature, than the base)
    if (error != UdpWire::DecodeError::None) {
        qCDebug(lcReliableUdp) << "dropped malformed datagram:" << UdpWire::decodeErrorName(error);
        return false;
    }
    if (d.connectionId != m_connectionId)
        return false;

    switch (m_state) {
    case State::Dead:
    case State::Failed:
        return false;

    case State::Closed:
        // Lingering: the peer is still sending, so it missed our last word. Tell it again that we
        // are finished, and (truthfully) how far we received; twice, as for any duplicate.
        if (!UdpWire::isSequenced(d.kind) || !acceptAck(d))
            return false;
        for (int i = 0; i < DuplicateAckCopies; ++i)
            emitAckCarrier(Kind::CloseAck, 0);
        return true;

    case State::Idle:
        if (m_role != Role::Server || d.kind != Kind::HelloWithCookie)
            return false;
        m_lastHeard = now;
        m_agreedFeatures = d.features & offeredFeatures();
        if (m_agreedFeatures & UdpWire::FeatureLargeDatagrams)
            m_peerMaxDatagramSize = d.maxDatagramSize;
        emitAccept();
        becomeConnected(now);
        return true;

    case State::Connecting:
        switch (d.kind) {
        case Kind::Cookie:
            m_lastHeard = now;
            if (m_stage != HandshakeStage::HelloSent)
                return true; // a duplicate or late Cookie; the one we echo is as good
            if (m_handshakeTransmissions == 1)
                takeRttSample(now - m_handshakeSentAt);
            m_cookie = d.cookie;
            m_cookieReceivedAt = now;
            m_stage = HandshakeStage::CookieEchoed;
            m_handshakeTransmissions = 0;
            sendHandshake(now);
            return true;
        case Kind::Accept:
            m_lastHeard = now;
            if (m_stage == HandshakeStage::CookieEchoed && m_handshakeTransmissions == 1)
                takeRttSample(now - m_handshakeSentAt);
            m_agreedFeatures = d.features & offeredFeatures();
            if (m_agreedFeatures & UdpWire::FeatureLargeDatagrams)
                m_peerMaxDatagramSize = d.maxDatagramSize;
            becomeConnected(now);
            return true;
        case Kind::Data:
        case Kind::Bundle:
        case Kind::BundlePart:
        case Kind::Ack:
        case Kind::Ping:
        case Kind::Close:
        case Kind::CloseAck:
            // The server sends these only after Accept: our Accept was lost, theirs is implied.
            if (!acceptAck(d))
                return false;
            becomeConnected(now);
            return handleEstablished(d, now);
        default:
            return false;
        }

    case State::Connected:
    case State::Closing:
        return handleEstablished(d, now);
    }
    return false;
}

bool ReliableChannel::handleEstablished(Datagram &d, qint64 now)
{
    switch (d.kind) {
    case Kind::Hello:
    case Kind::HelloWithCookie:
        // Our Accept was lost; the client is still knocking with this connection id.
        if (m_role != Role::Server)
            return false;
        m_lastHeard = now;
        emitAccept();
        return true;
    case Kind::Accept:
        if (m_role != Role::Client)
            return false;
        // A late Accept after the server's data implied the lost one: it still says what was agreed.
        m_agreedFeatures = d.features & offeredFeatures();
        if ((m_agreedFeatures & UdpWire::FeatureLargeDatagrams) && m_pmtu.ceiling() == 0) {
            m_peerMaxDatagramSize = d.maxDatagramSize;
            startPathMtu(now);
        }
        return true;
    case Kind::SizeProbe:
    case Kind::SizeProbeAck:
        return handleSizeProbe(d, now);
    case Kind::Cookie:
        return m_role == Role::Client; // late duplicates of the handshake
    case Kind::Data:
    case Kind::Bundle:
    case Kind::BundlePart:
    case Kind::Ack:
    case Kind::Ping:
    case Kind::Close:
    case Kind::CloseAck:
        break;
    default:
        return false;
    }

    if (!acceptAck(d))
        return false;
    m_lastHeard = now;
    if (UdpWire::isSequenced(d.kind))
        receiveSequenced(d, now);
    if (m_state != State::Connected && m_state != State::Closing)
        return true; // the peer closed, or broke the protocol
    processAck(d, now);
    if (m_state == State::Closing) {
        // Any acknowledgement covering our Close proves it was delivered in order (the peer sends
        // CloseAck at that moment, but a later Ack says the same if the CloseAck was lost). A
        // CloseAck that does not cover it comes from a peer that finished first (both closed at
        // once): nothing more of ours will be delivered.
        const bool confirmed = seqDiff(m_sndUna, m_closeSeq) > 0;
        if (confirmed || d.kind == Kind::CloseAck) {
            m_closeConfirmed = confirmed;
            finish(State::Closed, now, m_deadPeerTimeoutMs); // linger as long as the peer may retransmit
            emitEvent(Event::Closed);
            return true;
        }
    }
    pump(now);
    return true;
}

bool ReliableChannel::acceptAck(const Datagram &d) const
{
    // Acknowledging a sequence number we never sent: forged, or from another life of this id.
    return seqDiff(d.ack, m_sndNxt) <= 0;
}

void ReliableChannel::receiveSequenced(Datagram &d, qint64 now)
{
    const qint32 offset = seqDiff(d.seq, m_rcvNext);
    // In-order Data with no gap behind it may wait for a delayed acknowledgement; anything else
    // tells the sender something it needs at once (a loss, a lost ack, a keepalive, a close).
    const bool deferrable = m_ackDelayMs > 0 && (d.kind == Kind::Data || d.kind == Kind::Bundle) && offset == 0 && m_rcvBufferedCount == 0
                            && m_state == State::Connected;
    if (deferrable && m_acksDue == 0 && ++m_ackDeferredCount < m_ackEveryDatagrams
        && (m_ackDeferredBytes += d.fragment.size() + totalSize(d.payloads)) < AckEveryBytes) {
        if (m_ackDeferredUntil < 0)
            m_ackDeferredUntil = now + m_ackDelayMs;
    } else {
        m_acksDue = qMax(m_acksDue, 1);
    }
    if (offset >= qint32(Window))
        return;
    // A duplicate means the acknowledgement that answered the original went missing (or the
    // sender gave up on it early): answer it twice, so one lost datagram cannot stall the peer.
    if (offset < 0 || m_rcv[d.seq % Window].present) {
        m_acksDue = DuplicateAckCopies;
        return;
    }
    Incoming &slot = m_rcv[d.seq % Window];
    const qsizetype size = d.fragment.size() + totalSize(d.payloads);
    // Cannot trigger for a peer that respects the windows; never acknowledge what is not kept.
    if (reassemblyBytes() + size > MaxReassemblyBytes)
        return;
    if (d.kind == Kind::BundlePart) {
        if (!storePart(slot, d, now))
            return; // not complete yet (or the peer broke the protocol)
    } else {
        if (!m_partials.empty())
            dropPartial(d.seq); // the whole bundle overtook its parts: they are not needed
        slot.present = true;
        slot.kind = d.kind;
        slot.fragmentIndex = d.fragmentIndex;
        slot.fragmentCount = d.fragmentCount;
        slot.fragment = std::move(d.fragment);
        slot.payloads = std::move(d.payloads);
        m_rcvBufferedBytes += size;
    }
    ++m_rcvBufferedCount;

    while (m_state == State::Connected || m_state == State::Closing) {
        Incoming &next = m_rcv[m_rcvNext % Window];
        if (!next.present)
            break;
        Incoming in = std::exchange(next, Incoming());
        m_rcvBufferedBytes -= in.payloadBytes();
        --m_rcvBufferedCount;
        ++m_rcvNext;
        deliverInOrder(in, now);
    }
}

bool ReliableChannel::storePart(Incoming &slot, Datagram &d, qint64 now)
{
    // Only sequence numbers inside the receive window get here, so m_partials holds at most
    // WindowDatagrams entries, and their bytes count against MaxReassemblyBytes.
    PartialBundle &partial = m_partials[d.seq];
    if (partial.partCount != 0 && partial.partCount != d.partCount) {
        fail(QStringLiteral("bundle part %1/%2 where %3 parts were announced")
                 .arg(d.partIndex).arg(d.partCount).arg(partial.partCount), now);
        return false;
    }
    const quint32 bit = quint32(1) << d.partIndex;
    if (partial.partsSeen & bit)
        return false; // a part resent with the others: acknowledged, nothing new
    if (partial.partCount == 0) {
        partial.partCount = d.partCount;
        partial.parts.resize(d.partCount);
    }
    partial.partsSeen |= bit;
    m_rcvBufferedBytes += totalSize(d.payloads);
    partial.parts[d.partIndex] = std::move(d.payloads);
    const quint32 all = d.partCount == 32 ? ~quint32(0) : (quint32(1) << d.partCount) - 1;
    if (partial.partsSeen != all)
        return false;
    // Complete: from here on it is the Bundle it stands for (its bytes stay counted).
    slot.present = true;
    slot.kind = Kind::Bundle;
    slot.payloads.clear();
    for (QList<QByteArray> &part : partial.parts)
        slot.payloads.append(std::move(part));
    m_partials.erase(d.seq);
    return true;
}

void ReliableChannel::dropPartial(quint32 seq)
{
    const auto it = m_partials.find(seq);
    if (it == m_partials.end())
        return;
    for (const QList<QByteArray> &part : it->second.parts)
        m_rcvBufferedBytes -= totalSize(part);
    m_partials.erase(it);
}

void ReliableChannel::deliverInOrder(Incoming &in, qint64 now)
{
    switch (in.kind) {
    case Kind::Data:
        if (m_partialCount == 0) {
            if (in.fragmentIndex != 0)
                return fail(QStringLiteral("payload starts with fragment %1").arg(in.fragmentIndex), now);
            if (in.fragmentCount == 1) {
                m_payloadsOut.append(std::move(in.fragment));
                return;
            }
            m_partialCount = in.fragmentCount;
            m_partialNextIndex = 1;
            m_partial = std::move(in.fragment);
            return;
        }
        if (in.fragmentIndex != m_partialNextIndex || in.fragmentCount != m_partialCount)
            return fail(QStringLiteral("fragment %1/%2 where %3/%4 was due")
                            .arg(in.fragmentIndex).arg(in.fragmentCount)
                            .arg(m_partialNextIndex).arg(m_partialCount), now);
        m_partial.append(in.fragment);
        if (++m_partialNextIndex == m_partialCount) {
            m_payloadsOut.append(std::exchange(m_partial, QByteArray()));
            m_partialCount = 0;
            m_partialNextIndex = 0;
        }
        return;
    case Kind::Bundle:
        // The sender bundles only whole payloads queued between fragmented ones, never inside one.
        if (m_partialCount != 0)
            return fail(QStringLiteral("Bundle inside a fragmented payload"), now);
        for (QByteArray &payload : in.payloads)
            m_payloadsOut.append(std::move(payload));
        return;
    case Kind::Ping:
        return;
    case Kind::Close:
        if (m_partialCount != 0)
            return fail(QStringLiteral("Close inside a fragmented payload"), now);
        emitEvent(Event::PeerClosed);
        emitAckCarrier(Kind::CloseAck, 0);
        // Full close: what we had not sent yet is dropped. If we are closing too, we still wait
        // for our own Close to be acknowledged.
        if (m_state == State::Connected)
            finish(State::Closed, now, m_deadPeerTimeoutMs); // linger as long as the peer may retransmit
        return;
    default:
        return;
    }
}

void ReliableChannel::processAck(const Datagram &d, qint64 now)
{
    qint64 sampleSentAt = -1;
    auto noteAcked = [&](const Outgoing &out) {
        // Karn: a datagram sent more than once gives no RTT sample, and no evidence about which
        // transmission arrived for loss detection either.
        if (out.transmissions != 1)
            return;
        sampleSentAt = qMax(sampleSentAt, out.lastSentAt);
        m_largestAckedTxOrder = qMax(m_largestAckedTxOrder, out.txOrder);
    };

    bool advanced = false;
    if (seqDiff(d.ack, m_sndUna) > 0) {
        const quint32 count = d.ack - m_sndUna; // <= in flight: acceptAck() checked ack <= sndNxt
        for (quint32 i = 0; i < count; ++i) {
            const Outgoing &out = m_out.front();
            if (!out.sacked) {
                noteAcked(out);
                noteDelivered(out, now);
                m_bytesInFlight -= out.wireSize;
                m_sendBufferBytes -= out.payloadBytes;
            }
            m_out.pop_front();
        }
        m_sndUna = d.ack;
        advanced = true;
        if (seqDiff(d.ack, m_highestAckedNext) > 0)
            m_highestAckedNext = d.ack;
    }

    quint64 bits = d.sack;
    for (quint32 i = 0; bits != 0 && i < 64; ++i, bits >>= 1) {
        if (!(bits & 1))
            continue;
        const quint32 seq = d.ack + 1 + i;
        if (seqDiff(seq, m_sndNxt) >= 0)
            break;
        const qint32 offset = seqDiff(seq, m_sndUna);
        if (offset < 0)
            continue;
        Outgoing &out = m_out[size_t(offset)];
        if (out.sacked)
            continue;
        noteAcked(out);
        noteDelivered(out, now);
        if (seqDiff(seq + 1, m_highestAckedNext) > 0)
            m_highestAckedNext = seq + 1;
        out.sacked = true;
        m_bytesInFlight -= out.wireSize;
        m_sendBufferBytes -= out.payloadBytes;
        out.fragment = QByteArray(); // the receiver never discards what it acknowledged
        out.payloads = QList<QByteArray>();
        out.payloadBytes = 0;
    }

    if (sampleSentAt >= 0)
        takeRttSample(now - sampleSentAt);
    if (advanced) {
        // RFC 6298 (5.2, 5.3): stop the timer when all is acknowledged, else restart it.
        m_backoffCount = 0;
        m_rtoDeadline = m_sndUna == m_sndNxt ? -1 : now + m_rto;
    }
    detectLosses(now);
}

void ReliableChannel::detectLosses(qint64 now)
{
    // A datagram is presumed lost, and resent at once, when
    //  - one sent FastRetransmitThreshold transmissions after it was acknowledged (only
    //    datagrams sent once count: for the others we cannot tell which transmission arrived), or
    //  - a higher sequence number was acknowledged and it was last sent longer ago than
    //    LossTimeThreshold * max(SRTT, latest RTT): the peer is answering, and it would have
    //    answered this one by now. This also repairs holes left after a retransmission timeout,
    //    where every datagram has been sent more than once.
    const double rtt = m_hasRttSample ? qMax(m_srtt, m_latestRtt) : double(InitialRtoMs);
    const qint64 lossDelay = qMax<qint64>(qint64(std::ceil(LossTimeThreshold * rtt)), 1);
    const quint32 inFlight = m_sndNxt - m_sndUna;
    for (quint32 i = 0; i < inFlight; ++i) {
        Outgoing &out = m_out[i];
        if (out.sacked)
            continue;
        const quint32 seq = m_sndUna + i;
        if (seqDiff(seq + 1, m_highestAckedNext) >= 0)
            break; // nothing above it acknowledged (yet)
        if (out.txOrder + FastRetransmitThreshold <= m_largestAckedTxOrder || now - out.lastSentAt >= lossDelay)
            transmit(out, seq, now);
    }
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
