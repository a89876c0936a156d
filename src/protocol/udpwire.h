// Confab over UDP: the datagram format, the stateless cookie and the server's stateless front
// door. Pure functions, no sockets, no clocks of their own (time is passed in as milliseconds).
//
// docs/PROTOCOL-UDP.md is the contract; this header is its C++ mirror. Kind numbers are
// APPEND-ONLY. All integers are big-endian (network order).
//
// Every datagram starts with the same 6-byte short header:
//
//   off len field
//   0   1   magic/version  0xC1: high nibble 0xC marks Confab, low nibble is the UDP wire version
//                          (1). 0xC0/0xC1 never occur in UTF-8 text and are not DTLS content types
//                          (20..25), so a seed-002 text command or a DTLS record on the same port
//                          is never mistaken for a Confab datagram. Other values: dropped.
//   1   1   kind           Kind below; unknown kinds are dropped.
//   2   4   connection id  chosen at random (non-zero) by the client for one connection; a Probe
//                          puts a nonce here instead.
//
// Kind-specific layouts (sizes are exact: a datagram of any other size is dropped):
//
//   Hello            1200  short header, then zero padding up to MaxDatagramSize. The padding makes
//                          the client's first datagram at least as large as any reply to it (no
//                          amplification) and proves the path carries full-size datagrams.
//   Cookie             42  short header, cookie (36): u32 coarse time (seconds of the server clock),
//                          32-byte HMAC-SHA256 tag. Sent statelessly in reply to Hello.
//   HelloWithCookie  1200  short header, the cookie echoed (36), then:
//     42  2   features         the channel features (Feature*) the client can receive; a client
//                              older than features sends 0 here (it was zero padding, which
//                              servers never checked), so it is offered nothing
//     44  2   max datagram     with FeatureLargeDatagrams offered: the largest UDP payload the
//                              client will read (>= BaseDatagramSize, QUIC's max_udp_payload_size);
//                              below BaseDatagramSize the datagram is malformed. Without that
//                              feature these bytes are padding and ignored (older clients: 0).
//     46  -   zero padding up to BaseDatagramSize
//   Accept         6/8/10  short header. The server keeps state for the client from now on. The
//                          8-byte form adds u16 features: those both ends support (the client's
//                          offer ANDed with the server's), never 0, never FeatureLargeDatagrams.
//                          The 10-byte form is the only one with FeatureLargeDatagrams agreed and
//                          adds u16 max datagram: the largest UDP payload the server will read
//                          (>= BaseDatagramSize). A client that offered nothing gets the 6-byte
//                          form (older clients drop any other size), one that offered bundles but
//                          not large datagrams the 8-byte form (what it was built to accept); a
//                          6-byte Accept, or none (a lost Accept implied by the server's data),
//                          means no features: each end uses a feature only once it knows the peer
//                          has it, so an older peer never gets a datagram above BaseDatagramSize.
//   Probe              16  short header (nonce in the id field), 10 zero bytes.
//   ProbeReply         16  short header (nonce echoed), u16 transport flags (Transport*),
//                          u32 Confab protocol version, 4 zero bytes. Never larger than the Probe.
//   SizeProbe    10-8952  short header, then (only to a peer that offered FeatureLargeDatagrams,
//                          never above the size it advertised):
//     6   4   probe id         chosen by the sender, echoed in the SizeProbeAck
//     10  -   zero padding     up to the size being tried; the datagram's own size is the probe
//                          Path MTU discovery (RFC 8899 DPLPMTUD): "does a datagram this large
//                          reach you?". NOT sequenced: it carries no data, is never retransmitted
//                          (a lost probe only means "too large, or lost"), and neither its loss
//                          nor its silence counts as a loss of data or toward dead-peer detection.
//   SizeProbeAck       12  short header, u32 probe id echoed, u16 size of the SizeProbe received.
//                          Sent at once by the receiver of a SizeProbe (smaller than the probe).
//
// Kinds used once connected share the 22-byte full header:
//
//   6   4   seq            sequence number of this datagram (Data, Ping, Close); 0 in Ack/CloseAck.
//                          Each direction counts from 0; one number per datagram, not per payload.
//                          Compared with serial-number arithmetic (RFC 1982), so it may wrap.
//   10  4   ack            cumulative acknowledgement: every seq below this one has been received.
//   14  8   sack           selective acknowledgement: bit i (bit 0 = least significant) set means
//                          seq ack+1+i has been received too. 64 bits cover the whole window.
//
//   Ack                22  full header only: acknowledges, nothing more.
//   Ping               22  full header; sequenced with no content, so it is acknowledged and
//                          retransmitted like data (keepalive and dead-peer probe).
//   Close              22  full header; sequenced, so it is delivered after every payload sent
//                          before it. "I will send no more."
//   CloseAck           22  full header; "I have finished with this connection". Sent when the
//                          peer's Close is delivered (the ack then covers it), and by a closed
//                          channel in answer to anything sequenced (the ack says what it received).
//   Data          27-1200  full header, then (never larger than BaseDatagramSize, whatever the path):
//     22  1   fragment index   0-based position of this fragment in its payload
//     23  1   fragment count   1..MaxFragments fragments make up the payload
//     24  2   fragment length  1..MaxFragmentPayload; must equal the bytes that follow
//     26  n   fragment bytes   every fragment but the last carries exactly MaxFragmentPayload
//                              bytes, so the whole payload's size is known from the last one and
//                              checked against Limits::MaxFramePayload before anything is kept.
//   Bundle        29-8952  full header (one sequence number for the whole bundle), then:
//     22  1   payload count    MinBundlePayloads..MaxBundlePayloads whole payloads, in order
//     23  -   count entries, each:
//               2   payload length   1..; the entries must fill the datagram exactly
//               n   payload bytes    one whole payload (never a fragment)
//                          Sent only to a peer that accepted FeatureBundles, when a sender has
//                          several small payloads queued at once (never waiting for more). It is
//                          acknowledged, retransmitted and ordered as one datagram; its payloads
//                          are delivered in order, between the payloads of the sequence numbers
//                          before and after it. Never inside a fragmented payload. Above
//                          BaseDatagramSize only once the path was shown to carry that size (an
//                          acknowledged SizeProbe) and never above the peer's advertised size.
//                          Its payloads are at most MaxBundleablePayload bytes each, so that it
//                          can always be cut into BundleParts of BaseDatagramSize.
//   BundlePart    28-1200  full header (seq: the bundle's), then:
//     22  1   part index       0-based; < part count
//     23  1   part count       2..MaxBundleParts parts make up the bundle of this seq
//     24  1   payload count    1..MaxBundlePayloads whole payloads in this part
//     25  -   count entries, as in a Bundle, filling the datagram exactly
//                          A Bundle larger than the sender's current datagram size (the path
//                          shrank: black-hole fallback) is (re)sent as parts. The receiver keeps
//                          the parts of one seq until all have arrived, then handles the whole
//                          like the Bundle it stands for (payloads in part order); the seq is
//                          acknowledged only then, and retransmitted whole (all parts) if lost.
//                          Sent only to a peer that offered FeatureLargeDatagrams.
//
// A payload's fragments take consecutive sequence numbers, so in-order delivery is reassembly.
#pragma once

#include "protocol.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>

namespace Confab::UdpWire {

constexpr quint8 MagicVersion = 0xC1;
constexpr quint8 MagicMask = 0xF0;
constexpr quint8 Magic = 0xC0;
constexpr quint8 Version = 1;

// The base datagram size: every Confab end reads datagrams this large, and nothing larger is sent
// to a peer unless it advertised a larger size and the path was shown to carry it (SizeProbe).
// 1200 bytes plus the IPv6 (40) and UDP (8) headers stay under the 1280-byte IPv6 minimum MTU, so
// datagrams of this size are never fragmented by IP on any path that carries IPv6, and fit common
// tunnels (PPPoE, VPNs) over IPv4. (Seed 002 capped packets at 1024.) The handshake and every Data
// datagram stay within it.
constexpr int BaseDatagramSize = 1200;
constexpr int MaxDatagramSize = BaseDatagramSize; // the name from before path MTU discovery
// The largest datagram any Confab end advertises, sends or reads (size read buffers with it, plus
// one byte to see an oversized datagram as such): a 9,000-byte jumbo Ethernet MTU less the IPv6 and
// UDP headers. Larger MTUs exist only on loopback and special links; see PROTOCOL-UDP.md §2.1.
constexpr int LargestDatagramSize = 8952;
constexpr int ShortHeaderSize = 6;
constexpr int FullHeaderSize = 22;
constexpr int DataHeaderSize = 26;
constexpr int MaxFragmentPayload = MaxDatagramSize - DataHeaderSize; // 1174
constexpr int MaxFragments = int((Limits::MaxFramePayload + MaxFragmentPayload - 1) / MaxFragmentPayload); // 56
static_assert(MaxFragments <= 255, "fragment count must fit one byte");

constexpr int CookieTimeSize = 4;
constexpr int CookieMacSize = 32; // HMAC-SHA256
constexpr int CookieSize = CookieTimeSize + CookieMacSize; // 36
constexpr int HelloSize = MaxDatagramSize;
constexpr int HelloWithCookieSize = MaxDatagramSize;
constexpr int CookieReplySize = ShortHeaderSize + CookieSize; // 42
constexpr int AcceptSize = ShortHeaderSize;
constexpr int ProbeSize = 16;
constexpr int ProbeReplySize = 16;
constexpr int AcceptWithFeaturesSize = AcceptSize + 2;
constexpr int AcceptWithMaxDatagramSize = AcceptWithFeaturesSize + 2; // 10
constexpr int HelloFeaturesOffset = ShortHeaderSize + CookieSize; // in HelloWithCookie: 42
constexpr int HelloMaxDatagramOffset = HelloFeaturesOffset + 2;   // in HelloWithCookie: 44
constexpr int SizeProbeMinSize = ShortHeaderSize + 4;             // 10
constexpr int SizeProbeAckSize = ShortHeaderSize + 4 + 2;         // 12
static_assert(CookieReplySize <= HelloSize && AcceptWithMaxDatagramSize <= HelloWithCookieSize
                  && ProbeReplySize <= ProbeSize,
              "no reply to an unverified source may be larger than the datagram that caused it");

// Sequence numbers a sender may have outstanding beyond the receiver's cumulative ack, and the
// receiver's buffer for out-of-order datagrams: the sack bitmap covers exactly this many.
constexpr int WindowDatagrams = 64;

// Bundle (see the layout above).
constexpr int BundleHeaderSize = FullHeaderSize + 1;  // 23
constexpr int BundleEntryHeaderSize = 2;
constexpr int MinBundlePayloads = 2;
constexpr int MaxBundlePayloads = 255;
// The most payload bytes one bundle of BaseDatagramSize carries (two entries, each with its length
// field). A larger bundle (path MTU discovery) carries more; the receiver's buffer bound then rests
// on the sender's byte window (ReliableChannel::SendWindowBytes), see PROTOCOL-UDP.md §7.
constexpr int MaxBundledBytes = BaseDatagramSize - BundleHeaderSize - MinBundlePayloads * BundleEntryHeaderSize; // 1173
// BundlePart (see the layout above).
constexpr int BundlePartHeaderSize = FullHeaderSize + 3; // 25
constexpr int MaxBundleParts = 32;
// The largest payload a bundle takes: one that still fits a BundlePart of BaseDatagramSize alone.
constexpr int MaxBundleablePayload = BaseDatagramSize - BundlePartHeaderSize - BundleEntryHeaderSize; // 1173
static_assert(MaxBundleablePayload <= MaxFragmentPayload, "a bundled payload is never fragmented");
// Cut greedily at BaseDatagramSize, two consecutive parts together hold more entry bytes than one
// part has room for, so a bundle of LargestDatagramSize takes at most 16 parts (< MaxBundleParts).
static_assert(2 * (LargestDatagramSize / (BaseDatagramSize - BundlePartHeaderSize) + 1) <= MaxBundleParts,
              "MaxBundleParts must cover a bundle of LargestDatagramSize");
// Bytes a payload of `size` bytes takes inside a bundle.
constexpr int bundleEntrySize(qsizetype size) { return BundleEntryHeaderSize + int(size); }

// Channel features, negotiated in HelloWithCookie / Accept (APPEND-ONLY bits).
constexpr quint16 FeatureBundles = 0x0001; // may receive Bundle datagrams
// May receive datagrams above BaseDatagramSize, up to the size advertised with it (HelloWithCookie
// offset 44, the 10-byte Accept), and SizeProbe / BundlePart. Offered only by an end whose socket
// reads that much (ReliableChannel::setMaxDatagramSize()).
constexpr quint16 FeatureLargeDatagrams = 0x0002;
constexpr quint16 SupportedFeatures = FeatureBundles | FeatureLargeDatagrams;

// A cookie is accepted while (server seconds now) - (cookie seconds) is in 0..CookieLifetimeSecs.
constexpr int CookieLifetimeSecs = 20;

// DTLS datagrams (the channel inside DTLS, PROTOCOL-UDP.md §16.3, §17) are read up to this size:
// a full channel datagram plus record overhead, or a handshake flight fragmented for DtlsMtuHint.
constexpr int MaxDtlsDatagramSize = 2048;
constexpr quint16 DtlsMtuHint = 1500;

// A DTLS record (content type 20…23: change_cipher_spec, alert, handshake, application_data;
// version 254.x) at least as long as a record header. Confab's own datagrams start with 0xC1.
bool looksLikeDtls(const QByteArray &datagram);

// ProbeReply transport flags.
constexpr quint16 TransportTcp = 0x0001;
constexpr quint16 TransportUdp = 0x0002;
constexpr quint16 TransportTls = 0x0004;  // TLS over TCP
constexpr quint16 TransportDtls = 0x0008; // the UDP channel runs inside DTLS only (PROTOCOL-UDP.md §17)

enum class Kind : quint8 {
    Invalid = 0,
    Hello = 1,
    Cookie = 2,
    HelloWithCookie = 3,
    Accept = 4,
    Data = 5,
    Ack = 6,
    Ping = 7,
    Close = 8,
    CloseAck = 9,
    Probe = 10,
    ProbeReply = 11,
    Bundle = 12,
    SizeProbe = 13,
    SizeProbeAck = 14,
    BundlePart = 15,
};
constexpr quint8 LastKind = 15;

QString kindName(Kind kind);
// Data, Bundle, BundlePart, Ping and Close take a sequence number and are acknowledged and
// retransmitted. (SizeProbe is acknowledged by its own SizeProbeAck, never retransmitted.)
constexpr bool isSequenced(Kind kind)
{
    return kind == Kind::Data || kind == Kind::Bundle || kind == Kind::BundlePart || kind == Kind::Ping
           || kind == Kind::Close;
}
// The kinds that carry the 22-byte full header (seq, ack, sack).
constexpr bool hasFullHeader(Kind kind)
{
    return isSequenced(kind) || kind == Kind::Ack || kind == Kind::CloseAck;
}

// One decoded datagram; which fields mean something depends on kind (see the table above).
struct Datagram {
    Kind kind = Kind::Invalid;
    quint32 connectionId = 0; // the Probe/ProbeReply nonce for those kinds
    quint32 seq = 0;
    quint32 ack = 0;
    quint64 sack = 0;
    quint8 fragmentIndex = 0;
    quint8 fragmentCount = 0;
    QByteArray fragment;  // Data
    QList<QByteArray> payloads; // Bundle: MinBundlePayloads..MaxBundlePayloads whole payloads;
                                // BundlePart: 1..MaxBundlePayloads
    quint8 partIndex = 0;         // BundlePart
    quint8 partCount = 0;         // BundlePart
    quint16 features = 0;         // HelloWithCookie (offered), Accept (agreed)
    quint16 maxDatagramSize = 0;  // HelloWithCookie, Accept: with FeatureLargeDatagrams only
    quint32 probeId = 0;          // SizeProbe, SizeProbeAck
    quint16 probeSize = 0;        // SizeProbe: its size (encode pads to it); SizeProbeAck: echoed
    QByteArray cookie;    // Cookie, HelloWithCookie: CookieSize bytes
    quint16 transports = 0;       // ProbeReply
    quint32 protocolVersion = 0;  // ProbeReply
};

enum class DecodeError {
    None,
    TooShort,       // shorter than the short header
    TooLarge,       // longer than the receiver reads (BaseDatagramSize unless it advertised more)
    BadMagic,       // first byte's high nibble is not 0xC
    BadVersion,     // Confab magic, but a wire version this build does not speak
    UnknownKind,
    BadSize,        // size does not match what the kind requires
    BadConnectionId,// zero connection id on a connection kind
    BadFragment,    // fragment index/count/length out of bounds or inconsistent
    BadBundle,      // payload count or lengths out of bounds, or not filling the datagram
};
QString decodeErrorName(DecodeError error);

// Checks everything that can be checked without connection state, before any allocation that
// depends on the datagram's claims. maxSize is the largest datagram the receiver reads (what it
// advertised; clamped to BaseDatagramSize..LargestDatagramSize): anything longer is TooLarge.
// On error *out is left in an unspecified state.
DecodeError decode(const QByteArray &bytes, Datagram *out, int maxSize = BaseDatagramSize);

// Encodes a well-formed datagram (pads Hello, HelloWithCookie and SizeProbe). Fields that do not
// belong to the kind are ignored. maxSize is what the receiver reads (as for decode()). Returns an
// empty array for a datagram that decode(..., maxSize) would reject.
QByteArray encode(const Datagram &datagram, int maxSize = BaseDatagramSize);

// Reads only the short header; 0 when the bytes are not a Confab datagram of a connection kind
// (or are longer than LargestDatagramSize).
quint32 peekConnectionId(const QByteArray &bytes);

// --- Stateless cookies ---------------------------------------------------------------------
//
// tag = HMAC-SHA256(secret, "confab-udp-cookie-v1" | address (16 bytes, IPv4 as IPv4-mapped
//                   IPv6) | port (u16) | connection id (u32) | time (u32))
// cookie = time (u32, seconds of the server's clock) | tag
//
// The server keeps nothing per client until a valid cookie comes back, so a spoofed source,
// which never sees the Cookie reply, cannot make the server allocate memory.

constexpr int CookieSecretSize = 32;
QByteArray generateCookieSecret(); // CookieSecretSize bytes from the system CSPRNG

QByteArray mintCookie(const QByteArray &secret, const QHostAddress &address, quint16 port,
                      quint32 connectionId, qint64 nowMs);

enum class CookieCheck { Valid, Malformed, Forged, Expired };
CookieCheck verifyCookie(const QByteArray &secret, const QByteArray &cookie,
                         const QHostAddress &address, quint16 port, quint32 connectionId,
                         qint64 nowMs);

// --- The server's front door for sources it keeps no state for -----------------------------
//
// Probe           -> ProbeReply (16 bytes, same as the Probe)
// Hello           -> Cookie (42 bytes, the Hello is 1200)
// HelloWithCookie -> Admit when the cookie is valid (create a Server ReliableChannel and hand it
//                    this datagram; it answers Accept), otherwise dropped
// anything else   -> dropped, no reply (a Close included: a server channel lingers after it is
//                    Closed to answer a peer that missed its CloseAck; see ReliableChannel::LingerMs)
// A reply is never larger than the datagram that caused it.
struct GateVerdict {
    enum class Action { Drop, Reply, Admit };
    Action action = Action::Drop;
    QByteArray reply;          // for Reply
    quint32 connectionId = 0;  // for Admit
    DecodeError decodeError = DecodeError::None;
};

GateVerdict screenUnverified(const QByteArray &datagram, const QHostAddress &address, quint16 port,
                             const QByteArray &secret, qint64 nowMs, quint16 transports);

// A server whose UDP channels run only inside DTLS answers a plain Hello with this: a ProbeReply
// (16 bytes, smaller than the 1,200-byte Hello) carrying the Hello's connection id and the served
// transports, TransportDtls among them. A plain client sees it in place of a Cookie and knows to
// start again over DTLS (PROTOCOL-UDP.md §17.2).
QByteArray encryptionRequiredReply(quint32 connectionId, quint16 transports);

} // namespace Confab::UdpWire
