// Where the Limits tab learns who is held back. Each source reports entries under its own rule
// name and knows how to lift them. Today the one source is the administrator's bans; the rate
// limiter of a later issue adds a source of its own ("more than 10 packets before login", …)
// without changing the model or the tab.
#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>

namespace Confab {

class ChatServer;

struct HeldBack {
    enum class Kind { Account, Address };
    Kind kind = Kind::Account;
    QString target;   // canonical account name, or an address in QHostAddress::toString() form
    QString rule;     // the rule that holds it back, as the administrator reads it
    QString reason;   // free text given with it, if any
    QDateTime since;  // invalid when unknown
    QDateTime until;  // invalid: until lifted
};

class LimitSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual QList<HeldBack> heldBack() const = 0;
    // Lets the entry through again; on failure says why.
    virtual bool lift(const HeldBack &entry, QString *error) = 0;

signals:
    void changed();
};

// The administrator's server-wide bans of accounts and addresses (ChatServer::bans()).
class BanLimitSource : public LimitSource
{
    Q_OBJECT
public:
    explicit BanLimitSource(ChatServer *server, QObject *parent = nullptr);

    QList<HeldBack> heldBack() const override;
    bool lift(const HeldBack &entry, QString *error) override;

private:
    QPointer<ChatServer> m_server;
};

// The automatic abuse limits (ChatServer::limitBlocks()): addresses held back, and accounts and
// addresses slowed down, each under the rule it went over.
class RateLimitSource : public LimitSource
{
    Q_OBJECT
public:
    explicit RateLimitSource(ChatServer *server, QObject *parent = nullptr);

    QList<HeldBack> heldBack() const override;
    bool lift(const HeldBack &entry, QString *error) override;

private:
    QPointer<ChatServer> m_server;
};

} // namespace Confab
