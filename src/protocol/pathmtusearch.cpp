#include "pathmtusearch.h"

#include "udpwire.h"

namespace Confab {

static_assert(PathMtuSearch::Ladder.back() == UdpWire::LargestDatagramSize,
              "the ladder ends at the largest datagram any end reads");

PathMtuSearch::PathMtuSearch()
    : m_size(UdpWire::BaseDatagramSize)
{
}

void PathMtuSearch::start(int ceiling, qint64 now)
{
    m_ceiling = qMin(ceiling, UdpWire::LargestDatagramSize);
    m_size = UdpWire::BaseDatagramSize;
    m_probeOutstanding = false;
    m_attempts = 0;
    m_largeLosses = 0;
    m_probeDueAt = -1;
    m_waiting = false;
    if (m_ceiling > m_size)
        planNext(now);
}

void PathMtuSearch::stop()
{
    m_probeDueAt = -1;
    m_probeOutstanding = false;
}

int PathMtuSearch::rungAbove(int size) const
{
    for (int rung : Ladder) {
        if (rung > size)
            return qMin(rung, m_ceiling);
    }
    return m_ceiling;
}

void PathMtuSearch::planNext(qint64 at)
{
    m_probeDueAt = m_size < m_ceiling ? at : -1;
    m_waiting = false;
}

int PathMtuSearch::nextProbeSize() const
{
    return rungAbove(m_size);
}

quint32 PathMtuSearch::probeSent(qint64 now, qint64 probeTimeoutMs)
{
    const int size = nextProbeSize();
    if (size != m_probeSize)
        m_attempts = 0;
    m_probeSize = size;
    m_probeOutstanding = true;
    m_waiting = false;
    m_probeDeadline = now + qMax(probeTimeoutMs, MinProbeTimeoutMs);
    ++m_probesSent;
    return ++m_probeId;
}

bool PathMtuSearch::probeAcknowledged(quint32 probeId, int size, qint64 now)
{
    // Only the probe awaiting its answer counts: a late answer to one already given up on could
    // come from before a black hole.
    if (!m_probeOutstanding || probeId != m_probeId || size != m_probeSize)
        return false;
    m_probeOutstanding = false;
    m_attempts = 0;
    const bool raised = size > m_size;
    m_size = qMax(m_size, size);
    m_largeLosses = 0;
    planNext(now);
    return raised;
}

qint64 PathMtuSearch::nextTimeoutAt() const
{
    return m_probeOutstanding ? m_probeDeadline : m_probeDueAt;
}

void PathMtuSearch::onTimer(qint64 now)
{
    if (!m_probeOutstanding || now < m_probeDeadline)
        return;
    // Lost, or too large for the path: the two cannot be told apart, and neither is the data's
    // business. Try again, up to MaxProbes times; then this size is out of reach for now.
    m_probeOutstanding = false;
    ++m_probesLost;
    if (++m_attempts < MaxProbes) {
        m_probeDueAt = now;
        return;
    }
    m_attempts = 0;
    m_probeDueAt = now + RaiseIntervalMs;
    m_waiting = true;
}

bool PathMtuSearch::largeDatagramUndeliverable(qint64 now)
{
    if (m_size <= UdpWire::BaseDatagramSize)
        return false; // already back at the base
    if (++m_largeLosses < BlackHoleLosses)
        return false;
    ++m_blackHoles;
    m_largeLosses = 0;
    m_size = UdpWire::BaseDatagramSize;
    m_probeOutstanding = false;
    m_attempts = 0;
    m_probeDueAt = m_ceiling > m_size ? now + BlackHoleRetryMs : -1;
    m_waiting = true;
    return true;
}

} // namespace Confab
