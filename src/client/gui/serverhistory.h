// The servers this user logged in to recently (host, port, username, transport, encryption), newest first,
// kept with QSettings. Passwords are never stored.
#pragma once

#include <QList>
#include <QString>

namespace Confab {

struct ServerEntry {
    QString host;
    quint16 port = 0;
    QString user;
    QString transport; // "auto" or "tcp"
    QString tls = QStringLiteral("auto"); // ClientSession::tlsModeName(): "auto", "on" or "off"

    QString address() const { return QStringLiteral("%1:%2").arg(host).arg(port); }
    bool sameServer(const ServerEntry &other) const
    {
        return host.compare(other.host, Qt::CaseInsensitive) == 0 && port == other.port;
    }
};

class ServerHistory
{
public:
    static constexpr int MaxEntries = 8;

    // Reads from the application's QSettings.
    static QList<ServerEntry> load();
    // Puts the entry first (replacing the same host and port) and saves.
    static void remember(const ServerEntry &entry);
    static void clear();

    // "host", "host:port" or "[v6]:port"; false when the port part is not a valid port.
    static bool parseAddress(const QString &text, QString *host, quint16 *port);
};

} // namespace Confab
