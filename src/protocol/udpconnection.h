// Confab over reliable UDP: the thin adapters between a QUdpSocket, a ReliableChannel (through a
// UdpChannelDriver) and the transport-neutral Connection every layer above uses.
//
// Each channel payload is exactly one Confab message payload: the CBOR map of a TCP frame without
// its 4-byte length prefix, since the channel keeps payload boundaries itself
// (docs/PROTOCOL-UDP.md §1). Channel events map onto Connection's signals:
//
//   channel event                    Connection
//   Connected                        connected()
//   PeerClosed, Closed               disconnected() (after every payload received before it)
//   Dead before the handshake        connectFailed() (client; no disconnected(), as for TCP)
//   Dead after it                    timedOut(), then disconnected()
//   ProtocolError                    protocolError(), then disconnected()
//
// - UdpChannelConnection: what both ends share (framing, pause, back-pressure, events).
// - UdpConnection: the client end; owns its socket and channel, and runs the channel inside DTLS
//   when asked (connectToHostEncrypted(), PROTOCOL-UDP.md §17).
// - UdpProbe: asks a server which transports it serves (seed 002's PROBE, for Auto mode).
// The server end (UdpServerConnection, UdpListener) lives in src/server/udplistener.h.
#pragma once

#include "connection.h"
#include "udpchanneldriver.h"

#include <QHostInfo>
#include <QPointer>
#include <QSslConfiguration>

#include <deque>

QT_BEGIN_NAMESPACE
class QDtls;
class QUdpSocket;
QT_END_NAMESPACE

namespace Confab {

class UdpChannelConnection : public Connection
{
    Q_OBJECT
public:
    ~UdpChannelConnection() override;

    Transport transport() const override { return Transport::Udp; }
    bool isOpen() const override;
    // Sends what is queued, then the channel's Close; disconnected() when the peer confirmed it
    // (or gave up answering).
    void close() override;
    // Reports disconnected() at once. The channel still says Close to the peer, once.
    void abort() override;

    // 0 until the channel exists.
    quint32 connectionId() const;
    // The channel, for statistics; null until it exists and after abort().
    const ReliableChannel *channel() const;

signals:
    // The channel never came up (no answer to the handshake, or no address to send to).
    void connectFailed(const QString &reason);

protected:
    explicit UdpChannelConnection(QObject *parent = nullptr);
    // Starts listening to the driver's payloads and events; the caller keeps ownership.
    void attachDriver(UdpChannelDriver *driver);
    // Stops listening and tells the driver to finish on its own (a Close goes out once).
    void detachDriver();
    UdpChannelDriver *driver() const { return m_driver; }
    // Reports connectFailed() (once, and instead of disconnected()).
    void failToConnect(const QString &reason);
    // close() or abort() was called, or the end was reported.
    bool hasEnded() const;

    void writeFrame(const QByteArray &frame) override;
    void resumeReceiving() override;

private:
    void onPayload(const QByteArray &payload);
    void onEvent(ReliableChannel::Event event);
    void deliverInbox();
    void finishWhenDelivered();
    void reportDisconnected();

    QPointer<UdpChannelDriver> m_driver;
    // Payloads received while receiving is paused (or behind ones that were), in order.
    std::deque<QByteArray> m_inbox;
    qsizetype m_inboxBytes = 0;
    bool m_connected = false;     // the handshake completed
    bool m_closing = false;       // close() or abort() called
    bool m_peerFinished = false;  // the channel ended; report it once the inbox is delivered
    bool m_delivering = false;
    bool m_reported = false;      // disconnected() or connectFailed() emitted
};

class UdpConnection : public UdpChannelConnection
{
    Q_OBJECT
public:
    explicit UdpConnection(QObject *parent = nullptr);
    ~UdpConnection() override;

    // Resolves the host without blocking (an IP literal needs no lookup; from a name's addresses
    // IPv4 ones are tried first, as servers listen on 127.0.0.1 by default), binds an ephemeral
    // port and starts the handshake. connected() or connectFailed() follows.
    void connectToHost(const QString &host, quint16 port);
    // The same inside DTLS 1.2+: the DTLS handshake first (the server's certificate checked
    // against `configuration`'s authorities and the host name), then the channel's, all as DTLS
    // records. A certificate that does not verify is reported by sslErrors(); unless a directly
    // connected slot calls ignoreSslErrors(), handshakeFailed() and connectFailed() follow.
    void connectToHostEncrypted(const QString &host, quint16 port, const QSslConfiguration &configuration);
    void ignoreSslErrors() override { m_ignoreSslErrors = true; }
    bool isEncrypted() const override;
    QSslCertificate peerCertificate() const override;

    QHostAddress peerAddress() const override { return m_peerAddress; }
    quint16 peerPort() const override { return m_peerPort; }
    // The local port the socket got (0 before connectToHost()).
    quint16 localPort() const;

    void abort() override;

signals:
    // Plain connection: the server runs UDP channels only inside DTLS (it answered our Hello with
    // UdpWire::encryptionRequiredReply()). connectFailed() follows unless a slot dropped this
    // connection (and so its signals) to start again encrypted.
    void encryptionRequired();

private:
    void onLookedUp(const QHostInfo &info);
    void startWith(const QHostAddress &address);
    void startChannel();
    void onReadyRead();
    void onDtlsDatagram(const QByteArray &datagram);
    void onPeerVerificationFailed();
    void failDtls(const QString &reason);
    bool isEncryptionRequiredReply(const QByteArray &datagram) const;

    QUdpSocket *m_socket;
    UdpChannelDriver *m_ownDriver = nullptr;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    int m_maxDatagramSize = UdpWire::BaseDatagramSize; // what the socket reads (path MTU discovery)
    int m_lookupId = -1;
    QString m_hostName;              // checked against the server's certificate
    QDtls *m_dtls = nullptr;         // encrypted: the DTLS session with the server
    QSslConfiguration m_dtlsConfiguration;
    bool m_encrypt = false;
    bool m_ignoreSslErrors = false;
};

// Sends a Probe to a server and reports the transports it advertises (UdpWire::Transport* flags)
// or a failure. The Probe is resent every ResendIntervalMs until the answer or the time limit.
class UdpProbe : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultTimeoutMs = 1000;
    static constexpr int ResendIntervalMs = 250;

    explicit UdpProbe(QObject *parent = nullptr);
    ~UdpProbe() override;

    void start(const QString &host, quint16 port, int timeoutMs = DefaultTimeoutMs);
    void abort();
    bool isRunning() const { return m_running; }

signals:
    void answered(quint16 transports, quint32 protocolVersion);
    void failed(const QString &reason);

private:
    void onLookedUp(const QHostInfo &info);
    void sendProbe();
    void onReadyRead();
    void finish();

    QUdpSocket *m_socket;
    QTimer m_resendTimer;
    QTimer m_deadline;
    QHostAddress m_address;
    quint16 m_port = 0;
    quint32 m_nonce = 0;
    int m_lookupId = -1;
    bool m_running = false;
};

} // namespace Confab
