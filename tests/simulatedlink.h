// A simulated datagram link between two endpoints (0 and 1) for tests of socket-free transports:
// one-way latency, jitter, a bandwidth that spaces datagrams out, independent loss, loss bursts,
// duplication and reordering. It never reads a clock: the test passes its fake `now`, and every
// random choice comes from one seeded generator, so a run is reproducible from its seed.
#pragma once

#include <QByteArray>
#include <QList>
#include <QRandomGenerator>

#include <cmath>
#include <map>
#include <utility>

struct LinkProfile {
    int latencyMs = 20;          // one way
    int jitterMs = 0;            // plus a uniform 0..jitterMs
    double bytesPerMs = 0;       // serialisation rate per direction; 0 = unlimited
    double loss = 0;             // independent loss per datagram (in the good state)
    double duplicate = 0;        // chance a datagram is delivered twice
    double reorder = 0;          // chance a datagram is held back an extra 1..reorderDelayMs
    int reorderDelayMs = 0;
    // Outages: each datagram starts one with chance burstEnter (per direction); it lasts a uniform
    // 1..burstMaxMs of (simulated) time, during which datagrams are lost with burstLoss.
    double burstEnter = 0;
    int burstMaxMs = 0;
    double burstLoss = 1;
};

class SimulatedLink
{
public:
    struct Arrival {
        int to = 0;
        QByteArray bytes;
    };
    struct Stats {
        quint64 sent = 0;
        quint64 lost = 0;
        quint64 duplicated = 0;
        quint64 reordered = 0;
        quint64 delivered = 0;
        quint64 bytesSent = 0;
    };

    SimulatedLink(quint32 seed, const LinkProfile &profile)
        : m_rng(seed)
        , m_profile(profile)
    {
    }

    void setProfile(const LinkProfile &profile) { m_profile = profile; }
    const LinkProfile &profile() const { return m_profile; }
    // Everything sent from now on is lost (in both directions) until turned off again.
    void setBlackhole(bool on) { m_blackhole = on; }
    const Stats &stats() const { return m_stats; }

    void send(int to, const QByteArray &bytes, qint64 now)
    {
        Q_ASSERT(to == 0 || to == 1);
        ++m_stats.sent;
        m_stats.bytesSent += quint64(bytes.size());
        // The sender's link is busy while the datagram goes out, lost or not.
        double departure = double(now);
        if (m_profile.bytesPerMs > 0) {
            departure = std::max(departure, m_busyUntil[to]) + double(bytes.size()) / m_profile.bytesPerMs;
            m_busyUntil[to] = departure;
        }
        if (lost(to, now)) {
            ++m_stats.lost;
            return;
        }
        schedule(to, bytes, departure);
        if (m_profile.duplicate > 0 && chance(m_profile.duplicate)) {
            ++m_stats.duplicated;
            schedule(to, bytes, departure + double(m_rng.bounded(m_profile.latencyMs + 1)));
        }
    }

    qint64 nextArrivalAt() const { return m_queue.empty() ? -1 : m_queue.begin()->first.first; }
    bool isIdle() const { return m_queue.empty(); }

    // Everything due at or before now, in arrival order.
    QList<Arrival> takeDue(qint64 now)
    {
        QList<Arrival> due;
        while (!m_queue.empty() && m_queue.begin()->first.first <= now) {
            due.append(std::move(m_queue.begin()->second));
            m_queue.erase(m_queue.begin());
        }
        m_stats.delivered += quint64(due.size());
        return due;
    }

private:
    bool chance(double p) { return m_rng.generateDouble() < p; }

    bool lost(int to, qint64 now)
    {
        if (m_blackhole)
            return true;
        if (m_profile.burstEnter > 0 && m_profile.burstMaxMs > 0) {
            if (now >= m_badUntil[to] && chance(m_profile.burstEnter))
                m_badUntil[to] = now + 1 + m_rng.bounded(m_profile.burstMaxMs);
            if (now < m_badUntil[to])
                return chance(m_profile.burstLoss);
        }
        return m_profile.loss > 0 && chance(m_profile.loss);
    }

    void schedule(int to, const QByteArray &bytes, double departure)
    {
        double at = departure + m_profile.latencyMs;
        if (m_profile.jitterMs > 0)
            at += double(m_rng.bounded(m_profile.jitterMs + 1));
        if (m_profile.reorder > 0 && m_profile.reorderDelayMs > 0 && chance(m_profile.reorder)) {
            ++m_stats.reordered;
            at += double(1 + m_rng.bounded(m_profile.reorderDelayMs));
        }
        m_queue.emplace(std::make_pair(qint64(std::ceil(at)), m_order++), Arrival{to, bytes});
    }

    QRandomGenerator m_rng;
    LinkProfile m_profile;
    bool m_blackhole = false;
    qint64 m_badUntil[2] = {0, 0};
    double m_busyUntil[2] = {0, 0};
    quint64 m_order = 0;
    std::map<std::pair<qint64, quint64>, Arrival> m_queue;
    Stats m_stats;
};
