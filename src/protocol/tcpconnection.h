// Confab over TCP: the byte stream is cut into frames by FrameDecoder.
#pragma once

#include "connection.h"
#include "framedecoder.h"

#include <QTcpSocket>

namespace Confab {

class TcpConnection : public Connection
{
    Q_OBJECT
public:
    // Takes ownership of an accepted (already connected) socket.
    explicit TcpConnection(QTcpSocket *socket, QObject *parent = nullptr);
    // An outgoing connection; call connectToHost() and wait for connected() or protocolError().
    explicit TcpConnection(QObject *parent = nullptr);

    void connectToHost(const QString &host, quint16 port);

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
    void onReadyRead();
    void drain();
    void reportDisconnected();

    QTcpSocket *m_socket;
    FrameDecoder m_decoder;
    bool m_failed = false;
    bool m_closing = false;
    bool m_draining = false;
    bool m_reportedDisconnect = false;
};

} // namespace Confab
