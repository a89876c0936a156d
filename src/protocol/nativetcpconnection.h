// Confab over TCP for a server's many sessions: the accepted descriptor is driven directly, with
// no QTcpSocket in between. docs/PERFORMANCE.md tells why:
//  - fan-out batching: frames queued to a peer while one event is handled are written with one
//    send() when control returns to the event loop, not one syscall per frame and not one
//    write-notifier round trip per peer;
//  - no buffers held by idle sessions: the read and write buffers exist only while bytes wait in
//    them (QTcpSocket keeps a read and a write chunk per socket for its lifetime);
//  - one socket notifier per session (a write notifier only while the kernel refuses bytes).
// It behaves like TcpConnection: the same framing, pausing, closing and slow-consumer rules.
#pragma once

#include "passflushqueue.h"

#include "connection.h"
#include "framedecoder.h"

#include <QTcpServer>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Confab {

class NativeTcpConnection : public Connection
{
    Q_OBJECT
public:
    // Takes ownership of a connected socket descriptor (as accepted by NativeTcpServer).
    explicit NativeTcpConnection(qintptr descriptor, QObject *parent = nullptr);
    ~NativeTcpConnection() override;

    Transport transport() const override { return Transport::Tcp; }
    QHostAddress peerAddress() const override { return m_peerAddress; }
    quint16 peerPort() const override { return m_peerPort; }
    bool isOpen() const override { return m_fd >= 0 && !m_closing; }
    void close() override;
    void abort() override;

    // Bytes queued to the peer and not yet taken by the kernel.
    qsizetype bytesToWrite() const { return m_out.size() - m_outOffset; }

    // Writes every connection's queued frames now; runs by itself once per event-loop pass.
    static void flushAll();

protected:
    void writeFrame(const QByteArray &frame) override;
    void resumeReceiving() override;

private:
    using FlushQueue = PassFlushQueue<NativeTcpConnection>;
    friend FlushQueue;
    void flushFromQueue();
    class Notifier;
    void onReadable();
    void drain();
    void flush();
    void queueForFlush();
    void unqueue();
    void setWriteWatch(bool on);
    // The connection is over: the descriptor is closed and disconnected() follows (queued when
    // `later`, so a caller in the middle of a fan-out never sees its sessions vanish).
    void finish(bool later);
    void reportDisconnected();

    int m_fd = -1;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr; // only once the kernel has refused bytes
    FlushQueue *m_queue = nullptr;
    FrameDecoder m_decoder;
    QByteArray m_out;
    qsizetype m_outOffset = 0;
    bool m_queued = false;       // in the flush queue
    bool m_writeBlocked = false; // waiting for the write notifier
    bool m_closing = false;
    bool m_failed = false;
    bool m_draining = false;
    bool m_reportedDisconnect = false;
};

// A QTcpServer that hands over accepted descriptors instead of making a QTcpSocket for each.
class NativeTcpServer : public QTcpServer
{
    Q_OBJECT
public:
    using QTcpServer::QTcpServer;

signals:
    void descriptorAccepted(qintptr descriptor);

protected:
    void incomingConnection(qintptr descriptor) override { emit descriptorAccepted(descriptor); }
};

} // namespace Confab
