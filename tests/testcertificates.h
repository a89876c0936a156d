// TLS certificates made at test time with openssl (scripts/install-deps.sh installs it), as
// scripts/make-cert.sh makes them: self-signed, for 127.0.0.1 and localhost.
#pragma once

#include "tlsfingerprint.h"

#include <QDebug>
#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QStringList>

#include <optional>

namespace ConfabTest {

// A certificate and its key on disk.
struct CertificateFiles {
    QString certificate;
    QString key;
    QString fingerprint;
};

inline bool runOpenssl(const QStringList &arguments, const QString &workingDirectory)
{
    QProcess openssl;
    openssl.setWorkingDirectory(workingDirectory);
    openssl.start(QStringLiteral("openssl"), arguments);
    if (!openssl.waitForFinished(60000) || openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0) {
        qWarning() << "openssl" << arguments << "failed:" << openssl.readAllStandardError();
        return false;
    }
    return true;
}

inline QString fingerprintOf(const QString &certificateFile)
{
    QFile file(certificateFile);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return Confab::certificateFingerprint(QSslCertificate(file.readAll(), QSsl::Pem));
}

// A self-signed certificate for 127.0.0.1 and localhost in dir/name.crt and dir/name.key;
// `rsa` for an RSA 2048 key instead of EC P-256.
inline std::optional<CertificateFiles> makeSelfSigned(const QString &dir, const QString &name, bool rsa = false)
{
    CertificateFiles files{dir + u'/' + name + QStringLiteral(".crt"), dir + u'/' + name + QStringLiteral(".key"), {}};
    QStringList arguments{QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-nodes"),
                          QStringLiteral("-days"), QStringLiteral("30"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                          QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost"),
                          QStringLiteral("-keyout"), files.key, QStringLiteral("-out"), files.certificate};
    arguments << QStringLiteral("-newkey")
              << (rsa ? QStringLiteral("rsa:2048") : QStringLiteral("ec"));
    if (!rsa)
        arguments << QStringLiteral("-pkeyopt") << QStringLiteral("ec_paramgen_curve:prime256v1");
    if (!runOpenssl(arguments, dir))
        return std::nullopt;
    files.fingerprint = fingerprintOf(files.certificate);
    return files;
}

// Replaces `to` with a copy of `from` (QFile::copy does not overwrite).
inline bool copyOver(const QString &from, const QString &to)
{
    QFile::remove(to);
    return QFile::copy(from, to);
}

} // namespace ConfabTest
