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
#pragma once

#include "ratelimiter.h"
#include "udpconnection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>

#include <vector>

QT_BEGIN_NAMESPACE
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
    void noteDatagramIn(qint64 bytes) { noteBytesIn(bytes); }

private:
    QHostAddress m_address;
    quint16 m_port;
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
    };

    static constexpr int DefaultMaxChannels = 1024;
    // Datagrams read per readyRead before the loop yields to other events (a flood must not
    // starve timers and the other sockets); the rest are announced again on the next turn.
    static constexpr int MaxDatagramsPerRead = 256;
    // The socket's receive buffer, shared by every UDP client (capped by net.core.rmem_max).
    static constexpr int ReceiveBufferBytes = 4 * 1024 * 1024;
    // Datagrams sent by one sendmmsg() call at most.
    static constexpr int SendBatch = 64;

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
    struct Entry {
        UdpChannelDriver *driver = nullptr;
        QPointer<UdpServerConnection> connection;
    };

    struct PeerAddress; // the peer as a socket address of the socket's family
    struct PendingDatagram;

    void onReadyRead();
    void queueDatagram(const QByteArray &datagram, const PeerAddress &to);
    void sendPending();
    void screen(const QByteArray &datagram, const QHostAddress &address, quint16 port);
    void admit(const Key &key, const QByteArray &datagram);
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
};

} // namespace Confab
