#include "passwordhasher.h"

#include <QRandomGenerator>
#include <QtConcurrent/QtConcurrentRun>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace Confab::PasswordHasher {

QByteArray newSalt()
{
    QByteArray salt(SaltBytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(salt.data()),
                                         reinterpret_cast<quint32 *>(salt.data() + salt.size()));
    return salt;
}

QByteArray derive(const QString &password, const QByteArray &salt, int iterations)
{
    const QByteArray utf8 = password.toUtf8();
    QByteArray out(HashBytes, Qt::Uninitialized);
    const int ok = PKCS5_PBKDF2_HMAC(utf8.constData(), int(utf8.size()),
                                     reinterpret_cast<const unsigned char *>(salt.constData()), int(salt.size()),
                                     iterations, EVP_sha256(), HashBytes,
                                     reinterpret_cast<unsigned char *>(out.data()));
    // OpenSSL keeps per-thread state (its error queue) until the thread calls this or exits; a
    // pool thread may outlive the server (and still be alive when the process ends, where
    // LeakSanitizer reports it), so hand it back after each hash.
    OPENSSL_thread_stop();
    return ok == 1 ? out : QByteArray();
}

QFuture<QByteArray> deriveAsync(const QString &password, const QByteArray &salt, int iterations)
{
    return QtConcurrent::run([password, salt, iterations] { return derive(password, salt, iterations); });
}

bool equal(const QByteArray &a, const QByteArray &b)
{
    if (a.isEmpty() || a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.constData(), b.constData(), size_t(a.size())) == 0;
}

} // namespace Confab::PasswordHasher
