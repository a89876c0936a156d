#include "ratelimiter.h"

#include <QtMath>

#include <algorithm>

namespace Confab {

QString limitKey(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

TokenBucket::TokenBucket(double ratePerSecond, double burst, qint64 now)
    : m_rate(ratePerSecond)
    , m_burst(burst)
    , m_tokens(burst)
    , m_last(now)
{
}

void TokenBucket::refill(qint64 now)
{
    if (now > m_last) {
        m_tokens = std::min(m_burst, m_tokens + double(now - m_last) * m_rate / 1000.0);
        m_last = now;
    }
}

bool TokenBucket::take(qint64 now)
{
    if (!isLimited())
        return true;
    refill(now);
    // Never more than one token in debt: a client that keeps sending while out of tokens is held
    // (by its caller) rather than piling up debt it could never pay back.
    const bool had = m_tokens >= 1.0;
    m_tokens = std::max(-1.0, m_tokens - 1.0);
    return had;
}

double TokenBucket::level(qint64 now) const
{
    if (!isLimited())
        return 0;
    double tokens = m_tokens;
    if (now > m_last)
        tokens = std::min(m_burst, tokens + double(now - m_last) * m_rate / 1000.0);
    return tokens;
}

qint64 TokenBucket::msUntilToken(qint64 now) const
{
    const double missing = 1.0 - level(now);
    if (!isLimited() || missing <= 0)
        return 0;
    return qint64(qCeil(missing * 1000.0 / m_rate));
}

qint64 TokenBucket::msUntilFull(qint64 now) const
{
    const double missing = m_burst - level(now);
    if (!isLimited() || missing <= 0)
        return 0;
    return qint64(qCeil(missing * 1000.0 / m_rate));
}

int SlidingWindowCounter::record(const QString &key, qint64 now, qint64 windowMs, int cap)
{
    if (!m_events.contains(key) && m_events.size() >= m_maxKeys) {
        prune(now, windowMs);
        if (m_events.size() >= m_maxKeys)
            m_events.clear(); // fail open rather than lock newcomers out
    }
    std::deque<qint64> &times = m_events[key];
    while (!times.empty() && times.front() <= now - windowMs)
        times.pop_front();
    times.push_back(now);
    while (int(times.size()) > std::max(1, cap))
        times.pop_front();
    return int(times.size());
}

int SlidingWindowCounter::count(const QString &key, qint64 now, qint64 windowMs) const
{
    const auto it = m_events.constFind(key);
    if (it == m_events.cend())
        return 0;
    return int(std::count_if(it->cbegin(), it->cend(), [&](qint64 t) { return t > now - windowMs; }));
}

qint64 SlidingWindowCounter::msUntilBelow(const QString &key, int below, qint64 now, qint64 windowMs) const
{
    const auto it = m_events.constFind(key);
    if (it == m_events.cend() || below <= 0)
        return 0;
    // Events still in the window, oldest first; the count drops below `below` once all but
    // below - 1 of them have left it.
    std::deque<qint64> live;
    for (qint64 t : *it) {
        if (t > now - windowMs)
            live.push_back(t);
    }
    if (int(live.size()) < below)
        return 0;
    const qint64 leaves = live[live.size() - size_t(below)] + windowMs;
    return std::max<qint64>(1, leaves - now);
}

void SlidingWindowCounter::prune(qint64 now, qint64 windowMs)
{
    for (auto it = m_events.begin(); it != m_events.end();) {
        if (it->empty() || it->back() <= now - windowMs)
            it = m_events.erase(it);
        else
            ++it;
    }
}

bool SourceBuckets::take(const QString &source, qint64 now)
{
    if (!isLimited())
        return true;
    auto it = m_buckets.find(source);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= m_maxSources) {
            for (auto i = m_buckets.begin(); i != m_buckets.end();) {
                if (i->msUntilFull(now) == 0)
                    i = m_buckets.erase(i);
                else
                    ++i;
            }
            if (m_buckets.size() >= m_maxSources)
                m_buckets.clear(); // fail open: spoofed sources must not lock real ones out
        }
        it = m_buckets.insert(source, TokenBucket(m_rate, m_burst, now));
    }
    return it->take(now);
}

} // namespace Confab
