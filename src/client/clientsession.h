// The session a client holds with a Confab server: connect, Hello, Login, then commands and the
// events the server pushes, all as signals. Widgets and the terminal client observe this object;
// neither ever sees a socket or a frame.
//
// Lifecycle (state()):
//
//   Disconnected --connectToServer()--> Connecting --TCP up--> Handshaking --Welcome--> LoggingIn
//   LoggingIn --LoginOk--> LoggedIn
//   LoggingIn --Error--> Connected (loginFailed(); call login() to retry, or quit())
//   any --quit()--> Closing --> Disconnected
//   any --connection ends, unasked--> Disconnected (after errorOccurred()/connectionLost())
//
// Every request method returns a local request id, and every id is answered exactly once, always
// asynchronously: delivered() or userListReceived() on success, requestFailed() otherwise (also
// when the session refuses to send, e.g. text too long or not logged in, and for every request
// still open when the connection ends, with ErrorCode::None).
#pragma once

#include "connection.h"
#include "protocol.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcClient)

// One logged-in user as the server reports it.
struct OnlineUser {
    QString name;      // display name
    QDateTime since;   // when the session logged in
    QString transport; // "tcp" or "udp"

    bool operator==(const OnlineUser &other) const
    {
        return name == other.name && since == other.since && transport == other.transport;
    }
    bool operator!=(const OnlineUser &other) const { return !(*this == other); }
};

class ClientSession : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString userName READ userName NOTIFY loggedIn)
    Q_PROPERTY(int roundTripMs READ roundTripMs NOTIFY roundTripChanged)
public:
    enum class State {
        Disconnected,
        Connecting,  // TCP connection under way
        Handshaking, // Hello sent, waiting for Welcome
        Connected,   // Welcome received, not logged in (after a failed login)
        LoggingIn,   // Login sent; the server hashes the password (can take a while)
        LoggedIn,
        Closing,     // quit() called; waiting for the connection to close
    };
    Q_ENUM(State)

    // Which layer an errorOccurred() comes from.
    enum class Error {
        ServerError,   // an Error frame from the server; the ErrorCode says which
        ConnectFailed, // the TCP connection could not be made (refused, host not found, ...)
        TimedOut,      // connecting, the handshake or the login took too long, or the server went silent
        ProtocolError, // the server sent something this client cannot read
        ConnectionLost,// the connection ended without quit()
    };
    Q_ENUM(Error)

    explicit ClientSession(QObject *parent = nullptr);
    ~ClientSession() override;

    State state() const { return m_state; }
    bool isLoggedIn() const { return m_state == State::LoggedIn; }
    // The display name the server confirmed at login (empty before).
    QString userName() const { return m_user; }
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    // The server's name from Welcome.
    QString serverName() const { return m_serverName; }
    // Latest ping round trip, -1 until one was measured.
    int roundTripMs() const { return m_roundTripMs; }
    // Requests sent (or refused) and not answered yet.
    int pendingRequestCount() const { return int(m_pending.size()); }
    // The transport, for statistics; null before the first connectToServer().
    Connection *connection() const { return m_connection; }

    // Sent in Hello as "agent", e.g. "confab-cli/0.1.0".
    void setAgent(const QString &agent) { m_agent = agent; }
    QString agent() const { return m_agent; }
    // Applied to every new connection (defaults 15 s / 45 s).
    void setKeepalive(int pingIntervalMs, int idleTimeoutMs);
    // How long connecting plus the handshake may take (default 30 s), and the login (default 60 s:
    // the server's password hashing is deliberately slow).
    void setConnectTimeout(int milliseconds) { m_connectTimeoutMs = milliseconds; }
    void setLoginTimeout(int milliseconds) { m_loginTimeoutMs = milliseconds; }

    // Connects, says Hello and logs in (creating the account if the name is new). Any previous
    // connection is dropped first.
    void connectToServer(const QString &host, quint16 port, const QString &user, const QString &password);
    // Tries another login on the same connection; only in state Connected (after loginFailed()).
    void login(const QString &user, const QString &password);
    // Says goodbye (when logged in) and closes the connection.
    void quit(const QString &reason = {});
    // Drops the connection at once, without a goodbye.
    void abort();

    quint64 sendLobbyMessage(const QString &text);
    quint64 sendDirectMessage(const QString &user, const QString &text);
    quint64 requestUserList();

    // A readable (translated) sentence for a server error code.
    static QString describeError(ErrorCode code);

signals:
    void stateChanged(Confab::ClientSession::State state);
    void loggedIn(const QString &user, bool created);
    void loginFailed(Confab::ErrorCode code, const QString &message);

    void lobbyMessageReceived(const QString &from, const QString &text, const QDateTime &timestamp);
    void directMessageReceived(const QString &from, const QString &to, const QString &text,
                               const QDateTime &timestamp);
    // count: how many other sessions received it (1 for a DM). timestamp: the server's.
    void delivered(quint64 requestId, int count, const QDateTime &timestamp);
    void requestFailed(quint64 requestId, Confab::ErrorCode code, const QString &message);

    // Also sent once, unasked, right after login.
    void userListReceived(const QList<Confab::OnlineUser> &users);
    void userJoined(const Confab::OnlineUser &user);
    void userLeft(const QString &user, const QString &reason);

    void serverShutdown(const QString &reason);
    void noticeReceived(const QString &text, const QDateTime &timestamp);

    // code is the server's for Error::ServerError, ErrorCode::None otherwise.
    void errorOccurred(Confab::ClientSession::Error error, Confab::ErrorCode code, const QString &message);
    // The connection ended without quit()/abort() (it had been established); emitted just before
    // the state becomes Disconnected.
    void connectionLost(const QString &reason);
    void roundTripChanged(int milliseconds);

private:
    void setState(State state);
    void startPhaseTimer(int milliseconds);
    quint64 nextRequestId() { return m_nextRequestId++; }
    quint64 refuse(ErrorCode code, const QString &message);
    bool checkText(const QString &text, quint64 *refusedId);

    void onConnected();
    void onMessage(const Message &message);
    void onInvalidMessage(ErrorCode code, const QString &detail, quint64 requestId);
    void onProtocolError(ErrorCode code, const QString &detail);
    void onConnectFailed(const QString &reason);
    void onTimedOut();
    void onDisconnected();
    void onPhaseTimeout();

    void handleWelcome(const Message &message);
    void handleLoginOk(const Message &message);
    void handleError(const Message &message);
    void handleDelivered(const Message &message);
    void handleUserList(const Message &message);

    void sendLogin();
    void failAllPending(const QString &message);
    void dropConnection(const QString &reason);

    State m_state = State::Disconnected;
    QPointer<Connection> m_connection;
    QString m_agent;
    QString m_host;
    quint16 m_port = 0;
    QString m_user;       // as given, then as the server confirmed it
    QString m_password;   // kept only until the login is answered
    QString m_serverName;
    int m_maxTextBytes = Limits::MaxTextBytes;
    int m_pingIntervalMs = 15000;
    int m_idleTimeoutMs = 45000;
    int m_connectTimeoutMs = 30000;
    int m_loginTimeoutMs = 60000;
    int m_roundTripMs = -1;
    quint64 m_nextRequestId = 1;
    quint64 m_loginRequestId = 0;
    QHash<quint64, MessageType> m_pending; // request id → what was asked
    QString m_endReason;  // why the connection is ending, when we learnt it before it ended
    bool m_established = false;  // the transport came up (so an unasked end is a "lost" connection)
    bool m_endReported = false;  // errorOccurred() already told why the connection attempt failed
    QTimer m_phaseTimer;
    QTimer m_closeTimer;
};

} // namespace Confab

Q_DECLARE_METATYPE(Confab::OnlineUser)
