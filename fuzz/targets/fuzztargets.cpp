#include "fuzztargets.h"

#include "framedecoder.h"
#include "linesplitter.h"
#include "message.h"
#include "reliablechannel.h"
#include "udpwire.h"

#include <QByteArray>
#include <QHostAddress>
#include <QLoggingCategory>

namespace ConfabFuzz {

using namespace Confab;

namespace {

// Invariant broken: stop here, so libFuzzer (or the replay test) reports the input.
[[noreturn]] void broken()
{
    __builtin_trap();
}

void check(bool condition)
{
    if (!condition)
        broken();
}

QByteArray bytesOf(const uint8_t *data, size_t size)
{
    // The decoders log what they drop; at millions of inputs that is all the fuzzer would do.
    static const bool quiet = [] {
        QLoggingCategory::setFilterRules(QStringLiteral("confab.*=false"));
        return true;
    }();
    Q_UNUSED(quiet)
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

} // namespace

int frameDecoder(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t chunk = size_t(data[0]) + 1; // 1 ... 256 bytes per read
    FrameDecoder decoder;
    QByteArray payload;
    bool failed = false;
    for (size_t at = 1; at < size && !failed; at += chunk) {
        decoder.append(reinterpret_cast<const char *>(data + at), qsizetype(qMin(chunk, size - at)));
        // A decoder never holds more than one frame plus one read.
        check(decoder.bufferedBytes() <= qsizetype(Limits::MaxFramePayload) + 4 + qsizetype(chunk) + 64 * 1024);
        for (;;) {
            const FrameDecoder::Status status = decoder.next(&payload);
            if (status == FrameDecoder::Status::NeedMore)
                break;
            if (status == FrameDecoder::Status::Error) {
                check(decoder.error() == ErrorCode::EmptyFrame || decoder.error() == ErrorCode::FrameTooLarge);
                failed = true;
                break;
            }
            check(!payload.isEmpty() && payload.size() <= qsizetype(Limits::MaxFramePayload));
            (void)Message::decode(payload);
        }
    }
    return 0;
}

int message(const uint8_t *data, size_t size)
{
    if (size > Limits::MaxFramePayload)
        return 0; // the frame decoder never hands over more
    const DecodeResult result = Message::decode(bytesOf(data, size));
    if (!result.ok()) {
        check(result.error != ErrorCode::None);
        return 0;
    }
    // What the server accepts, it can say again: the re-encoded message decodes to the same map.
    const QByteArray again = result.message.encode();
    const DecodeResult second = Message::decode(again);
    check(second.ok());
    check(second.message.type() == result.message.type());
    check(second.message.encode() == again);
    return 0;
}

int udpDatagram(const uint8_t *data, size_t size)
{
    const QByteArray bytes = bytesOf(data, qMin<size_t>(size, UdpWire::LargestDatagramSize + 16));
    // As a receiver that reads the base size only, and as one that advertised the largest size.
    for (const int limit : {UdpWire::BaseDatagramSize, UdpWire::LargestDatagramSize}) {
        UdpWire::Datagram d;
        if (UdpWire::decode(bytes, &d, limit) != UdpWire::DecodeError::None)
            continue;
        check(bytes.size() <= limit);
        check(d.fragment.size() <= UdpWire::MaxFragmentPayload);
        if (d.kind == UdpWire::Kind::BundlePart)
            check(bytes.size() <= UdpWire::BaseDatagramSize && d.partIndex < d.partCount
                  && d.partCount <= UdpWire::MaxBundleParts && !d.payloads.isEmpty());
        else
            check(d.payloads.isEmpty() || (d.payloads.size() >= UdpWire::MinBundlePayloads
                                           && d.payloads.size() <= UdpWire::MaxBundlePayloads));
        if (d.features & UdpWire::FeatureLargeDatagrams)
            check(d.maxDatagramSize >= UdpWire::BaseDatagramSize);
        const QByteArray encoded = UdpWire::encode(d, limit);
        check(!encoded.isEmpty() && encoded.size() == bytes.size());
        UdpWire::Datagram again;
        check(UdpWire::decode(encoded, &again, limit) == UdpWire::DecodeError::None);
        check(again.kind == d.kind && again.connectionId == d.connectionId && again.seq == d.seq
              && again.ack == d.ack && again.sack == d.sack && again.fragment == d.fragment
              && again.cookie == d.cookie && again.payloads == d.payloads && again.features == d.features
              && again.maxDatagramSize == d.maxDatagramSize && again.probeId == d.probeId
              && again.probeSize == d.probeSize && again.partIndex == d.partIndex
              && again.partCount == d.partCount);
    }
    (void)UdpWire::peekConnectionId(bytes);
    // The front door: never a reply larger than its cause, never an admission without a cookie.
    static const QByteArray secret(UdpWire::CookieSecretSize, '\x5a');
    const QHostAddress address(QStringLiteral("192.0.2.7"));
    const UdpWire::GateVerdict verdict = UdpWire::screenUnverified(bytes, address, 4242, secret, 1000 * 1000, 3);
    if (verdict.action == UdpWire::GateVerdict::Action::Reply)
        check(verdict.reply.size() <= bytes.size());
    if (verdict.action == UdpWire::GateVerdict::Action::Admit)
        check(bytes.size() == UdpWire::HelloWithCookieSize);
    return 0;
}

int reliableChannel(const uint8_t *data, size_t size)
{
    // Records: op (1 byte), length (2 bytes, big-endian), then `length` bytes.
    //   op % 4 == 0: a datagram from the peer      op % 4 == 1: time passes (length ms), timers run
    //   op % 4 == 2: the server sends the bytes    op % 4 == 3: the server closes
    ReliableChannel channel(ReliableChannel::Role::Server, 0x01020304);
    channel.setMaxDatagramSize(UdpWire::LargestDatagramSize); // path MTU discovery on, as servers run
    qint64 now = 1000;
    size_t at = 0;
    int steps = 0;
    while (at + 3 <= size && steps++ < 4096) {
        const int op = data[at] % 4;
        const size_t length = (size_t(data[at + 1]) << 8) | data[at + 2];
        at += 3;
        const size_t take = qMin(length, size - at);
        const QByteArray bytes = bytesOf(data + at, take);
        at += take;
        switch (op) {
        case 0:
            (void)channel.handleDatagram(bytes, now);
            break;
        case 1:
            now += qint64(length);
            if (channel.nextTimeoutAt() >= 0 && channel.nextTimeoutAt() <= now)
                channel.onTimer(now);
            break;
        case 2:
            (void)channel.send(bytes, now);
            break;
        case 3:
            channel.close(now);
            break;
        }
        // Never larger than the peer advertised (the base size unless it advertised more).
        for (const QByteArray &out : channel.takeDatagrams())
            check(out.size() <= channel.peerMaxDatagramSize() && out.size() <= UdpWire::LargestDatagramSize);
        for (const QByteArray &payload : channel.takePayloads())
            check(!payload.isEmpty() && payload.size() <= qsizetype(Limits::MaxFramePayload));
        (void)channel.takeEvents();
        // The bounds of docs/PROTOCOL-UDP.md §7-§8 hold whatever the peer sends.
        check(channel.reassemblyBytes() <= ReliableChannel::MaxReassemblyBytes);
        check(channel.queuedBytes() <= ReliableChannel::MaxQueuedBytes);
        check(channel.datagramsInFlight() <= ReliableChannel::SendWindowDatagrams);
    }
    return 0;
}

int directChatLines(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t chunk = size_t(data[0]) * 64 + 1;        // 1 ... 16,321 bytes per read
    // Mostly short limits, so the fuzzer meets them; 0 picks the real one.
    const int maxLine = data[1] % 64 == 0 ? 16 * 1024 : data[1] % 64;
    LineSplitter lines(maxLine);
    QString line;
    bool failed = false;
    for (size_t at = 2; at < size && !failed; at += chunk) {
        lines.append(bytesOf(data + at, qMin(chunk, size - at)));
        for (;;) {
            const LineSplitter::Status status = lines.next(&line);
            if (status == LineSplitter::Status::NeedMore) {
                check(lines.bufferedBytes() <= qsizetype(maxLine) + 1 + qsizetype(chunk));
                break;
            }
            if (status == LineSplitter::Status::TooLong) {
                failed = true;
                break;
            }
            check(line.size() <= maxLine); // UTF-16 units never outnumber the UTF-8 bytes
        }
    }
    const QString rest = lines.takeRest();
    check(rest.size() <= maxLine);
    return 0;
}

} // namespace ConfabFuzz
