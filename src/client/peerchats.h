// Peer-to-peer chats set up through the server's rendezvous (poke and bridge), for both clients.
//
// The one who asks (poke, or the first to wait on a bridge) listens on a fresh port; once the
// server introduces the pair, the other connects and sends the one-time token:
//
//     connector → listener:  "CONFAB-P2P 1 <token>\n"
//     listener → connector:  "CONFAB-P2P OK\n"      (or "CONFAB-P2P DENIED\n", then close)
//
// after which both sides speak the direct-chat line protocol (DirectChat). The server sees none of
// it. A side that cannot complete this within the handshake timeout reports a clear failure.
//
// Encryption: each side offers the SHA-256 fingerprint of a certificate it made at start-up
// (PeerIdentity). When both did, the server hands each the other's, and the TCP connection starts
// with a TLS handshake in which both show their certificates; each side checks the other's against
// the announced fingerprint before the token is sent, and a plain connection is refused. A client
// that offered none (an older one) gets a plain connection as before.
//
// When this client is logged in over UDP, the one who listens also opens a UDP port and offers
// it; if the other user is on UDP too, the server picks UDP and the same exchange runs over the
// reliable UDP channel (UdpPeerLink), ending in the same DirectChat API.
#pragma once

#include "clientsession.h"
#include "directchat.h"
#include "peeridentity.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>

QT_BEGIN_NAMESPACE
class QSslSocket;
class QTcpServer;
class QTcpSocket;
QT_END_NAMESPACE

namespace Confab {

class UdpPeerLink;

class PeerChats : public QObject
{
    Q_OBJECT
public:
    static constexpr int DefaultHandshakeTimeoutMs = 15000;

    explicit PeerChats(ClientSession *session, QObject *parent = nullptr);
    ~PeerChats() override;

    // Asks `user` for a direct chat; returns the session's request id.
    quint64 poke(const QString &user);
    // Asks the server to pair us with anyone waiting (we wait if nobody is).
    quint64 bridge();
    quint64 cancelBridge();
    quint64 accept(quint64 pokeId);
    quint64 decline(quint64 pokeId);

    // Pokes waiting for our answer: poke id → who.
    QHash<quint64, QString> incomingPokes() const { return m_incoming; }

    // Which address to listen on (tests use 127.0.0.1; the default is every interface).
    void setListenAddress(const QHostAddress &address) { m_listenAddress = address; }
    // How long the direct connection may take once the server introduced the pair.
    void setHandshakeTimeout(int milliseconds) { m_handshakeTimeoutMs = milliseconds; }
    // The fingerprint this client offers for encrypted chats; empty when TLS is not available.
    QString fingerprint() const;
    // For chats over UDP: how often a quiet peer is pinged, and after how long without an answer it
    // is reported lost (ReliableChannel's defaults, 15 s and 30 s, unless set).
    void setUdpPeerTimeouts(int keepaliveIntervalMs, int deadPeerTimeoutMs);

signals:
    // A direct chat is up. The chat is owned by this object until it closes, then deleted.
    void chatStarted(Confab::DirectChat *chat, const QString &peer);
    // A poke, bridge or connection attempt came to nothing; `reason` is for the user.
    void failed(const QString &peer, const QString &reason);
    void pokeReceived(quint64 pokeId, const QString &from);

private:
    struct Pending {
        Pending() = default;
        Pending(QTcpServer *tcp, UdpPeerLink *udp, const QString &who) : listener(tcp), udpListener(udp), peer(who) {}
        QTcpServer *listener = nullptr;   // when we listen
        UdpPeerLink *udpListener = nullptr; // when we listen and are logged in over UDP
        QString peer;                     // known once introduced (or the poked user)
        QString token;
        QString peerFingerprint;          // when the chat must be encrypted
        bool introduced = false;
        QList<QPointer<QSslSocket>> callers; // connections to our listener still in their handshake
    };

    QTcpServer *openListener();
    UdpPeerLink *openUdpListener();
    UdpPeerLink *newUdpLink();
    void connectOverUdp(const PeerIntroduction &intro);
    void startOverUdp(UdpPeerLink *link, const QString &peer);
    void onIntroduced(const PeerIntroduction &intro);
    void onRefused(quint64 requestId, quint64 pokeId, const QString &reason);
    void onIncomingConnection(quint64 requestId);
    // Moves a caller to our listener on: TLS or plain by its first byte, then its token line.
    void advanceCaller(QSslSocket *socket, quint64 requestId);
    void denyCaller(QSslSocket *socket, const char *why);
    void connectToPeer(const PeerIntroduction &intro);
    void start(QTcpSocket *socket, const QString &peer, const QString &verifiedFingerprint);
    const PeerIdentity &identity();
    QSslConfiguration tlsConfiguration();
    void drop(quint64 requestId);

    QPointer<ClientSession> m_session;
    QHash<quint64, Pending> m_pending;    // request id → what we wait for
    QHash<quint64, QString> m_incoming;   // poke id → from
    QHostAddress m_listenAddress = QHostAddress::Any;
    int m_handshakeTimeoutMs = DefaultHandshakeTimeoutMs;
    int m_udpKeepaliveIntervalMs = -1; // -1: the channel's defaults
    int m_udpDeadPeerTimeoutMs = -1;
    PeerIdentity m_identity;
    bool m_identityTried = false;
};

} // namespace Confab
