#include "nativetcpconnection.h"

#include <QCoreApplication>
#include <QEvent>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace Confab {

namespace {
constexpr qsizetype ReadChunk = 64 * 1024;
// At most this much is read from one peer per readiness event, so one busy peer cannot starve
// the others; the notifier fires again for the rest.
constexpr int ReadsPerEvent = 4;
// Frames queued to one peer beyond this are written at once rather than at the end of the pass.
constexpr qsizetype EagerFlushBytes = 256 * 1024;

thread_local std::vector<char> t_readBuffer;
} // namespace

// A socket notifier that calls its connection directly: no signal-slot connection per session
// (that plumbing cost each idle session about 300 bytes).
class NativeTcpConnection::Notifier : public QSocketNotifier
{
public:
    Notifier(int fd, Type type, NativeTcpConnection *owner)
        : QSocketNotifier(fd, type, owner)
        , m_owner(owner)
    {
    }

protected:
    bool event(QEvent *event) override
    {
        if (event->type() != QEvent::SockAct && event->type() != QEvent::SockClose)
            return QSocketNotifier::event(event);
        if (type() == Read)
            m_owner->onReadable();
        else
            m_owner->flush();
        return true;
    }

private:
    NativeTcpConnection *m_owner;
};

NativeTcpConnection::NativeTcpConnection(qintptr descriptor, QObject *parent)
    : Connection(parent)
    , m_fd(int(descriptor))
    , m_queue(FlushQueue::acquire())
{
    const int flags = ::fcntl(m_fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK))
        ::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        m_peerAddress = QHostAddress(reinterpret_cast<const sockaddr *>(&address));
        if (address.ss_family == AF_INET)
            m_peerPort = ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
        else if (address.ss_family == AF_INET6)
            m_peerPort = ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port);
    }
    m_readNotifier = new Notifier(m_fd, QSocketNotifier::Read, this);
    markHeard();
}

NativeTcpConnection::~NativeTcpConnection()
{
    if (m_queued)
        m_queue->remove(this);
    delete m_readNotifier;
    delete m_writeNotifier;
    if (m_fd >= 0)
        ::close(m_fd);
    m_queue->release();
}

void NativeTcpConnection::flushAll()
{
    if (FlushQueue *queue = FlushQueue::current())
        queue->flush();
}

void NativeTcpConnection::writeFrame(const QByteArray &frame)
{
    if (m_fd < 0)
        return;
    if (bytesToWrite() > Limits::MaxOutboundBuffer) {
        // The peer is not reading; holding more would let one client exhaust our memory.
        qCInfo(lcConnection) << "peer" << m_peerAddress.toString() << "is not reading; dropping";
        finish(true);
        return;
    }
    if (m_out.isEmpty())
        m_out = frame; // shares the fan-out's one encoding until a second frame comes
    else
        m_out.append(frame);
    if (m_writeBlocked)
        return; // the write notifier will take it
    if (bytesToWrite() >= EagerFlushBytes)
        flush();
    else
        queueForFlush();
}

void NativeTcpConnection::flushFromQueue()
{
    m_queued = false;
    flush();
}

void NativeTcpConnection::queueForFlush()
{
    if (m_queued)
        return;
    m_queued = true;
    m_queue->add(this);
}

void NativeTcpConnection::unqueue()
{
    if (!m_queued)
        return;
    m_queued = false;
    m_queue->remove(this);
}

void NativeTcpConnection::flush()
{
    while (m_fd >= 0 && bytesToWrite() > 0) {
        const ssize_t n = ::send(m_fd, m_out.constData() + m_outOffset, size_t(bytesToWrite()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            m_outOffset += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            setWriteWatch(true);
            return;
        }
        // The peer is gone (reset, broken pipe): the read side may not have noticed yet.
        m_out.clear();
        m_outOffset = 0;
        finish(true);
        return;
    }
    m_out.clear(); // frees it: idle sessions hold no buffer
    m_outOffset = 0;
    setWriteWatch(false);
    if (m_closing && m_fd >= 0)
        finish(true);
}

void NativeTcpConnection::setWriteWatch(bool on)
{
    m_writeBlocked = on;
    if (on && !m_writeNotifier) {
        m_writeNotifier = new Notifier(m_fd, QSocketNotifier::Write, this);
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(on);
}

void NativeTcpConnection::onReadable()
{
    if (m_fd < 0 || m_failed)
        return;
    if (isReceivingPaused()) {
        // Leave the bytes in the kernel: TCP's flow control holds the peer back meanwhile.
        m_readNotifier->setEnabled(false);
        return;
    }
    if (t_readBuffer.empty())
        t_readBuffer.resize(size_t(ReadChunk));
    bool peerClosed = false;
    for (int i = 0; i < ReadsPerEvent; ++i) {
        const ssize_t n = ::recv(m_fd, t_readBuffer.data(), t_readBuffer.size(), 0);
        if (n > 0) {
            noteBytesIn(n);
            m_decoder.append(t_readBuffer.data(), qsizetype(n));
            if (n < ReadChunk)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            --i;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        peerClosed = true; // orderly close (0) or an error such as a reset
        break;
    }
    markHeard();
    drain();
    if (peerClosed && m_fd >= 0) {
        m_out.clear();
        m_outOffset = 0;
        finish(false);
    }
}

void NativeTcpConnection::resumeReceiving()
{
    QMetaObject::invokeMethod(this, [this] {
        if (m_fd < 0 || isReceivingPaused())
            return;
        drain();
        if (m_fd >= 0 && !m_closing && !isReceivingPaused())
            m_readNotifier->setEnabled(true); // and what waits in the kernel comes next
    }, Qt::QueuedConnection);
}

void NativeTcpConnection::drain()
{
    // Delivering a message can re-enter (a slot pauses us, or closes us); guard the loop.
    if (m_draining)
        return;
    m_draining = true;
    QByteArray payload;
    while (!m_failed && !isReceivingPaused() && !m_closing && m_fd >= 0) {
        const FrameDecoder::Status status = m_decoder.next(&payload);
        if (status == FrameDecoder::Status::NeedMore)
            break;
        if (status == FrameDecoder::Status::Error) {
            m_failed = true;
            failFraming(m_decoder.error(), m_decoder.errorString());
            break;
        }
        deliverPayload(payload);
    }
    m_draining = false;
}

void NativeTcpConnection::close()
{
    if (m_closing || m_fd < 0)
        return;
    m_closing = true;
    m_readNotifier->setEnabled(false);
    unqueue();
    flush(); // finishes the close once everything queued is written
}

void NativeTcpConnection::abort()
{
    m_closing = true;
    m_out.clear();
    m_outOffset = 0;
    finish(false);
}

void NativeTcpConnection::finish(bool later)
{
    unqueue();
    if (m_fd >= 0) {
        delete m_readNotifier;
        m_readNotifier = nullptr;
        delete m_writeNotifier;
        m_writeNotifier = nullptr;
        m_writeBlocked = false;
        ::close(m_fd);
        m_fd = -1;
    }
    if (later)
        QMetaObject::invokeMethod(this, &NativeTcpConnection::reportDisconnected, Qt::QueuedConnection);
    else
        reportDisconnected();
}

void NativeTcpConnection::reportDisconnected()
{
    if (m_reportedDisconnect)
        return;
    m_reportedDisconnect = true;
    emit disconnected();
}

} // namespace Confab
