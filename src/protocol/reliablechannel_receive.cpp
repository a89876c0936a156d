// ReliableChannel: what arrives from the peer — decoding and screening each datagram, the
// sequenced ones into the receive window (fragments, bundles and bundle parts), in-order
// delivery, and the acknowledgements that drive the sender (docs/PROTOCOL-UDP.md §6-§7).
#include "reliablechannel.h"
#include "reliablechannel_p.h"

#include <cmath>
#include <utility>

namespace Confab {

using namespace ReliableChannelDetail;

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

} // namespace Confab
