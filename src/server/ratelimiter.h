// The server's abuse limits: what they are (AbuseLimits, part of ServerConfig), and the small
// socket-free pieces that enforce them. Nothing here reads a clock: every call takes `now`, in
// milliseconds of one monotonic clock, so tests can drive them exactly. docs/SECURITY.md and
// docs/PROTOCOL.md §8 describe the limits and their defaults; ChatServer applies them in
// chatserver_limits.cpp, UdpListener applies the one for UDP before the handshake.
#pragma once

#include <QHash>
#include <QHostAddress>
#include <QString>

#include <deque>

namespace Confab {

// Every limit the server imposes on its clients, with its documented default. A value of 0 (or
// less) turns that one limit off; `enabled = false` turns them all off (benchmarks, trusted
// networks).
struct AbuseLimits {
    bool enabled = true;

    // Per address, TCP and UDP together.
    int maxConnectionsPerAddress = 64;      // open at once
    int newConnectionsPerAddress = 120;     // per window; twice this many attempts holds the address back

    // Per session: a token bucket. Each message from the client (any frame but Ping/Pong) takes
    // one token; tokens come back at messagesPerSecond up to messageBurst. A client out of tokens
    // is told to slow down (SlowDown, with retryAfter) and its further messages wait, in order,
    // until tokens are back. One still over its rate after slowDownGraceMs is disconnected and
    // its address held back.
    double messagesPerSecond = 20;
    int messageBurst = 60;
    int slowDownGraceMs = 30 * 1000;

    // Login attempts (each one costs a password hash), counted per window. An address making twice
    // its allowance is disconnected and held back; an account over its allowance is only refused.
    int loginAttemptsPerAddress = 30;
    int loginAttemptsPerAccount = 10;

    // UDP datagrams from a source without a session (Probe, Hello, HelloWithCookie, anything):
    // over this rate they are dropped unanswered before any other work is done.
    double udpUnverifiedPerSecond = 10;
    int udpUnverifiedBurst = 30;

    int windowMs = 60 * 1000;               // the "per minute" of the counted limits
    int holdBackMs = 60 * 1000;             // how long an address that ignored a limit is refused

    static AbuseLimits unlimited()
    {
        AbuseLimits limits;
        limits.enabled = false;
        return limits;
    }
};

// The form an address takes in every per-address table: IPv4-mapped IPv6 (::ffff:a.b.c.d, as a
// dual-stack socket reports IPv4 peers) is written as plain IPv4, so both spellings share limits.
QString limitKey(const QHostAddress &address);

// A token bucket: `rate` tokens per second up to `burst`, starting full. The balance may go below
// zero by one take (the message that finds the bucket empty is still counted), so a client that
// ignores the limit gets nothing more until it has paid that back.
class TokenBucket
{
public:
    TokenBucket() = default;
    TokenBucket(double ratePerSecond, double burst, qint64 now);

    bool isLimited() const { return m_rate > 0 && m_burst > 0; }
    // Takes one token; false when there was none (the balance is then below zero).
    bool take(qint64 now);
    // Tokens available at `now` (may be negative).
    double level(qint64 now) const;
    // Milliseconds until at least one whole token is available (0 if one is now).
    qint64 msUntilToken(qint64 now) const;
    // Milliseconds until the bucket is full again.
    qint64 msUntilFull(qint64 now) const;

private:
    void refill(qint64 now);

    double m_rate = 0;
    double m_burst = 0;
    double m_tokens = 0;
    qint64 m_last = 0;
};

// Counts events per key (an address, an account) over a sliding window: keeps the times of at
// most `limit * 2 + 1` recent events per key, so memory is bounded by the keys it holds, and keys
// whose events have all left the window are pruned. The number of keys is bounded too: beyond
// maxKeys the oldest idle keys are dropped first, then the whole table (failing open, so a flood
// of spoofed or varied keys cannot lock anyone out, only stop counting for a while).
class SlidingWindowCounter
{
public:
    static constexpr int DefaultMaxKeys = 16384;

    explicit SlidingWindowCounter(int maxKeys = DefaultMaxKeys)
        : m_maxKeys(maxKeys)
    {
    }

    // Records one event for key at now; returns how many events key has in the window, this one
    // included. `cap` bounds the times remembered (callers pass twice their limit).
    int record(const QString &key, qint64 now, qint64 windowMs, int cap);
    // Events of key in the window ending at now.
    int count(const QString &key, qint64 now, qint64 windowMs) const;
    // Milliseconds until key has fewer than `below` events in the window (0 if it has already).
    qint64 msUntilBelow(const QString &key, int below, qint64 now, qint64 windowMs) const;
    void forget(const QString &key) { m_events.remove(key); }
    void clear() { m_events.clear(); }
    int keyCount() const { return int(m_events.size()); }

private:
    void prune(qint64 now, qint64 windowMs);

    QHash<QString, std::deque<qint64>> m_events;
    int m_maxKeys;
};

// The per-address token buckets of the UDP front door, for sources that have no session yet.
// Bounded like SlidingWindowCounter: idle (full) buckets are dropped when the table is full, and
// if none is idle the table starts over.
class SourceBuckets
{
public:
    static constexpr int DefaultMaxSources = 4096;

    explicit SourceBuckets(int maxSources = DefaultMaxSources)
        : m_maxSources(maxSources)
    {
    }
    void setRate(double ratePerSecond, int burst)
    {
        m_rate = ratePerSecond;
        m_burst = burst;
        m_buckets.clear();
    }
    bool isLimited() const { return m_rate > 0 && m_burst > 0; }
    // Takes a token for `source`; false when the source is over its rate.
    bool take(const QString &source, qint64 now);
    int sourceCount() const { return int(m_buckets.size()); }

private:
    QHash<QString, TokenBucket> m_buckets;
    double m_rate = 0;
    int m_burst = 0;
    int m_maxSources;
};

} // namespace Confab
