// The session a client holds with a Confab server: connect, Hello, Login, then commands and the
// events the server pushes, all as signals. Widgets and the terminal client observe this object;
// neither ever sees a socket or a frame.
//
// Lifecycle (state()):
//
//   Disconnected --connectToServer()--> Connecting --transport up--> Handshaking --Welcome--> LoggingIn
//   LoggingIn --LoginOk--> LoggedIn
//   LoggingIn --Error--> Connected (loginFailed(); call login() to retry, or quit())
//   any --quit()--> Closing --> Disconnected
//   any --connection ends, unasked--> Disconnected (after errorOccurred()/connectionLost())
//
// Every request method returns a local request id, and every id is answered exactly once, always
// asynchronously: delivered() or userListReceived() on success, requestFailed() otherwise (also
// when the session refuses to send, e.g. text too long or not logged in, and for every request
// still open when the connection ends, with ErrorCode::None).
//
// Transport (setTransport()): TCP, reliable UDP, or Auto. Auto first sends a UDP Probe (seed 002's
// PROBE) and waits up to probeTimeoutMs() for the answer: TCP when the server says it serves TCP,
// UDP when it serves only UDP, TCP when nobody answers (docs/PROTOCOL-UDP.md §15).
// transportChosen() / activeTransport() tell which one is in use.
//
// TLS (setTlsMode(), docs/PROTOCOL.md §10): over TCP the session can speak TLS, over UDP DTLS
// (PROTOCOL-UDP.md §17); the same rules hold for both. Hello, and so the
// password, is sent only once the handshake has succeeded and the server's certificate is
// trusted: it verifies against the system's certificate authorities, or its SHA-256 fingerprint
// is pinned for host:port in the known-servers file (KnownServers), or the user trusts it now.
// An unknown certificate pauses the attempt with serverCertificateNeedsTrust(); the UI answers
// with trustServerCertificate() (pinned, then the session connects again) or
// rejectServerCertificate(). A certificate that differs from the pinned one is refused:
// serverCertificateMismatch(), then errorOccurred(Error::UntrustedServer).
#pragma once

#include "connection.h"
#include "knownservers.h"
#include "protocol.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>
#include <QTimer>

#include <optional>

namespace Confab {

class UdpProbe;

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

// A room as the room list shows it.
struct RoomSummary {
    QString name;
    QString topic;
    QString owner;
    int memberCount = 0;
    bool joined = false; // this session is in it
    bool operator==(const RoomSummary &o) const
    {
        return name == o.name && topic == o.topic && owner == o.owner && memberCount == o.memberCount && joined == o.joined;
    }
    bool operator!=(const RoomSummary &o) const { return !(*this == o); }
};

// A room this session has just joined.
struct JoinedRoom {
    QString name;
    QString topic;
    QString owner;
    QStringList members;
};

// The server introduced us to a peer for a direct chat (an accepted poke, or a bridge pairing).
struct PeerIntroduction {
    quint64 requestId = 0;  // our Poke, PokeAnswer or Bridge request
    quint64 pokeId = 0;     // 0 for a bridge
    QString peer;           // the other user
    QString address;        // the peer's address as the server sees it
    quint16 port = 0;       // where to connect (when we connect)
    QString token;          // one-time proof both sides hold
    bool weListen = false;  // we asked, so we listen; otherwise we connect to address:port
    bool overUdp = false;   // the chat runs over reliable UDP (`port` is then a UDP port), else TCP
    QString peerFingerprint; // the peer's certificate (SHA-256, hex) when both can encrypt: TLS is then required
};

class ClientSession : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString userName READ userName NOTIFY loggedIn)
    Q_PROPERTY(int roundTripMs READ roundTripMs NOTIFY roundTripChanged)
    Q_PROPERTY(bool encrypted READ isEncrypted NOTIFY encryptionChanged)
    Q_PROPERTY(QString serverFingerprint READ serverFingerprint NOTIFY encryptionChanged)
public:
    enum class State {
        Disconnected,
        Connecting,  // probing (Auto), then the TCP connection or UDP handshake under way
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
        ConnectFailed, // the connection could not be made (refused, host not found, no UDP answer, ...)
        TimedOut,      // connecting, the handshake or the login took too long, or the server went silent
        ProtocolError, // the server sent something this client cannot read
        ConnectionLost,// the connection ended without quit()
        UntrustedServer, // TLS: the server's certificate was not trusted (changed, rejected, or unknown with nobody to ask)
    };
    Q_ENUM(Error)

    enum class TlsMode {
        Auto, // TLS when the server is known to speak it (pinned, or its probe answer says so);
              // without a probe answer, plain first and TLS if the server closes it unanswered
              // (over UDP: DTLS if the server answers the plain Hello with "DTLS only")
        On,   // TLS (DTLS) or nothing
        Off,  // plain
    };
    Q_ENUM(TlsMode)

    // How the server's certificate came to be trusted.
    enum class ServerTrust {
        None,                 // no TLS (or not yet)
        CertificateAuthority, // verified against the system's certificate authorities
        Pinned,               // matches the fingerprint pinned for host:port (or trusted just now)
    };
    Q_ENUM(ServerTrust)

    enum class Transport {
        Auto, // probe the server, then TCP when served, else UDP
        Tcp,
        Udp,
    };
    Q_ENUM(Transport)

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

    // Which transport the next connectToServer() uses (default Auto).
    void setTransport(Transport transport) { m_transport = transport; }
    Transport transport() const { return m_transport; }
    // The transport in use: Tcp or Udp once chosen (for Auto, after the probe), Auto before.
    Transport activeTransport() const { return m_activeTransport; }
    // How long Auto waits for the probe's answer (default UdpProbe::DefaultTimeoutMs, 1 s).
    void setProbeTimeout(int milliseconds) { m_probeTimeoutMs = milliseconds; }
    int probeTimeoutMs() const { return m_probeTimeoutMs; }
    // "auto", "tcp", "udp"
    static QString transportName(Transport transport);
    static std::optional<Transport> transportFromName(const QString &name);

    // TLS (DTLS over UDP) for the next connectToServer() (default Auto).
    void setTlsMode(TlsMode mode) { m_tlsMode = mode; }
    TlsMode tlsMode() const { return m_tlsMode; }
    // "auto", "on", "off"
    static QString tlsModeName(TlsMode mode);
    static std::optional<TlsMode> tlsModeFromName(const QString &name);
    // Where pins are kept (default KnownServers::defaultPath()).
    void setKnownServersFile(const QString &path) { m_knownServers = KnownServers(path); }
    QString knownServersFile() const { return m_knownServers.path(); }
    // A fingerprint the user vouched for beforehand (confab-cli --trust-fingerprint): a server
    // that presents it is trusted and pinned without asking; an unknown server presenting another
    // one is refused. Empty (the default): ask. Never overrides a different pinned fingerprint.
    void setTrustedFingerprint(const QString &fingerprint);
    // Certificate authorities trusted besides the system's (e.g. a company CA; tests).
    void addCaCertificates(const QList<QSslCertificate> &certificates) { m_extraCaCertificates += certificates; }

    // Whether the connection in use is TLS or DTLS (true from the handshake until it ends), the
    // server certificate's SHA-256 fingerprint, and how it was trusted.
    bool isEncrypted() const;
    // "TLS" (TCP) or "DTLS" (UDP): what encrypts, or would encrypt, the transport in use.
    QString encryptionName() const;
    QString serverFingerprint() const { return m_serverFingerprint; }
    ServerTrust serverTrust() const { return m_serverTrust; }
    // The server's certificate while encrypted (subject, issuer, validity for a details dialog).
    QSslCertificate serverCertificate() const { return m_serverCertificate; }
    // True between serverCertificateNeedsTrust() and the answer.
    bool isAwaitingTrust() const { return !m_fingerprintAwaitingTrust.isEmpty(); }

    // Connects, says Hello and logs in (creating the account if the name is new). Any previous
    // connection is dropped first.
    void connectToServer(const QString &host, quint16 port, const QString &user, const QString &password);
    // Tries another login on the same connection; only in state Connected (after loginFailed()).
    void login(const QString &user, const QString &password);
    // Says goodbye (when logged in) and closes the connection.
    void quit(const QString &reason = {});
    // Drops the connection at once, without a goodbye.
    void abort();

public slots:
    // Answers serverCertificateNeedsTrust(): pins `fingerprint` for host:port in the known-servers
    // file and connects again (the same credentials). Ignored unless it is the fingerprint asked about.
    void trustServerCertificate(const QString &fingerprint);
    // Answers serverCertificateNeedsTrust() with no: the attempt ends (errorOccurred(UntrustedServer)).
    void rejectServerCertificate();

public:

    quint64 sendLobbyMessage(const QString &text);
    quint64 sendDirectMessage(const QString &user, const QString &text);
    quint64 requestUserList();

    // Rooms. A leading '#' on a room name is dropped. Each returns a request id answered once:
    // by roomJoined / roomLeft / roomListReceived / memberListReceived / delivered /
    // requestSucceeded, or by requestFailed.
    quint64 createRoom(const QString &room, const QString &topic = {});
    quint64 joinRoom(const QString &room);
    quint64 leaveRoom(const QString &room);
    quint64 requestRoomList();
    quint64 requestMemberList(const QString &room);
    quint64 sendRoomMessage(const QString &room, const QString &text);
    quint64 setRoomTopic(const QString &room, const QString &topic);
    // An empty user kicks every member but the owner (seed 001's $kick).
    quint64 kickFromRoom(const QString &room, const QString &user = {}, const QString &reason = {});
    quint64 banFromRoom(const QString &room, const QString &user, const QString &reason = {});
    quint64 unbanFromRoom(const QString &room, const QString &user);
    quint64 closeRoom(const QString &room);
    // The rooms this session is in, as the server spells them, in joining order.
    QStringList joinedRooms() const { return m_joinedRooms; }
    bool isInRoom(const QString &room) const;
    // "#dev" → "dev"
    static QString roomName(const QString &input);

    // Peer-to-peer rendezvous (PeerChats drives these and owns the sockets). `listenPort` is
    // where this client will wait for the peer to connect over TCP; `udpListenPort` (0: none) where
    // it waits over reliable UDP, which the server picks when both users are logged in over UDP.
    enum class PeerTransports { Tcp, TcpAndUdp }; // what this client can run a direct chat over
    // `fingerprint`: our peer certificate's, offered for an encrypted chat (empty: none).
    quint64 poke(const QString &user, quint16 listenPort, quint16 udpListenPort = 0, const QString &fingerprint = {});
    quint64 acceptPoke(quint64 pokeId, PeerTransports transports = PeerTransports::Tcp, const QString &fingerprint = {});
    quint64 declinePoke(quint64 pokeId);
    quint64 requestBridge(quint16 listenPort, quint16 udpListenPort = 0, const QString &fingerprint = {});
    quint64 cancelBridge();

    // A readable (translated) sentence for a server error code.
    static QString describeError(ErrorCode code);

signals:
    void stateChanged(Confab::ClientSession::State state);
    // The transport this connection attempt uses (Tcp or Udp), once decided.
    void transportChosen(Confab::ClientSession::Transport transport);
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

    // Rooms
    void roomJoined(const Confab::JoinedRoom &room, bool created);
    void roomLeft(const QString &room, const QString &reason);
    void kickedFromRoom(const QString &room, const QString &by, const QString &reason);
    // A room this session was in was closed (by its owner or the administrator).
    void roomClosed(const QString &room, const QString &by);
    // For room lists: a room was created or changed, or removed, anywhere on the server.
    void roomUpdated(const Confab::RoomSummary &room);
    void roomRemoved(const QString &room);
    void roomListReceived(const QList<Confab::RoomSummary> &rooms);
    void memberListReceived(const QString &room, const QString &owner, const QStringList &members);
    void roomMessageReceived(const QString &room, const QString &from, const QString &text, const QDateTime &timestamp);
    void memberJoined(const QString &room, const QString &user);
    void memberLeft(const QString &room, const QString &user, const QString &reason);
    void memberKicked(const QString &room, const QString &user, const QString &by, const QString &reason);
    void topicChanged(const QString &room, const QString &topic, const QString &by);
    // Rendezvous: someone pokes us; we were introduced to a peer; a poke or bridge came to
    // nothing (declined, expired, cancelled, the other left). requestId is 0 for an incoming poke
    // that expired or was withdrawn.
    void pokeReceived(quint64 pokeId, const QString &from);
    void peerIntroduced(const Confab::PeerIntroduction &introduction);
    void pokeRefused(quint64 requestId, quint64 pokeId, const QString &reason);

    // A request with nothing else to report succeeded (topic, kick: count removed, ban, unban, close).
    void requestSucceeded(quint64 requestId, int count);

    void serverShutdown(const QString &reason);
    // The server's administrator ended this session; the connection closes next.
    void sessionEnded(const QString &reason, const QString &by);
    void noticeReceived(const QString &text, const QDateTime &timestamp);

    // code is the server's for Error::ServerError, ErrorCode::None otherwise.
    void errorOccurred(Confab::ClientSession::Error error, Confab::ErrorCode code, const QString &message);
    // The connection ended without quit()/abort() (it had been established); emitted just before
    // the state becomes Disconnected.
    void connectionLost(const QString &reason);
    void roundTripChanged(int milliseconds);

    // TLS. The handshake finished (encrypted) or the encrypted connection ended.
    void encryptionChanged(bool encrypted, const QString &fingerprint);
    // The server presented a certificate no authority vouches for and host:port has no pin yet:
    // show the fingerprint, then call trustServerCertificate() or rejectServerCertificate(). The
    // attempt waits (its connection is closed meanwhile; nothing, no password, has been sent).
    // With no slot connected the certificate is rejected at once.
    void serverCertificateNeedsTrust(const QString &fingerprint, const QString &host, quint16 port);
    // The server presented a certificate other than the one pinned for host:port: refused.
    // errorOccurred(UntrustedServer) follows with the same facts in words.
    void serverCertificateMismatch(const QString &host, quint16 port, const QString &pinnedFingerprint,
                                   const QString &presentedFingerprint, const QString &knownServersFile);
    // A certificate was pinned (trustServerCertificate() or a matching trusted fingerprint).
    void serverCertificatePinned(const QString &fingerprint, const QString &knownServersFile);

private:
    void setState(State state);
    void startPhaseTimer(int milliseconds);
    quint64 nextRequestId() { return m_nextRequestId++; }
    quint64 refuse(ErrorCode code, const QString &message);
    bool checkText(const QString &text, quint64 *refusedId);

    void startConnection(Transport transport);
    bool useTls(Transport transport) const;
    void onEncryptionRequired();
    QSslConfiguration clientTlsConfiguration() const;
    void onSslErrors(const QList<QSslError> &errors);
    void onHandshakeFailed(const QString &reason);
    void detachConnection();
    void clearEncryption();
    void failUntrusted(const QString &message);
    void onProbeAnswered(quint16 transports);
    void cancelProbe();
    void onConnected();
    void onMessage(const Message &message);
    void onInvalidMessage(ErrorCode code, const QString &detail, quint64 requestId);
    void onProtocolError(ErrorCode code, const QString &detail);
    void onConnectFailed(const QString &reason);
    void onTimedOut();
    void onDisconnected();
    void onConnectionDisconnected();
    void onPhaseTimeout();

    void handleWelcome(const Message &message);
    void handleLoginOk(const Message &message);
    void handleError(const Message &message);
    void handleDelivered(const Message &message);
    void handleUserList(const Message &message);

    void sendLogin();
    // Sends a room request after the common checks; returns the id (or a refused one).
    quint64 sendRoomRequest(const Message &message);
    quint64 sendRequest(Message message, MessageType kind);
    bool dispatchRoomMessage(const Message &message);
    bool dispatchRendezvousMessage(const Message &message);
    bool forgetRoom(const QString &room);
    void failAllPending(const QString &message);
    void dropConnection(const QString &reason);

    State m_state = State::Disconnected;
    QPointer<Connection> m_connection;
    QPointer<UdpProbe> m_probe;  // Auto: asking the server which transports it serves
    Transport m_transport = Transport::Auto;
    Transport m_activeTransport = Transport::Auto;
    int m_probeTimeoutMs = 1000;
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
    QStringList m_joinedRooms;
    QString m_endReason;  // why the connection is ending, when we learnt it before it ended
    bool m_established = false;  // the transport came up (so an unasked end is a "lost" connection)
    bool m_endReported = false;  // errorOccurred() already told why the connection attempt failed
    QTimer m_phaseTimer;
    QTimer m_closeTimer;

    // TLS
    enum class CertificateVerdict { None, NeedsTrust, Mismatch, NotTheTrustedOne };
    TlsMode m_tlsMode = TlsMode::Auto;
    KnownServers m_knownServers;
    QString m_trustedFingerprint;        // setTrustedFingerprint()
    QString m_trustedNow;                // trustServerCertificate() this attempt (also if pinning failed)
    QList<QSslCertificate> m_extraCaCertificates;
    std::optional<quint16> m_probedTransports; // Auto transport: the probe's answer, when it came
    bool m_tlsAfterPlain = false;        // Auto TLS: the server turned plain TCP away; TLS this attempt
    bool m_tlsRetryAllowed = false;      // the plain connection in use may be retried over TLS
    bool m_tlsAttempt = false;           // the connection in use tries TLS
    CertificateVerdict m_verdict = CertificateVerdict::None;
    QString m_presentedFingerprint;      // during the handshake
    QString m_pinnedFingerprint;         // the pin it was compared with
    QString m_fingerprintAwaitingTrust;
    QString m_serverFingerprint;         // while encrypted
    QSslCertificate m_serverCertificate;
    ServerTrust m_serverTrust = ServerTrust::None;
};

} // namespace Confab

Q_DECLARE_METATYPE(Confab::OnlineUser)
