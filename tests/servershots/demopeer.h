// A scripted chat user for demos and screenshots: one socket speaking the Confab protocol,
// event-driven (never waits), answering Pings, optionally bound to a chosen loopback address so
// the server sees users from different addresses (TCP only), or over reliable UDP. Encrypted (TLS,
// DTLS over UDP) it trusts exactly one certificate, named by its SHA-256 fingerprint.
#pragma once

#include "framedecoder.h"
#include "message.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslSocket>

namespace Confab {
class UdpConnection;
}

namespace ConfabDemo {

class DemoPeer : public QObject
{
    Q_OBJECT
public:
    // An empty user connects and says Hello but never logs in.
    DemoPeer(const QString &user, const QString &password, const QHostAddress &localAddress, QObject *parent = nullptr);

    // Over UDP instead of TCP (call before connectToServer()).
    void setUdp(bool udp) { m_overUdp = udp; }
    // With a fingerprint the connection is TLS (DTLS) and accepts only that certificate.
    void connectToServer(const QHostAddress &host, quint16 port, const QString &trustedFingerprint = {});
    QString user() const { return m_user; }
    bool isLoggedIn() const { return m_loggedIn; }
    quint64 nextId() { return m_nextId++; }
    void send(const Confab::Message &message);
    void quit(const QString &reason = {});

signals:
    void loggedIn();
    void received(const Confab::Message &message);
    void closed();

private:
    void onConnected();
    void onReadyRead();
    void handle(const Confab::Message &message);
    void connectOverUdp(const QHostAddress &host, quint16 port);

    QSslSocket m_socket;
    Confab::FrameDecoder m_decoder;
    QString m_user;
    QString m_password;
    QHostAddress m_localAddress;
    QString m_trustedFingerprint; // empty: plain
    bool m_overUdp = false;
    QPointer<Confab::UdpConnection> m_udp;
    bool m_loggedIn = false;
    quint64 m_nextId = 1;
};

} // namespace ConfabDemo
