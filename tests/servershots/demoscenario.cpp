#include "demoscenario.h"

#include "demopeer.h"

#include <QtMath>

using namespace Confab;

namespace ConfabDemo {

namespace {
struct Persona {
    const char *name;
    const char *address; // over TCP from this address; nullptr: over UDP
};
// Loopback addresses other than 127.0.0.1 all reach the server on Linux.
const Persona people[] = {
    {"alice", "127.0.0.1"}, {"bob", "127.0.0.7"},     {"carol", "127.0.0.12"}, {"dave", "127.0.0.21"},
    {"erin", nullptr},      {"frank", "127.0.0.45"},  {"grace", nullptr},      {"heidi", "127.0.0.1"},
    {"mallory", "127.0.0.66"}, {"niaj", nullptr},
};
struct RoomPlan {
    const char *owner;
    const char *room;
    const char *topic;
    const char *members[5];
};
const RoomPlan rooms[] = {
    {"alice", "general", "Anything goes — be kind", {"bob", "carol", "dave", "erin", "grace"}},
    {"bob", "qt-dev", "Widgets, models, signals & slots", {"alice", "frank", "heidi", nullptr, nullptr}},
    {"carol", "random", "", {"dave", "mallory", "niaj", nullptr, nullptr}},
    {"dave", "release-1.0", "Ship it Friday", {"alice", "bob", nullptr, nullptr, nullptr}},
};
const char *lines[] = {
    "morning all", "has anyone tried the new build?", "the traffic tab is neat", "lunch?",
    "pushed a fix for the reconnect bug", "can someone review my patch", "brb", "that test is flaky again",
    "QSortFilterProxyModel to the rescue", "who broke the nightly?", "release notes are in the wiki",
    "coffee machine is fixed!", "reading the protocol doc now", "ping me when you are back",
};
const QString password = QStringLiteral("demo-password");
} // namespace

DemoScenario::DemoScenario(const QHostAddress &host, quint16 port, QObject *parent)
    : QObject(parent)
    , m_host(host)
    , m_port(port)
{
    connect(&m_tick, &QTimer::timeout, this, &DemoScenario::chatter);
}

void DemoScenario::start()
{
    // Two accounts that registered earlier and are offline now.
    for (const char *name : {"oldtimer", "ivan"}) {
        auto *peer = new DemoPeer(QString::fromLatin1(name), password, {}, this);
        connect(peer, &DemoPeer::loggedIn, peer, [peer] { peer->quit(QStringLiteral("see you")); });
        peer->connectToServer(m_host, m_port, m_trustedFingerprint);
    }
    int delay = 0;
    for (const Persona &p : people) {
        auto *peer = new DemoPeer(QString::fromLatin1(p.name), password,
                                  p.address ? QHostAddress(QString::fromLatin1(p.address)) : QHostAddress(), this);
        peer->setUdp(!p.address);
        m_peers.append(peer);
        connect(peer, &DemoPeer::loggedIn, this, [this, peer] { onLoggedIn(peer); });
        QTimer::singleShot(delay, peer, [peer, this] { peer->connectToServer(m_host, m_port, m_trustedFingerprint); });
        delay += 120;
    }
    // One connection that says Hello and never logs in.
    auto *lurker = new DemoPeer(QString(), QString(), QHostAddress(QStringLiteral("127.0.0.99")), this);
    lurker->connectToServer(m_host, m_port, m_trustedFingerprint);
}

void DemoScenario::stop()
{
    m_tick.stop();
    for (DemoPeer *peer : std::as_const(m_peers))
        peer->quit(QStringLiteral("demo over"));
}

DemoPeer *DemoScenario::peer(const QString &user) const
{
    for (DemoPeer *p : m_peers) {
        if (p->user() == user)
            return p;
    }
    return nullptr;
}

void DemoScenario::onLoggedIn(DemoPeer *)
{
    if (++m_loggedIn == m_peers.size())
        createRooms();
}

void DemoScenario::createRooms()
{
    for (const RoomPlan &plan : rooms) {
        DemoPeer *owner = peer(QString::fromLatin1(plan.owner));
        connect(owner, &DemoPeer::received, this, [this](const Message &m) {
            if (m.type() == MessageType::RoomJoined && m.boolean(Key::Created) && ++m_roomsCreated == int(std::size(rooms)))
                joinRooms();
        });
        owner->send(Message::createRoom(owner->nextId(), QString::fromLatin1(plan.room), QString::fromUtf8(plan.topic)));
    }
}

void DemoScenario::joinRooms()
{
    for (const RoomPlan &plan : rooms) {
        for (const char *member : plan.members) {
            if (!member)
                continue;
            DemoPeer *p = peer(QString::fromLatin1(member));
            p->send(Message::joinRoom(p->nextId(), QString::fromLatin1(plan.room)));
        }
    }
    m_clock.start();
    m_tick.start(50);
    emit ready();
}

void DemoScenario::chatter()
{
    // A rate that swells and ebbs between about 1 and 14 messages a second.
    const double t = m_clock.elapsed() / 1000.0;
    const double perSecond = 7.5 + 6.5 * qSin(t / 7.0) * qCos(t / 17.0);
    if (m_random.generateDouble() > perSecond / 20.0)
        return;
    DemoPeer *from = m_peers.at(int(m_random.bounded(int(m_peers.size()))));
    // Some people only read: the server hears nothing from them, so it pings them after 20 s and
    // the Sessions tab shows their round-trip time.
    static const QStringList readers = {QStringLiteral("grace"), QStringLiteral("heidi"), QStringLiteral("niaj")};
    if (!from->isLoggedIn() || readers.contains(from->user()))
        return;
    const QString text = QString::fromUtf8(lines[m_random.bounded(int(std::size(lines)))]);
    const int kind = int(m_random.bounded(10));
    if (kind < 4) {
        from->send(Message::postLobby(from->nextId(), text));
    } else if (kind < 8) {
        QStringList mine;
        for (const RoomPlan &plan : rooms) {
            const QString user = from->user();
            bool member = user == QLatin1String(plan.owner);
            for (const char *m : plan.members)
                member = member || (m && user == QLatin1String(m));
            if (member)
                mine.append(QString::fromLatin1(plan.room));
        }
        if (mine.isEmpty())
            return;
        from->send(Message::postRoom(from->nextId(), mine.at(int(m_random.bounded(int(mine.size())))), text));
    } else {
        DemoPeer *to = m_peers.at(int(m_random.bounded(int(m_peers.size()))));
        from->send(Message::postDm(from->nextId(), to->user(), text));
    }
    ++m_sent;
}

} // namespace ConfabDemo
