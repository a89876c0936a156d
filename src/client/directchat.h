// Direct chat: two people, no server (seeds 000 and 001). The wire is plain UTF-8 text, one
// message per line ("\n", an optional "\r" before it is dropped), so `nc HOST PORT` is a valid
// peer. A line may hold at most MaxLineBytes; a peer that sends a longer one is disconnected.
//
// start(peer, listenPort) does what the seeds did: connect to the peer, and if that fails (refused,
// unreachable, or no answer within ConnectTimeoutMs) listen on listenPort and take the first peer
// that connects. Anyone else who connects later is turned away.
//
// A chat set up by a poke or bridge between two users logged in over UDP runs over the reliable
// UDP channel instead (adopt(UdpPeerLink *)): the same lines, one or more per channel payload,
// with the same signals; a peer that stops answering is reported as having left.
//
// A chat that a poke or bridge set up between two clients that both offered a certificate runs
// over TLS, or DTLS over UDP (the peer's certificate is checked before the socket or link is
// handed over); isEncrypted() says so, and peerFingerprint() is the certificate that was checked.
#pragma once

#include "linesplitter.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTcpSocket;
QT_END_NAMESPACE

namespace Confab {

class UdpPeerLink;

class DirectChat : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Listening, Connected, Closed };
    Q_ENUM(State)

    static constexpr int MaxLineBytes = 16 * 1024;
    static constexpr int ConnectTimeoutMs = 5000;

    explicit DirectChat(QObject *parent = nullptr);
    ~DirectChat() override;

    State state() const { return m_state; }
    // "host:port" of the peer once connected.
    QString peerName() const;
    // Whether the chat runs over TLS with a peer certificate checked against the fingerprint the
    // server announced.
    bool isEncrypted() const;
    // "TLS" or "DTLS" while isEncrypted(), else empty.
    QString encryptionName() const;
    QString peerFingerprint() const { return m_peerFingerprint; }
    void setPeerFingerprint(const QString &fingerprint) { m_peerFingerprint = fingerprint; }

    // Connects to peerHost:peerPort; when that fails and listenPort is not 0, listens there instead.
    void start(const QString &peerHost, quint16 peerPort, quint16 listenPort);
    // Only listens (no peer to try first).
    bool listen(quint16 port, const QHostAddress &address = QHostAddress::Any);
    quint16 listeningPort() const;
    // Takes over a connected socket (used after a poke brought two peers together).
    void adopt(QTcpSocket *socket);
    // Takes over an established UDP peer link (a poke or bridge between two UDP sessions).
    void adopt(UdpPeerLink *link);

    // Sends text; each line of it goes as one line. Returns false when not connected.
    bool send(const QString &text);
    // Closes the connection (the peer sees it end) and stops listening.
    void close();

signals:
    void stateChanged(Confab::DirectChat::State state);
    void listening(quint16 port);
    void peerConnected(const QString &peer);
    void lineReceived(const QString &text);
    void peerLeft();
    void errorOccurred(const QString &message);

private:
    void setState(State state);
    void onConnectFailed(const QString &reason);
    void onNewConnection();
    void onReadyRead();
    void consume(const QByteArray &bytes);
    void hangUp();
    void releaseLink();
    void onDisconnected();
    void attach(QTcpSocket *socket);

    State m_state = State::Idle;
    QTcpSocket *m_socket = nullptr;
    UdpPeerLink *m_link = nullptr; // instead of m_socket, for a chat over reliable UDP
    QTcpServer *m_server = nullptr;
    LineSplitter m_lines{MaxLineBytes};
    QTimer m_connectTimer;
    quint16 m_listenPort = 0;
    QString m_peerHost;
    quint16 m_peerPort = 0;
    QString m_peerFingerprint;
};

} // namespace Confab
