// The certificate a client shows in encrypted peer-to-peer chats. Made at run time (an EC P-256
// key and a self-signed certificate valid for a week), never stored: nobody has to trust it in
// advance, because the server tells each side the other's SHA-256 fingerprint when it introduces
// them (docs/PROTOCOL.md, "Poke and bridge"), and each side checks the certificate against that.
#pragma once

#include <QSslCertificate>
#include <QSslKey>
#include <QString>

namespace Confab {

class PeerIdentity
{
public:
    // A fresh identity; isNull() when this machine's TLS cannot make one (error says why).
    static PeerIdentity generate(QString *error = nullptr);

    bool isNull() const { return m_certificate.isNull() || m_key.isNull(); }
    const QSslCertificate &certificate() const { return m_certificate; }
    const QSslKey &key() const { return m_key; }
    // The certificate's SHA-256 fingerprint as the protocol carries it: 64 lowercase hex digits
    // (normalizedFingerprint() in tlsfingerprint.h spells it for people).
    QString fingerprint() const { return fingerprintOf(m_certificate); }

    static QString fingerprintOf(const QSslCertificate &certificate);

private:
    QSslCertificate m_certificate;
    QSslKey m_key;
};

} // namespace Confab
