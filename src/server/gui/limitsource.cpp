#include "limitsource.h"

#include "chatserver.h"

namespace Confab {

BanLimitSource::BanLimitSource(ChatServer *server, QObject *parent)
    : LimitSource(parent)
    , m_server(server)
{
    connect(server, &ChatServer::bansChanged, this, &LimitSource::changed);
}

QList<HeldBack> BanLimitSource::heldBack() const
{
    QList<HeldBack> entries;
    if (!m_server || !m_server->accounts()->isOpen())
        return entries;
    const QList<ServerBan> bans = m_server->bans();
    for (const ServerBan &ban : bans) {
        HeldBack entry;
        entry.kind = ban.kind == ServerBan::Kind::Account ? HeldBack::Kind::Account : HeldBack::Kind::Address;
        entry.target = ban.target;
        entry.rule = tr("administrator ban");
        entry.reason = ban.reason;
        entry.since = ban.created;
        entry.until = ban.until;
        entries.append(entry);
    }
    return entries;
}

bool BanLimitSource::lift(const HeldBack &entry, QString *error)
{
    const ServerBan::Kind kind = entry.kind == HeldBack::Kind::Account ? ServerBan::Kind::Account : ServerBan::Kind::Address;
    if (!m_server || !m_server->liftBan(kind, entry.target)) {
        if (error)
            *error = tr("%1 is no longer banned").arg(entry.target);
        return false;
    }
    return true;
}

RateLimitSource::RateLimitSource(ChatServer *server, QObject *parent)
    : LimitSource(parent)
    , m_server(server)
{
    connect(server, &ChatServer::limitBlocksChanged, this, &LimitSource::changed);
}

QList<HeldBack> RateLimitSource::heldBack() const
{
    QList<HeldBack> entries;
    if (!m_server)
        return entries;
    const QList<LimitBlock> blocks = m_server->limitBlocks();
    for (const LimitBlock &block : blocks) {
        HeldBack entry;
        entry.kind = block.kind == LimitBlock::Kind::Account ? HeldBack::Kind::Account : HeldBack::Kind::Address;
        entry.target = block.target;
        entry.rule = block.rule;
        entry.reason = block.heldBack ? tr("held back: every connection refused") : tr("slowed down");
        entry.since = block.since;
        entry.until = block.until;
        entries.append(entry);
    }
    return entries;
}

bool RateLimitSource::lift(const HeldBack &entry, QString *error)
{
    const LimitBlock::Kind kind = entry.kind == HeldBack::Kind::Account ? LimitBlock::Kind::Account : LimitBlock::Kind::Address;
    if (!m_server || !m_server->liftLimitBlock(kind, entry.target)) {
        if (error)
            *error = tr("%1 is no longer held back").arg(entry.target);
        return false;
    }
    return true;
}

} // namespace Confab
