#include "connection.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace Confab {

Q_LOGGING_CATEGORY(lcConnection, "confab.connection")

// The connections of one thread that watch for silence, ticked by one timer at the shortest
// interval any of them asked for (a tick only compares clocks, so ticking more often is harmless).
// Shared by those connections and deleted with the last of them, never in the middle of a tick.
class Connection::KeepaliveSweep : public QObject
{
public:
    static KeepaliveSweep *join(Connection *connection, int tickMs)
    {
        if (!t_current)
            t_current = new KeepaliveSweep;
        t_current->m_members.push_back(connection);
        t_current->wantTick(tickMs);
        return t_current;
    }
    void wantTick(int tickMs)
    {
        if (!m_timer.isActive() || tickMs < m_timer.interval())
            m_timer.start(tickMs);
    }
    void leave(Connection *connection)
    {
        const auto it = std::find(m_members.begin(), m_members.end(), connection);
        if (it != m_members.end()) {
            *it = nullptr; // compacted after the tick, or now
            ++m_holes;
        }
        if (!m_ticking)
            compact();
    }

private:
    KeepaliveSweep() { connect(&m_timer, &QTimer::timeout, this, &KeepaliveSweep::tick); }
    void tick()
    {
        m_ticking = true;
        for (size_t i = 0; i < m_members.size(); ++i) { // members may join or leave meanwhile
            if (Connection *connection = m_members[i])
                connection->onKeepaliveTick();
        }
        m_ticking = false;
        compact(true);
    }
    void compact(bool fromTick = false)
    {
        if (m_holes > 0) {
            m_members.erase(std::remove(m_members.begin(), m_members.end(), nullptr), m_members.end());
            m_holes = 0;
        }
        if (m_members.empty()) {
            if (t_current == this)
                t_current = nullptr;
            m_timer.stop();
            if (fromTick)
                deleteLater(); // not inside our own timer's signal
            else
                delete this;
        }
    }

    static thread_local KeepaliveSweep *t_current;
    QTimer m_timer;
    std::vector<Connection *> m_members;
    size_t m_holes = 0;
    bool m_ticking = false;
};

thread_local Connection::KeepaliveSweep *Connection::KeepaliveSweep::t_current = nullptr;

Connection::Connection(QObject *parent)
    : QObject(parent)
{
    m_lastHeard.start();
    m_clock.start();
}

Connection::~Connection()
{
    stopKeepalive();
}

void Connection::stopKeepalive()
{
    if (KeepaliveSweep *sweep = std::exchange(m_keepaliveSweep, nullptr))
        sweep->leave(this);
}

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
        stopKeepalive();
        return;
    }
    // Tick often enough to honour both bounds within a quarter of the shorter one.
    int tick = pingIntervalMs > 0 ? pingIntervalMs : idleTimeoutMs;
    if (idleTimeoutMs > 0)
        tick = qMin(tick, idleTimeoutMs);
    tick = qMax(10, tick / 4);
    if (m_keepaliveSweep)
        m_keepaliveSweep->wantTick(tick);
    else
        m_keepaliveSweep = KeepaliveSweep::join(this, tick);
}

void Connection::onKeepaliveTick()
{
    if (!isOpen())
        return;
    const qint64 silent = m_lastHeard.elapsed();
    if (m_idleTimeoutMs > 0 && silent >= m_idleTimeoutMs) {
        qCInfo(lcConnection) << "peer" << peerAddress().toString() << "silent for" << silent << "ms; dropping";
        stopKeepalive();
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
