// Brings a lost session back: after the connection drops (or the server shuts down) it connects
// and logs in again with growing pauses (1 s, 2 s, 4 s … up to 30 s, with a little randomness so
// a restarted server is not hit by every client at once), then joins again the rooms the session
// was in.
//
// It does not try again when the server's administrator ended the session, or when the login
// itself is refused for a reason a retry cannot fix (wrong password, banned): gaveUp() says why.
// "Already logged in" is retried, since the server may not have noticed the old connection's end.
// The password is held in memory only, for these logins.
#pragma once

#include "protocol.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

namespace Confab {

class ClientSession;
struct JoinedRoom;

class Reconnector : public QObject
{
    Q_OBJECT
public:
    explicit Reconnector(ClientSession *session, QObject *parent = nullptr);
    ~Reconnector() override;

    // What to log in with; call after each successful login by hand. Enables reconnecting.
    void setCredentials(const QString &host, quint16 port, const QString &user, const QString &password);
    void forgetCredentials();

    void setBackoff(int initialMs, int maxMs);
    // 0 … 0.5: each pause is varied at random by up to this fraction (default 0.2).
    void setJitter(double fraction) { m_jitter = qBound(0.0, fraction, 0.5); }
    // The pause before attempt n (1-based), without jitter.
    static int backoffDelay(int attempt, int initialMs, int maxMs);

    bool isActive() const { return m_active; }        // between a loss and the next login
    bool isWaiting() const { return m_timer.isActive(); }
    int attempt() const { return m_attempt; }
    // Milliseconds until the next attempt, or -1 when none is scheduled.
    int remainingMs() const { return m_timer.isActive() ? m_timer.remainingTime() : -1; }
    QStringList roomsToRejoin() const { return m_rooms; }

    // Tries at once (also after gaveUp()).
    void reconnectNow();
    // Stops trying (the user logs out or quits).
    void stop();

signals:
    void retryScheduled(int attempt, int delayMs);
    void attemptStarted(int attempt);
    void reconnected();
    void gaveUp(const QString &reason);
    void rejoinFailed(const QString &room, const QString &reason);

private:
    void onConnectionLost();
    void onStateChanged();
    void onLoggedIn();
    void onLoginFailed(ErrorCode code, const QString &message);
    void onRoomJoined(const JoinedRoom &room);
    void forgetRoom(const QString &room);
    void scheduleRetry();
    void attemptNow();

    QPointer<ClientSession> m_session;
    QString m_host;
    quint16 m_port = 0;
    QString m_user;
    QString m_password;
    QStringList m_rooms;            // joined, in joining order; kept across a loss
    QHash<quint64, QString> m_rejoins; // request id → room
    QTimer m_timer;
    int m_initialMs = 1000;
    int m_maxMs = 30000;
    double m_jitter = 0.2;
    int m_attempt = 0;
    bool m_active = false;     // reconnecting
    bool m_attempting = false; // an attempt's connection is under way
    bool m_blocked = false;    // the administrator ended the session: no automatic retry
};

} // namespace Confab
