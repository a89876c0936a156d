#include "tlsfingerprint.h"

#include <QCryptographicHash>
#include <QRegularExpression>

namespace Confab {

namespace {
QString colonHex(const QByteArray &digest)
{
    return QString::fromLatin1(digest.toHex(':').toUpper());
}
} // namespace

QString certificateFingerprint(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return colonHex(certificate.digest(QCryptographicHash::Sha256));
}

QString normalizedFingerprint(const QString &text)
{
    QString hex = text.trimmed();
    static const QRegularExpression prefix(QStringLiteral("^(sha-?256)(\\s*fingerprint)?\\s*[:=]?\\s*"),
                                           QRegularExpression::CaseInsensitiveOption);
    hex.remove(prefix);
    hex.remove(u':');
    static const QRegularExpression sha256Hex(QStringLiteral("^[0-9A-Fa-f]{64}$"));
    if (!sha256Hex.match(hex).hasMatch())
        return {};
    return colonHex(QByteArray::fromHex(hex.toLatin1()));
}

} // namespace Confab
