// Password hashing: PBKDF2-HMAC-SHA256 with a per-account random salt, via OpenSSL.
// The work runs on Qt's global thread pool so the event loop never waits for it.
#pragma once

#include <QByteArray>
#include <QFuture>
#include <QString>

namespace Confab {

struct PasswordHash {
    QString algorithm = QStringLiteral("pbkdf2-sha256");
    QByteArray salt;
    QByteArray hash;
    int iterations = 0;
};

namespace PasswordHasher {

// OWASP's 2023+ recommendation for PBKDF2-HMAC-SHA256.
constexpr int DefaultIterations = 600000;
constexpr int SaltBytes = 16;
constexpr int HashBytes = 32;

QByteArray newSalt();
// Blocking; call from a worker thread (or tests).
QByteArray derive(const QString &password, const QByteArray &salt, int iterations);
// Runs derive() on the global thread pool.
QFuture<QByteArray> deriveAsync(const QString &password, const QByteArray &salt, int iterations);
// Constant-time comparison of two digests.
bool equal(const QByteArray &a, const QByteArray &b);

} // namespace PasswordHasher
} // namespace Confab
