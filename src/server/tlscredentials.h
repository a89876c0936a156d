// The server's TLS identity: a certificate (with any intermediate certificates after it) and its
// private key, read from PEM files. Loaded at start and again by ChatServer::reloadCertificate().
#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QStringList>

#include <optional>

namespace Confab {

struct TlsCredentials {
    QList<QSslCertificate> chain; // the server's own certificate first
    QSslKey key;
    QString fingerprint;          // of chain.first(), as certificateFingerprint() spells it

    // Reads and checks both files: readable, a certificate, an unencrypted RSA or EC key that
    // belongs to it. On failure returns nothing and says why in *error. Problems that do not stop
    // serving (an expired certificate, a key readable by others) are added to *warnings.
    static std::optional<TlsCredentials> load(const QString &certificateFile, const QString &keyFile,
                                              QString *error, QStringList *warnings);

    // What a server socket needs: these credentials, TLS 1.2 or later, no client certificates.
    QSslConfiguration serverConfiguration() const;
    // "CN=host, expires 2028-12-06" for logs.
    QString summary() const;
};

} // namespace Confab
