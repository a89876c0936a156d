#include "udpwire.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QtEndian>

#include <cstring>

namespace Confab::UdpWire {

namespace {

quint16 readU16(const char *p) { return qFromBigEndian<quint16>(p); }
quint32 readU32(const char *p) { return qFromBigEndian<quint32>(p); }
quint64 readU64(const char *p) { return qFromBigEndian<quint64>(p); }
void writeU16(char *p, quint16 v) { qToBigEndian<quint16>(v, p); }
void writeU32(char *p, quint32 v) { qToBigEndian<quint32>(v, p); }
void writeU64(char *p, quint64 v) { qToBigEndian<quint64>(v, p); }

bool isConnectionKind(Kind kind)
{
    return kind != Kind::Probe && kind != Kind::ProbeReply;
}

int exactSize(Kind kind)
{
    switch (kind) {
    case Kind::Hello: return HelloSize;
    case Kind::Cookie: return CookieReplySize;
    case Kind::HelloWithCookie: return HelloWithCookieSize;
    case Kind::Accept: return AcceptSize;
    case Kind::Ack:
    case Kind::Ping:
    case Kind::Close:
    case Kind::CloseAck: return FullHeaderSize;
    case Kind::Probe: return ProbeSize;
    case Kind::ProbeReply: return ProbeReplySize;
    case Kind::SizeProbeAck: return SizeProbeAckSize;
    case Kind::Data:
    case Kind::Bundle:
    case Kind::BundlePart:
    case Kind::SizeProbe:
    case Kind::Invalid: break;
    }
    return -1;
}

// Walks a bundle's entries (count at p[0], entries after it, `size` bytes in all) without
// allocating: true when the count is in minCount..MaxBundlePayloads and the entries fill the bytes
// exactly.
bool bundleLayoutValid(const char *p, qsizetype size, int minCount)
{
    if (size < 1)
        return false;
    const int count = quint8(p[0]);
    if (count < minCount || count > MaxBundlePayloads)
        return false;
    qsizetype at = 1;
    for (int i = 0; i < count; ++i) {
        if (size - at < BundleEntryHeaderSize)
            return false;
        const int length = readU16(p + at);
        at += BundleEntryHeaderSize;
        if (length < 1 || length > size - at)
            return false;
        at += length;
    }
    return at == size;
}

// What encode() accepts for a bundle or a bundle part: the counts and sizes a decoder accepts.
// Returns the datagram's size, or 0.
int bundleSize(const QList<QByteArray> &payloads, int minCount, int headerSize, int maxSize)
{
    if (payloads.size() < minCount || payloads.size() > MaxBundlePayloads)
        return 0;
    qsizetype size = headerSize;
    for (const QByteArray &payload : payloads) {
        if (payload.isEmpty() || payload.size() > 0xFFFF)
            return 0;
        size += bundleEntrySize(payload.size());
    }
    return size <= maxSize ? int(size) : 0;
}

bool partFieldsValid(int index, int count)
{
    return count >= 2 && count <= MaxBundleParts && index < count;
}

// Writes count and entries at p (the layout shared by Bundle and BundlePart).
void writeEntries(char *p, const QList<QByteArray> &payloads)
{
    p[0] = char(payloads.size());
    char *at = p + 1;
    for (const QByteArray &payload : payloads) {
        writeU16(at, quint16(payload.size()));
        memcpy(at + BundleEntryHeaderSize, payload.constData(), size_t(payload.size()));
        at += bundleEntrySize(payload.size());
    }
}

// Reads the entries bundleLayoutValid() accepted.
QList<QByteArray> readEntries(const QByteArray &bytes, qsizetype countAt)
{
    const char *p = bytes.constData();
    const int count = quint8(p[countAt]);
    QList<QByteArray> payloads;
    payloads.reserve(count);
    qsizetype at = countAt + 1;
    for (int i = 0; i < count; ++i) {
        const int length = readU16(p + at);
        at += BundleEntryHeaderSize;
        payloads.append(bytes.mid(at, length));
        at += length;
    }
    return payloads;
}

// Fragment rules that need no connection state: see the Data layout in udpwire.h.
bool fragmentFieldsValid(int index, int count, int length)
{
    if (count < 1 || count > MaxFragments || index >= count)
        return false;
    if (length < 1 || length > MaxFragmentPayload)
        return false;
    if (index < count - 1)
        return length == MaxFragmentPayload;
    return qint64(index) * MaxFragmentPayload + length <= qint64(Limits::MaxFramePayload);
}

QByteArray cookieMessage(const QHostAddress &address, quint16 port, quint32 connectionId,
                         quint32 seconds)
{
    static const QByteArray label = QByteArrayLiteral("confab-udp-cookie-v1");
    QByteArray message = label;
    // IPv4 as IPv4-mapped IPv6, so a dual-stack socket (::ffff:a.b.c.d) and an IPv4 socket
    // (a.b.c.d) mint the same cookie for the same client.
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    message.append(reinterpret_cast<const char *>(v6.c), 16);
    char tail[10];
    writeU16(tail, port);
    writeU32(tail + 2, connectionId);
    writeU32(tail + 6, seconds);
    message.append(tail, sizeof tail);
    return message;
}

bool constantTimeEquals(const char *a, const char *b, int size)
{
    unsigned char diff = 0;
    for (int i = 0; i < size; ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

QString kindName(Kind kind)
{
    switch (kind) {
    case Kind::Invalid: return QStringLiteral("Invalid");
    case Kind::Hello: return QStringLiteral("Hello");
    case Kind::Cookie: return QStringLiteral("Cookie");
    case Kind::HelloWithCookie: return QStringLiteral("HelloWithCookie");
    case Kind::Accept: return QStringLiteral("Accept");
    case Kind::Data: return QStringLiteral("Data");
    case Kind::Ack: return QStringLiteral("Ack");
    case Kind::Ping: return QStringLiteral("Ping");
    case Kind::Close: return QStringLiteral("Close");
    case Kind::CloseAck: return QStringLiteral("CloseAck");
    case Kind::Probe: return QStringLiteral("Probe");
    case Kind::ProbeReply: return QStringLiteral("ProbeReply");
    case Kind::Bundle: return QStringLiteral("Bundle");
    case Kind::SizeProbe: return QStringLiteral("SizeProbe");
    case Kind::SizeProbeAck: return QStringLiteral("SizeProbeAck");
    case Kind::BundlePart: return QStringLiteral("BundlePart");
    }
    return QStringLiteral("Kind%1").arg(int(kind));
}

QString decodeErrorName(DecodeError error)
{
    switch (error) {
    case DecodeError::None: return QStringLiteral("None");
    case DecodeError::TooShort: return QStringLiteral("TooShort");
    case DecodeError::TooLarge: return QStringLiteral("TooLarge");
    case DecodeError::BadMagic: return QStringLiteral("BadMagic");
    case DecodeError::BadVersion: return QStringLiteral("BadVersion");
    case DecodeError::UnknownKind: return QStringLiteral("UnknownKind");
    case DecodeError::BadSize: return QStringLiteral("BadSize");
    case DecodeError::BadConnectionId: return QStringLiteral("BadConnectionId");
    case DecodeError::BadFragment: return QStringLiteral("BadFragment");
    case DecodeError::BadBundle: return QStringLiteral("BadBundle");
    }
    return QStringLiteral("DecodeError%1").arg(int(error));
}

DecodeError decode(const QByteArray &bytes, Datagram *out, int maxSize)
{
    const qsizetype size = bytes.size();
    if (size < ShortHeaderSize)
        return DecodeError::TooShort;
    if (size > qBound(BaseDatagramSize, maxSize, LargestDatagramSize))
        return DecodeError::TooLarge;
    const char *p = bytes.constData();
    const quint8 first = quint8(p[0]);
    if ((first & MagicMask) != Magic)
        return DecodeError::BadMagic;
    if ((first & ~MagicMask) != Version)
        return DecodeError::BadVersion;
    const quint8 kindByte = quint8(p[1]);
    if (kindByte == 0 || kindByte > LastKind)
        return DecodeError::UnknownKind;
    const Kind kind = Kind(kindByte);

    if (kind == Kind::Data) {
        if (size < DataHeaderSize + 1)
            return DecodeError::BadSize;
    } else if (kind == Kind::Bundle) {
        if (size < BundleHeaderSize + MinBundlePayloads * bundleEntrySize(1))
            return DecodeError::BadSize;
    } else if (kind == Kind::BundlePart) {
        if (size < BundlePartHeaderSize + bundleEntrySize(1) || size > BaseDatagramSize)
            return DecodeError::BadSize;
    } else if (kind == Kind::SizeProbe) {
        if (size < SizeProbeMinSize)
            return DecodeError::BadSize;
    } else if (kind == Kind::Accept) {
        if (size != AcceptSize && size != AcceptWithFeaturesSize && size != AcceptWithMaxDatagramSize)
            return DecodeError::BadSize;
    } else if (size != exactSize(kind)) {
        return DecodeError::BadSize;
    }

    Datagram d;
    d.kind = kind;
    d.connectionId = readU32(p + 2);
    if (isConnectionKind(kind) && d.connectionId == 0)
        return DecodeError::BadConnectionId;

    if (hasFullHeader(kind)) {
        d.seq = readU32(p + 6);
        d.ack = readU32(p + 10);
        d.sack = readU64(p + 14);
    }

    switch (kind) {
    case Kind::Data: {
        const int index = quint8(p[22]);
        const int count = quint8(p[23]);
        const int length = readU16(p + 24);
        // The length field must agree with the datagram: a truncated (or padded) fragment is
        // rejected here rather than trusted.
        if (length != size - DataHeaderSize || !fragmentFieldsValid(index, count, length))
            return DecodeError::BadFragment;
        d.fragmentIndex = quint8(index);
        d.fragmentCount = quint8(count);
        d.fragment = bytes.mid(DataHeaderSize, length);
        break;
    }
    case Kind::Bundle: {
        // Every count and length is checked against the datagram before anything is allocated.
        if (!bundleLayoutValid(p + FullHeaderSize, size - FullHeaderSize, MinBundlePayloads))
            return DecodeError::BadBundle;
        d.payloads = readEntries(bytes, FullHeaderSize);
        break;
    }
    case Kind::BundlePart: {
        const int index = quint8(p[FullHeaderSize]);
        const int count = quint8(p[FullHeaderSize + 1]);
        if (!partFieldsValid(index, count)
            || !bundleLayoutValid(p + FullHeaderSize + 2, size - FullHeaderSize - 2, 1))
            return DecodeError::BadBundle;
        d.partIndex = quint8(index);
        d.partCount = quint8(count);
        d.payloads = readEntries(bytes, FullHeaderSize + 2);
        break;
    }
    case Kind::SizeProbe:
        d.probeId = readU32(p + ShortHeaderSize);
        d.probeSize = quint16(size);
        break;
    case Kind::SizeProbeAck:
        d.probeId = readU32(p + ShortHeaderSize);
        d.probeSize = readU16(p + ShortHeaderSize + 4);
        if (d.probeSize < SizeProbeMinSize || d.probeSize > LargestDatagramSize)
            return DecodeError::BadSize;
        break;
    case Kind::Accept:
        if (size >= AcceptWithFeaturesSize) {
            d.features = readU16(p + AcceptSize);
            if (d.features == 0)
                return DecodeError::BadSize; // the 8-byte form is only for agreed features
            // Large datagrams are agreed with a size, in the 10-byte form, and only there.
            const bool large = d.features & FeatureLargeDatagrams;
            if (large != (size == AcceptWithMaxDatagramSize))
                return DecodeError::BadSize;
            if (large) {
                d.maxDatagramSize = readU16(p + AcceptWithFeaturesSize);
                if (d.maxDatagramSize < BaseDatagramSize)
                    return DecodeError::BadSize;
            }
        }
        break;
    case Kind::Cookie:
        d.cookie = bytes.mid(ShortHeaderSize, CookieSize);
        break;
    case Kind::HelloWithCookie:
        d.cookie = bytes.mid(ShortHeaderSize, CookieSize);
        d.features = readU16(p + HelloFeaturesOffset);
        if (d.features & FeatureLargeDatagrams) {
            d.maxDatagramSize = readU16(p + HelloMaxDatagramOffset);
            if (d.maxDatagramSize < BaseDatagramSize)
                return DecodeError::BadSize;
        }
        break;
    case Kind::ProbeReply:
        d.transports = readU16(p + 6);
        d.protocolVersion = readU32(p + 8);
        break;
    default:
        break;
    }
    *out = std::move(d);
    return DecodeError::None;
}

QByteArray encode(const Datagram &d, int maxSize)
{
    maxSize = qBound(BaseDatagramSize, maxSize, LargestDatagramSize);
    const quint8 kindByte = quint8(d.kind);
    if (kindByte == 0 || kindByte > LastKind)
        return {};
    if (isConnectionKind(d.kind) && d.connectionId == 0)
        return {};
    int size = exactSize(d.kind);
    if (d.kind == Kind::Data) {
        if (!fragmentFieldsValid(d.fragmentIndex, d.fragmentCount, int(d.fragment.size())))
            return {};
        size = DataHeaderSize + int(d.fragment.size());
    } else if (d.kind == Kind::Bundle) {
        size = bundleSize(d.payloads, MinBundlePayloads, BundleHeaderSize, maxSize);
        if (size == 0)
            return {};
    } else if (d.kind == Kind::BundlePart) {
        size = bundleSize(d.payloads, 1, BundlePartHeaderSize, BaseDatagramSize);
        if (size == 0 || !partFieldsValid(d.partIndex, d.partCount))
            return {};
    } else if (d.kind == Kind::SizeProbe) {
        size = d.probeSize;
        if (size < SizeProbeMinSize || size > maxSize)
            return {};
    } else if (d.kind == Kind::SizeProbeAck) {
        if (d.probeSize < SizeProbeMinSize || d.probeSize > LargestDatagramSize)
            return {};
    } else if (d.kind == Kind::Accept && d.features != 0) {
        size = (d.features & FeatureLargeDatagrams) ? AcceptWithMaxDatagramSize : AcceptWithFeaturesSize;
    }
    if ((d.kind == Kind::Accept || d.kind == Kind::HelloWithCookie) && (d.features & FeatureLargeDatagrams)
        && d.maxDatagramSize < BaseDatagramSize)
        return {};
    if ((d.kind == Kind::Cookie || d.kind == Kind::HelloWithCookie) && d.cookie.size() != CookieSize)
        return {};

    QByteArray bytes(size, '\0');
    char *p = bytes.data();
    p[0] = char(MagicVersion);
    p[1] = char(kindByte);
    writeU32(p + 2, d.connectionId);
    if (hasFullHeader(d.kind)) {
        writeU32(p + 6, d.seq);
        writeU32(p + 10, d.ack);
        writeU64(p + 14, d.sack);
    }
    switch (d.kind) {
    case Kind::Data:
        p[22] = char(d.fragmentIndex);
        p[23] = char(d.fragmentCount);
        writeU16(p + 24, quint16(d.fragment.size()));
        memcpy(p + DataHeaderSize, d.fragment.constData(), size_t(d.fragment.size()));
        break;
    case Kind::Bundle:
        writeEntries(p + FullHeaderSize, d.payloads);
        break;
    case Kind::BundlePart:
        p[FullHeaderSize] = char(d.partIndex);
        p[FullHeaderSize + 1] = char(d.partCount);
        writeEntries(p + FullHeaderSize + 2, d.payloads);
        break;
    case Kind::SizeProbe:
        writeU32(p + ShortHeaderSize, d.probeId);
        break;
    case Kind::SizeProbeAck:
        writeU32(p + ShortHeaderSize, d.probeId);
        writeU16(p + ShortHeaderSize + 4, d.probeSize);
        break;
    case Kind::Accept:
        if (d.features != 0)
            writeU16(p + AcceptSize, d.features);
        if (d.features & FeatureLargeDatagrams)
            writeU16(p + AcceptWithFeaturesSize, d.maxDatagramSize);
        break;
    case Kind::Cookie:
        memcpy(p + ShortHeaderSize, d.cookie.constData(), CookieSize);
        break;
    case Kind::HelloWithCookie:
        memcpy(p + ShortHeaderSize, d.cookie.constData(), CookieSize);
        writeU16(p + HelloFeaturesOffset, d.features);
        if (d.features & FeatureLargeDatagrams)
            writeU16(p + HelloMaxDatagramOffset, d.maxDatagramSize);
        break;
    case Kind::ProbeReply:
        writeU16(p + 6, d.transports);
        writeU32(p + 8, d.protocolVersion);
        break;
    default:
        break;
    }
    return bytes;
}

quint32 peekConnectionId(const QByteArray &bytes)
{
    if (bytes.size() < ShortHeaderSize || bytes.size() > LargestDatagramSize
        || quint8(bytes.at(0)) != MagicVersion)
        return 0;
    const quint8 kindByte = quint8(bytes.at(1));
    if (kindByte == 0 || kindByte > LastKind || !isConnectionKind(Kind(kindByte)))
        return 0;
    return readU32(bytes.constData() + 2);
}

QByteArray generateCookieSecret()
{
    QByteArray secret(CookieSecretSize, '\0');
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()),
                                          CookieSecretSize / int(sizeof(quint32)));
    return secret;
}

QByteArray mintCookie(const QByteArray &secret, const QHostAddress &address, quint16 port,
                      quint32 connectionId, qint64 nowMs)
{
    const quint32 seconds = quint32(nowMs / 1000);
    QByteArray cookie(CookieTimeSize, '\0');
    writeU32(cookie.data(), seconds);
    cookie += QMessageAuthenticationCode::hash(cookieMessage(address, port, connectionId, seconds),
                                               secret, QCryptographicHash::Sha256);
    return cookie;
}

CookieCheck verifyCookie(const QByteArray &secret, const QByteArray &cookie,
                         const QHostAddress &address, quint16 port, quint32 connectionId,
                         qint64 nowMs)
{
    if (cookie.size() != CookieSize)
        return CookieCheck::Malformed;
    const quint32 seconds = readU32(cookie.constData());
    const QByteArray expected = QMessageAuthenticationCode::hash(
        cookieMessage(address, port, connectionId, seconds), secret, QCryptographicHash::Sha256);
    if (expected.size() != CookieMacSize
        || !constantTimeEquals(expected.constData(), cookie.constData() + CookieTimeSize, CookieMacSize))
        return CookieCheck::Forged;
    // Only now is the time trustworthy (it is ours). A time ahead of the clock means the clock
    // went backwards; treat it as expired rather than valid for longer than intended.
    const qint64 age = nowMs / 1000 - qint64(seconds);
    if (age < 0 || age > CookieLifetimeSecs)
        return CookieCheck::Expired;
    return CookieCheck::Valid;
}

GateVerdict screenUnverified(const QByteArray &bytes, const QHostAddress &address, quint16 port,
                             const QByteArray &secret, qint64 nowMs, quint16 transports)
{
    GateVerdict verdict;
    Datagram d;
    verdict.decodeError = decode(bytes, &d);
    if (verdict.decodeError != DecodeError::None)
        return verdict;

    Datagram reply;
    reply.connectionId = d.connectionId;
    switch (d.kind) {
    case Kind::Probe:
        reply.kind = Kind::ProbeReply;
        reply.transports = transports;
        reply.protocolVersion = ProtocolVersion;
        break;
    case Kind::Hello:
        reply.kind = Kind::Cookie;
        reply.cookie = mintCookie(secret, address, port, d.connectionId, nowMs);
        break;
    case Kind::HelloWithCookie:
        if (verifyCookie(secret, d.cookie, address, port, d.connectionId, nowMs) == CookieCheck::Valid) {
            verdict.action = GateVerdict::Action::Admit;
            verdict.connectionId = d.connectionId;
        }
        return verdict;
    default:
        return verdict;
    }
    QByteArray encoded = encode(reply);
    // The no-amplification rule, enforced rather than only argued.
    if (encoded.isEmpty() || encoded.size() > bytes.size())
        return verdict;
    verdict.action = GateVerdict::Action::Reply;
    verdict.reply = std::move(encoded);
    return verdict;
}

bool looksLikeDtls(const QByteArray &datagram)
{
    return datagram.size() >= 13 && quint8(datagram.at(0)) >= 20 && quint8(datagram.at(0)) <= 23
           && quint8(datagram.at(1)) == 0xfe;
}

QByteArray encryptionRequiredReply(quint32 connectionId, quint16 transports)
{
    Datagram reply;
    reply.kind = Kind::ProbeReply;
    reply.connectionId = connectionId;
    reply.transports = transports;
    reply.protocolVersion = ProtocolVersion;
    return encode(reply);
}

} // namespace Confab::UdpWire
