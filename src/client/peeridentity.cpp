#include "peeridentity.h"

#include <QCryptographicHash>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>

namespace Confab {

namespace {
template<typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

constexpr long ValiditySeconds = 7L * 24 * 3600;
constexpr long ClockSkewSeconds = 3600; // valid from an hour ago: the peer's clock may be behind

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? QByteArray(data, size) : QByteArray();
}
} // namespace

PeerIdentity PeerIdentity::generate(QString *error)
{
    auto fail = [error](const char *what) {
        if (error)
            *error = QString::fromLatin1(what);
        return PeerIdentity();
    };
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        return fail("cannot make an EC key");
    CertPtr cert(X509_new());
    if (!cert)
        return fail("cannot make a certificate");
    unsigned char serial[8];
    if (RAND_bytes(serial, sizeof serial) != 1)
        return fail("no random numbers for the certificate");
    serial[0] &= 0x7f; // a positive serial number
    std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> serialNumber(BN_bin2bn(serial, sizeof serial, nullptr));
    X509_NAME *name = X509_get_subject_name(cert.get());
    const bool built = X509_set_version(cert.get(), 2) == 1
        && serialNumber && BN_to_ASN1_INTEGER(serialNumber.get(), X509_get_serialNumber(cert.get()))
        && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -ClockSkewSeconds)
        && X509_gmtime_adj(X509_getm_notAfter(cert.get()), ValiditySeconds)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char *>("Confab direct chat"), -1, -1, 0) == 1
        && X509_set_issuer_name(cert.get(), name) == 1
        && X509_set_pubkey(cert.get(), key.get()) == 1
        && X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
    if (!built)
        return fail("cannot sign the certificate");

    BioPtr certPem(BIO_new(BIO_s_mem()));
    BioPtr keyPem(BIO_new(BIO_s_mem()));
    if (!certPem || !keyPem || PEM_write_bio_X509(certPem.get(), cert.get()) != 1
        || PEM_write_bio_PrivateKey(keyPem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return fail("cannot export the certificate");

    PeerIdentity identity;
    identity.m_certificate = QSslCertificate(bioContents(certPem.get()), QSsl::Pem);
    identity.m_key = QSslKey(bioContents(keyPem.get()), QSsl::Ec, QSsl::Pem);
    if (identity.isNull())
        return fail("this Qt cannot read the certificate it made (no TLS backend?)");
    return identity;
}

QString PeerIdentity::fingerprintOf(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex());
}

} // namespace Confab
