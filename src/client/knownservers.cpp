#include "knownservers.h"

#include "tlsfingerprint.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QSaveFile>
#include <QStandardPaths>

namespace Confab {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Confab::KnownServers", text);
}

// Each entry line as (line number, key, fingerprint); comments and malformed lines are skipped.
template<typename Visit>
void forEachEntry(const QString &path, Visit visit)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return;
    int number = 0;
    while (!file.atEnd()) {
        ++number;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QStringList fields = line.split(u' ', Qt::SkipEmptyParts);
        if (fields.size() >= 2 && !visit(number, fields.at(0), normalizedFingerprint(fields.at(1))))
            return;
    }
}

} // namespace

KnownServers::KnownServers(QString path)
    : m_path(std::move(path))
{
}

QString KnownServers::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/confab/known_servers");
}

QString KnownServers::serverKey(const QString &host, quint16 port)
{
    const QHostAddress address(host);
    const QString name = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QStringLiteral("[%1]").arg(address.toString())
        : host.trimmed().toLower();
    return QStringLiteral("%1:%2").arg(name).arg(port);
}

QString KnownServers::fingerprint(const QString &host, quint16 port) const
{
    const QString key = serverKey(host, port);
    QString found;
    forEachEntry(m_path, [&](int, const QString &entryKey, const QString &entryFingerprint) {
        if (entryKey != key)
            return true;
        found = entryFingerprint;
        return false;
    });
    return found;
}

int KnownServers::lineNumber(const QString &host, quint16 port) const
{
    const QString key = serverKey(host, port);
    int found = 0;
    forEachEntry(m_path, [&](int number, const QString &entryKey, const QString &) {
        if (entryKey != key)
            return true;
        found = number;
        return false;
    });
    return found;
}

bool KnownServers::pin(const QString &host, quint16 port, const QString &fingerprint, QString *error)
{
    const QString canonical = normalizedFingerprint(fingerprint);
    if (canonical.isEmpty()) {
        *error = tr("not a SHA-256 fingerprint: %1").arg(fingerprint);
        return false;
    }
    if (!QDir().mkpath(QFileInfo(m_path).absolutePath())) {
        *error = tr("cannot create the directory of %1").arg(m_path);
        return false;
    }
    const QString key = serverKey(host, port);
    QByteArray contents;
    QFile old(m_path);
    if (old.open(QIODevice::ReadOnly | QIODevice::Text)) {
        while (!old.atEnd()) {
            const QByteArray line = old.readLine();
            const QString trimmed = QString::fromUtf8(line).trimmed();
            if (!trimmed.startsWith(u'#') && trimmed.section(u' ', 0, 0, QString::SectionSkipEmpty) == key)
                continue; // replaced below
            contents += line;
            if (!contents.endsWith('\n'))
                contents += '\n';
        }
    } else {
        contents = "# Confab servers trusted on first use: host:port SHA-256 fingerprint of the TLS certificate.\n"
                   "# Delete a server's line to trust its next certificate anew.\n";
    }
    contents += QStringLiteral("%1 %2\n").arg(key, canonical).toUtf8();
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size() || !file.commit()) {
        *error = tr("cannot write %1: %2").arg(m_path, file.errorString());
        return false;
    }
    QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

} // namespace Confab
