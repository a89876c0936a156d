// One peer of the Confab protocol: turns frames into Messages and back, answers Pings, and
// watches for silence. Transports (TCP now, reliable UDP later) subclass it; nothing above this
// class sees a socket.
#pragma once

#include "message.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QHostAddress>
#include <QObject>
#include <QSslCertificate>
#include <QSslError>
#include <QTimer>

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcConnection)

class Connection : public QObject
{
    Q_OBJECT
public:
    enum class Transport { Tcp, Udp };
    Q_ENUM(Transport)

    struct Stats {
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
        quint64 framesIn = 0;
        quint64 framesOut = 0;
    };

    explicit Connection(QObject *parent = nullptr);
    ~Connection() override;

    virtual Transport transport() const = 0;
    QString transportName() const;
    virtual QHostAddress peerAddress() const = 0;
    virtual quint16 peerPort() const = 0;
    virtual bool isOpen() const = 0;
    // True once the bytes travel inside TLS (TcpConnection over a QSslSocket) or DTLS
    // (UdpConnection, UdpServerConnection), after the handshake.
    virtual bool isEncrypted() const { return false; }
    // Client side of TLS or DTLS: the peer's certificate once the handshake has got that far.
    virtual QSslCertificate peerCertificate() const { return QSslCertificate(); }
    // Only from a slot connected directly to sslErrors(): the handshake goes on despite them.
    virtual void ignoreSslErrors() {}

    void send(const Message &message);
    // Sends an already framed message (Message::toFrame()), so fan-out encodes once.
    void sendFrame(const QByteArray &frame, MessageType type);

    // Sends the error; fatal codes then close the connection once the error is written.
    void sendError(ErrorCode code, const QString &detail = {}, quint64 re = 0);

    // Flushes what is queued, then closes. Emits disconnected() when the transport is down.
    virtual void close() = 0;
    // Drops the connection at once.
    virtual void abort() = 0;

    // While paused, received frames wait in the buffer and are delivered on resume (used while
    // the server checks a password off the event loop, so later frames keep their order).
    void setReceivingPaused(bool paused);
    bool isReceivingPaused() const { return m_paused; }

    // Sends Ping after pingIntervalMs of silence from the peer and gives up after idleTimeoutMs.
    void setKeepalive(int pingIntervalMs, int idleTimeoutMs);
    int lastRoundTripMs() const { return m_lastRttMs; }
    qint64 idleMs() const { return m_lastHeard.elapsed(); }

    const Stats &stats() const { return m_stats; }

    // When on, frameSent/frameReceived are emitted for every frame (the admin window's traffic
    // view). Off by default: fan-out stays free of per-frame signal calls.
    void setTrafficTap(bool on) { m_trafficTap = on; }

signals:
    void connected();
    void messageReceived(const Confab::Message &message);
    // A frame arrived intact but its payload did not decode; the stream is still usable.
    void invalidMessage(Confab::ErrorCode code, const QString &detail, quint64 requestId);
    // The byte stream lost its framing (or the peer went silent); the connection is closing.
    void protocolError(Confab::ErrorCode code, const QString &detail);
    void timedOut();
    void roundTripMeasured(int milliseconds);
    // Only while the traffic tap is on; `bytes` includes the length prefix.
    void frameSent(Confab::MessageType type, int bytes);
    void frameReceived(Confab::MessageType type, int bytes);
    void disconnected();
    // TLS or DTLS: the peer's certificate did not verify. The handshake fails after this signal
    // unless a slot connected with Qt::DirectConnection calls ignoreSslErrors().
    void sslErrors(const QList<QSslError> &errors);
    // TLS or DTLS: the handshake failed (a certificate that was not accepted, or a peer that
    // does not speak it). TCP: disconnected() follows; UDP: connectFailed() follows.
    void handshakeFailed(const QString &reason);

protected:
    // Transports hand each complete payload here (TCP after de-framing, UDP after reassembly).
    void deliverPayload(const QByteArray &payload);
    // Transports call this when framing fails; the connection reports, answers and closes.
    void failFraming(ErrorCode code, const QString &detail);
    // Sends raw frame bytes; payloadSize excludes the length prefix.
    virtual void writeFrame(const QByteArray &frame) = 0;
    void noteBytesIn(qint64 n) { m_stats.bytesIn += quint64(n); }
    void markHeard() { m_lastHeard.restart(); }
    // Called by transports when they resume reading after a pause.
    virtual void resumeReceiving() = 0;

private:
    class KeepaliveSweep;
    void onKeepaliveTick();
    void stopKeepalive();

    Stats m_stats;
    bool m_paused = false;
    bool m_trafficTap = false;
    // One timer per thread ticks every connection's keepalive (a QTimer each cost an idle server
    // session ~400 bytes; docs/PERFORMANCE.md). Set while this connection is registered there.
    KeepaliveSweep *m_keepaliveSweep = nullptr;
    QElapsedTimer m_lastHeard;
    QElapsedTimer m_clock;
    int m_pingIntervalMs = 0;
    int m_idleTimeoutMs = 0;
    qint64 m_pingSentAt = -1;
    int m_lastRttMs = -1;
    quint64 m_nextNonce = 1;
    quint64 m_outstandingNonce = 0;
};

} // namespace Confab
