// The reliable UDP channel, its wire format and its stateless front door, driven over a
// simulated link (tests/simulatedlink.h) by a fake clock: no sockets, no sleeps, no real time.
// Every row has its own fixed seed, so a failure reproduces exactly.
#include "reliablechannel.h"
#include "simulatedlink.h"
#include "udpwire.h"

#include <QHostAddress>
#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <functional>
#include <memory>

using namespace Confab;
using UdpWire::Kind;
using Channel = ReliableChannel;
using Event = ReliableChannel::Event;
using SendResult = ReliableChannel::SendResult;

namespace {

constexpr int ClientSide = 0; // endpoint numbers on the simulated link
constexpr int ServerSide = 1;
constexpr qint64 StartMs = 1'000'000; // a clock that is not at zero, so cookie times are not either

// Rows use fixed seeds; CONFAB_TEST_SEED_OFFSET=n shifts them all to explore other link histories
// (a failure then reproduces with the same n).
uint seedOffset()
{
    static const uint offset = uint(qEnvironmentVariableIntValue("CONFAB_TEST_SEED_OFFSET"));
    return offset;
}

// CONFAB_TEST_TRACE=1 logs every datagram put on the simulated link (time, direction, kind,
// sequence and acknowledgement fields, and whether the link lost it).
bool traceEnabled()
{
    static const bool enabled = qEnvironmentVariableIsSet("CONFAB_TEST_TRACE");
    return enabled;
}

Kind kindOf(const QByteArray &bytes)
{
    UdpWire::Datagram d;
    return UdpWire::decode(bytes, &d, UdpWire::LargestDatagramSize) == UdpWire::DecodeError::None ? d.kind
                                                                                                 : Kind::Invalid;
}

// Deterministic message content: a test can regenerate what the other side must have received.
QByteArray makeMessage(quint32 seed, int from, int index, int size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator rng(seed * 2654435761u ^ quint32(from) << 28 ^ quint32(index) * 40503u);
    const int words = size / 4;
    rng.fillRange(reinterpret_cast<quint32 *>(bytes.data()), words);
    for (int i = words * 4; i < size; ++i)
        bytes[i] = char(rng.generate());
    return bytes;
}

// Two endpoints, the client channel and the server side (the stateless gate, then the server
// channel it admits), joined by a SimulatedLink and driven by a fake clock.
struct Harness {
    Harness(quint32 seed, const LinkProfile &profile)
        : link(seed, profile)
        , client(Channel::Role::Client, 0x5EED0001u + seed * 2u)
        , secret(UdpWire::CookieSecretSize, '\x5A')
    {
    }

    SimulatedLink link;
    Channel client;
    std::unique_ptr<Channel> server;
    QByteArray secret;
    QHostAddress clientAddress{QStringLiteral("192.0.2.7")};
    quint16 clientPort = 50000;
    qint64 now = StartMs;

    int serversCreated = 0;
    quint16 serverFeatures = UdpWire::SupportedFeatures; // 0 stands in for an older server
    int serverMaxDatagram = UdpWire::BaseDatagramSize;   // the server channel's setMaxDatagramSize()
    // UDP payload bytes the path carries (0: any). Larger datagrams are lost, never fragmented, as
    // with the don't-fragment bit set; a test changes it to move the path under a channel.
    int pathMtu = 0;
    quint64 pathDrops = 0;
    bool forgetServerWhenFinished = false; // like an adapter freeing a channel once it may
    std::function<void(int side, const QByteArray &payload)> onPayload;
    std::function<bool(int from, const QByteArray &datagram)> dropIf; // deliberate losses
    std::function<void(int from, const QByteArray &datagram)> tap;

    QList<QByteArray> received[2];
    int payloadCount[2] = {0, 0};
    int payloadsAtPeerClosed[2] = {-1, -1};
    QList<Event> events[2];
    QList<qint64> eventTimes[2];
    QString violation;

    qsizetype peakReassembly = 0;
    qsizetype peakSendBuffer = 0;
    qsizetype peakBytesInFlight = 0;
    int peakDatagramsInFlight = 0;
    qsizetype peakQueuedBytes = 0;
    int peakQueuedDatagrams = 0;

    Channel *channel(int side) { return side == ClientSide ? &client : server.get(); }

    void connect()
    {
        client.connectToPeer(now);
        flush();
    }

    // The largest datagram `side` may be sent: what it advertised, else the base size.
    int readLimit(int side) const
    {
        const quint16 offered = side == ClientSide ? client.offeredFeatures()
                                : server           ? server->offeredFeatures()
                                                   : (serverMaxDatagram > UdpWire::BaseDatagramSize ? serverFeatures : 0);
        if (!(offered & UdpWire::FeatureLargeDatagrams))
            return UdpWire::BaseDatagramSize;
        return side == ClientSide ? client.maxDatagramSize() : serverMaxDatagram;
    }

    void transmit(int from, const QByteArray &bytes)
    {
        if (bytes.size() > readLimit(1 - from) && violation.isEmpty())
            violation = QStringLiteral("datagram of %1 bytes").arg(bytes.size());
        if (tap)
            tap(from, bytes);
        if (dropIf && dropIf(from, bytes))
            return;
        if (pathMtu > 0 && bytes.size() > pathMtu) {
            ++pathDrops;
            return;
        }
        const quint64 lostBefore = link.stats().lost;
        link.send(1 - from, bytes, now);
        if (traceEnabled()) {
            UdpWire::Datagram d;
            UdpWire::decode(bytes, &d, UdpWire::LargestDatagramSize);
            qInfo("%7lld %s %-15s seq=%u ack=%u sack=%016llx %s", now - StartMs, from == ClientSide ? "C>S" : "S>C",
                  qPrintable(UdpWire::kindName(d.kind)), d.seq, d.ack, d.sack,
                  link.stats().lost > lostBefore ? "lost" : "");
        }
    }

    void drain(int side)
    {
        Channel *ch = channel(side);
        if (!ch)
            return;
        for (const QByteArray &d : ch->takeDatagrams())
            transmit(side, d);
        for (QByteArray &p : ch->takePayloads()) {
            ++payloadCount[side];
            if (onPayload)
                onPayload(side, p);
            else
                received[side].append(std::move(p));
        }
        for (Event e : ch->takeEvents()) {
            events[side].append(e);
            eventTimes[side].append(now);
            if (e == Event::PeerClosed)
                payloadsAtPeerClosed[side] = payloadCount[side];
        }
        checkBounds(*ch);
    }

    void flush()
    {
        drain(ClientSide);
        drain(ServerSide);
        if (forgetServerWhenFinished && server && server->discardableAt() >= 0
            && now >= server->discardableAt())
            server.reset();
    }

    void deliver(const SimulatedLink::Arrival &a)
    {
        if (a.to == ClientSide) {
            client.handleDatagram(a.bytes, now);
            return;
        }
        if (server) {
            server->handleDatagram(a.bytes, now);
            return;
        }
        const UdpWire::GateVerdict v = UdpWire::screenUnverified(
            a.bytes, clientAddress, clientPort, secret, now, UdpWire::TransportTcp | UdpWire::TransportUdp);
        switch (v.action) {
        case UdpWire::GateVerdict::Action::Drop:
            break;
        case UdpWire::GateVerdict::Action::Reply:
            if (v.reply.size() > a.bytes.size() && violation.isEmpty())
                violation = QStringLiteral("gate amplified %1 -> %2 bytes").arg(a.bytes.size()).arg(v.reply.size());
            transmit(ServerSide, v.reply);
            break;
        case UdpWire::GateVerdict::Action::Admit:
            server = std::make_unique<Channel>(Channel::Role::Server, v.connectionId);
            server->setOfferedFeatures(serverFeatures);
            server->setMaxDatagramSize(serverMaxDatagram);
            ++serversCreated;
            server->handleDatagram(a.bytes, now);
            break;
        }
    }

    qint64 nextEventAt() const
    {
        qint64 at = link.nextArrivalAt();
        auto consider = [&at](qint64 t) {
            if (t >= 0 && (at < 0 || t < at))
                at = t;
        };
        consider(client.nextTimeoutAt());
        if (server)
            consider(server->nextTimeoutAt());
        if (server && forgetServerWhenFinished)
            consider(server->discardableAt());
        return at;
    }

    // Advances the clock to the next thing that happens (if at or before limit) and handles it.
    bool step(qint64 limit)
    {
        const qint64 at = nextEventAt();
        if (at < 0 || at > limit)
            return false;
        now = qMax(now, at);
        for (const SimulatedLink::Arrival &a : link.takeDue(now))
            deliver(a);
        if (client.nextTimeoutAt() >= 0 && client.nextTimeoutAt() <= now)
            client.onTimer(now);
        if (server && server->nextTimeoutAt() >= 0 && server->nextTimeoutAt() <= now)
            server->onTimer(now);
        flush();
        return true;
    }

    bool runUntil(const std::function<bool()> &done, qint64 limit)
    {
        while (!done()) {
            if (!step(limit))
                return done();
        }
        return true;
    }

    void runFor(qint64 ms)
    {
        const qint64 until = now + ms;
        while (step(until)) {
        }
        now = qMax(now, until);
    }

    bool connectAndWait(qint64 limitMs = 120'000)
    {
        connect();
        return runUntil([this] { return bothConnected(); }, now + limitMs);
    }

    bool bothConnected() const
    {
        return client.state() == Channel::State::Connected && server
               && server->state() == Channel::State::Connected;
    }

    bool quiet() const
    {
        return client.datagramsInFlight() == 0 && client.queuedDatagrams() == 0 && server
               && server->datagramsInFlight() == 0 && server->queuedDatagrams() == 0;
    }

    void checkBounds(const Channel &ch)
    {
        peakReassembly = qMax(peakReassembly, ch.reassemblyBytes());
        peakSendBuffer = qMax(peakSendBuffer, ch.sendBufferBytes());
        peakBytesInFlight = qMax(peakBytesInFlight, ch.bytesInFlight());
        peakDatagramsInFlight = qMax(peakDatagramsInFlight, ch.datagramsInFlight());
        peakQueuedBytes = qMax(peakQueuedBytes, ch.queuedBytes());
        peakQueuedDatagrams = qMax(peakQueuedDatagrams, ch.queuedDatagrams());
        if (!violation.isEmpty())
            return;
        if (ch.datagramsInFlight() < 0 || ch.datagramsInFlight() > Channel::SendWindowDatagrams)
            violation = QStringLiteral("%1 datagrams in flight").arg(ch.datagramsInFlight());
        else if (ch.bytesInFlight() < 0 || ch.bytesInFlight() > Channel::SendWindowBytes)
            violation = QStringLiteral("%1 bytes in flight").arg(ch.bytesInFlight());
        else if (ch.queuedDatagrams() < 0 || ch.queuedDatagrams() > Channel::MaxQueuedDatagrams)
            violation = QStringLiteral("%1 datagrams queued").arg(ch.queuedDatagrams());
        else if (ch.queuedBytes() < 0 || ch.queuedBytes() > Channel::MaxQueuedBytes)
            violation = QStringLiteral("%1 bytes queued").arg(ch.queuedBytes());
        else if (ch.sendBufferBytes() < 0
                 || ch.sendBufferBytes() > Channel::MaxQueuedBytes + Channel::SendWindowBytes)
            violation = QStringLiteral("%1 bytes in the send buffer").arg(ch.sendBufferBytes());
        else if (ch.reassemblyBytes() < 0 || ch.reassemblyBytes() > Channel::MaxReassemblyBytes)
            violation = QStringLiteral("%1 bytes held for reassembly").arg(ch.reassemblyBytes());
    }
};

LinkProfile cleanLink(int latencyMs)
{
    LinkProfile p;
    p.latencyMs = latencyMs;
    return p;
}

UdpWire::Datagram dataDatagram(quint32 id, quint32 seq, quint32 ack, int index, int count, const QByteArray &fragment)
{
    UdpWire::Datagram d;
    d.kind = Kind::Data;
    d.connectionId = id;
    d.seq = seq;
    d.ack = ack;
    d.fragmentIndex = quint8(index);
    d.fragmentCount = quint8(count);
    d.fragment = fragment;
    return d;
}

UdpWire::Datagram shortDatagram(Kind kind, quint32 id)
{
    UdpWire::Datagram d;
    d.kind = kind;
    d.connectionId = id;
    return d;
}

} // namespace

class tst_ReliableChannel : public QObject
{
    Q_OBJECT

private slots:
    void wireFormat();
    void cookies();
    void probe();
    void gateNeverAmplifies();
    void handshake();
    void expiredCookieRecovery();
    void transfer_data();
    void transfer();
    void backPressure();
    void reassemblyIsBounded();
    void malformedDropped_data();
    void malformedDropped();
    void deadPeer_data();
    void deadPeer();
    void keepaliveKeepsIdleLinkAlive();
    void delayedAck();
    void rtoFollowsRfc6298_data();
    void rtoFollowsRfc6298();
    void rtoBackoffDoubles();
    void cleanClose_data();
    void cleanClose();
    void bundleWireFormat();
    void bogusBundleDropped_data();
    void bogusBundleDropped();
    void bundlesPackOnePassOnly();
    void bundledTransfer_data();
    void bundledTransfer();
    void noBundlesUnlessAgreed_data();
    void noBundlesUnlessAgreed();
    void largeDatagramWireFormat();
    void largeDatagramsOnlyWhenAdvertised_data();
    void largeDatagramsOnlyWhenAdvertised();
    void acknowledgedProbeRaisesSize_data();
    void acknowledgedProbeRaisesSize();
    void lostProbeIsNotDataLoss();
    void blackHoleFallsBackToBase();
    void oversizedDatagramsDropped();
    void bundlePartsJoined();
    void largeDatagramTransfer_data();
    void largeDatagramTransfer();
};

void tst_ReliableChannel::wireFormat()
{
    QCOMPARE(UdpWire::MaxFragmentPayload, 1174);
    QCOMPARE(UdpWire::MaxFragments, 56);
    QVERIFY(qint64(UdpWire::MaxFragments) * UdpWire::MaxFragmentPayload >= Limits::MaxFramePayload);

    // Data, byte by byte.
    const QByteArray fragment(966, 'q');
    UdpWire::Datagram d = dataDatagram(0xA1B2C3D4, 0x01020304, 0x0A0B0C0D, 55, 56, fragment);
    d.sack = 0x8000000000000005ull;
    const QByteArray bytes = UdpWire::encode(d);
    QCOMPARE(bytes.size(), UdpWire::DataHeaderSize + 966);
    QCOMPARE(bytes.left(UdpWire::DataHeaderSize).toHex(),
             QByteArray("c105" "a1b2c3d4" "01020304" "0a0b0c0d" "8000000000000005" "37" "38" "03c6"));
    UdpWire::Datagram back;
    QCOMPARE(UdpWire::decode(bytes, &back), UdpWire::DecodeError::None);
    QCOMPARE(back.kind, Kind::Data);
    QCOMPARE(back.connectionId, 0xA1B2C3D4u);
    QCOMPARE(back.seq, 0x01020304u);
    QCOMPARE(back.ack, 0x0A0B0C0Du);
    QCOMPARE(back.sack, 0x8000000000000005ull);
    QCOMPARE(int(back.fragmentIndex), 55);
    QCOMPARE(int(back.fragmentCount), 56);
    QCOMPARE(back.fragment, fragment);
    QCOMPARE(UdpWire::peekConnectionId(bytes), 0xA1B2C3D4u);

    // A full-size fragment makes a datagram of exactly the maximum size.
    QCOMPARE(UdpWire::encode(dataDatagram(1, 0, 0, 0, 2, QByteArray(UdpWire::MaxFragmentPayload, 'x'))).size(),
             UdpWire::MaxDatagramSize);
    // What decode() would reject, encode() refuses to produce.
    QVERIFY(UdpWire::encode(dataDatagram(1, 0, 0, 0, 57, QByteArray(10, 'x'))).isEmpty());
    QVERIFY(UdpWire::encode(dataDatagram(1, 0, 0, 0, 2, QByteArray(10, 'x'))).isEmpty());
    QVERIFY(UdpWire::encode(dataDatagram(0, 0, 0, 0, 1, QByteArray(10, 'x'))).isEmpty());

    // Every other kind has one exact size.
    const QByteArray cookie(UdpWire::CookieSize, 'c');
    struct Expect {
        Kind kind;
        int size;
    };
    for (const Expect &e : {Expect{Kind::Hello, 1200}, Expect{Kind::Cookie, 42},
                            Expect{Kind::HelloWithCookie, 1200}, Expect{Kind::Accept, 6},
                            Expect{Kind::Ack, 22}, Expect{Kind::Ping, 22}, Expect{Kind::Close, 22},
                            Expect{Kind::CloseAck, 22}, Expect{Kind::Probe, 16},
                            Expect{Kind::ProbeReply, 16}}) {
        UdpWire::Datagram x = shortDatagram(e.kind, 0x01020304);
        x.cookie = cookie;
        x.seq = 9;
        x.ack = 4;
        const QByteArray encoded = UdpWire::encode(x);
        QCOMPARE(encoded.size(), e.size);
        QCOMPARE(quint8(encoded.at(0)), UdpWire::MagicVersion);
        UdpWire::Datagram y;
        QCOMPARE(UdpWire::decode(encoded, &y), UdpWire::DecodeError::None);
        QCOMPARE(y.kind, e.kind);
        QCOMPARE(y.connectionId, 0x01020304u);
        if (UdpWire::hasFullHeader(e.kind)) {
            QCOMPARE(y.seq, 9u);
            QCOMPARE(y.ack, 4u);
        }
        if (e.kind == Kind::Cookie || e.kind == Kind::HelloWithCookie)
            QCOMPARE(y.cookie, cookie);
    }
}

void tst_ReliableChannel::cookies()
{
    const QByteArray secret = UdpWire::generateCookieSecret();
    QCOMPARE(secret.size(), UdpWire::CookieSecretSize);
    QVERIFY(secret != UdpWire::generateCookieSecret());

    const QHostAddress address(QStringLiteral("198.51.100.9"));
    const quint16 port = 40001;
    const quint32 id = 0xDEADBEEF;
    const qint64 t0 = 1'700'000'000'000; // ms
    const QByteArray cookie = UdpWire::mintCookie(secret, address, port, id, t0);
    QCOMPARE(cookie.size(), UdpWire::CookieSize);

    using UdpWire::CookieCheck;
    auto check = [&](const QByteArray &c, const QHostAddress &a, quint16 p, quint32 i, qint64 t,
                     const QByteArray &s) { return UdpWire::verifyCookie(s, c, a, p, i, t); };
    QCOMPARE(check(cookie, address, port, id, t0, secret), CookieCheck::Valid);
    QCOMPARE(check(cookie, address, port, id, t0 + UdpWire::CookieLifetimeSecs * 1000, secret), CookieCheck::Valid);
    QCOMPARE(check(cookie, address, port, id, t0 + (UdpWire::CookieLifetimeSecs + 1) * 1000, secret), CookieCheck::Expired);
    QCOMPARE(check(cookie, address, port, id, t0 - 1000, secret), CookieCheck::Expired); // from the future
    QCOMPARE(check(cookie, QHostAddress(QStringLiteral("198.51.100.10")), port, id, t0, secret), CookieCheck::Forged);
    QCOMPARE(check(cookie, address, port + 1, id, t0, secret), CookieCheck::Forged);
    QCOMPARE(check(cookie, address, port, id + 1, t0, secret), CookieCheck::Forged);
    QCOMPARE(check(cookie, address, port, id, t0, UdpWire::generateCookieSecret()), CookieCheck::Forged);
    QByteArray flipped = cookie;
    flipped[20] = char(flipped[20] ^ 0x01);
    QCOMPARE(check(flipped, address, port, id, t0, secret), CookieCheck::Forged);
    QByteArray older = cookie; // moving the time back does not extend the lifetime
    older[3] = char(older[3] - 1);
    QCOMPARE(check(older, address, port, id, t0, secret), CookieCheck::Forged);
    QCOMPARE(check(cookie.left(35), address, port, id, t0, secret), CookieCheck::Malformed);
    // A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6: the same client.
    QCOMPARE(check(cookie, QHostAddress(QStringLiteral("::ffff:198.51.100.9")), port, id, t0, secret),
             CookieCheck::Valid);
    const QHostAddress v6(QStringLiteral("2001:db8::7"));
    QCOMPARE(check(UdpWire::mintCookie(secret, v6, port, id, t0), v6, port, id, t0 + 5000, secret),
             CookieCheck::Valid);
}

void tst_ReliableChannel::probe()
{
    const QByteArray secret(32, 's');
    const QHostAddress address(QStringLiteral("203.0.113.5"));
    const QByteArray request = UdpWire::encode(shortDatagram(Kind::Probe, 0x0BADF00D));
    QCOMPARE(request.size(), UdpWire::ProbeSize);

    const quint16 transports = UdpWire::TransportTcp | UdpWire::TransportUdp;
    const UdpWire::GateVerdict v = UdpWire::screenUnverified(request, address, 9, secret, StartMs, transports);
    QCOMPARE(v.action, UdpWire::GateVerdict::Action::Reply);
    QVERIFY(v.reply.size() <= request.size());
    UdpWire::Datagram reply;
    QCOMPARE(UdpWire::decode(v.reply, &reply), UdpWire::DecodeError::None);
    QCOMPARE(reply.kind, Kind::ProbeReply);
    QCOMPARE(reply.connectionId, 0x0BADF00Du); // the nonce comes back
    QCOMPARE(reply.transports, transports);
    QCOMPARE(reply.protocolVersion, ProtocolVersion);

    // A probe of any other size gets nothing; so does a ProbeReply sent to the server.
    for (const QByteArray &bad : {request.left(15), request + QByteArray(1, '\0'), v.reply}) {
        const UdpWire::GateVerdict w = UdpWire::screenUnverified(bad, address, 9, secret, StartMs, transports);
        QCOMPARE(w.action, UdpWire::GateVerdict::Action::Drop);
        QVERIFY(w.reply.isEmpty());
    }
    // A seed-002 style text probe is not a Confab datagram.
    QCOMPARE(UdpWire::screenUnverified(QByteArrayLiteral("PROBE\n"), address, 9, secret, StartMs, transports).action,
             UdpWire::GateVerdict::Action::Drop);
}

void tst_ReliableChannel::gateNeverAmplifies()
{
    const QByteArray secret(32, 'k');
    const QHostAddress address(QStringLiteral("192.0.2.99"));
    const quint16 port = 7777;
    const quint32 id = 0x11223344;
    const qint64 now = StartMs;

    UdpWire::Datagram hwc = shortDatagram(Kind::HelloWithCookie, id);
    hwc.cookie = UdpWire::mintCookie(secret, address, port, id, now);
    UdpWire::Datagram close = shortDatagram(Kind::Close, id);
    close.seq = 41;
    const QList<QByteArray> templates = {
        UdpWire::encode(shortDatagram(Kind::Hello, id)),
        UdpWire::encode(hwc),
        UdpWire::encode(shortDatagram(Kind::Probe, 5)),
        UdpWire::encode(close),
        UdpWire::encode(dataDatagram(id, 3, 0, 0, 1, QByteArray(300, 'd'))),
        UdpWire::encode(shortDatagram(Kind::Ack, id)),
    };

    QRandomGenerator rng(4242);
    int replies = 0;
    int admitted = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray bytes;
        if (rng.bounded(3) == 0) {
            bytes.resize(rng.bounded(1300));
            for (char &c : bytes)
                c = char(rng.generate());
            if (bytes.size() >= 2 && rng.bounded(2)) {
                bytes[0] = char(UdpWire::MagicVersion);
                bytes[1] = char(rng.bounded(13));
            }
        } else {
            bytes = templates.at(rng.bounded(int(templates.size())));
            const int mutations = 1 + rng.bounded(3);
            for (int m = 0; m < mutations; ++m) {
                switch (rng.bounded(3)) {
                case 0:
                    if (!bytes.isEmpty())
                        bytes[rng.bounded(int(bytes.size()))] = char(rng.generate());
                    break;
                case 1:
                    bytes.truncate(rng.bounded(int(bytes.size()) + 1));
                    break;
                default:
                    bytes.append(QByteArray(1 + rng.bounded(40), char(rng.generate())));
                    break;
                }
            }
        }
        const UdpWire::GateVerdict v = UdpWire::screenUnverified(bytes, address, port, secret, now,
                                                                 UdpWire::TransportUdp);
        switch (v.action) {
        case UdpWire::GateVerdict::Action::Reply:
            ++replies;
            QVERIFY2(v.reply.size() <= bytes.size(), qPrintable(bytes.toHex()));
            break;
        case UdpWire::GateVerdict::Action::Admit: {
            // Only a HelloWithCookie whose cookie (and everything it covers) survived.
            ++admitted;
            UdpWire::Datagram d;
            QCOMPARE(UdpWire::decode(bytes, &d), UdpWire::DecodeError::None);
            QCOMPARE(d.kind, Kind::HelloWithCookie);
            QCOMPARE(d.connectionId, id);
            QCOMPARE(d.cookie, hwc.cookie);
            break;
        }
        case UdpWire::GateVerdict::Action::Drop:
            QVERIFY(v.reply.isEmpty());
            break;
        }
    }
    QVERIFY(replies > 0);
    qInfo("20000 hostile datagrams: %d answered (none larger than its cause), %d admitted", replies, admitted);
}

void tst_ReliableChannel::handshake()
{
    Harness h(1, cleanLink(10));
    QList<QPair<int, QByteArray>> seen;
    h.tap = [&](int from, const QByteArray &d) { seen.append({from, d}); };
    QVERIFY(h.connectAndWait());

    QCOMPARE(seen.size(), 4);
    QCOMPARE(seen[0].first, ClientSide);
    QCOMPARE(kindOf(seen[0].second), Kind::Hello);
    QCOMPARE(seen[0].second.size(), UdpWire::MaxDatagramSize);
    QCOMPARE(seen[1].first, ServerSide);
    QCOMPARE(kindOf(seen[1].second), Kind::Cookie);
    QVERIFY(seen[1].second.size() <= seen[0].second.size());
    QCOMPARE(kindOf(seen[2].second), Kind::HelloWithCookie);
    QCOMPARE(seen[2].second.size(), UdpWire::MaxDatagramSize);
    QCOMPARE(kindOf(seen[3].second), Kind::Accept);
    QVERIFY(seen[3].second.size() <= seen[2].second.size());

    QCOMPARE(h.serversCreated, 1);
    QCOMPARE(h.server->connectionId(), h.client.connectionId());
    QCOMPARE(h.events[ClientSide], QList<Event>{Event::Connected});
    QCOMPARE(h.events[ServerSide], QList<Event>{Event::Connected});
    // The client timed both handshake round trips; the server has no sample yet.
    QVERIFY(h.client.hasRttSample());
    QCOMPARE(h.client.smoothedRttMs(), 20.0);
    QVERIFY(!h.server->hasRttSample());
    QCOMPARE(h.server->retransmissionTimeoutMs(), Channel::InitialRtoMs);

    // Payloads both ways right after.
    QCOMPARE(h.client.send("hello server", h.now), SendResult::Queued);
    QCOMPARE(h.server->send("hello client", h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.received[0].size() == 1 && h.received[1].size() == 1; }, h.now + 1000));
    QCOMPARE(h.received[ServerSide].first(), QByteArray("hello server"));
    QCOMPARE(h.received[ClientSide].first(), QByteArray("hello client"));
}

void tst_ReliableChannel::expiredCookieRecovery()
{
    // The server never sees the first HelloWithCookies, until the first cookie has long expired:
    // the client must fetch a fresh cookie rather than knock with a stale one until it dies.
    Harness h(3, cleanLink(10));
    const qint64 blockedUntil = StartMs + 25'000;
    QList<qint64> helloTimes;
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ClientSide && kindOf(d) == Kind::Hello)
            helloTimes.append(h.now);
    };
    h.dropIf = [&](int, const QByteArray &d) { return kindOf(d) == Kind::HelloWithCookie && h.now < blockedUntil; };
    QVERIFY(h.connectAndWait(60'000));
    QVERIFY(h.now >= blockedUntil);
    QCOMPARE(h.serversCreated, 1);
    QVERIFY(helloTimes.size() >= 2);
    QVERIFY(helloTimes.at(1) - StartMs >= Channel::CookieRefreshMs);
    QVERIFY(!h.events[ClientSide].contains(Event::Dead));
}

void tst_ReliableChannel::transfer_data()
{
    QTest::addColumn<double>("loss");
    QTest::addColumn<double>("duplicate");
    QTest::addColumn<double>("reorder");
    QTest::addColumn<int>("jitterMs");
    QTest::addColumn<double>("burstEnter");
    QTest::addColumn<uint>("seed");
    QTest::addColumn<bool>("delayedAck"); // both sides, with the default delay and count

    QTest::newRow("clean") << 0.0 << 0.0 << 0.0 << 0 << 0.0 << 101u << false;
    QTest::newRow("loss10") << 0.10 << 0.0 << 0.0 << 0 << 0.0 << 102u << false;
    QTest::newRow("loss30") << 0.30 << 0.0 << 0.0 << 0 << 0.0 << 103u << false;
    QTest::newRow("duplication") << 0.0 << 0.20 << 0.0 << 0 << 0.0 << 104u << false;
    QTest::newRow("reordering") << 0.0 << 0.0 << 0.25 << 10 << 0.0 << 105u << false;
    QTest::newRow("lossBursts") << 0.01 << 0.0 << 0.0 << 0 << 0.002 << 106u << false;
    QTest::newRow("everything") << 0.10 << 0.10 << 0.20 << 10 << 0.001 << 107u << false;
    QTest::newRow("delayedAck clean") << 0.0 << 0.0 << 0.0 << 0 << 0.0 << 108u << true;
    QTest::newRow("delayedAck loss10") << 0.10 << 0.0 << 0.0 << 0 << 0.0 << 109u << true;
    QTest::newRow("delayedAck everything") << 0.10 << 0.10 << 0.20 << 10 << 0.001 << 110u << true;
}

void tst_ReliableChannel::transfer()
{
    QFETCH(double, loss);
    QFETCH(double, duplicate);
    QFETCH(double, reorder);
    QFETCH(int, jitterMs);
    QFETCH(double, burstEnter);
    QFETCH(uint, seed);
    QFETCH(bool, delayedAck);
    seed += seedOffset();

    LinkProfile profile;
    profile.latencyMs = 25;
    profile.jitterMs = jitterMs;
    profile.bytesPerMs = 1250; // 10 Mbit/s each way
    profile.loss = loss;
    profile.duplicate = duplicate;
    profile.reorder = reorder;
    profile.reorderDelayMs = 80;
    profile.burstEnter = burstEnter;
    profile.burstMaxMs = 300; // outages of up to 300 ms
    profile.burstLoss = 1.0;
    Harness h(seed, profile);

    constexpr int Count = 1000;
    // Mixed sizes: mostly chat lines, some kilobytes, some tens of kilobytes, a few of the maximum
    // and the sizes around fragment boundaries.
    QList<int> sizes[2];
    QRandomGenerator sizeRng(seed);
    for (int side = 0; side < 2; ++side) {
        for (int i = 0; i < Count; ++i) {
            const int r = int(sizeRng.bounded(100));
            int size;
            if (r < 55)
                size = 1 + int(sizeRng.bounded(200));
            else if (r < 80)
                size = 200 + int(sizeRng.bounded(3000));
            else if (r < 93)
                size = 3200 + int(sizeRng.bounded(20000));
            else
                size = 23200 + int(sizeRng.bounded(int(Limits::MaxFramePayload) - 23200 + 1));
            sizes[side].append(size);
        }
        const int edges[] = {1, UdpWire::MaxFragmentPayload, UdpWire::MaxFragmentPayload + 1,
                             int(Limits::MaxFramePayload), 2 * UdpWire::MaxFragmentPayload,
                             int(Limits::MaxFramePayload) - 1};
        for (int e = 0; e < int(std::size(edges)); ++e)
            sizes[side][e * 97 + side] = edges[e];
    }

    int next[2] = {0, 0};
    int received[2] = {0, 0};
    int queueFull[2] = {0, 0};
    QByteArray pending[2];
    QString mismatch;
    h.onPayload = [&](int side, const QByteArray &payload) {
        const int from = 1 - side;
        const int index = received[side];
        if (!mismatch.isEmpty())
            return;
        if (index >= Count) {
            mismatch = QStringLiteral("side %1 got an extra payload of %2 bytes").arg(side).arg(payload.size());
            return;
        }
        if (payload != makeMessage(seed, from, index, sizes[from][index])) {
            mismatch = QStringLiteral("side %1: payload %2 (%3 bytes) is not message %2 (%4 bytes)")
                           .arg(side).arg(index).arg(payload.size()).arg(sizes[from][index]);
            return;
        }
        ++received[side];
    };

    QVERIFY(h.connectAndWait());
    QCOMPARE(h.serversCreated, 1);
    if (delayedAck) {
        h.client.setDelayedAck(Channel::DefaultAckDelayMs, Channel::DefaultAckEveryDatagrams);
        h.server->setDelayedAck(Channel::DefaultAckDelayMs, Channel::DefaultAckEveryDatagrams);
    }

    auto offer = [&](int side) {
        Channel *ch = h.channel(side);
        while (next[side] < Count) {
            if (pending[side].isEmpty())
                pending[side] = makeMessage(seed, side, next[side], sizes[side][next[side]]);
            const SendResult r = ch->send(pending[side], h.now);
            if (r == SendResult::QueueFull) {
                ++queueFull[side];
                return;
            }
            if (r != SendResult::Queued) {
                mismatch = QStringLiteral("send() on side %1 returned %2").arg(side).arg(int(r));
                return;
            }
            pending[side].clear();
            ++next[side];
        }
    };

    const qint64 started = h.now;
    const qint64 limit = started + 2LL * 3600 * 1000;
    for (;;) {
        offer(ClientSide);
        offer(ServerSide);
        h.flush();
        if (!mismatch.isEmpty() || !h.violation.isEmpty())
            break;
        if (received[0] == Count && received[1] == Count && h.quiet())
            break;
        if (!h.step(limit))
            break;
    }
    const qint64 transferMs = h.now - started;
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
    QCOMPARE(received[ClientSide], Count);
    QCOMPARE(received[ServerSide], Count);
    // Late duplicates must not surface as extra payloads.
    h.runFor(10'000);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(h.payloadCount[ClientSide], Count);
    QCOMPARE(h.payloadCount[ServerSide], Count);
    // The application outran the window, so back-pressure was exercised on both sides.
    QVERIFY(queueFull[ClientSide] > 0);
    QVERIFY(queueFull[ServerSide] > 0);
    for (int side = 0; side < 2; ++side) {
        QCOMPARE(h.events[side], QList<Event>{Event::Connected});
        QCOMPARE(h.channel(side)->reassemblyBytes(), 0);
        QCOMPARE(h.channel(side)->sendBufferBytes(), 0);
    }
    QCOMPARE(h.serversCreated, 1);

    // And a clean close over the same link.
    h.client.close(h.now);
    h.flush();
    QVERIFY(h.runUntil([&] {
        return h.client.state() == Channel::State::Closed && h.server->state() == Channel::State::Closed;
    }, h.now + 60'000));
    QCOMPARE(h.events[ClientSide].last(), Event::Closed);
    QCOMPARE(h.events[ServerSide].last(), Event::PeerClosed);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));

    const SimulatedLink::Stats &s = h.link.stats();
    qInfo("%s: %.1f s simulated, %llu datagrams (%llu lost, %llu duplicated, %llu delayed), "
          "retransmissions %llu/%llu, srtt %.0f/%.0f ms, peaks: in flight %d dgrams %lld B, queued %lld B, "
          "send buffer %lld B, reassembly %lld B (bound %lld)",
          QTest::currentDataTag(), transferMs / 1000.0, s.sent, s.lost, s.duplicated, s.reordered,
          h.client.retransmissions(), h.server->retransmissions(), h.client.smoothedRttMs(),
          h.server->smoothedRttMs(), h.peakDatagramsInFlight, qint64(h.peakBytesInFlight),
          qint64(h.peakQueuedBytes), qint64(h.peakSendBuffer), qint64(h.peakReassembly),
          qint64(Channel::MaxReassemblyBytes));
}

void tst_ReliableChannel::backPressure()
{
    Harness h(5, cleanLink(10));
    Channel idle(Channel::Role::Client, 77);
    QCOMPARE(idle.send("x", h.now), SendResult::NotOpen);
    QVERIFY(h.connectAndWait());

    QCOMPARE(h.client.send(QByteArray(), h.now), SendResult::Empty);
    QCOMPARE(h.client.send(QByteArray(int(Limits::MaxFramePayload) + 1, 'x'), h.now), SendResult::TooLarge);

    // Fill window and queue without letting the link move.
    const QByteArray big = makeMessage(5, 0, 0, int(Limits::MaxFramePayload));
    int bigAccepted = 0;
    while (h.client.send(big, h.now) == SendResult::Queued)
        ++bigAccepted;
    const int perBig = UdpWire::MaxFragments;
    const int fullDatagram = UdpWire::MaxDatagramSize;
    const int windowDatagrams = int(qMin<qsizetype>(Channel::SendWindowDatagrams, Channel::SendWindowBytes / fullDatagram));
    QCOMPARE(h.client.datagramsInFlight(), windowDatagrams);
    QCOMPARE(h.client.bytesInFlight(), qsizetype(windowDatagrams) * fullDatagram);
    const int firstLeft = perBig - windowDatagrams;
    const qsizetype firstLeftBytes = qsizetype(Limits::MaxFramePayload) - qsizetype(windowDatagrams) * UdpWire::MaxFragmentPayload;
    // Whole payloads are accepted while both queue bounds hold.
    int expectBig = 1;
    while (firstLeft + expectBig * perBig <= Channel::MaxQueuedDatagrams
           && firstLeftBytes + expectBig * qsizetype(Limits::MaxFramePayload) <= Channel::MaxQueuedBytes)
        ++expectBig;
    QCOMPARE(bigAccepted, expectBig);
    QCOMPARE(h.client.queuedDatagrams(), firstLeft + (expectBig - 1) * perBig);
    QCOMPARE(h.client.queuedBytes(), firstLeftBytes + (expectBig - 1) * qsizetype(Limits::MaxFramePayload));

    // Small payloads still fit until one of the two bounds is reached.
    int smallAccepted = 0;
    while (h.client.send(QByteArray(1, char('a' + smallAccepted % 26)), h.now) == SendResult::Queued)
        ++smallAccepted;
    QVERIFY(smallAccepted > 0);
    QVERIFY(h.client.queuedDatagrams() == Channel::MaxQueuedDatagrams
            || h.client.queuedBytes() == Channel::MaxQueuedBytes);
    QVERIFY(h.client.queuedBytes() <= Channel::MaxQueuedBytes);
    QVERIFY(h.client.sendBufferBytes() <= Channel::MaxQueuedBytes + Channel::SendWindowBytes);
    QCOMPARE(h.client.send("one more", h.now), SendResult::QueueFull);

    // Once the peer acknowledges, the queue drains and send() accepts again; all arrive in order.
    h.flush();
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 60'000));
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
    QCOMPARE(h.received[ServerSide].size(), bigAccepted + smallAccepted);
    for (int i = 0; i < bigAccepted; ++i)
        QCOMPARE(h.received[ServerSide].at(i), big);
    for (int i = 0; i < smallAccepted; ++i)
        QCOMPARE(h.received[ServerSide].at(bigAccepted + i), QByteArray(1, char('a' + i % 26)));
    QCOMPARE(h.client.sendBufferBytes(), 0);
    QCOMPARE(h.client.send("one more", h.now), SendResult::Queued);

    h.client.close(h.now);
    QCOMPARE(h.client.send("after close", h.now), SendResult::NotOpen);
}

void tst_ReliableChannel::reassemblyIsBounded()
{
    Harness h(6, cleanLink(10));
    QVERIFY(h.connectAndWait());
    Channel &server = *h.server;
    const quint32 id = h.client.connectionId();
    // The client has sent nothing yet, so its first sequence number is 0; we speak for it.
    const QByteArray big = makeMessage(6, 0, 0, int(Limits::MaxFramePayload));
    const int count = UdpWire::MaxFragments;
    auto fragmentOf = [&](int index) { return big.mid(qsizetype(index) * UdpWire::MaxFragmentPayload, UdpWire::MaxFragmentPayload); };
    auto feed = [&](const UdpWire::Datagram &d) { return server.handleDatagram(UdpWire::encode(d), h.now); };

    // Fragments 1..55 of a maximum payload, then eight one-fragment payloads: all out of order.
    qsizetype expected = 0;
    for (int i = 1; i < count; ++i) {
        QVERIFY(feed(dataDatagram(id, quint32(i), 0, i, count, fragmentOf(i))));
        expected += fragmentOf(i).size();
        QCOMPARE(server.reassemblyBytes(), expected);
    }
    QList<QByteArray> singles;
    for (int s = count; s < UdpWire::WindowDatagrams; ++s) {
        singles.append(makeMessage(6, 0, s, UdpWire::MaxFragmentPayload));
        QVERIFY(feed(dataDatagram(id, quint32(s), 0, 0, 1, singles.last())));
        expected += UdpWire::MaxFragmentPayload;
    }
    QCOMPARE(server.reassemblyBytes(), expected);
    QVERIFY(server.reassemblyBytes() <= Channel::MaxReassemblyBytes);
    // Beyond the window and duplicates: acknowledged, not kept.
    QVERIFY(feed(dataDatagram(id, UdpWire::WindowDatagrams, 0, 0, 1, QByteArray(1000, 'w'))));
    QVERIFY(feed(dataDatagram(id, UdpWire::WindowDatagrams + 500, 0, 0, 1, QByteArray(1000, 'w'))));
    QVERIFY(feed(dataDatagram(id, 5, 0, 5, count, fragmentOf(5))));
    QCOMPARE(server.reassemblyBytes(), expected);
    QVERIFY(server.takePayloads().isEmpty());

    // One acknowledgement for the whole batch (sent twice, because the batch held a duplicate):
    // nothing cumulative, seqs 1..63 selectively.
    const QList<QByteArray> acks = server.takeDatagrams();
    QCOMPARE(acks.size(), Channel::DuplicateAckCopies);
    UdpWire::Datagram ack;
    for (const QByteArray &bytes : acks) {
        QCOMPARE(UdpWire::decode(bytes, &ack), UdpWire::DecodeError::None);
        QCOMPARE(ack.kind, Kind::Ack);
        QCOMPARE(ack.ack, 0u);
        QCOMPARE(ack.sack, 0x7FFFFFFFFFFFFFFFull);
    }

    // The missing first fragment releases everything, in order, and is acknowledged once.
    QVERIFY(feed(dataDatagram(id, 0, 0, 0, count, fragmentOf(0))));
    const QList<QByteArray> payloads = server.takePayloads();
    QCOMPARE(payloads.size(), 1 + int(singles.size()));
    QCOMPARE(payloads.first(), big);
    for (int i = 0; i < singles.size(); ++i)
        QCOMPARE(payloads.at(i + 1), singles.at(i));
    QCOMPARE(server.reassemblyBytes(), 0);
    const QList<QByteArray> finalAcks = server.takeDatagrams();
    QCOMPARE(finalAcks.size(), 1);
    QCOMPARE(UdpWire::decode(finalAcks.first(), &ack), UdpWire::DecodeError::None);
    QCOMPARE(ack.ack, quint32(UdpWire::WindowDatagrams));
    QCOMPARE(ack.sack, 0ull);
    // The datagram that was beyond the window is now the next one expected.
    QVERIFY(feed(dataDatagram(id, UdpWire::WindowDatagrams, 0, 0, 1, QByteArray(1000, 'w'))));
    QCOMPARE(server.takePayloads(), QList<QByteArray>{QByteArray(1000, 'w')});
    QCOMPARE(server.state(), Channel::State::Connected);

    // A peer that breaks fragment order fails the channel instead of growing its buffers.
    QVERIFY(feed(dataDatagram(id, UdpWire::WindowDatagrams + 1, 0, 1, 3, QByteArray(UdpWire::MaxFragmentPayload, 'z'))));
    QCOMPARE(server.state(), Channel::State::Failed);
    QCOMPARE(server.takeEvents(), QList<Event>{Event::ProtocolError});
    QCOMPARE(server.reassemblyBytes(), 0);
    QVERIFY(!server.errorString().isEmpty());
}

enum class Malformed {
    BadMagic, BadVersion, UnknownKind, TooShort, TruncatedHeader, TooLarge, ZeroConnectionId,
    UnknownConnectionId, TruncatedFragment, AbsurdFragmentCount, ZeroFragmentCount,
    FragmentIndexBeyondCount, ShortMiddleFragment, PayloadTooLarge, LengthFieldLies, AckOfUnsentData,
    WrongCookie, ExpiredCookie, CookieForOtherPort, CookieForOtherConnection, UnpaddedHello,
    UnpaddedHelloWithCookie, DataFromUnknownSource, CookieSentToServer,
};

void tst_ReliableChannel::malformedDropped_data()
{
    QTest::addColumn<int>("which");
    const QList<QPair<const char *, Malformed>> rows = {
        {"badMagic", Malformed::BadMagic},
        {"badVersion", Malformed::BadVersion},
        {"unknownKind", Malformed::UnknownKind},
        {"tooShort", Malformed::TooShort},
        {"truncatedHeader", Malformed::TruncatedHeader},
        {"tooLarge", Malformed::TooLarge},
        {"zeroConnectionId", Malformed::ZeroConnectionId},
        {"unknownConnectionId", Malformed::UnknownConnectionId},
        {"truncatedFragment", Malformed::TruncatedFragment},
        {"absurdFragmentCount", Malformed::AbsurdFragmentCount},
        {"zeroFragmentCount", Malformed::ZeroFragmentCount},
        {"fragmentIndexBeyondCount", Malformed::FragmentIndexBeyondCount},
        {"shortMiddleFragment", Malformed::ShortMiddleFragment},
        {"payloadTooLarge", Malformed::PayloadTooLarge},
        {"lengthFieldLies", Malformed::LengthFieldLies},
        {"ackOfUnsentData", Malformed::AckOfUnsentData},
        {"wrongCookie", Malformed::WrongCookie},
        {"expiredCookie", Malformed::ExpiredCookie},
        {"cookieForOtherPort", Malformed::CookieForOtherPort},
        {"cookieForOtherConnection", Malformed::CookieForOtherConnection},
        {"unpaddedHello", Malformed::UnpaddedHello},
        {"unpaddedHelloWithCookie", Malformed::UnpaddedHelloWithCookie},
        {"dataFromUnknownSource", Malformed::DataFromUnknownSource},
        {"cookieSentToServer", Malformed::CookieSentToServer},
    };
    for (const auto &row : rows)
        QTest::newRow(row.first) << int(row.second);
}

void tst_ReliableChannel::malformedDropped()
{
    QFETCH(int, which);
    Harness h(7, cleanLink(10));
    QVERIFY(h.connectAndWait());
    // Some traffic first, so there is state that must stay untouched.
    QCOMPARE(h.client.send(QByteArray(3000, 'a'), h.now), SendResult::Queued);
    QCOMPARE(h.server->send(QByteArray(50, 'b'), h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.quiet() && h.received[0].size() == 1 && h.received[1].size() == 1; }, h.now + 5000));

    const quint32 id = h.client.connectionId();
    const quint32 otherId = id ^ 0x00FF0000u;
    auto withByte = [](QByteArray bytes, int at, char value) {
        bytes[at] = value;
        return bytes;
    };
    const QByteArray ack = UdpWire::encode(shortDatagram(Kind::Ack, id));
    const QByteArray full = UdpWire::encode(dataDatagram(id, 2, 0, 0, 2, QByteArray(UdpWire::MaxFragmentPayload, 'f')));
    const QByteArray single = UdpWire::encode(dataDatagram(id, 2, 0, 0, 1, QByteArray(100, 's')));
    auto helloWithCookie = [&](const QByteArray &cookie, quint32 connection) {
        UdpWire::Datagram d = shortDatagram(Kind::HelloWithCookie, connection);
        d.cookie = cookie;
        return UdpWire::encode(d);
    };
    auto cookieFor = [&](quint16 port, quint32 connection, qint64 at, const QByteArray &secret) {
        return UdpWire::mintCookie(secret, h.clientAddress, port, connection, at);
    };

    QByteArray bytes;
    switch (Malformed(which)) {
    case Malformed::BadMagic: bytes = withByte(ack, 0, 0x45); break;
    case Malformed::BadVersion: bytes = withByte(ack, 0, char(0xC2)); break;
    case Malformed::UnknownKind: bytes = withByte(ack, 1, 0x7F); break;
    case Malformed::TooShort: bytes = ack.left(5); break;
    case Malformed::TruncatedHeader: bytes = ack.left(21); break;
    case Malformed::TooLarge: bytes = full + QByteArray(1, 'x'); break;
    case Malformed::ZeroConnectionId: bytes = UdpWire::encode(shortDatagram(Kind::Ack, 1)); bytes[5] = 0; break;
    case Malformed::UnknownConnectionId: bytes = UdpWire::encode(dataDatagram(otherId, 2, 0, 0, 1, QByteArray(100, 's'))); break;
    case Malformed::TruncatedFragment: bytes = full.left(700); break;
    case Malformed::AbsurdFragmentCount: bytes = withByte(single, 23, char(250)); break;
    case Malformed::ZeroFragmentCount: bytes = withByte(single, 23, 0); break;
    case Malformed::FragmentIndexBeyondCount: bytes = withByte(withByte(single, 22, 3), 23, 2); break;
    case Malformed::ShortMiddleFragment: bytes = withByte(single, 23, 2); break;
    case Malformed::PayloadTooLarge:
        bytes = withByte(withByte(UdpWire::encode(dataDatagram(id, 2, 0, 0, 1, QByteArray(1000, 'p'))), 22, 55), 23, 56);
        break;
    case Malformed::LengthFieldLies: bytes = withByte(withByte(single, 24, 0), 25, 50); break;
    case Malformed::AckOfUnsentData: bytes = UdpWire::encode(dataDatagram(id, 2, 1000, 0, 1, QByteArray(100, 's'))); break;
    case Malformed::WrongCookie: bytes = helloWithCookie(cookieFor(h.clientPort, otherId, h.now, QByteArray(32, 'w')), otherId); break;
    case Malformed::ExpiredCookie:
        bytes = helloWithCookie(cookieFor(h.clientPort, otherId, h.now - (UdpWire::CookieLifetimeSecs + 2) * 1000, h.secret), otherId);
        break;
    case Malformed::CookieForOtherPort: bytes = helloWithCookie(cookieFor(h.clientPort + 1, otherId, h.now, h.secret), otherId); break;
    case Malformed::CookieForOtherConnection: bytes = helloWithCookie(cookieFor(h.clientPort, otherId + 1, h.now, h.secret), otherId); break;
    case Malformed::UnpaddedHello: bytes = UdpWire::encode(shortDatagram(Kind::Hello, otherId)).left(UdpWire::CookieReplySize); break;
    case Malformed::UnpaddedHelloWithCookie:
        bytes = helloWithCookie(cookieFor(h.clientPort, otherId, h.now, h.secret), otherId).left(UdpWire::CookieReplySize);
        break;
    case Malformed::DataFromUnknownSource: bytes = UdpWire::encode(dataDatagram(otherId, 0, 0, 0, 1, QByteArray(100, 'u'))); break;
    case Malformed::CookieSentToServer: {
        UdpWire::Datagram d = shortDatagram(Kind::Cookie, otherId);
        d.cookie = cookieFor(h.clientPort, otherId, h.now, h.secret);
        bytes = UdpWire::encode(d);
        break;
    }
    }
    QVERIFY(!bytes.isEmpty());

    // The stateless gate: no reply, no admission, nothing kept (it has nothing to keep anything in).
    const UdpWire::GateVerdict v = UdpWire::screenUnverified(bytes, h.clientAddress, h.clientPort, h.secret,
                                                             h.now, UdpWire::TransportUdp);
    QCOMPARE(v.action, UdpWire::GateVerdict::Action::Drop);
    QVERIFY(v.reply.isEmpty());

    // Both established channels: dropped, and nothing about them changes.
    for (Channel *ch : {h.server.get(), &h.client}) {
        const Channel::State state = ch->state();
        const qsizetype reassembly = ch->reassemblyBytes();
        const qsizetype sendBuffer = ch->sendBufferBytes();
        const qint64 lastHeard = ch->lastHeardAt();
        const qint64 nextTimeout = ch->nextTimeoutAt();
        QVERIFY(!ch->handleDatagram(bytes, h.now + 5));
        QCOMPARE(ch->state(), state);
        QCOMPARE(ch->reassemblyBytes(), reassembly);
        QCOMPARE(ch->sendBufferBytes(), sendBuffer);
        QCOMPARE(ch->lastHeardAt(), lastHeard);
        QCOMPARE(ch->nextTimeoutAt(), nextTimeout);
        QVERIFY(ch->takeDatagrams().isEmpty());
        QVERIFY(ch->takePayloads().isEmpty());
        QVERIFY(ch->takeEvents().isEmpty());
    }

    // And the connection still works.
    QCOMPARE(h.client.send("still here", h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.received[ServerSide].size() == 2; }, h.now + 5000));
    QCOMPARE(h.received[ServerSide].last(), QByteArray("still here"));
    QCOMPARE(h.serversCreated, 1);
}

void tst_ReliableChannel::deadPeer_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::newRow("idle") << QStringLiteral("idle");
    QTest::newRow("busy") << QStringLiteral("busy");
    QTest::newRow("connecting") << QStringLiteral("connecting");
}

void tst_ReliableChannel::deadPeer()
{
    QFETCH(QString, scenario);
    LinkProfile profile = cleanLink(20);
    profile.bytesPerMs = 1250;
    Harness h(8, profile);
    int pingsAfterCut = 0;
    qint64 cutAt = -1;
    h.tap = [&](int, const QByteArray &d) {
        if (cutAt >= 0 && kindOf(d) == Kind::Ping)
            ++pingsAfterCut;
    };

    if (scenario == QLatin1String("connecting")) {
        h.link.setBlackhole(true);
        cutAt = h.now;
        h.connect();
        QVERIFY(h.runUntil([&] { return h.client.state() == Channel::State::Dead; }, h.now + 120'000));
        QCOMPARE(h.eventTimes[ClientSide].last() - cutAt, Channel::DeadPeerTimeoutMs);
        QCOMPARE(h.events[ClientSide], QList<Event>{Event::Dead});
        QCOMPARE(h.serversCreated, 0);
        QCOMPARE(h.client.nextTimeoutAt(), -1);
        return;
    }

    QVERIFY(h.connectAndWait());
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(h.client.send(makeMessage(8, 0, i, 500 * (i + 1)), h.now), SendResult::Queued);
        QCOMPARE(h.server->send(makeMessage(8, 1, i, 700 * (i + 1)), h.now), SendResult::Queued);
    }
    h.flush();
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 5000));
    h.runFor(3000);
    if (scenario == QLatin1String("busy")) {
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(h.client.send(makeMessage(8, 0, 10 + i, 60'000), h.now), SendResult::Queued);
            QCOMPARE(h.server->send(makeMessage(8, 1, 10 + i, 60'000), h.now), SendResult::Queued);
        }
        h.flush();
        h.runFor(30); // the link is now busy in both directions
        QVERIFY(h.client.datagramsInFlight() > 0 && h.server->datagramsInFlight() > 0);
    }

    cutAt = h.now;
    h.link.setBlackhole(true);
    QVERIFY(h.runUntil([&] {
        return h.client.state() == Channel::State::Dead && h.server->state() == Channel::State::Dead;
    }, cutAt + 120'000));
    // Exactly the documented time, counted from the last datagram heard (which left the peer before
    // the cut, so at most one link delay after it): a busy channel waits DeadPeerTimeoutMs for an
    // answer; an idle one first sends its keepalive Ping.
    const qint64 expected = scenario == QLatin1String("idle")
                                ? Channel::KeepaliveIntervalMs + Channel::DeadPeerTimeoutMs
                                : Channel::DeadPeerTimeoutMs;
    for (int side = 0; side < 2; ++side) {
        Channel *ch = h.channel(side);
        QCOMPARE(h.events[side].last(), Event::Dead);
        QCOMPARE(h.events[side].count(Event::Dead), 1);
        const qint64 deadAt = h.eventTimes[side].last();
        QCOMPARE(deadAt - ch->lastHeardAt(), expected);
        QVERIFY(ch->lastHeardAt() <= cutAt + 200);
        QVERIFY(deadAt - cutAt <= expected + 200);
        QCOMPARE(ch->nextTimeoutAt(), -1);
        QCOMPARE(ch->send("anyone?", h.now), SendResult::NotOpen);
        QCOMPARE(ch->sendBufferBytes(), 0);
        QCOMPARE(ch->reassemblyBytes(), 0);
    }
    if (scenario == QLatin1String("idle"))
        QVERIFY(pingsAfterCut > 0); // an idle channel probes with Ping before giving up
}

void tst_ReliableChannel::keepaliveKeepsIdleLinkAlive()
{
    Harness h(9, cleanLink(30));
    int pings = 0;
    int datagrams = 0;
    h.tap = [&](int, const QByteArray &d) {
        ++datagrams;
        if (kindOf(d) == Kind::Ping)
            ++pings;
    };
    QVERIFY(h.connectAndWait());
    datagrams = 0;
    const qint64 idleMs = 10 * 60 * 1000;
    h.runFor(idleMs);
    QCOMPARE(h.client.state(), Channel::State::Connected);
    QCOMPARE(h.server->state(), Channel::State::Connected);
    QVERIFY(h.now - h.client.lastHeardAt() <= Channel::KeepaliveIntervalMs);
    QVERIFY(h.now - h.server->lastHeardAt() <= Channel::KeepaliveIntervalMs);
    // About one Ping (and its Ack) per keepalive interval for the pair, not one per side.
    const int intervals = int(idleMs / Channel::KeepaliveIntervalMs);
    QVERIFY2(pings >= intervals - 1 && pings <= intervals + 1, qPrintable(QString::number(pings)));
    QCOMPARE(datagrams, 2 * pings);
}

void tst_ReliableChannel::delayedAck()
{
    Harness h(11, cleanLink(10));
    QVERIFY(h.connectAndWait());
    constexpr qint64 DelayMs = 50;
    h.client.setDelayedAck(DelayMs, 4);
    QList<qint64> ackTimes; // the client's Ack datagrams
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ClientSide && kindOf(d) == Kind::Ack)
            ackTimes.append(h.now);
    };
    auto serverSends = [&](int count) {
        for (int i = 0; i < count; ++i)
            QCOMPARE(h.server->send(QByteArray(100, char('a' + i)), h.now), SendResult::Queued);
        h.flush();
    };

    // Fewer than 4 in order: delivered at once, acknowledged once the delay has passed.
    serverSends(3);
    const qint64 arrival = h.now + 10;
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == 3; }, h.now + 1000));
    QCOMPARE(h.now, arrival);
    QVERIFY(ackTimes.isEmpty());
    QVERIFY(h.runUntil([&] { return h.server->datagramsInFlight() == 0; }, h.now + 1000));
    QCOMPARE(ackTimes, QList<qint64>{arrival + DelayMs});

    // 4 in order: acknowledged on arrival, one Ack for the batch.
    ackTimes.clear();
    serverSends(6);
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == 9; }, h.now + 1000));
    QCOMPARE(ackTimes, QList<qint64>{h.now});

    // Out of order (the first of two is lost): acknowledged on arrival, with the gap in the sack.
    h.runFor(1000);
    ackTimes.clear();
    bool dropped = false;
    h.dropIf = [&](int from, const QByteArray &d) {
        if (from != ServerSide || kindOf(d) != Kind::Data || dropped)
            return false;
        dropped = true;
        return true;
    };
    serverSends(2);
    const qint64 secondArrival = h.now + 10;
    QVERIFY(h.runUntil([&] { return !ackTimes.isEmpty(); }, h.now + 1000));
    QCOMPARE(ackTimes.first(), secondArrival);
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == 11; }, h.now + 5000));
    QCOMPARE(h.events[ClientSide], QList<Event>{Event::Connected});
}

void tst_ReliableChannel::rtoFollowsRfc6298_data()
{
    QTest::addColumn<int>("jitterMs");
    QTest::newRow("fixedRtt") << 0;
    QTest::newRow("jitteryRtt") << 40;
}

void tst_ReliableChannel::rtoFollowsRfc6298()
{
    QFETCH(int, jitterMs);
    LinkProfile profile = cleanLink(150); // RTT 300 ms (+ 0..2*jitter)
    profile.jitterMs = jitterMs;
    Harness h(10, profile);
    QVERIFY(h.connectAndWait());

    auto expectedRto = [](const Channel &ch) {
        const double rto = ch.smoothedRttMs() + qMax(Channel::ClockGranularityMs, 4 * ch.rttVarianceMs());
        return qBound(Channel::MinRtoMs, qint64(std::ceil(rto)), Channel::MaxRtoMs);
    };

    // Before any sample: the initial RTO.
    QVERIFY(!h.server->hasRttSample());
    QCOMPARE(h.server->retransmissionTimeoutMs(), Channel::InitialRtoMs);
    // The first sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 * RTTVAR.
    QCOMPARE(h.server->send("first", h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 5000));
    QVERIFY(h.server->hasRttSample());
    const double r = h.server->smoothedRttMs();
    QVERIFY(r >= 300 && r <= 300 + 2 * jitterMs);
    QCOMPARE(h.server->rttVarianceMs(), r / 2);
    QCOMPARE(h.server->retransmissionTimeoutMs(), expectedRto(*h.server));
    if (jitterMs == 0) {
        QCOMPARE(h.client.smoothedRttMs(), 300.0); // from the handshake
        QCOMPARE(h.server->retransmissionTimeoutMs(), qint64(900));
    }

    // One small payload each way per second: SRTT converges on the path's RTT.
    for (int i = 0; i < 60; ++i) {
        QCOMPARE(h.client.send(QByteArray(100, 'c'), h.now), SendResult::Queued);
        QCOMPARE(h.server->send(QByteArray(100, 's'), h.now), SendResult::Queued);
        h.flush();
        h.runFor(1000);
    }
    for (Channel *ch : {&h.client, h.server.get()}) {
        QCOMPARE(ch->retransmissionTimeoutMs(), expectedRto(*ch));
        QCOMPARE(ch->retransmissions(), quint64(0));
        if (jitterMs == 0) {
            QCOMPARE(ch->smoothedRttMs(), 300.0);
            QVERIFY(ch->rttVarianceMs() < 0.25);
            QCOMPARE(ch->retransmissionTimeoutMs(), qint64(301)); // SRTT + G
        } else {
            // Mean RTT 300 + 2 * jitter/2 = 340 ms.
            QVERIFY2(qAbs(ch->smoothedRttMs() - 340) < 25, qPrintable(QString::number(ch->smoothedRttMs())));
            QVERIFY(ch->rttVarianceMs() > 1 && ch->rttVarianceMs() < 40);
        }
    }
}

void tst_ReliableChannel::rtoBackoffDoubles()
{
    Harness h(11, cleanLink(150));
    QVERIFY(h.connectAndWait());
    for (int i = 0; i < 40; ++i) {
        QCOMPARE(h.client.send(QByteArray(100, 'c'), h.now), SendResult::Queued);
        h.flush();
        h.runFor(1000);
    }
    const qint64 base = h.client.retransmissionTimeoutMs();
    QCOMPARE(base, qint64(301));

    QList<qint64> sentAt;
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ClientSide && kindOf(d) == Kind::Data)
            sentAt.append(h.now);
    };

    // Cut the path: the timer doubles on every expiry, up to MaxRtoMs.
    h.link.setBlackhole(true);
    QCOMPARE(h.client.send(QByteArray(100, 'x'), h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return sentAt.size() == 6; }, h.now + 60'000));
    qint64 expect = base;
    for (int i = 1; i < sentAt.size(); ++i) {
        QCOMPARE(sentAt[i] - sentAt[i - 1], expect);
        expect = qMin(expect * 2, Channel::MaxRtoMs);
    }
    QCOMPARE(h.client.retransmissionTimeoutMs(), expect);

    // Restore it: the retransmission is acknowledged, but Karn's rule takes no sample from it,
    // so the backed-off RTO stays...
    h.link.setBlackhole(false);
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.client.retransmissionTimeoutMs(), expect);
    // ...until a payload sent once is acknowledged.
    QCOMPARE(h.client.send(QByteArray(100, 'y'), h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.client.retransmissionTimeoutMs(), base);
    QCOMPARE(h.received[ServerSide].size(), 42);

    // Cut it for good: doubling, then the cap, then Dead after the documented silence.
    sentAt.clear();
    h.link.setBlackhole(true);
    QCOMPARE(h.client.send(QByteArray(100, 'z'), h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.client.state() == Channel::State::Dead; }, h.now + 60'000));
    QVERIFY(sentAt.size() >= 10);
    expect = base;
    for (int i = 1; i < sentAt.size(); ++i) {
        QCOMPARE(sentAt[i] - sentAt[i - 1], expect);
        expect = qMin(expect * 2, Channel::MaxRtoMs);
    }
    QCOMPARE(h.eventTimes[ClientSide].last() - h.client.lastHeardAt(), Channel::DeadPeerTimeoutMs);
}

void tst_ReliableChannel::cleanClose_data()
{
    QTest::addColumn<QString>("closer");
    QTest::addColumn<double>("loss");
    QTest::addColumn<bool>("forgetServer");
    QTest::addColumn<uint>("seed");
    QTest::newRow("clientCloses") << QStringLiteral("client") << 0.0 << false << 201u;
    QTest::newRow("serverCloses") << QStringLiteral("server") << 0.0 << false << 202u;
    QTest::newRow("bothClose") << QStringLiteral("both") << 0.0 << false << 203u;
    QTest::newRow("clientCloses_loss30") << QStringLiteral("client") << 0.3 << false << 204u;
    QTest::newRow("serverCloses_loss30") << QStringLiteral("server") << 0.3 << false << 205u;
    QTest::newRow("bothClose_loss30") << QStringLiteral("both") << 0.3 << false << 206u;
    QTest::newRow("clientCloses_serverForgets_loss30") << QStringLiteral("client") << 0.3 << true << 207u;
}

void tst_ReliableChannel::cleanClose()
{
    QFETCH(QString, closer);
    QFETCH(double, loss);
    QFETCH(bool, forgetServer);
    QFETCH(uint, seed);
    seed += seedOffset();

    LinkProfile profile = cleanLink(20);
    profile.loss = loss;
    Harness h(seed, profile);
    h.forgetServerWhenFinished = forgetServer;
    QVERIFY(h.connectAndWait());

    const bool clientCloses = closer != QLatin1String("server");
    const bool serverCloses = closer != QLatin1String("client");
    constexpr int Count = 20;
    for (int i = 0; i < Count; ++i) {
        if (clientCloses)
            QCOMPARE(h.client.send(makeMessage(seed, 0, i, 100 + 250 * i), h.now), SendResult::Queued);
        if (serverCloses)
            QCOMPARE(h.server->send(makeMessage(seed, 1, i, 100 + 250 * i), h.now), SendResult::Queued);
    }
    if (clientCloses)
        h.client.close(h.now);
    if (serverCloses)
        h.server->close(h.now);
    if (clientCloses)
        QCOMPARE(h.client.send("late", h.now), SendResult::NotOpen);
    h.flush();

    auto finished = [&](int side) {
        const Channel *ch = side == ClientSide ? &h.client : h.server.get();
        return !ch || ch->state() == Channel::State::Closed; // forgotten by the adapter counts
    };
    QVERIFY(h.runUntil([&] { return finished(ClientSide) && finished(ServerSide); }, h.now + 120'000));
    h.runFor(30'000); // nothing else happens afterwards: no timers, no late events
    QVERIFY(h.link.isIdle());

    for (int side = 0; side < 2; ++side) {
        const bool closed = side == ClientSide ? clientCloses : serverCloses;
        const bool peerClosed = side == ClientSide ? serverCloses : clientCloses;
        const QList<Event> &events = h.events[side];
        QVERIFY(!events.contains(Event::Dead));
        QVERIFY(!events.contains(Event::ProtocolError));
        QCOMPARE(events.first(), Event::Connected);
        if (closed) {
            QCOMPARE(events.last(), Event::Closed);
            QCOMPARE(events.count(Event::Closed), 1);
            // Our Close was acknowledged, so the peer delivered it after every payload sent
            // before it. (Not promised when both close at once over a lossy link: a side whose
            // own close completed first drops what is still on its way; see PROTOCOL-UDP.md.)
            if (!(peerClosed && loss > 0)) {
                QCOMPARE(h.payloadsAtPeerClosed[1 - side], Count);
                QVERIFY(h.channel(side) == nullptr || h.channel(side)->closeConfirmed());
            }
        } else {
            QCOMPARE(events, (QList<Event>{Event::Connected, Event::PeerClosed}));
            QCOMPARE(h.payloadsAtPeerClosed[side], Count);
        }
        // Whatever arrived arrived in order.
        const QList<QByteArray> &got = h.received[side];
        for (int i = 0; i < got.size(); ++i)
            QCOMPARE(got.at(i), makeMessage(seed, 1 - side, i, 100 + 250 * i));
    }
    if (!forgetServer) {
        QCOMPARE(h.server->nextTimeoutAt(), -1);
        QCOMPARE(h.server->send("late", h.now), SendResult::NotOpen);
    }
    QCOMPARE(h.client.nextTimeoutAt(), -1);
    QCOMPARE(h.serversCreated, 1);
}


// --- Bundles (docs/PROTOCOL-UDP.md §4.3) ---------------------------------------------------------

namespace {

UdpWire::Datagram bundleDatagram(quint32 id, quint32 seq, quint32 ack, const QList<QByteArray> &payloads)
{
    UdpWire::Datagram d;
    d.kind = Kind::Bundle;
    d.connectionId = id;
    d.seq = seq;
    d.ack = ack;
    d.payloads = payloads;
    return d;
}

// Payloads of 1..maxSize bytes, deterministic for (seed, side, index).
QByteArray smallMessage(quint32 seed, int side, int index, int maxSize)
{
    const int size = 1 + int((seed * 7919u + quint32(side) * 104729u + quint32(index) * 31u) % quint32(maxSize));
    return makeMessage(seed, side, index, size);
}

// Both sides queue bursts of 1..maxBurst small payloads a pass at a time (a server's fan-out, a
// chatty client) until each has had `count` payloads delivered, once and in order (checked as they
// arrive); then the link runs on, so that late duplicates would surface. `eachPass` runs before
// every pass (a test may change the link on the way). The caller checks QTest::currentTestFailed().
void runBurstTransfer(Harness &h, quint32 seed, int count, int maxBurst, const std::function<void()> &eachPass = {})
{
    int next[2] = {0, 0};
    int received[2] = {0, 0};
    QString mismatch;
    h.onPayload = [&](int side, const QByteArray &payload) {
        const int from = 1 - side;
        if (!mismatch.isEmpty())
            return;
        if (received[side] >= count || payload != smallMessage(seed, from, received[side], 300)) {
            mismatch = QStringLiteral("side %1: payload %2 (%3 bytes) out of order, altered or extra")
                           .arg(side).arg(received[side]).arg(payload.size());
            return;
        }
        ++received[side];
    };

    QRandomGenerator burstRng(seed);
    const qint64 limit = h.now + 3600 * 1000;
    for (;;) {
        if (eachPass)
            eachPass();
        for (int side = 0; side < 2; ++side) {
            Channel *ch = h.channel(side);
            const int burst = 1 + int(burstRng.bounded(maxBurst));
            for (int i = 0; i < burst && next[side] < count; ++i) {
                if (ch->enqueue(smallMessage(seed, side, next[side], 300)) != SendResult::Queued)
                    break; // queue full: offered again next pass
                ++next[side];
            }
            ch->flush(h.now);
        }
        h.flush();
        if (!mismatch.isEmpty() || !h.violation.isEmpty())
            break;
        if (received[0] == count && received[1] == count && h.quiet())
            break;
        if (!h.step(limit))
            break;
    }
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
    QCOMPARE(received[ClientSide], count);
    QCOMPARE(received[ServerSide], count);
    h.runFor(10'000); // late duplicates must not surface
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(h.payloadCount[ClientSide], count);
    QCOMPARE(h.payloadCount[ServerSide], count);
    for (int side = 0; side < 2; ++side) {
        QCOMPARE(h.events[side], QList<Event>{Event::Connected});
        QCOMPARE(h.channel(side)->reassemblyBytes(), 0);
        QCOMPARE(h.channel(side)->sendBufferBytes(), 0);
    }
    h.onPayload = {};
}

} // namespace

void tst_ReliableChannel::bundleWireFormat()
{
    const UdpWire::Datagram d = bundleDatagram(0xA1B2C3D4, 7, 3, {QByteArray("ab"), QByteArray("xyz")});
    const QByteArray bytes = UdpWire::encode(d);
    QCOMPARE(bytes.size(), UdpWire::BundleHeaderSize + 2 + 2 + 2 + 3);
    QCOMPARE(bytes.toHex(), QByteArray("c10c" "a1b2c3d4" "00000007" "00000003" "0000000000000000"
                                       "02" "0002" "6162" "0003" "78797a"));
    UdpWire::Datagram back;
    QCOMPARE(UdpWire::decode(bytes, &back), UdpWire::DecodeError::None);
    QCOMPARE(back.kind, Kind::Bundle);
    QCOMPARE(back.seq, 7u);
    QCOMPARE(back.ack, 3u);
    QCOMPARE(back.payloads, d.payloads);
    QVERIFY(UdpWire::isSequenced(Kind::Bundle));

    // The largest bundle fills a datagram exactly; one byte more is refused.
    const int fill = UdpWire::MaxDatagramSize - UdpWire::BundleHeaderSize - 2 * UdpWire::BundleEntryHeaderSize;
    QCOMPARE(fill, UdpWire::MaxBundledBytes);
    QCOMPARE(UdpWire::encode(bundleDatagram(1, 0, 0, {QByteArray(fill - 1, 'a'), QByteArray(1, 'b')})).size(),
             UdpWire::MaxDatagramSize);
    QVERIFY(UdpWire::encode(bundleDatagram(1, 0, 0, {QByteArray(fill, 'a'), QByteArray(1, 'b')})).isEmpty());
    // One payload, an empty one, or more than MaxBundlePayloads: not a bundle.
    QVERIFY(UdpWire::encode(bundleDatagram(1, 0, 0, {QByteArray("a")})).isEmpty());
    QVERIFY(UdpWire::encode(bundleDatagram(1, 0, 0, {QByteArray("a"), QByteArray()})).isEmpty());
    QVERIFY(UdpWire::encode(bundleDatagram(1, 0, 0, QList<QByteArray>(UdpWire::MaxBundlePayloads + 1, "a"))).isEmpty());
    QCOMPARE(UdpWire::encode(bundleDatagram(1, 0, 0, QList<QByteArray>(UdpWire::MaxBundlePayloads, "a"))).size(),
             UdpWire::BundleHeaderSize + 3 * UdpWire::MaxBundlePayloads);

    // Features: offered in HelloWithCookie (where older clients left zero padding), agreed in an
    // 8-byte Accept; a 6-byte Accept agrees to nothing, an 8-byte one that agrees to nothing is
    // not a valid Accept.
    UdpWire::Datagram hwc = shortDatagram(Kind::HelloWithCookie, 0x01020304);
    hwc.cookie = QByteArray(UdpWire::CookieSize, 'c');
    hwc.features = UdpWire::FeatureBundles;
    const QByteArray hwcBytes = UdpWire::encode(hwc);
    QCOMPARE(hwcBytes.size(), UdpWire::HelloWithCookieSize);
    QCOMPARE(hwcBytes.mid(UdpWire::HelloFeaturesOffset, 2).toHex(), QByteArray("0001"));
    QCOMPARE(UdpWire::decode(hwcBytes, &back), UdpWire::DecodeError::None);
    QCOMPARE(back.features, UdpWire::FeatureBundles);
    UdpWire::Datagram accept = shortDatagram(Kind::Accept, 0x01020304);
    QCOMPARE(UdpWire::encode(accept).size(), UdpWire::AcceptSize);
    accept.features = UdpWire::FeatureBundles;
    const QByteArray acceptBytes = UdpWire::encode(accept);
    QCOMPARE(acceptBytes.toHex(), QByteArray("c10401020304" "0001"));
    QCOMPARE(UdpWire::decode(acceptBytes, &back), UdpWire::DecodeError::None);
    QCOMPARE(back.features, UdpWire::FeatureBundles);
    QByteArray agreesToNothing = acceptBytes;
    agreesToNothing[7] = '\0';
    QCOMPARE(UdpWire::decode(agreesToNothing, &back), UdpWire::DecodeError::BadSize);
    QCOMPARE(UdpWire::decode(acceptBytes + QByteArray(1, '\0'), &back), UdpWire::DecodeError::BadSize);
}

void tst_ReliableChannel::bogusBundleDropped_data()
{
    QTest::addColumn<QByteArray>("body"); // what follows the full header
    QTest::addColumn<int>("error");

    auto entry = [](const QByteArray &payload) {
        QByteArray e(2, '\0');
        e[0] = char(payload.size() >> 8);
        e[1] = char(payload.size() & 0xFF);
        return e + payload;
    };
    const QByteArray two = entry("hello") + entry("world");
    const int badBundle = int(UdpWire::DecodeError::BadBundle);
    QTest::newRow("count 0") << (QByteArray(1, '\x00') + two) << badBundle;
    QTest::newRow("count 1") << (QByteArray(1, '\x01') + two) << badBundle;
    QTest::newRow("count beyond the entries") << (QByteArray(1, '\x03') + two) << badBundle;
    QTest::newRow("count 255, two entries") << (QByteArray(1, '\xFF') + two) << badBundle;
    QTest::newRow("bytes after the entries") << (QByteArray(1, '\x02') + two + "!") << badBundle;
    QTest::newRow("empty payload") << (QByteArray(1, '\x02') + entry("hello") + entry("") + "xyz") << badBundle;
    QTest::newRow("length beyond the datagram")
        << (QByteArray(1, '\x02') + entry("hello") + QByteArray::fromHex("ffff") + "world") << badBundle;
    QTest::newRow("length 65535, first entry")
        << (QByteArray(1, '\x02') + QByteArray::fromHex("ffff") + QByteArray(30, 'x')) << badBundle;
    QTest::newRow("truncated length field")
        << (QByteArray(1, '\x03') + two + QByteArray(1, '\0')) << badBundle;
    QTest::newRow("too short for two payloads") << QByteArray::fromHex("02000161") << int(UdpWire::DecodeError::BadSize);
}

void tst_ReliableChannel::bogusBundleDropped()
{
    QFETCH(QByteArray, body);
    QFETCH(int, error);

    Harness h(61, cleanLink(5));
    QVERIFY(h.connectAndWait());
    const quint32 id = h.client.connectionId();
    // A valid header (the next sequence number, acknowledging nothing new), then the bogus body.
    QByteArray bytes = UdpWire::encode(shortDatagram(Kind::Ack, id));
    bytes[1] = char(Kind::Bundle);
    bytes += body;
    UdpWire::Datagram d;
    QCOMPARE(int(UdpWire::decode(bytes, &d)), error);
    QVERIFY(d.payloads.isEmpty()); // rejected before a payload list was made

    QVERIFY(!h.server->handleDatagram(bytes, h.now));
    QCOMPARE(h.server->state(), Channel::State::Connected);
    QCOMPARE(h.server->reassemblyBytes(), 0);
    QVERIFY(h.server->takePayloads().isEmpty());
    QVERIFY(h.server->takeDatagrams().isEmpty()); // not even acknowledged

    // The channel goes on: a real bundle with the same sequence number is delivered.
    QVERIFY(h.server->handleDatagram(UdpWire::encode(bundleDatagram(id, 0, 0, {"hello", "world"})), h.now));
    QCOMPARE(h.server->takePayloads(), (QList<QByteArray>{"hello", "world"}));
}

void tst_ReliableChannel::bundlesPackOnePassOnly()
{
    Harness h(62, cleanLink(10));
    QList<QByteArray> serverSent;
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ServerSide && UdpWire::isSequenced(kindOf(d)))
            serverSent.append(d);
    };
    QVERIFY(h.connectAndWait());
    QCOMPARE(h.client.agreedFeatures(), UdpWire::FeatureBundles);
    QCOMPARE(h.server->agreedFeatures(), UdpWire::FeatureBundles);

    // A lone payload leaves at once, as Data: nothing waits for company.
    QCOMPARE(h.server->send("lone", h.now), SendResult::Queued);
    QList<QByteArray> out = h.server->takeDatagrams();
    QCOMPARE(out.size(), 1);
    QCOMPARE(kindOf(out.first()), Kind::Data);
    for (const QByteArray &d : out)
        h.transmit(ServerSide, d);

    // Twenty 100-byte payloads queued in one pass: eleven fit one datagram (23 + 11 * 102 = 1,145
    // bytes; twelve would be 1,247), so a bundle of 11, then one of 9.
    serverSent.clear();
    QList<QByteArray> expected{"lone"};
    for (int i = 0; i < 20; ++i) {
        expected.append(QByteArray(100, char('a' + i)));
        QCOMPARE(h.server->enqueue(expected.last()), SendResult::Queued);
    }
    QVERIFY(h.server->takeDatagrams().isEmpty()); // enqueue() alone sends nothing
    h.server->flush(h.now);
    h.flush();
    QCOMPARE(serverSent.size(), 2);
    QCOMPARE(kindOf(serverSent[0]), Kind::Bundle);
    QCOMPARE(serverSent[0].size(), UdpWire::BundleHeaderSize + 11 * 102);
    QCOMPARE(kindOf(serverSent[1]), Kind::Bundle);
    QCOMPARE(serverSent[1].size(), UdpWire::BundleHeaderSize + 9 * 102);
    QCOMPARE(h.server->bundlesSent(), 2u);

    // A fragmented payload is never bundled; the small ones around it still are.
    serverSent.clear();
    const QByteArray big = makeMessage(62, ServerSide, 0, 3000);
    for (const QByteArray &p : {QByteArray("s1"), QByteArray("s2"), big, QByteArray("s3"), QByteArray("s4")}) {
        expected.append(p);
        QCOMPARE(h.server->enqueue(p), SendResult::Queued);
    }
    h.server->flush(h.now);
    h.flush();
    QList<Kind> kinds;
    for (const QByteArray &d : serverSent)
        kinds.append(kindOf(d));
    QCOMPARE(kinds, (QList<Kind>{Kind::Bundle, Kind::Data, Kind::Data, Kind::Data, Kind::Bundle}));

    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == expected.size() && h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.received[ClientSide], expected);
    QCOMPARE(h.server->sendBufferBytes(), 0);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
}

void tst_ReliableChannel::bundledTransfer_data()
{
    QTest::addColumn<double>("loss");
    QTest::addColumn<double>("duplicate");
    QTest::addColumn<double>("reorder");
    QTest::addColumn<uint>("seed");

    QTest::newRow("clean") << 0.0 << 0.0 << 0.0 << 201u;
    QTest::newRow("loss10") << 0.10 << 0.0 << 0.0 << 202u;
    QTest::newRow("loss30") << 0.30 << 0.0 << 0.0 << 203u;
    QTest::newRow("duplication") << 0.0 << 0.20 << 0.0 << 204u;
    QTest::newRow("reordering") << 0.0 << 0.0 << 0.25 << 205u;
    QTest::newRow("loss10 dup10 reorder20") << 0.10 << 0.10 << 0.20 << 206u;
    QTest::newRow("loss30 dup10 reorder20") << 0.30 << 0.10 << 0.20 << 207u;
}

void tst_ReliableChannel::bundledTransfer()
{
    // Both sides queue bursts of small payloads (a server's fan-out, a chatty client) a pass at a
    // time; every payload arrives once, in order, whatever the link does to the bundles.
    QFETCH(double, loss);
    QFETCH(double, duplicate);
    QFETCH(double, reorder);
    QFETCH(uint, seed);
    seed += seedOffset();

    LinkProfile profile;
    profile.latencyMs = 20;
    profile.jitterMs = 5;
    profile.bytesPerMs = 1250;
    profile.loss = loss;
    profile.duplicate = duplicate;
    profile.reorder = reorder;
    profile.reorderDelayMs = 60;
    Harness h(seed, profile);
    QVERIFY(h.connectAndWait());
    h.client.setDelayedAck(Channel::DefaultAckDelayMs, Channel::DefaultAckEveryDatagrams);

    constexpr int Count = 3000;
    runBurstTransfer(h, seed, Count, 12);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(h.client.bundlesSent() > 0);
    QVERIFY(h.server->bundlesSent() > 0);
    for (int side = 0; side < 2; ++side) {
        QCOMPARE(h.events[side], QList<Event>{Event::Connected});
        QCOMPARE(h.channel(side)->reassemblyBytes(), 0);
        QCOMPARE(h.channel(side)->sendBufferBytes(), 0);
    }
    const SimulatedLink::Stats &s = h.link.stats();
    qInfo("%s: %llu datagrams for %d payloads (%llu lost, %llu duplicated), bundles %llu/%llu, "
          "retransmissions %llu/%llu",
          QTest::currentDataTag(), s.sent, 2 * Count, s.lost, s.duplicated, h.client.bundlesSent(),
          h.server->bundlesSent(), h.client.retransmissions(), h.server->retransmissions());
}

void tst_ReliableChannel::noBundlesUnlessAgreed_data()
{
    QTest::addColumn<quint16>("clientFeatures");
    QTest::addColumn<quint16>("serverFeatures");
    QTest::addColumn<bool>("loseAccept");
    QTest::addColumn<bool>("clientMayBundle");
    QTest::addColumn<bool>("serverMayBundle");

    const quint16 all = UdpWire::SupportedFeatures;
    QTest::newRow("older client") << quint16(0) << all << false << false << false;
    QTest::newRow("older server") << all << quint16(0) << false << false << false;
    // The Accept that says what was agreed is lost; the server's data implies it. The client
    // cannot know, so it sends no bundles; the server knows the client takes them.
    QTest::newRow("Accept lost") << all << all << true << false << true;
}

void tst_ReliableChannel::noBundlesUnlessAgreed()
{
    QFETCH(quint16, clientFeatures);
    QFETCH(quint16, serverFeatures);
    QFETCH(bool, loseAccept);
    QFETCH(bool, clientMayBundle);
    QFETCH(bool, serverMayBundle);

    Harness h(63, cleanLink(10));
    h.client.setOfferedFeatures(clientFeatures);
    h.serverFeatures = serverFeatures;
    QList<int> acceptSizes;
    bool acceptDropped = false;
    int bundles[2] = {0, 0};
    h.dropIf = [&](int, const QByteArray &d) {
        if (kindOf(d) != Kind::Accept)
            return false;
        acceptSizes.append(int(d.size()));
        if (loseAccept && !acceptDropped) {
            acceptDropped = true;
            return true;
        }
        return false;
    };
    h.tap = [&](int from, const QByteArray &d) {
        if (kindOf(d) == Kind::Bundle)
            ++bundles[from];
    };
    h.connect();
    QVERIFY(h.runUntil([&] { return h.server && h.server->state() == Channel::State::Connected; }, h.now + 10'000));
    if (loseAccept) {
        // The server speaks first; its data stands in for the lost Accept.
        for (int i = 0; i < 3; ++i)
            h.server->enqueue(QByteArray(50, char('0' + i)));
        h.server->flush(h.now);
        h.flush();
    }
    QVERIFY(h.runUntil([&] { return h.bothConnected(); }, h.now + 10'000));
    QVERIFY(!acceptSizes.isEmpty());
    // An Accept with features goes only to a client that offered them.
    for (int size : std::as_const(acceptSizes))
        QCOMPARE(size, clientFeatures && serverFeatures ? UdpWire::AcceptWithFeaturesSize : UdpWire::AcceptSize);

    QList<QByteArray> expected[2];
    if (loseAccept)
        expected[ClientSide] = {QByteArray(50, '0'), QByteArray(50, '1'), QByteArray(50, '2')};
    for (int round = 0; round < 20; ++round) {
        for (int side = 0; side < 2; ++side) {
            for (int i = 0; i < 8; ++i) {
                expected[1 - side].append(smallMessage(63, side, round * 8 + i, 120));
                QCOMPARE(h.channel(side)->enqueue(expected[1 - side].last()), SendResult::Queued);
            }
            h.channel(side)->flush(h.now);
        }
        h.flush();
        h.runFor(50);
    }
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.received[ClientSide], expected[ClientSide]);
    QCOMPARE(h.received[ServerSide], expected[ServerSide]);
    QCOMPARE(bundles[ClientSide] > 0, clientMayBundle);
    QCOMPARE(bundles[ServerSide] > 0, serverMayBundle);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
}

namespace {

constexpr int Largest = UdpWire::LargestDatagramSize;
constexpr int Base = UdpWire::BaseDatagramSize;

// A harness whose two ends both read (and advertise) `clientMax` / `serverMax` bytes.
void advertise(Harness &h, int clientMax, int serverMax)
{
    h.client.setMaxDatagramSize(clientMax);
    h.serverMaxDatagram = serverMax;
}

// Runs until both ends have nothing left to discover (or the limit passes).
bool searchSettles(Harness &h, qint64 limitMs = 60'000)
{
    return h.runUntil([&] { return h.bothConnected() && !h.client.pathMtu().isSearching()
                                   && !h.server->pathMtu().isSearching(); },
                      h.now + limitMs);
}

} // namespace

void tst_ReliableChannel::largeDatagramWireFormat()
{
    using UdpWire::DecodeError;
    const quint32 id = 0xa1b2c3d4;
    UdpWire::Datagram d;

    // HelloWithCookie: the size at offset 44, only with FeatureLargeDatagrams.
    UdpWire::Datagram hello = shortDatagram(Kind::HelloWithCookie, id);
    hello.cookie = QByteArray(UdpWire::CookieSize, '\x11');
    hello.features = UdpWire::FeatureBundles | UdpWire::FeatureLargeDatagrams;
    hello.maxDatagramSize = 8952;
    QByteArray bytes = UdpWire::encode(hello);
    QCOMPARE(bytes.size(), Base);
    QCOMPARE(bytes.mid(42, 4), QByteArray::fromHex("000322f8"));
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::None);
    QCOMPARE(d.maxDatagramSize, quint16(8952));
    bytes[44] = 0x04; bytes[45] = char(0xaf); // 1199: below the base size
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::BadSize);
    bytes[42] = 0; bytes[43] = 1;             // without the feature the bytes are padding
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::None);
    QCOMPARE(d.maxDatagramSize, quint16(0));

    // Accept: 10 bytes exactly when large datagrams are agreed.
    UdpWire::Datagram accept = shortDatagram(Kind::Accept, id);
    accept.features = UdpWire::FeatureBundles | UdpWire::FeatureLargeDatagrams;
    accept.maxDatagramSize = 1472;
    bytes = UdpWire::encode(accept);
    QCOMPARE(bytes, QByteArray::fromHex("c104a1b2c3d4000305c0"));
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::None);
    QCOMPARE(d.features, accept.features);
    QCOMPARE(d.maxDatagramSize, quint16(1472));
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c104a1b2c3d40003"), &d), DecodeError::BadSize);     // no size
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c104a1b2c3d4000105c0"), &d), DecodeError::BadSize); // size, no feature
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c104a1b2c3d4000204af"), &d), DecodeError::BadSize); // 1199

    // SizeProbe: its own size is the question; SizeProbeAck: 12 bytes, the answer.
    UdpWire::Datagram probe = shortDatagram(Kind::SizeProbe, id);
    probe.probeId = 7;
    probe.probeSize = 1452;
    QVERIFY(UdpWire::encode(probe).isEmpty()); // not for a receiver that reads the base size only
    QVERIFY(UdpWire::encode(probe, 1451).isEmpty());
    bytes = UdpWire::encode(probe, 1452);
    QCOMPARE(bytes.size(), 1452);
    QCOMPARE(bytes.left(10), QByteArray::fromHex("c10da1b2c3d400000007"));
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::TooLarge); // a base-size reader drops it
    QCOMPARE(UdpWire::decode(bytes, &d, 1451), DecodeError::TooLarge);
    QCOMPARE(UdpWire::decode(bytes, &d, 1452), DecodeError::None);
    QCOMPARE(d.kind, Kind::SizeProbe);
    QCOMPARE(d.probeId, 7u);
    QCOMPARE(d.probeSize, quint16(1452));
    QCOMPARE(UdpWire::decode(bytes + 'x', &d, Largest + 100), DecodeError::None); // clamped to Largest
    QCOMPARE(UdpWire::decode(QByteArray(Largest + 1, '\0').replace(0, 6, QByteArray::fromHex("c10da1b2c3d4")), &d,
                             Largest + 100),
             DecodeError::TooLarge);
    UdpWire::Datagram probeAck = shortDatagram(Kind::SizeProbeAck, id);
    probeAck.probeId = 7;
    probeAck.probeSize = 1452;
    QCOMPARE(UdpWire::encode(probeAck), QByteArray::fromHex("c10ea1b2c3d40000000705ac"));
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c10ea1b2c3d40000000705ac"), &d), DecodeError::None);
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c10ea1b2c3d400000007ffff"), &d), DecodeError::BadSize);
    QCOMPARE(UdpWire::decode(QByteArray::fromHex("c10ea1b2c3d40000000705"), &d), DecodeError::BadSize);

    // A bundle larger than the base size: only for a receiver that reads it.
    UdpWire::Datagram big;
    big.kind = Kind::Bundle;
    big.connectionId = id;
    big.seq = 3;
    for (int i = 0; i < 40; ++i)
        big.payloads.append(QByteArray(100, char('a' + i % 26)));
    QVERIFY(UdpWire::encode(big).isEmpty());
    bytes = UdpWire::encode(big, Largest);
    QCOMPARE(bytes.size(), UdpWire::BundleHeaderSize + 40 * 102);
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::TooLarge);
    QCOMPARE(UdpWire::decode(bytes, &d, Largest), DecodeError::None);
    QCOMPARE(d.payloads, big.payloads);

    // BundlePart: seq, part index/count, then entries as in a bundle; at most the base size.
    UdpWire::Datagram part;
    part.kind = Kind::BundlePart;
    part.connectionId = id;
    part.seq = 7;
    part.ack = 3;
    part.partIndex = 1;
    part.partCount = 2;
    part.payloads = {"ab", "xyz"};
    bytes = UdpWire::encode(part);
    QCOMPARE(bytes, QByteArray::fromHex("c10f" "a1b2c3d4" "00000007" "00000003" "0000000000000000" "01" "02" "02" "0002" "6162" "0003" "78797a"));
    QCOMPARE(UdpWire::decode(bytes, &d), DecodeError::None);
    QCOMPARE(d.partIndex, quint8(1));
    QCOMPARE(d.partCount, quint8(2));
    QCOMPARE(d.payloads, part.payloads);
    QVERIFY(UdpWire::isSequenced(Kind::BundlePart));
    QVERIFY(!UdpWire::isSequenced(Kind::SizeProbe));
    QByteArray bad = bytes;
    bad[22] = 2; // index not below count
    QCOMPARE(UdpWire::decode(bad, &d), DecodeError::BadBundle);
    bad = bytes;
    bad[23] = 1; // a bundle of one part is a Bundle
    QCOMPARE(UdpWire::decode(bad, &d), DecodeError::BadBundle);
    bad = bytes;
    bad[23] = char(UdpWire::MaxBundleParts + 1);
    QCOMPARE(UdpWire::decode(bad, &d), DecodeError::BadBundle);
    bad = bytes;
    bad[24] = 3; // more payloads than the datagram holds
    QCOMPARE(UdpWire::decode(bad, &d), DecodeError::BadBundle);
    part.payloads = {QByteArray(Base - UdpWire::BundlePartHeaderSize - 1, 'p')}; // one byte too many
    QVERIFY(UdpWire::encode(part).isEmpty());
    part.payloads = {QByteArray(UdpWire::MaxBundleablePayload, 'p')};
    QCOMPARE(UdpWire::encode(part).size(), Base);

    // The front door still reads the base size only.
    QCOMPARE(UdpWire::peekConnectionId(bytes), id);
    QCOMPARE(UdpWire::peekConnectionId(UdpWire::encode(big, Largest)), id);
}

void tst_ReliableChannel::largeDatagramsOnlyWhenAdvertised_data()
{
    QTest::addColumn<quint16>("clientFeatures");
    QTest::addColumn<int>("clientMax");
    QTest::addColumn<quint16>("serverFeatures");
    QTest::addColumn<int>("serverMax");
    QTest::addColumn<bool>("loseAccept");
    QTest::addColumn<int>("acceptSize");
    QTest::addColumn<int>("clientSendsUpTo"); // the size the client's channel may reach
    QTest::addColumn<int>("serverSendsUpTo");

    const quint16 all = UdpWire::SupportedFeatures;
    const quint16 bundlesOnly = UdpWire::FeatureBundles;
    QTest::newRow("both") << all << Largest << all << Largest << false << UdpWire::AcceptWithMaxDatagramSize
                          << Largest << Largest;
    QTest::newRow("client reads 1472") << all << 1472 << all << Largest << false << UdpWire::AcceptWithMaxDatagramSize
                                       << 1472 << 1472;
    QTest::newRow("older client") << quint16(0) << Largest << all << Largest << false << UdpWire::AcceptSize
                                  << Base << Base;
    QTest::newRow("client knows bundles only") << bundlesOnly << Largest << all << Largest << false
                                               << UdpWire::AcceptWithFeaturesSize << Base << Base;
    QTest::newRow("client socket reads the base") << all << Base << all << Largest << false
                                                  << UdpWire::AcceptWithFeaturesSize << Base << Base;
    QTest::newRow("older server") << all << Largest << quint16(0) << Largest << false << UdpWire::AcceptSize
                                  << Base << Base;
    QTest::newRow("server knows bundles only") << all << Largest << bundlesOnly << Largest << false
                                               << UdpWire::AcceptWithFeaturesSize << Base << Base;
    // The Accept carrying the server's size is lost and the server's data implies it: the client
    // does not know the server's size, so it stays at the base; the server knows the client's.
    QTest::newRow("Accept lost") << all << Largest << all << Largest << true << UdpWire::AcceptWithMaxDatagramSize
                                 << Base << Largest;
}

void tst_ReliableChannel::largeDatagramsOnlyWhenAdvertised()
{
    QFETCH(quint16, clientFeatures);
    QFETCH(int, clientMax);
    QFETCH(quint16, serverFeatures);
    QFETCH(int, serverMax);
    QFETCH(bool, loseAccept);
    QFETCH(int, acceptSize);
    QFETCH(int, clientSendsUpTo);
    QFETCH(int, serverSendsUpTo);

    Harness h(71, cleanLink(10));
    h.client.setOfferedFeatures(clientFeatures);
    h.serverFeatures = serverFeatures;
    advertise(h, clientMax, serverMax);
    QList<int> acceptSizes;
    int largest[2] = {0, 0};
    bool acceptDropped = false;
    h.dropIf = [&](int, const QByteArray &d) {
        if (kindOf(d) != Kind::Accept)
            return false;
        acceptSizes.append(int(d.size()));
        if (loseAccept && !acceptDropped) {
            acceptDropped = true;
            return true;
        }
        return false;
    };
    h.tap = [&](int from, const QByteArray &d) { largest[from] = qMax(largest[from], int(d.size())); };
    h.connect();
    QVERIFY(h.runUntil([&] { return h.server && h.server->state() == Channel::State::Connected; }, h.now + 10'000));
    if (loseAccept) {
        h.server->send("implied", h.now);
        h.flush();
    }
    QVERIFY(searchSettles(h));
    QVERIFY(!acceptSizes.isEmpty());
    for (int size : std::as_const(acceptSizes))
        QCOMPARE(size, acceptSize);

    // Bursts both ways: bundles fill whatever size each end reached.
    QList<QByteArray> expected[2];
    if (loseAccept)
        expected[ClientSide].append("implied");
    for (int round = 0; round < 10; ++round) {
        for (int side = 0; side < 2; ++side) {
            for (int i = 0; i < 100; ++i) {
                expected[1 - side].append(smallMessage(71, side, round * 100 + i, 140));
                QCOMPARE(h.channel(side)->enqueue(expected[1 - side].last()), SendResult::Queued);
            }
            h.channel(side)->flush(h.now);
        }
        h.flush();
        h.runFor(50);
    }
    QVERIFY(h.runUntil([&] { return h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.received[ClientSide], expected[ClientSide]);
    QCOMPARE(h.received[ServerSide], expected[ServerSide]);
    QCOMPARE(h.client.datagramSize(), clientSendsUpTo);
    QCOMPARE(h.server->datagramSize(), serverSendsUpTo);
    // Nothing above what the receiver advertised (the harness checks every datagram), and the
    // sizes reached are used.
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
    QVERIFY(largest[ClientSide] <= clientSendsUpTo);
    QVERIFY(largest[ServerSide] <= serverSendsUpTo);
    if (serverSendsUpTo > Base)
        QVERIFY(largest[ServerSide] > Base);
    if (clientSendsUpTo > Base)
        QVERIFY(largest[ClientSide] > Base);
    QCOMPARE(h.client.oversizedDropped(), 0u);
    QCOMPARE(h.server->oversizedDropped(), 0u);
}

void tst_ReliableChannel::acknowledgedProbeRaisesSize_data()
{
    QTest::addColumn<int>("pathMtu");
    QTest::addColumn<int>("found");
    QTest::addColumn<int>("probesLost"); // by each end

    QTest::newRow("loopback-like path") << 0 << Largest << 0;
    QTest::newRow("jumbo path") << 9000 - 28 << Largest << 0;
    QTest::newRow("Ethernet path (IPv4)") << 1472 << 1472 << PathMtuSearch::MaxProbes;
    QTest::newRow("Ethernet path (IPv6)") << 1452 << 1452 << PathMtuSearch::MaxProbes;
    QTest::newRow("tunnel below Ethernet") << 1400 << Base << PathMtuSearch::MaxProbes;
}

void tst_ReliableChannel::acknowledgedProbeRaisesSize()
{
    QFETCH(int, pathMtu);
    QFETCH(int, found);
    QFETCH(int, probesLost);

    Harness h(72, cleanLink(15));
    advertise(h, Largest, Largest);
    h.pathMtu = pathMtu;
    QList<int> probeSizes[2];
    h.tap = [&](int from, const QByteArray &d) {
        if (kindOf(d) == Kind::SizeProbe)
            probeSizes[from].append(int(d.size()));
    };
    QVERIFY(h.connectAndWait());
    QCOMPARE(h.client.peerMaxDatagramSize(), Largest);
    QCOMPARE(h.server->peerMaxDatagramSize(), Largest);
    QCOMPARE(h.client.datagramSize(), Base); // nothing larger until a probe came back
    QVERIFY(searchSettles(h));
    for (int side = 0; side < 2; ++side) {
        const Channel *ch = h.channel(side);
        QCOMPARE(ch->datagramSize(), found);
        QCOMPARE(int(ch->pathMtu().probesLost()), probesLost);
        // The ladder in order; a size that does not pass is tried MaxProbes times, then left alone.
        QList<int> ladder;
        for (int rung : PathMtuSearch::Ladder) {
            for (int i = 0; i < (rung > found ? PathMtuSearch::MaxProbes : 1); ++i)
                ladder.append(rung);
            if (rung > found)
                break;
        }
        QCOMPARE(probeSizes[side], ladder);
        QCOMPARE(ch->retransmissions(), 0u);
    }

    // A pass's payloads now share one datagram of up to the size found.
    int bundles = 0;
    int largest = 0;
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ServerSide && kindOf(d) == Kind::Bundle) {
            ++bundles;
            largest = qMax(largest, int(d.size()));
        }
    };
    QList<QByteArray> expected;
    for (int i = 0; i < 60; ++i) {
        expected.append(QByteArray(138, char('A' + i % 26)));
        QCOMPARE(h.server->enqueue(expected.last()), SendResult::Queued);
    }
    h.server->flush(h.now);
    h.flush();
    const int perDatagram = (found - UdpWire::BundleHeaderSize) / 140;
    QCOMPARE(bundles, (60 + perDatagram - 1) / perDatagram);
    QCOMPARE(largest, UdpWire::BundleHeaderSize + qMin(60, perDatagram) * 140);
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == expected.size() && h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.received[ClientSide], expected);
    QCOMPARE(h.pathDrops, quint64(2 * probesLost)); // only probes were too large for the path

    // A size out of reach is tried again after RaiseIntervalMs, not before.
    const quint64 sentBefore = h.server->pathMtu().probesSent();
    h.runFor(PathMtuSearch::RaiseIntervalMs - 60'000);
    QCOMPARE(h.server->pathMtu().probesSent(), sentBefore);
    h.runFor(120'000);
    QCOMPARE(h.server->pathMtu().probesSent(), sentBefore + (found < Largest ? PathMtuSearch::MaxProbes : 0));
    QCOMPARE(h.server->datagramSize(), found);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
}

void tst_ReliableChannel::lostProbeIsNotDataLoss()
{
    // Every probe is lost (the path carries the base size only). That is no loss of data: nothing
    // is retransmitted, nothing is counted as lost, the RTO does not back off, and an idle channel
    // is not declared dead for want of answers to its probes.
    Harness h(73, cleanLink(20));
    advertise(h, Largest, Largest);
    h.pathMtu = Base;
    QVERIFY(h.connectAndWait());
    const qint64 rto[2] = {h.client.retransmissionTimeoutMs(), h.server->retransmissionTimeoutMs()};
    QVERIFY(searchSettles(h));
    for (int side = 0; side < 2; ++side) {
        const Channel *ch = h.channel(side);
        QCOMPARE(ch->datagramSize(), Base);
        QCOMPARE(int(ch->pathMtu().probesLost()), PathMtuSearch::MaxProbes);
        QCOMPARE(ch->retransmissions(), 0u);
        QCOMPARE(ch->retransmissionTimeoutMs(), rto[side]);
        QCOMPARE(ch->datagramsInFlight(), 0);
        QCOMPARE(ch->pathMtu().blackHoles(), 0u);
    }
    // Idle for well past the dead-peer time, with the probes retried in between: still connected
    // (the keepalive Pings are answered), nothing resent.
    h.runFor(2 * PathMtuSearch::RaiseIntervalMs + 1000);
    QVERIFY(h.bothConnected());
    QCOMPARE(h.events[ClientSide], QList<Event>{Event::Connected});
    QCOMPARE(h.events[ServerSide], QList<Event>{Event::Connected});
    QCOMPARE(int(h.client.pathMtu().probesLost()), 3 * PathMtuSearch::MaxProbes);
    QCOMPARE(h.client.retransmissions(), 0u);
    QCOMPARE(h.server->retransmissions(), 0u);
    // Data still flows at the base size.
    QCOMPARE(h.server->send("still here", h.now), SendResult::Queued);
    h.flush();
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == 1 && h.quiet(); }, h.now + 10'000));
    QCOMPARE(h.received[ClientSide].first(), QByteArray("still here"));
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));

    // A silent peer is still found dead in the usual time, probes or not.
    h.link.setBlackhole(true);
    const qint64 silentFrom = h.now;
    QVERIFY(h.runUntil([&] { return h.client.state() == Channel::State::Dead; }, h.now + 120'000));
    QVERIFY(h.now - silentFrom <= Channel::KeepaliveIntervalMs + Channel::DeadPeerTimeoutMs);
}

void tst_ReliableChannel::blackHoleFallsBackToBase()
{
    Harness h(74, cleanLink(10));
    advertise(h, Largest, Largest);
    QVERIFY(h.connectAndWait());
    QVERIFY(searchSettles(h));
    QCOMPARE(h.server->datagramSize(), Largest);

    // The route changes onto a path of 1,472 bytes: the server's large bundles vanish, its small
    // datagrams (and the client's acknowledgements) get through.
    h.pathMtu = 1472;
    int parts = 0;
    h.tap = [&](int from, const QByteArray &d) {
        if (from == ServerSide && kindOf(d) == Kind::BundlePart)
            ++parts;
    };
    QList<QByteArray> expected;
    int nextIndex = 0;
    auto burst = [&](int count) {
        for (int i = 0; i < count; ++i) {
            expected.append(smallMessage(74, ServerSide, nextIndex++, 200));
            QCOMPARE(h.server->enqueue(expected.last()), SendResult::Queued);
        }
        h.server->flush(h.now);
        h.flush();
    };
    for (int round = 0; round < 20; ++round) {
        burst(40);
        h.runFor(30);
    }
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == expected.size() && h.quiet(); }, h.now + 60'000));
    QCOMPARE(h.received[ClientSide], expected);
    QCOMPARE(h.server->pathMtu().blackHoles(), 1u);
    QCOMPARE(h.server->datagramSize(), Base);
    QVERIFY(parts > 0); // bundles sent large before the fallback were resent in parts
    QVERIFY(h.server->retransmissions() > 0);
    QCOMPARE(h.events[ClientSide], QList<Event>{Event::Connected});
    QCOMPARE(h.events[ServerSide], QList<Event>{Event::Connected});

    // Later the search runs again and finds what the new path carries.
    h.runFor(PathMtuSearch::BlackHoleRetryMs + 5'000);
    QVERIFY(searchSettles(h));
    QCOMPARE(h.server->datagramSize(), 1472);
    burst(100);
    QVERIFY(h.runUntil([&] { return h.received[ClientSide].size() == expected.size() && h.quiet(); }, h.now + 60'000));
    QCOMPARE(h.received[ClientSide], expected);
    QCOMPARE(h.server->pathMtu().blackHoles(), 1u);
    QCOMPARE(h.client.reassemblyBytes(), 0);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
}

void tst_ReliableChannel::oversizedDatagramsDropped()
{
    Harness h(75, cleanLink(10));
    advertise(h, 1472, Largest);
    QVERIFY(h.connectAndWait());
    QVERIFY(searchSettles(h));
    const quint32 id = h.client.connectionId();

    UdpWire::Datagram probe = shortDatagram(Kind::SizeProbe, id);
    probe.probeId = 99;
    probe.probeSize = 1472;
    QVERIFY(h.client.handleDatagram(UdpWire::encode(probe, Largest), h.now)); // as large as it reads: answered
    QList<QByteArray> out = h.client.takeDatagrams();
    QCOMPARE(out.size(), 1);
    QCOMPARE(out.first(), QByteArray::fromHex("c10e") + UdpWire::encode(probe, Largest).mid(2, 8) + QByteArray::fromHex("05c0"));

    // Beyond what it advertised: dropped unanswered, counted, nothing changed.
    const qint64 heard = h.client.lastHeardAt();
    h.now += 5;
    probe.probeSize = 1473;
    QVERIFY(!h.client.handleDatagram(UdpWire::encode(probe, Largest), h.now));
    UdpWire::Datagram big;
    big.kind = Kind::Bundle;
    big.connectionId = id;
    big.ack = 0;
    for (int i = 0; i < 20; ++i)
        big.payloads.append(QByteArray(100, 'b'));
    QVERIFY(UdpWire::encode(big, Largest).size() > 1472);
    QVERIFY(!h.client.handleDatagram(UdpWire::encode(big, Largest), h.now));
    QCOMPARE(h.client.oversizedDropped(), 2u);
    QCOMPARE(h.client.lastHeardAt(), heard);
    QVERIFY(h.client.takeDatagrams().isEmpty());
    QVERIFY(h.client.takePayloads().isEmpty());

    // A channel that advertised nothing reads the base size only.
    Channel plain(Channel::Role::Server, 0x0BADCAFE);
    QByteArray oversized = QByteArray(Base + 1, '\0');
    oversized.replace(0, 6, QByteArray::fromHex("c10d0badcafe"));
    QVERIFY(!plain.handleDatagram(oversized, h.now));
    QCOMPARE(plain.oversizedDropped(), 1u);
    QCOMPARE(plain.offeredFeatures() & UdpWire::FeatureLargeDatagrams, 0);
    QVERIFY2(h.violation.isEmpty(), qPrintable(h.violation));
}

void tst_ReliableChannel::bundlePartsJoined()
{
    // The receiving side of BundlePart, datagram by datagram: parts are joined in part order, a
    // seq is acknowledged only once complete, a whole bundle may overtake its parts, and parts
    // that disagree on their count fail the channel.
    Harness h(76, cleanLink(10));
    advertise(h, Largest, Largest);
    QVERIFY(h.connectAndWait());
    QVERIFY(searchSettles(h));
    Channel &c = h.client;
    const quint32 id = c.connectionId();
    auto part = [&](quint32 seq, int index, int count, const QList<QByteArray> &payloads) {
        UdpWire::Datagram d;
        d.kind = Kind::BundlePart;
        d.connectionId = id;
        d.seq = seq;
        d.partIndex = quint8(index);
        d.partCount = quint8(count);
        d.payloads = payloads;
        return UdpWire::encode(d);
    };
    auto ackOf = [&]() {
        quint32 ack = 0;
        for (const QByteArray &bytes : c.takeDatagrams()) {
            UdpWire::Datagram d;
            if (UdpWire::decode(bytes, &d) == UdpWire::DecodeError::None && d.kind == Kind::Ack)
                ack = d.ack;
        }
        return ack;
    };

    QVERIFY(c.handleDatagram(part(0, 1, 2, {"c", "d"}), h.now));
    QVERIFY(c.takePayloads().isEmpty());
    QCOMPARE(ackOf(), 0u); // a part alone acknowledges nothing
    QCOMPARE(c.reassemblyBytes(), 2);
    QVERIFY(c.handleDatagram(part(0, 1, 2, {"c", "d"}), h.now)); // resent: nothing new
    QCOMPARE(c.reassemblyBytes(), 2);
    QVERIFY(c.handleDatagram(part(0, 0, 2, {"a", "b"}), h.now));
    QCOMPARE(c.takePayloads(), (QList<QByteArray>{"a", "b", "c", "d"}));
    QCOMPARE(ackOf(), 1u);
    QCOMPARE(c.reassemblyBytes(), 0);

    // The whole bundle overtakes its parts.
    QVERIFY(c.handleDatagram(part(1, 0, 3, {"x"}), h.now));
    UdpWire::Datagram whole;
    whole.kind = Kind::Bundle;
    whole.connectionId = id;
    whole.seq = 1;
    whole.payloads = {"x", "y", "z"};
    QVERIFY(c.handleDatagram(UdpWire::encode(whole), h.now));
    QCOMPARE(c.takePayloads(), (QList<QByteArray>{"x", "y", "z"}));
    QCOMPARE(ackOf(), 2u);
    QCOMPARE(c.reassemblyBytes(), 0);
    QVERIFY(c.handleDatagram(part(1, 1, 3, {"y"}), h.now)); // a late part of it: a duplicate
    QVERIFY(c.takePayloads().isEmpty());
    QCOMPARE(c.reassemblyBytes(), 0);
    QVERIFY(c.takeEvents().isEmpty()); // nothing went wrong (the harness took Connected)

    // Parts of one seq that disagree on how many there are: the peer broke the protocol.
    QVERIFY(c.handleDatagram(part(2, 0, 2, {"p"}), h.now));
    c.handleDatagram(part(2, 1, 3, {"q"}), h.now);
    QCOMPARE(c.takeEvents(), QList<Event>{Event::ProtocolError});
    QCOMPARE(c.state(), Channel::State::Failed);
    QCOMPARE(c.reassemblyBytes(), 0);
}

void tst_ReliableChannel::largeDatagramTransfer_data()
{
    QTest::addColumn<double>("loss");
    QTest::addColumn<double>("duplicate");
    QTest::addColumn<double>("reorder");
    QTest::addColumn<int>("pathMtu");
    QTest::addColumn<uint>("seed");

    QTest::newRow("clean") << 0.0 << 0.0 << 0.0 << 0 << 301u;
    QTest::newRow("loss10") << 0.10 << 0.0 << 0.0 << 0 << 302u;
    QTest::newRow("loss10 dup10 reorder20") << 0.10 << 0.10 << 0.20 << 0 << 303u;
    QTest::newRow("loss30 dup10 reorder20") << 0.30 << 0.10 << 0.20 << 0 << 304u;
    QTest::newRow("Ethernet, loss10 reorder20") << 0.10 << 0.0 << 0.20 << 1472 << 305u;
    // The path shrinks to 1,472 bytes a quarter of the way through (a route change).
    QTest::newRow("path shrinks, loss5") << 0.05 << 0.0 << 0.0 << -1472 << 306u;
    QTest::newRow("path shrinks to the base") << 0.0 << 0.0 << 0.0 << -1200 << 307u;
}

void tst_ReliableChannel::largeDatagramTransfer()
{
    // As bundledTransfer, with both ends reading large datagrams: every payload arrives once, in
    // order, whatever the link does to probes, large bundles and their parts.
    QFETCH(double, loss);
    QFETCH(double, duplicate);
    QFETCH(double, reorder);
    QFETCH(int, pathMtu);
    QFETCH(uint, seed);
    seed += seedOffset();

    LinkProfile profile;
    profile.latencyMs = 20;
    profile.jitterMs = 5;
    profile.bytesPerMs = 5000;
    profile.loss = loss;
    profile.duplicate = duplicate;
    profile.reorder = reorder;
    profile.reorderDelayMs = 60;
    Harness h(seed, profile);
    advertise(h, Largest, Largest);
    h.pathMtu = qMax(pathMtu, 0);
    QVERIFY(h.connectAndWait());
    h.client.setDelayedAck(Channel::DefaultAckDelayMs, Channel::DefaultAckEveryDatagrams);

    constexpr int Count = 4000;
    runBurstTransfer(h, seed, Count, 60, [&] {
        if (pathMtu < 0 && h.payloadCount[ClientSide] >= Count / 4)
            h.pathMtu = -pathMtu;
    });
    if (QTest::currentTestFailed())
        return;
    for (int side = 0; side < 2; ++side)
        QVERIFY(h.channel(side)->datagramSize() <= (h.pathMtu > 0 ? h.pathMtu : Largest));
    qInfo("%s: %llu datagrams for %d payloads (%llu lost, %llu too large for the path), sizes %d/%d, "
          "black holes %llu/%llu, retransmissions %llu/%llu",
          QTest::currentDataTag(), h.link.stats().sent, 2 * Count, h.link.stats().lost, h.pathDrops,
          h.client.datagramSize(), h.server->datagramSize(), h.client.pathMtu().blackHoles(),
          h.server->pathMtu().blackHoles(), h.client.retransmissions(), h.server->retransmissions());
}

QTEST_GUILESS_MAIN(tst_ReliableChannel)
#include "tst_reliablechannel.moc"
