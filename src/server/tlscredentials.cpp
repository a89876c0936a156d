#include "tlscredentials.h"

#include "tlsfingerprint.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QSslSocket>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace Confab {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("Confab::TlsCredentials", text);
}

bool readFile(const QString &path, const QString &what, QByteArray *data, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = tr("cannot read the TLS %1 %2: %3").arg(what, path, file.errorString());
        return false;
    }
    *data = file.readAll();
    return true;
}

// Whether the private key belongs to the certificate (OpenSSL compares the public halves).
bool keyMatchesCertificate(const QSslCertificate &certificate, const QSslKey &key)
{
    const QByteArray certificateDer = certificate.toDer();
    const QByteArray keyDer = key.toDer();
    auto certificateBytes = reinterpret_cast<const unsigned char *>(certificateDer.constData());
    auto keyBytes = reinterpret_cast<const unsigned char *>(keyDer.constData());
    std::unique_ptr<X509, decltype(&X509_free)> x509(d2i_X509(nullptr, &certificateBytes, certificateDer.size()), X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(d2i_AutoPrivateKey(nullptr, &keyBytes, keyDer.size()),
                                                            EVP_PKEY_free);
    return x509 && pkey && X509_check_private_key(x509.get(), pkey.get()) == 1;
}

} // namespace

std::optional<TlsCredentials> TlsCredentials::load(const QString &certificateFile, const QString &keyFile,
                                                   QString *error, QStringList *warnings)
{
    if (!QSslSocket::supportsSsl()) {
        *error = tr("this Qt installation has no working TLS backend (OpenSSL %1 was not found)")
                     .arg(QSslSocket::sslLibraryBuildVersionString());
        return std::nullopt;
    }
    QByteArray certificateData;
    QByteArray keyData;
    if (!readFile(certificateFile, tr("certificate"), &certificateData, error)
        || !readFile(keyFile, tr("key"), &keyData, error))
        return std::nullopt;

    TlsCredentials credentials;
    credentials.chain = QSslCertificate::fromData(certificateData, QSsl::Pem);
    if (credentials.chain.isEmpty())
        credentials.chain = QSslCertificate::fromData(certificateData, QSsl::Der);
    if (credentials.chain.isEmpty() || credentials.chain.constFirst().isNull()) {
        *error = tr("the TLS certificate file %1 holds no certificate (PEM expected)").arg(certificateFile);
        return std::nullopt;
    }
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Ec, QSsl::Rsa}) {
        credentials.key = QSslKey(keyData, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!credentials.key.isNull())
            break;
    }
    if (credentials.key.isNull()) {
        *error = tr("the TLS key file %1 holds no usable private key (an unencrypted RSA or EC key in PEM "
                    "is needed; keys protected by a passphrase are not supported)").arg(keyFile);
        return std::nullopt;
    }
    const QSslCertificate &certificate = credentials.chain.constFirst();
    if (!keyMatchesCertificate(certificate, credentials.key)) {
        *error = tr("the TLS key in %1 does not belong to the certificate in %2").arg(keyFile, certificateFile);
        return std::nullopt;
    }
    credentials.fingerprint = certificateFingerprint(certificate);

    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (certificate.expiryDate() < now)
        warnings->append(tr("the TLS certificate %1 expired on %2").arg(certificateFile, certificate.expiryDate().toString(Qt::ISODate)));
    else if (certificate.effectiveDate() > now)
        warnings->append(tr("the TLS certificate %1 is not valid before %2").arg(certificateFile, certificate.effectiveDate().toString(Qt::ISODate)));
    if (QFile::permissions(keyFile) & (QFile::ReadGroup | QFile::ReadOther))
        warnings->append(tr("the TLS key file %1 is readable by other users; chmod 600 it").arg(keyFile));
    return credentials;
}

QSslConfiguration TlsCredentials::serverConfiguration() const
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients log in with a password
    return configuration;
}

QString TlsCredentials::summary() const
{
    const QSslCertificate &certificate = chain.constFirst();
    const QStringList names = certificate.subjectInfo(QSslCertificate::CommonName);
    return tr("%1, expires %2")
        .arg(names.isEmpty() ? tr("no common name") : QStringLiteral("CN=") + names.constFirst(),
             certificate.expiryDate().toUTC().toString(QStringLiteral("yyyy-MM-dd")));
}

} // namespace Confab
