// The servers whose TLS certificate the user has trusted on first use, like SSH's known_hosts.
//
// A text file, one server a line: "host:port FINGERPRINT" (the certificate's SHA-256 as
// tlsfingerprint.h spells it; IPv6 hosts in brackets). Lines starting with '#' and blank lines
// are ignored. Both clients share one file (defaultPath()), so a server trusted in the terminal
// client is known to the desktop client too. To forget a server (after its administrator really
// changed the certificate), delete its line.
#pragma once

#include <QString>

namespace Confab {

class KnownServers
{
public:
    explicit KnownServers(QString path = defaultPath());

    // <generic data dir>/confab/known_servers, e.g. ~/.local/share/confab/known_servers.
    static QString defaultPath();
    QString path() const { return m_path; }

    // "host:port" as the file spells it (host in lower case, IPv6 in brackets).
    static QString serverKey(const QString &host, quint16 port);

    // The pinned fingerprint for host:port, or an empty string. Reads the file on every call, so
    // a pin added by another client (or an edit) counts at once.
    QString fingerprint(const QString &host, quint16 port) const;
    // The line number of host:port's entry (1-based), 0 when there is none.
    int lineNumber(const QString &host, quint16 port) const;
    // Adds host:port with this fingerprint (replacing an entry it may have). The file is made
    // readable by its owner only. On failure returns false and says why.
    bool pin(const QString &host, quint16 port, const QString &fingerprint, QString *error);

private:
    QString m_path;
};

} // namespace Confab
