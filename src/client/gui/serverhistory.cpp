#include "serverhistory.h"

#include <QSettings>

namespace Confab {

namespace {
const QString Group = QStringLiteral("recentServers");
}

QList<ServerEntry> ServerHistory::load()
{
    QSettings settings;
    QList<ServerEntry> entries;
    const int size = settings.beginReadArray(Group);
    for (int i = 0; i < size && entries.size() < MaxEntries; ++i) {
        settings.setArrayIndex(i);
        ServerEntry entry;
        entry.host = settings.value(QStringLiteral("host")).toString();
        const uint port = settings.value(QStringLiteral("port")).toUInt();
        entry.port = quint16(port);
        entry.user = settings.value(QStringLiteral("user")).toString();
        entry.transport = settings.value(QStringLiteral("transport"), QStringLiteral("auto")).toString();
        entry.tls = settings.value(QStringLiteral("tls"), QStringLiteral("auto")).toString();
        if (!entry.host.isEmpty() && port > 0 && port <= 65535)
            entries.append(entry);
    }
    settings.endArray();
    return entries;
}

void ServerHistory::remember(const ServerEntry &entry)
{
    QList<ServerEntry> entries = load();
    entries.removeIf([&](const ServerEntry &e) { return e.sameServer(entry); });
    entries.prepend(entry);
    while (entries.size() > MaxEntries)
        entries.removeLast();

    QSettings settings;
    settings.remove(Group);
    settings.beginWriteArray(Group, int(entries.size()));
    for (int i = 0; i < entries.size(); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("host"), entries.at(i).host);
        settings.setValue(QStringLiteral("port"), entries.at(i).port);
        settings.setValue(QStringLiteral("user"), entries.at(i).user);
        settings.setValue(QStringLiteral("transport"), entries.at(i).transport);
        settings.setValue(QStringLiteral("tls"), entries.at(i).tls);
    }
    settings.endArray();
}

void ServerHistory::clear()
{
    QSettings settings;
    settings.remove(Group);
}

bool ServerHistory::parseAddress(const QString &text, QString *host, quint16 *port)
{
    const QString t = text.trimmed();
    QString h = t;
    QString p;
    if (t.startsWith(u'[')) { // [::1]:65432
        const qsizetype close = t.indexOf(u']');
        if (close < 0)
            return false;
        h = t.mid(1, close - 1);
        if (close + 1 < t.size()) {
            if (t.at(close + 1) != u':')
                return false;
            p = t.mid(close + 2);
        }
    } else if (t.count(u':') == 1) { // host:port (more colons: a bare IPv6 address)
        h = t.section(u':', 0, 0);
        p = t.section(u':', 1);
    }
    if (!p.isEmpty()) {
        bool ok = false;
        const uint value = p.toUInt(&ok);
        if (!ok || value == 0 || value > 65535)
            return false;
        *port = quint16(value);
    }
    *host = h.trimmed();
    return !host->isEmpty();
}

} // namespace Confab
