// The server's UDP side: one QUdpSocket bound to the same address and port number as the TCP
// server, in front of one ReliableChannel (server role) per admitted client.
//
// Every datagram is looked up by (source address, source port, connection id):
//  - known: handed to that client's channel (which drops what is not valid for it);
//  - unknown: screened statelessly by UdpWire::screenUnverified(): a Probe gets a ProbeReply, a
//    Hello gets a Cookie (replies never larger than their cause), a HelloWithCookie whose cookie
//    is valid for that source and id creates a channel; everything else is dropped without
//    keeping anything. Nothing is allocated for a source before it has proven, with a cookie, that
//    it receives what is sent to it.
// An admitted channel is wrapped in a UdpServerConnection and announced by connectionAdmitted();
// ChatServer adopts it like a TCP connection. The listener keeps the channel after the
// Connection is gone, for as long as the channel must linger (ReliableChannel::discardableAt()),
// then frees it. At most maxChannels() channels exist at once, lingering ones included; when the
// table is full a lingering one is freed for a newcomer, else the newcomer is not admitted.
// The cookie secret is drawn at random for each listener (so for each server start).
// What the channels write is collected and sent with one sendmmsg() per batch: once control is
// back in the event loop (the channels of a thread are flushed once per pass, see
// UdpChannelDriver), or as soon as SendBatch datagrams are waiting.
//
// DTLS (setDtlsConfiguration(), docs/PROTOCOL-UDP.md §17): once the server has a certificate, every
// channel runs inside DTLS 1.2+, one DTLS session per source address and port. A DTLS record from
// an unknown source must first pass QDtlsClientVerifier's stateless cookie (the only answer it can
// draw is a HelloVerifyRequest, smaller than its ClientHello); then it gets a DTLS session, one of
// MaxPendingHandshakes, which must finish the DTLS handshake and the channel handshake (the same
// Hello → Cookie → HelloWithCookie, now encrypted) within DtlsSetUpTimeoutMs or is dropped. Plain
// Confab datagrams are then answered only when they are a Probe or a Hello (the Hello with
// UdpWire::encryptionRequiredReply()); nothing runs in clear.
#pragma once

#include "ratelimiter.h"
#include "udpconnection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>

#include <vector>

QT_BEGIN_NAMESPACE
class QDtls;
class QDtlsClientVerifier;
class QUdpSocket;
QT_END_NAMESPACE

namespace Confab {

// The server end of one UDP client: its channel belongs to the UdpListener.
class UdpServerConnection : public UdpChannelConnection
{
    Q_OBJECT
public:
    UdpServerConnection(UdpChannelDriver *driver, const QHostAddress &address, quint16 port, QObject *parent = nullptr);

    QHostAddress peerAddress() const override { return m_address; }
    quint16 peerPort() const override { return m_port; }
    bool isEncrypted() const override { return m_encrypted; }
    void noteDatagramIn(qint64 bytes) { noteBytesIn(bytes); }
    void setEncrypted(bool encrypted) { m_encrypted = encrypted; }

private:
    QHostAddress m_address;
    quint16 m_port;
    bool m_encrypted = false; // the channel runs inside DTLS
};

class UdpListener : public QObject
{
    Q_OBJECT
public:
    struct Stats {
        quint64 datagramsIn = 0;
        quint64 datagramsOut = 0;
        quint64 dropped = 0;          // malformed, unknown, invalid for their channel, or refused
        quint64 probesAnswered = 0;
        quint64 cookiesSent = 0;
        quint64 admitted = 0;
        quint64 refusedFull = 0;      // valid cookie, but maxChannels() channels exist
        quint64 throttled = 0;        // from a source over its rate before the handshake (also in dropped)
        quint64 encryptionDemanded = 0; // DTLS on: plain Hellos told to come back over DTLS
        quint64 dtlsHandshakes = 0;   // DTLS sessions whose handshake completed
        quint64 dtlsFailed = 0;       // DTLS sessions dropped: handshake failed or set-up took too long
    };

    static constexpr int DefaultMaxChannels = 1024;
    // Datagrams read per readyRead before the loop yields to other events (a flood must not
    // starve timers and the other sockets); the rest are announced again on the next turn.
    static constexpr int MaxDatagramsPerRead = 256;
    // The socket's receive buffer, shared by every UDP client (capped by net.core.rmem_max).
    static constexpr int ReceiveBufferBytes = 4 * 1024 * 1024;
    // Datagrams sent by one sendmmsg() call at most.
    static constexpr int SendBatch = 64;
    // DTLS: sessions whose DTLS or channel handshake is under way, at most (each holds a TLS
    // state of some tens of KiB), and how long one may take before it is dropped.
    static constexpr int MaxPendingHandshakes = 64;
    static constexpr int DtlsSetUpTimeoutMs = 10000;

    explicit UdpListener(QObject *parent = nullptr);
    ~UdpListener() override;

    bool bind(const QHostAddress &address, quint16 port, QString *error);
    bool isBound() const;
    QHostAddress address() const;
    quint16 port() const;

    // While not accepting, datagrams from unknown sources (Probe and Hello included) are dropped;
    // admitted clients carry on.
    void setAccepting(bool accepting) { m_accepting = accepting; }
    bool isAccepting() const { return m_accepting; }
    // The transports a ProbeReply advertises (UdpWire::Transport* flags).
    void setAdvertisedTransports(quint16 transports) { m_transports = transports; }
    quint16 advertisedTransports() const { return m_transports; }
    void setMaxChannels(int count) { m_maxChannels = qMax(1, count); }
    int maxChannels() const { return m_maxChannels; }
    // Datagrams from sources without a channel, per source address: over this rate they are
    // dropped before any other work (AbuseLimits::udpUnverifiedPerSecond); 0 turns it off.
    void setUnverifiedRate(double perSecond, int burst) { m_unverified.setRate(perSecond, burst); }
    // Runs every new channel inside DTLS with this configuration's certificate and key (its
    // protocol is raised to DTLS 1.2+); sessions already up keep theirs. A null configuration
    // (the default) serves plain channels. Switching between plain and DTLS drops no channel
    // but takes effect for newcomers only.
    void setDtlsConfiguration(const QSslConfiguration &configuration);
    bool isDtls() const { return m_dtls; }
    // DTLS sessions whose handshakes (DTLS and channel) are not finished yet.
    int pendingHandshakes() const { return m_pendingHandshakes; }

    // Channels held: live ones and closed ones still lingering.
    int channelCount() const { return int(m_entries.size()); }
    const Stats &stats() const { return m_stats; }

signals:
    // A client was admitted; the receiver takes ownership of the connection.
    void connectionAdmitted(Confab::Connection *connection);
    // A datagram from a source without a channel was dropped: the source is over its rate.
    void sourceThrottled(const QHostAddress &address);

private:
    struct Key {
        QHostAddress address;
        quint16 port = 0;
        quint32 connectionId = 0;
        bool operator==(const Key &other) const
        {
            return port == other.port && connectionId == other.connectionId && address == other.address;
        }
    };
    friend size_t qHash(const Key &key, size_t seed) noexcept
    {
        return qHashMulti(seed, key.address, key.port, key.connectionId);
    }
    // A plain channel is keyed by (address, port, connection id); a DTLS session by (address,
    // port, 0) — connection ids are never 0 — and its channel, once admitted, lives in the entry.
    struct Entry {
        UdpChannelDriver *driver = nullptr; // null: a DTLS session before its channel is admitted
        QPointer<UdpServerConnection> connection;
        QDtls *dtls = nullptr;
    };

    struct PeerAddress; // the peer as a socket address of the socket's family
    struct PendingDatagram;
    class TouchedDrivers;

    void onReadyRead();
    bool takeUnverified(const QHostAddress &address);
    void onDtlsDatagram(const QByteArray &datagram, const QHostAddress &address, quint16 port,
                        TouchedDrivers *touched);
    void screenDtls(const QByteArray &datagram, const QHostAddress &address, quint16 port);
    void screenInsideDtls(const Key &key, QDtls *dtls, const QByteArray &plain);
    bool hasRoomForChannel(const QHostAddress &address, quint16 port);
    void queueDatagram(const QByteArray &datagram, const PeerAddress &to);
    void sendPending();
    void screen(const QByteArray &datagram, const QHostAddress &address, quint16 port);
    void admit(const Key &key, quint32 connectionId, const QByteArray &datagram, QDtls *dtls = nullptr);
    bool freeLingeringChannel();
    void discard(const Key &key);

    QUdpSocket *m_socket;
    QByteArray m_secret;
    QElapsedTimer m_clock; // the cookies' clock
    QHash<Key, Entry> m_entries;
    SourceBuckets m_unverified;
    Stats m_stats;
    quint16 m_transports = UdpWire::TransportUdp;
    int m_maxChannels = DefaultMaxChannels;
    bool m_accepting = true;
    qint64 m_lastFullLogAt = -1;
    int m_socketFamily = 0; // AF_INET or AF_INET6 once bound
    int m_maxDatagramSize = UdpWire::BaseDatagramSize; // what the socket reads (path MTU discovery)
    std::vector<PendingDatagram> m_pending;
    bool m_sendQueued = false;
    bool m_dtls = false;
    QSslConfiguration m_dtlsConfiguration;
    QDtlsClientVerifier *m_verifier = nullptr;
    int m_pendingHandshakes = 0;
};

} // namespace Confab
