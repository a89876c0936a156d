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

} // namespace Confab
