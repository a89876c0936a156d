// A small community for demos and screenshots: a dozen scripted users from different loopback
// addresses log in, open rooms with topics, join them and then chat in the lobby, in rooms and
// by DM at a rate that rises and falls, so every tab of the admin window has something real to
// show. Also leaves two offline accounts and one connection that never logs in.
#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

namespace ConfabDemo {

class DemoPeer;

class DemoScenario : public QObject
{
    Q_OBJECT
public:
    explicit DemoScenario(const QHostAddress &host, quint16 port, QObject *parent = nullptr);

    // Connect over TLS, trusting the certificate with this SHA-256 fingerprint (before start()).
    void setTrustedFingerprint(const QString &fingerprint) { m_trustedFingerprint = fingerprint; }
    void start();
    void stop();
    DemoPeer *peer(const QString &user) const;
    // Messages sent by the scripted users so far.
    int messagesSent() const { return m_sent; }

signals:
    // Everyone is in and the rooms are set up; chatter has started.
    void ready();

private:
    void onLoggedIn(DemoPeer *peer);
    void createRooms();
    void joinRooms();
    void chatter();

    QHostAddress m_host;
    quint16 m_port;
    QString m_trustedFingerprint; // empty: plain TCP
    QList<DemoPeer *> m_peers;   // the users who stay online
    QTimer m_tick;
    QElapsedTimer m_clock;
    QRandomGenerator m_random{20240601};
    int m_loggedIn = 0;
    int m_roomsCreated = 0;
    int m_sent = 0;
};

} // namespace ConfabDemo
