#include "connection.h"

namespace Confab {

Q_LOGGING_CATEGORY(lcConnection, "confab.connection")

Connection::Connection(QObject *parent)
    : QObject(parent)
{
    m_lastHeard.start();
    m_clock.start();
    connect(&m_keepaliveTimer, &QTimer::timeout, this, &Connection::onKeepaliveTick);
}

Connection::~Connection() = default;

QString Connection::transportName() const
{
    return transport() == Transport::Tcp ? QStringLiteral("tcp") : QStringLiteral("udp");
}

void Connection::send(const Message &message)
{
    sendFrame(message.toFrame(), message.type());
}

void Connection::sendFrame(const QByteArray &frame, MessageType type)
{
    if (!isOpen())
        return;
    m_stats.bytesOut += quint64(frame.size());
    ++m_stats.framesOut;
    writeFrame(frame);
    if (m_trafficTap)
        emit frameSent(type, int(frame.size()));
}

void Connection::sendError(ErrorCode code, const QString &detail, quint64 re)
{
    send(Message::error(code, detail, re));
    if (isFatalError(code))
        close();
}

void Connection::setReceivingPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (!paused)
        resumeReceiving();
}

void Connection::setKeepalive(int pingIntervalMs, int idleTimeoutMs)
{
    m_pingIntervalMs = pingIntervalMs;
    m_idleTimeoutMs = idleTimeoutMs;
    if (pingIntervalMs <= 0 && idleTimeoutMs <= 0) {
        m_keepaliveTimer.stop();
        return;
    }
    // Tick often enough to honour both bounds within a quarter of the shorter one.
    int tick = pingIntervalMs > 0 ? pingIntervalMs : idleTimeoutMs;
    if (idleTimeoutMs > 0)
        tick = qMin(tick, idleTimeoutMs);
    m_keepaliveTimer.start(qMax(10, tick / 4));
}

void Connection::onKeepaliveTick()
{
    if (!isOpen())
        return;
    const qint64 silent = m_lastHeard.elapsed();
    if (m_idleTimeoutMs > 0 && silent >= m_idleTimeoutMs) {
        qCInfo(lcConnection) << "peer" << peerAddress().toString() << "silent for" << silent << "ms; dropping";
        m_keepaliveTimer.stop();
        emit timedOut();
        abort();
        return;
    }
    if (m_pingIntervalMs > 0 && silent >= m_pingIntervalMs && m_outstandingNonce == 0) {
        m_outstandingNonce = m_nextNonce++;
        m_pingSentAt = m_clock.elapsed();
        send(Message::ping(m_outstandingNonce));
    }
}

void Connection::deliverPayload(const QByteArray &payload)
{
    ++m_stats.framesIn;
    markHeard();
    DecodeResult decoded = Message::decode(payload);
    if (m_trafficTap)
        emit frameReceived(decoded.ok() ? decoded.message.type() : MessageType::Invalid, int(payload.size()) + 4);
    if (!decoded.ok()) {
        emit invalidMessage(decoded.error, decoded.detail, decoded.requestId);
        return;
    }
    const Message &message = decoded.message;
    switch (message.type()) {
    case MessageType::Ping:
        send(Message::pong(quint64(message.integer(Key::Nonce))));
        return;
    case MessageType::Pong:
        if (m_outstandingNonce != 0 && quint64(message.integer(Key::Nonce)) == m_outstandingNonce) {
            m_outstandingNonce = 0;
            m_lastRttMs = int(m_clock.elapsed() - m_pingSentAt);
            emit roundTripMeasured(m_lastRttMs);
        }
        return;
    default:
        emit messageReceived(message);
    }
}

void Connection::failFraming(ErrorCode code, const QString &detail)
{
    qCInfo(lcConnection) << "framing error from" << peerAddress().toString() << detail;
    emit protocolError(code, detail);
    sendError(code, detail);
}

} // namespace Confab
