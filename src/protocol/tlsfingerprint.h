// How Confab names a TLS certificate to people: the SHA-256 of its DER encoding, as colon-separated
// upper-case hex pairs, the way `openssl x509 -noout -fingerprint -sha256` prints it. Server and
// clients use the same spelling, so a user can compare what the server's log printed with what
// the client asks about.
#pragma once

#include <QSslCertificate>
#include <QString>

namespace Confab {

// "AB:CD:…" (95 characters); empty for a null certificate.
QString certificateFingerprint(const QSslCertificate &certificate);

// A fingerprint as a person may type it: with or without colons, any case, an optional
// "SHA256:" / "sha256 Fingerprint=" prefix. Returns the canonical spelling, or an empty string
// when the text is not 32 bytes of hex.
QString normalizedFingerprint(const QString &text);

} // namespace Confab
