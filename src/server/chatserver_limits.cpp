// ChatServer: the automatic abuse limits (ServerConfig::limits, see ratelimiter.h and
// docs/SECURITY.md). Per address: connections open at once and new connections per window; per
// session: a message rate with a burst; login attempts per address and per account. A client over
// a limit is first told to slow down (Error SlowDown with retryAfter); one that goes on is
// disconnected and its address held back for a while. Every block is logged when it starts and
// listed by limitBlocks() (the admin window's Limits tab) while it lasts.
#include "chatserver.h"
#include "chatserver_p.h"

#include <QTimer>
#include <QtMath>

namespace Confab {

namespace {

QString seconds(qint64 ms)
{
    return QString::number(qMax<qint64>(1, (ms + 999) / 1000));
}

QString blockKey(LimitBlock::Kind kind, const QString &target, const QString &rule)
{
    return (kind == LimitBlock::Kind::Account ? QStringLiteral("a|") : QStringLiteral("i|")) + target
        + QLatin1Char('|') + rule;
}

// More blocks than this are not recorded (they are still enforced and logged): spoofed UDP
// sources must not grow the table without bound.
constexpr int MaxBlocks = 4096;

Message slowDown(const QString &text, qint64 retryAfterMs, quint64 re, bool fatal)
{
    Message m = Message::error(ErrorCode::SlowDown, text, re);
    m.set(Key::RetryAfter, qMax<qint64>(0, retryAfterMs));
    m.set(Key::Fatal, fatal);
    return m;
}

} // namespace

bool ChatServer::noteBlock(LimitBlock::Kind kind, const QString &target, const QString &rule, qint64 untilMs,
                           bool heldBack)
{
    const qint64 now = limitNow();
    const QString key = blockKey(kind, target, rule);
    auto it = m_blocks.find(key);
    if (it != m_blocks.end() && it->untilMs > now) {
        it->untilMs = qMax(it->untilMs, untilMs);
        it->block.heldBack = it->block.heldBack || heldBack;
        return false;
    }
    qCInfo(lcServer).noquote() << "limit:" << (kind == LimitBlock::Kind::Account ? "account" : "address") << target
                               << (heldBack ? "held back" : "slowed down") << "for" << seconds(untilMs - now) << "s:" << rule;
    if (it == m_blocks.end() && m_blocks.size() >= MaxBlocks) {
        for (auto i = m_blocks.begin(); i != m_blocks.end();)
            i = i->untilMs <= now ? m_blocks.erase(i) : std::next(i);
        if (m_blocks.size() >= MaxBlocks)
            return true;
    }
    BlockRecord record;
    record.block.kind = kind;
    record.block.target = target;
    record.block.rule = rule;
    record.block.heldBack = heldBack;
    record.sinceMs = now;
    record.untilMs = untilMs;
    m_blocks.insert(key, record);
    emit limitBlocksChanged();
    return true;
}

QList<LimitBlock> ChatServer::limitBlocks() const
{
    const qint64 now = limitNow();
    const QDateTime wallNow = QDateTime::currentDateTimeUtc();
    QList<LimitBlock> list;
    for (const BlockRecord &record : m_blocks) {
        if (record.untilMs <= now)
            continue;
        LimitBlock block = record.block;
        block.since = wallNow.addMSecs(record.sinceMs - now);
        block.until = wallNow.addMSecs(record.untilMs - now);
        list.append(block);
    }
    return list;
}

bool ChatServer::liftLimitBlock(LimitBlock::Kind kind, const QString &target)
{
    const qint64 now = limitNow();
    bool lifted = false;
    for (auto it = m_blocks.begin(); it != m_blocks.end();) {
        if (it->block.kind == kind && it->block.target == target) {
            lifted = lifted || it->untilMs > now;
            it = m_blocks.erase(it);
        } else {
            ++it;
        }
    }
    if (kind == LimitBlock::Kind::Address) {
        m_connectionAttempts.forget(target);
        m_loginsByAddress.forget(target);
    } else {
        m_loginsByAccount.forget(target);
    }
    if (lifted) {
        qCInfo(lcServer).noquote() << "limit: lifted every block on" << target;
        emit limitBlocksChanged();
    }
    return lifted;
}

qint64 ChatServer::heldBackUntil(const QString &address) const
{
    qint64 until = 0;
    for (const BlockRecord &record : m_blocks) {
        if (record.block.heldBack && record.block.kind == LimitBlock::Kind::Address && record.block.target == address)
            until = qMax(until, record.untilMs);
    }
    return until > limitNow() ? until : 0;
}

void ChatServer::holdBack(const QString &address, const QString &rule)
{
    noteBlock(LimitBlock::Kind::Address, address, rule, limitNow() + m_config.limits.holdBackMs, true);
}

void ChatServer::refuseConnection(Session *session, const QString &text, qint64 retryAfterMs)
{
    session->connection->send(slowDown(text, retryAfterMs, 0, true));
    endSession(session, text);
    session->connection->close();
}

// The counted limits count refused attempts too, so a client that retries at once stays refused;
// retryAfter is the time until one more attempt fits the window again.
bool ChatServer::admitConnection(Session *session)
{
    session->addressKey = limitKey(session->info.address);
    const AbuseLimits &limits = m_config.limits;
    if (!limits.enabled)
        return true;
    const QString &address = session->addressKey;
    const qint64 now = limitNow();

    if (const qint64 until = heldBackUntil(address)) {
        refuseConnection(session, tr("Your address is held back for %1 s for going over this server's limits; "
                                     "slow down and try again later.").arg(seconds(until - now)),
                         until - now);
        return false;
    }
    if (limits.newConnectionsPerAddress > 0) {
        const int attempts = m_connectionAttempts.record(address, now, limits.windowMs,
                                                         2 * limits.newConnectionsPerAddress + 1);
        if (attempts > 2 * limits.newConnectionsPerAddress) {
            holdBack(address, tr("more than %1 connection attempts in %2 s").arg(2 * limits.newConnectionsPerAddress)
                                  .arg(limits.windowMs / 1000));
            refuseConnection(session, tr("Too many connection attempts from your address; it is held back for %1 s.")
                                          .arg(seconds(limits.holdBackMs)),
                             limits.holdBackMs);
            return false;
        }
        if (attempts > limits.newConnectionsPerAddress) {
            const qint64 wait = m_connectionAttempts.msUntilBelow(address, limits.newConnectionsPerAddress, now,
                                                                  limits.windowMs);
            noteBlock(LimitBlock::Kind::Address, address,
                      tr("more than %1 new connections in %2 s").arg(limits.newConnectionsPerAddress).arg(limits.windowMs / 1000),
                      now + wait);
            refuseConnection(session, tr("Too many new connections from your address: slow down and try again in %1 s.")
                                          .arg(seconds(wait)),
                             wait);
            return false;
        }
    }
    if (limits.maxConnectionsPerAddress > 0
        && m_connectionsByAddress.value(address) >= limits.maxConnectionsPerAddress) {
        noteBlock(LimitBlock::Kind::Address, address,
                  tr("more than %1 connections at once").arg(limits.maxConnectionsPerAddress), now + 1000);
        refuseConnection(session, tr("Too many connections from your address (at most %1 at once); "
                                     "close one and try again.").arg(limits.maxConnectionsPerAddress),
                         1000);
        return false;
    }
    ++m_connectionsByAddress[address];
    session->counted = true;
    session->messages = TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    return true;
}

void ChatServer::releaseConnection(Session *session)
{
    if (!session->counted)
        return;
    session->counted = false;
    auto it = m_connectionsByAddress.find(session->addressKey);
    if (it != m_connectionsByAddress.end() && --*it <= 0)
        m_connectionsByAddress.erase(it);
}

void ChatServer::updateReceivingPaused(Session *session)
{
    session->connection->setReceivingPaused(session->hashing || session->rateHeld);
}

bool ChatServer::chargeMessage(Session *session)
{
    if (!session->messages.isLimited())
        return true;
    const AbuseLimits &limits = m_config.limits;
    const qint64 now = limitNow();
    // Quiet long enough for the bucket to fill up again: the client kept to the rate, the episode
    // of slowing it down is over (a client staying just above the rate never gets there).
    if (session->slowedSince >= 0 && session->messages.msUntilFull(now) == 0)
        session->slowedSince = -1;
    if (session->messages.take(now))
        return true;
    // Out of tokens. This message is still handled (it was read, and nothing read is lost), but
    // nothing more is read from this client until it has a token again; TCP's flow control (or
    // the UDP inbox's bound) then holds the client back.
    const qint64 wait = session->messages.msUntilToken(now);
    const QString who = session->info.user.isEmpty() ? session->addressKey : session->info.user;
    const LimitBlock::Kind kind = session->info.user.isEmpty() ? LimitBlock::Kind::Address : LimitBlock::Kind::Account;
    const QString rule = tr("more than %1 messages a second").arg(limits.messagesPerSecond);
    if (session->slowedSince < 0) {
        session->slowedSince = now;
        session->connection->send(slowDown(tr("Slow down: you are sending messages faster than this server allows "
                                              "(%1 a second). Your next messages wait their turn.")
                                               .arg(limits.messagesPerSecond),
                                           wait, 0, false));
    } else if (limits.slowDownGraceMs > 0 && now - session->slowedSince >= limits.slowDownGraceMs) {
        holdBack(session->addressKey, tr("kept sending over %1 messages a second for %2 s after being told to slow down")
                                          .arg(limits.messagesPerSecond).arg(limits.slowDownGraceMs / 1000));
        const QString text = tr("Disconnected for sending too fast after being asked to slow down; "
                                "you can connect again in %1 s.").arg(seconds(limits.holdBackMs));
        session->connection->send(slowDown(text, limits.holdBackMs, 0, true));
        endSession(session, tr("disconnected for sending too fast"));
        session->connection->close();
        return false;
    }
    noteBlock(kind, kind == LimitBlock::Kind::Account ? session->key : who, rule,
              now + session->messages.msUntilFull(now));
    if (!session->rateHeld) {
        session->rateHeld = true;
        updateReceivingPaused(session);
        const quint64 id = session->info.id;
        QTimer::singleShot(int(qBound(qint64(1), qint64(wait), qint64(60 * 1000))), this, [this, id] { resumeAfterSlowDown(id); });
    }
    return true;
}

void ChatServer::resumeAfterSlowDown(quint64 sessionId)
{
    Session *session = m_sessions.value(sessionId);
    if (!session || session->ended || !session->rateHeld)
        return;
    session->rateHeld = false;
    updateReceivingPaused(session);
}

bool ChatServer::admitLogin(Session *session, const QString &account, quint64 requestId)
{
    const AbuseLimits &limits = m_config.limits;
    if (!limits.enabled)
        return true;
    const qint64 now = limitNow();
    const QString &address = session->addressKey;
    if (limits.loginAttemptsPerAddress > 0) {
        const int attempts = m_loginsByAddress.record(address, now, limits.windowMs, 2 * limits.loginAttemptsPerAddress + 1);
        if (attempts > 2 * limits.loginAttemptsPerAddress) {
            holdBack(address, tr("more than %1 login attempts in %2 s").arg(2 * limits.loginAttemptsPerAddress)
                                  .arg(limits.windowMs / 1000));
            const QString text = tr("Too many login attempts from your address; it is held back for %1 s.")
                                     .arg(seconds(limits.holdBackMs));
            session->connection->send(slowDown(text, limits.holdBackMs, requestId, true));
            endSession(session, text);
            session->connection->close();
            return false;
        }
        if (attempts > limits.loginAttemptsPerAddress) {
            const qint64 wait = m_loginsByAddress.msUntilBelow(address, limits.loginAttemptsPerAddress, now, limits.windowMs);
            noteBlock(LimitBlock::Kind::Address, address,
                      tr("more than %1 login attempts in %2 s").arg(limits.loginAttemptsPerAddress).arg(limits.windowMs / 1000),
                      now + wait);
            session->connection->send(slowDown(tr("Too many login attempts from your address: slow down and try again in %1 s.")
                                                   .arg(seconds(wait)),
                                               wait, requestId, false));
            return false;
        }
    }
    if (limits.loginAttemptsPerAccount > 0) {
        // Counted before the password is checked: a correct guess must cost as much as a wrong one.
        const int attempts = m_loginsByAccount.record(account, now, limits.windowMs, 2 * limits.loginAttemptsPerAccount + 1);
        if (attempts > limits.loginAttemptsPerAccount) {
            const qint64 wait = m_loginsByAccount.msUntilBelow(account, limits.loginAttemptsPerAccount, now, limits.windowMs);
            noteBlock(LimitBlock::Kind::Account, account,
                      tr("more than %1 login attempts in %2 s").arg(limits.loginAttemptsPerAccount).arg(limits.windowMs / 1000),
                      now + wait);
            session->connection->send(slowDown(tr("Too many login attempts for this account: slow down and try again in %1 s.")
                                                   .arg(seconds(wait)),
                                               wait, requestId, false));
            return false;
        }
    }
    return true;
}

} // namespace Confab
