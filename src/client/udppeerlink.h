// One direct chat's link over the reliable UDP channel (docs/PROTOCOL-UDP.md §16), for a pair the
// server introduced while both were logged in over UDP. DirectChat adopts a link once it is up,
// exactly as it adopts a QTcpSocket after the TCP handshake, so its users see no difference.
//
// The side that listens binds a QUdpSocket and plays the server's part of the channel handshake
// (Hello → Cookie → HelloWithCookie → Accept) with a stateless cookie: a source that has not
// proven its address gets only replies smaller than what it sent and makes us keep nothing. A
// source that has proven it gets one of MaxPendingPeers pending slots (one channel each, bounded
// by the channel's own limits) and must send the token line as its first payload:
//
//     connector → listener:  "CONFAB-P2P 1 <token>\n"   (one payload)
//     listener → connector:  "CONFAB-P2P OK\n"          (or "CONFAB-P2P DENIED\n", then Close)
//
// The token is compared in constant time. The first peer to prove it is the peer; the other slots
// are dropped and, from then on, datagrams from anyone but the peer are ignored. After that every
// payload carries chat text as lines ended by "\n" (the direct-chat protocol, PROTOCOL.md §9).
//
// Either side ends the chat with a Close (close()); a silent peer is reported lost after the
// channel's dead-peer time (setPeerTimeouts()). Nothing here blocks or sleeps.
//
// When both clients offered a certificate (setEncryption()), all of the above runs inside DTLS
// 1.2+: every channel datagram is a DTLS application-data record. The connector checks the
// listener's certificate against the announced fingerprint before its channel starts; the
// listener lets an unknown source past QDtlsClientVerifier's stateless cookie before giving it a
// pending slot and a DTLS session, and drops it after the handshake unless its certificate is the
// announced one. Plain datagrams are then ignored: there is no falling back.
#pragma once

#include "udpchanneldriver.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <vector>

#include <QSslConfiguration>

QT_BEGIN_NAMESPACE
class QDtls;
class QDtlsClientVerifier;
class QUdpSocket;
QT_END_NAMESPACE

namespace Confab {

class UdpPeerLink : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Idle,
        Listening,  // bound; admitting a peer once expectPeer() gave the token
        Connecting, // channel handshake and token under way
        Connected,  // the token is proven both ways
        Closing,    // close() called; waiting for the peer to confirm
        Finished,   // closed, lost, refused or failed
    };
    Q_ENUM(State)

    // Address-proven sources waiting to show the token (the listener's only per-source state).
    static constexpr int MaxPendingPeers = 4;
    // Datagrams handled per readyRead before other events get a turn.
    static constexpr int MaxDatagramsPerRead = 256;

    explicit UdpPeerLink(QObject *parent = nullptr);
    ~UdpPeerLink() override;

    // Listening side: binds `address`:`port` (0: any free port). Nothing is answered until
    // expectPeer() has given the token.
    bool bind(const QHostAddress &address, quint16 port = 0);
    quint16 localPort() const;
    QString errorString() const { return m_errorString; }
    // Admits the one peer that proves `token`; a pending source has `timeoutMs` to do so.
    void expectPeer(const QByteArray &token, int timeoutMs);

    // Connecting side: handshake with the listener at address:port and prove `token`; gives up
    // with handshakeFailed() after timeoutMs.
    void connectToPeer(const QHostAddress &address, quint16 port, const QByteArray &token, int timeoutMs);

    // Keepalive interval and dead-peer timeout of the channel (ReliableChannel's defaults: 15 s and
    // 30 s). Call before bind() or connectToPeer().
    void setPeerTimeouts(int keepaliveIntervalMs, int deadPeerTimeoutMs);

    // Encrypts the link with DTLS, showing the certificate and key of `configuration`, and takes
    // only a peer whose certificate has the SHA-256 fingerprint `peerFingerprint` (lowercase hex,
    // as PeerIdentity gives it). Call before expectPeer() or connectToPeer(); without it (a peer
    // that offered no certificate) the link is plain.
    void setEncryption(const QSslConfiguration &configuration, const QString &peerFingerprint);
    // Up over DTLS with the announced certificate; peerFingerprint() is the one checked.
    bool isEncrypted() const { return !m_verifiedFingerprint.isEmpty(); }
    QString peerFingerprint() const { return m_verifiedFingerprint; }
    // Listening side: sources that finished the DTLS handshake with another certificate.
    int refusedCertificates() const { return m_refusedCertificates; }

    State state() const { return m_state; }
    QHostAddress peerAddress() const { return m_peerAddress; }
    quint16 peerPort() const { return m_peerPort; }
    // "host:port" of the peer (an IPv4-mapped address shown as IPv4), empty before one is known.
    QString peerName() const;

    // Payloads that arrived since the link came up are held until this is called (its new owner
    // has connected to payloadReceived by then); from then on they are emitted as they come.
    void startDelivery();
    // Sends one payload (1 … 65,536 bytes). False when not connected or refused; a peer that has
    // left 8 MiB unacknowledged is reported lost (from the event loop, never from inside send()).
    bool send(const QByteArray &payload);
    // Sends what is queued, then Close; closed() follows once the peer confirmed it (or was lost).
    // Before the link is up, this hangs up at once.
    void close();
    // For an owner that is done with the link: closes it if it is still open, lets it answer a peer
    // that missed its last word as long as the channel lingers, then deletes it. Emits nothing.
    void dispose();

signals:
    void established();                          // the token is proven: the chat may begin
    void handshakeFailed(const QString &reason); // connecting side: no answer, refused token, …
    void payloadReceived(const QByteArray &payload);
    void peerClosed();                           // the peer closed, after its last payload
    void peerLost(const QString &reason);        // the peer stopped answering, or broke the protocol
    void closed();                               // our close() finished

private:
    struct Pending {
        QHostAddress address;
        quint16 port = 0;
        QPointer<UdpChannelDriver> driver; // once the channel handshake reached Accept
        QDtls *dtls = nullptr;              // encrypted: the source's DTLS session (ours)
        bool refused = false; // told DENIED; kept until its channel finishes, to say Close
    };
    enum class HeldEnd { None, PeerClosed, PeerLost };

    void onReadyRead();
    bool encrypting() const { return !m_expectedFingerprint.isEmpty(); }
    void screen(const QByteArray &datagram, const QHostAddress &address, quint16 port, QDtls *dtls,
                QList<QPointer<UdpChannelDriver>> *touched);
    void admitDtls(const QByteArray &datagram, const QHostAddress &address, quint16 port);
    void advancePendingDtls(QDtls *dtls, const QByteArray &datagram);
    void advanceConnectorDtls(const QByteArray &datagram);
    void startChannel();
    QDtls *makeDtls(bool server, const QHostAddress &address, quint16 port);
    UdpChannelDriver *makeDriver(ReliableChannel::Role role, quint32 connectionId,
                                 const QHostAddress &address, quint16 port, QDtls *dtls);
    void onPendingPayload(UdpChannelDriver *driver, const QByteArray &payload);
    void onPendingEvent(UdpChannelDriver *driver, ReliableChannel::Event event);
    void dropPending(QObject *driverOrDtls);
    void dropAllPending();
    void onPeerPayload(const QByteArray &payload);
    void onPeerEvent(ReliableChannel::Event event);
    void failHandshake(const QString &reason);
    void finishWith(HeldEnd end, const QString &reason);
    void deliver(const QByteArray &payload);

    QUdpSocket *m_socket = nullptr;
    State m_state = State::Idle;
    QString m_errorString;
    QByteArray m_token;
    QByteArray m_cookieSecret;
    QElapsedTimer m_clock;
    int m_pendingTimeoutMs = 15000;
    std::vector<Pending> m_pending; // listening side, before the peer is known
    UdpChannelDriver *m_driver = nullptr; // the peer's channel
    QSslConfiguration m_dtlsConfiguration;
    QString m_expectedFingerprint; // empty: plain
    QString m_verifiedFingerprint;
    QDtls *m_dtls = nullptr; // the peer's DTLS session
    QDtlsClientVerifier *m_verifier = nullptr;
    int m_refusedCertificates = 0;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    QTimer m_handshakeTimer;
    int m_keepaliveIntervalMs = int(ReliableChannel::KeepaliveIntervalMs);
    int m_deadPeerTimeoutMs = int(ReliableChannel::DeadPeerTimeoutMs);
    bool m_delivering = false;
    std::deque<QByteArray> m_held;
    HeldEnd m_heldEnd = HeldEnd::None;
    QString m_heldReason;
    bool m_disposed = false;
};

} // namespace Confab
