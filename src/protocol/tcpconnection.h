// Confab over TCP: the byte stream is cut into frames by FrameDecoder. The same class carries
// Confab over TLS when its socket is a QSslSocket (docs/PROTOCOL.md §10): frames then travel inside
// the TLS records, and connected() waits for the handshake, so nothing is sent before it.
#pragma once

#include "connection.h"
#include "framedecoder.h"

#include <QSslConfiguration>
#include <QSslError>
#include <QTcpSocket>

QT_BEGIN_NAMESPACE
class QSslSocket;
QT_END_NAMESPACE

namespace Confab {

class TcpConnection : public Connection
{
    Q_OBJECT
public:
    // Takes ownership of an accepted (already connected) socket. A QSslSocket must have started
    // its server handshake; frames written before it ends wait in the socket's buffer.
    explicit TcpConnection(QTcpSocket *socket, QObject *parent = nullptr);
    // An outgoing connection; call connectToHost() and wait for connected() or protocolError().
    explicit TcpConnection(QObject *parent = nullptr);

    void connectToHost(const QString &host, quint16 port);
    // An outgoing TLS connection. connected() comes once the handshake has succeeded; certificate
    // problems are reported by sslErrors() first, a failed handshake by handshakeFailed().
    void connectToHostEncrypted(const QString &host, quint16 port, const QSslConfiguration &configuration);
    void ignoreSslErrors() override;
    bool isEncrypted() const override;
    // Null over plain TCP.
    QSslCertificate peerCertificate() const override;

    Transport transport() const override { return Transport::Tcp; }
    QHostAddress peerAddress() const override { return m_socket->peerAddress(); }
    quint16 peerPort() const override { return m_socket->peerPort(); }
    bool isOpen() const override { return m_socket->state() == QAbstractSocket::ConnectedState; }
    void close() override;
    void abort() override;

    QString socketErrorString() const { return m_socket->errorString(); }

signals:
    void connectFailed(const QString &reason);

protected:
    void writeFrame(const QByteArray &frame) override;
    void resumeReceiving() override;

private:
    // What Qt buffers from the socket at most (four maximum frames).
    static constexpr qint64 ReadBufferBytes = 4 * (qint64(Limits::MaxFramePayload) + 4);

    void setUpSocket();
    void setUpTls(QSslSocket *socket);
    void onReadyRead();
    void drain();
    void reportDisconnected();

    QTcpSocket *m_socket;
    bool m_tcpUp = false; // the TCP connection is (or was) established
    FrameDecoder m_decoder;
    bool m_failed = false;
    bool m_closing = false;
    bool m_draining = false;
    bool m_reportedDisconnect = false;
    bool m_tls = false;
    bool m_handshakeReported = false;
    bool m_peerSpeaksTls = false; // plain, and the peer's first bytes were a TLS record
};

} // namespace Confab
