// The Confab server core: accepts connections, logs people in, relays lobby messages and DMs.
// It owns no window; the admin window and --headless both drive this same object.
#pragma once

#include "accountstore.h"
#include "connection.h"
#include "banstore.h"
#include "ratelimiter.h"
#include "roomstore.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslCertificate>
#include <QSslConfiguration>

#include <deque>
#include <optional>
#include <utility>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTimer;
QT_END_NAMESPACE

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcServer)

class UdpListener;

struct ServerConfig {
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 65432;
    QString dataDir;                       // holds confab.sqlite
    int passwordIterations = PasswordHasher::DefaultIterations;
    int pingIntervalMs = Limits::DefaultPingIntervalMs;
    int idleTimeoutMs = Limits::DefaultIdleTimeoutMs;
    int loginTimeoutMs = 60 * 1000;        // a connection must log in within this time
    int pokeTimeoutMs = 60 * 1000;         // an unanswered poke expires after this time
    QString serverName = QStringLiteral("Confab");
    // Transports, on the same port number (docs/PROTOCOL-UDP.md §14); at least one must be on.
    bool serveTcp = true;
    bool serveUdp = true;
    int maxUdpSessions = 1024;             // UDP channels held at once, lingering ones included
    AbuseLimits limits;                    // rate and connection limits (ratelimiter.h, docs/SECURITY.md)
    // TLS for TCP (docs/SECURITY.md §5): both set, or neither. PEM files; read again by
    // ChatServer::reloadCertificate(). With TLS the TCP port accepts TLS only.
    QString tlsCertificateFile;
    QString tlsKeyFile;
    bool tlsEnabled() const { return !tlsCertificateFile.isEmpty() && !tlsKeyFile.isEmpty(); }
};

// One account or address an automatic limit is holding back or slowing down (the admin window's
// Limits tab lists them beside the administrator's bans).
struct LimitBlock {
    enum class Kind { Account, Address };
    Kind kind = Kind::Address;
    QString target;    // canonical account name, or an address as limitKey() writes it
    QString rule;      // the limit that was hit, in words
    QDateTime since;
    QDateTime until;
    bool heldBack = false; // an address refused outright until `until`
};

// What the server knows of one connection; public so observers (admin window) can list sessions.
struct SessionInfo {
    quint64 id = 0;
    QString user;                          // empty until logged in
    QHostAddress address;
    quint16 port = 0;
    QString transport;
    QDateTime connectedAt;
    QDateTime loggedInAt;
    Connection::Stats stats;
    int roundTripMs = -1;
    bool encrypted = false;                // TLS (TCP) or DTLS (UDP) handshake done
};

struct RoomInfo {
    QString name;
    QString owner;
    QString topic;
    QStringList members;
    QStringList bans;
};

// One frame seen by the traffic tap. Carries no payload, so no password or text can leak into it.
struct TrafficEvent {
    enum class Direction { In, Out };
    qint64 timeMs = 0;           // ms since the epoch
    Direction direction = Direction::In;
    quint64 sessionId = 0;
    QString user;                // empty before login
    QString peer;                // "address:port"
    QString transport;
    MessageType type = MessageType::Invalid;
    int bytes = 0;
};

// One listening endpoint, for observers (the admin window's overview).
struct ListenerInfo {
    QString transport;           // "tcp" or "udp"
    QHostAddress address;
    quint16 port = 0;            // the bound port; when not listening, the port it will reopen on
    bool listening = false;
};

struct ServerStats {
    QDateTime startedAt;
    quint64 messagesRelayed = 0; // lobby, DM and room posts accepted
    quint64 deliveries = 0;      // copies of those sent to recipients
    quint64 framesIn = 0, framesOut = 0, bytesIn = 0, bytesOut = 0;
    int sessions = 0, online = 0, accounts = 0, rooms = 0;
};

class ChatServer : public QObject
{
    Q_OBJECT
public:
    explicit ChatServer(ServerConfig config, QObject *parent = nullptr);
    ~ChatServer() override;

    // Opens the database and starts listening. On failure returns false with a readable reason.
    bool start(QString *error);
    bool isListening() const;
    quint16 tcpPort() const;
    // The UDP port (the TCP port's number when both are served); 0 when UDP is not served.
    quint16 udpPort() const;
    // The UDP side, for statistics; null when UDP is not served.
    const UdpListener *udpListener() const { return m_udpListener; }
    // Every transport the server offers, listening or not.
    QList<ListenerInfo> listeners() const;
    const ServerConfig &config() const { return m_config; }

    // Tells every client why, closes every connection, closes the database; emits stopped()
    // once every connection is gone (or after a short grace period).
    void shutdown(const QString &reason);

    AccountStore *accounts() { return &m_accounts; }
    QStringList onlineUsers() const;
    QList<SessionInfo> sessions() const;
    int connectionCount() const { return int(m_sessions.size()); }
    QList<RoomInfo> rooms() const;

    // Administrator actions (the admin window). They act with the server's authority, so they
    // work on any room and any member, the owner included. On failure they return false and say why.
    bool kickFromRoom(const QString &room, const QString &user, const QString &reason, QString *error = nullptr);
    bool banFromRoom(const QString &room, const QString &user, const QString &reason, QString *error = nullptr);
    bool unbanFromRoom(const QString &room, const QString &user, QString *error = nullptr);
    bool closeRoom(const QString &room, QString *error = nullptr);

    // Server-wide administration. Durations in ms; 0 means for good.
    bool setListening(bool listening, QString *error = nullptr);
    void announce(const QString &text);
    bool disconnectUser(const QString &user, const QString &reason, QString *error = nullptr);
    bool banAccount(const QString &user, qint64 durationMs, const QString &reason, QString *error = nullptr);
    bool banAddress(const QHostAddress &address, qint64 durationMs, const QString &reason, QString *error = nullptr);
    bool liftBan(ServerBan::Kind kind, const QString &target);
    QList<ServerBan> bans() const;
    bool deleteAccount(const QString &user, QString *error = nullptr);
    bool requirePasswordReset(const QString &user, QString *error = nullptr);
    ServerStats stats() const;
    // What the automatic limits hold back now (chatserver_limits.cpp), and lifting it: every block
    // of that target goes and its counters start afresh.
    // Moves the clock that rate windows and hold-backs are measured by forward, as if `ms` had
    // passed (tests: a window or a hold-back ends without waiting for it in real time).
    void advanceLimitClock(qint64 ms) { m_limitClockAdvanceMs += qMax<qint64>(0, ms); }
    QList<LimitBlock> limitBlocks() const;
    bool liftLimitBlock(LimitBlock::Kind kind, const QString &target);
    // Turns the per-frame traffic tap on or off for every connection, present and future.
    void setTrafficObserved(bool observed);
    bool isTrafficObserved() const { return m_trafficObserved; }

    // The name rooms show for actions taken by the administrator.
    static QString administratorName() { return QStringLiteral("server"); }

    // TLS (chatserver_transports.cpp). The certificate new TCP connections get, and its SHA-256
    // fingerprint as clients show it (tlsfingerprint.h); null/empty without TLS.
    bool isTlsEnabled() const { return m_tlsConfiguration.has_value(); }
    QSslCertificate tlsCertificate() const;
    QString tlsFingerprint() const { return m_tlsFingerprint; }

public slots:
    // Reads the configured certificate and key files again (SIGHUP, the admin window). New
    // connections get the new certificate; open ones keep theirs. A failed reload keeps the old
    // certificate. Emits tlsCertificateChanged() or tlsCertificateReloadFailed(), and logs either.
    bool reloadCertificate();

signals:
    void sessionOpened(quint64 sessionId);
    void userLoggedIn(const QString &user, quint64 sessionId);
    void userLoggedOut(const QString &user, const QString &reason);
    void sessionClosed(quint64 sessionId);
    void roomCreated(const QString &room);
    void roomClosed(const QString &room);
    void roomMembersChanged(const QString &room);
    void roomChanged(const QString &room); // topic or room bans changed
    void listeningChanged(bool listening);
    void bansChanged();
    void limitBlocksChanged();
    void trafficObserved(const Confab::TrafficEvent &event);
    void tlsCertificateChanged(const QString &fingerprint);
    void tlsCertificateReloadFailed(const QString &reason);
    void stopped();

private:
    struct Session;
    struct Room;
    enum class SessionState { AwaitingHello, AwaitingLogin, Authenticating, LoggedIn };

    void onNewConnection(qintptr descriptor);
    void expireLoginDeadlines();
    // Transports (chatserver_transports.cpp)
    bool openListeners(QString *error);
    bool loadTlsCredentials(QString *error);
    Connection *makeTcpConnection(qintptr descriptor);
    void closeDatabase();
    void updateAdvertisedTransports();
    QStringList servedTransports() const;
    void adoptConnection(Connection *connection);
    void onMessage(Session *session, const Message &message);
    void onDisconnected(Session *session);
    void endSession(Session *session, const QString &reason);

    void handleHello(Session *session, const Message &message);
    void handleLogin(Session *session, const Message &message);
    void finishLogin(quint64 sessionId, quint64 requestId, const QString &user, bool created, bool resetting,
                     const PasswordHash &stored, const QByteArray &derived);
    void handlePostLobby(Session *session, const Message &message);
    void handlePostDm(Session *session, const Message &message);
    void handleListUsers(Session *session, const Message &message);
    void handleQuit(Session *session, const Message &message);

    // Peer-to-peer rendezvous: poke and bridge (chatserver_rendezvous.cpp)
    // What one side of a direct chat offers: where it listens (if it does), whether it can chat
    // over UDP, and its certificate's fingerprint for an encrypted chat (empty: it cannot).
    struct DirectOffer {
        quint16 port = 0;
        quint16 udpPort = 0;     // 0: no UDP port to be reached on
        bool udp = false;        // can chat over UDP
        QString fingerprint;
    };
    struct PendingPoke {
        quint64 id = 0;
        quint64 fromSession = 0;
        quint64 fromRequest = 0;
        quint64 toSession = 0;
        DirectOffer offer;       // the asker's: it listens
    };
    struct BridgeWait {
        quint64 session = 0;
        quint64 request = 0;
        DirectOffer offer;
    };
    // Reads a Poke, PokeAnswer or Bridge's offer; answers BadField and returns nothing when invalid.
    std::optional<DirectOffer> readDirectOffer(Session *session, const Message &message, bool listens);
    bool dispatchRendezvousMessage(Session *session, const Message &message);
    void handlePoke(Session *session, const Message &message);
    void handlePokeAnswer(Session *session, const Message &message);
    void handleBridge(Session *session, const Message &message);
    void handleCancelBridge(Session *session, const Message &message);
    void expirePoke(quint64 pokeId);
    // Hands both sides each other's address, a one-time token and, when both offered one, the
    // other's certificate fingerprint; the listener waits on its TCP port, or on its UDP port
    // when both sessions are over UDP and both clients can chat over it.
    void pairPeers(Session *listener, quint64 listenerRequest, const DirectOffer &listenerOffer, Session *connector,
                   quint64 connectorRequest, quint64 pokeId, const DirectOffer &connectorOffer);
    void dropRendezvous(Session *session);

    // Rooms (chatserver_rooms.cpp)
    void loadRooms();
    bool dispatchRoomMessage(Session *session, const Message &message);
    Room *roomForRequest(Session *session, const Message &message, bool mustBeMember, bool mustBeOwner);
    void handleCreateRoom(Session *session, const Message &message);
    void handleJoinRoom(Session *session, const Message &message);
    void handleLeaveRoom(Session *session, const Message &message);
    void handleListRooms(Session *session, const Message &message);
    void handleListMembers(Session *session, const Message &message);
    void handlePostRoom(Session *session, const Message &message);
    void handleSetTopic(Session *session, const Message &message);
    void handleKick(Session *session, const Message &message);
    void handleBan(Session *session, const Message &message);
    void handleUnban(Session *session, const Message &message);
    void handleCloseRoom(Session *session, const Message &message);
    void addMember(Room *room, Session *session, quint64 re, bool created);
    // Takes a session out of a room; `toLeaver` goes to the leaver unless it is invalid.
    void removeMember(Room *room, Session *session, const Message &toOthers, const Message &toLeaver);
    int kickMember(Room *room, Session *target, const QString &by, const QString &reason);
    bool banUser(Room *room, const QString &user, const QString &by, const QString &reason, QString *error);
    void destroyRoom(Room *room, const QString &by);
    void leaveAllRooms(Session *session, const QString &reason);
    // Abuse limits (chatserver_limits.cpp)
    bool admitConnection(Session *session);
    void releaseConnection(Session *session);
    bool chargeMessage(Session *session);
    bool admitLogin(Session *session, const QString &account, quint64 requestId);
    void updateReceivingPaused(Session *session);
    void resumeAfterSlowDown(quint64 sessionId);
    void refuseConnection(Session *session, const QString &text, qint64 retryAfterMs);
    void holdBack(const QString &address, const QString &rule);
    // Records (or extends) a block; a new one is logged and announced. Returns true if new.
    bool noteBlock(LimitBlock::Kind kind, const QString &target, const QString &rule, qint64 untilMs, bool heldBack = false);
    qint64 heldBackUntil(const QString &address) const;
    qint64 limitNow() const { return m_limitClock.elapsed() + m_limitClockAdvanceMs; }
    void tapTraffic(Session *session);
    void endSessionByAdministrator(Session *session, const QString &reason, qint64 retryAfterMs);
    Message bannedError(const ServerBan &ban, quint64 re) const;
    int roomBroadcast(const Room *room, const Message &message, const Session *except);
    Room *findRoom(const QString &name) const;
    // Queues a RoomUpdated for everyone; changes within one coalescing interval send one frame.
    void markRoomChanged(Room *room);
    void flushRoomUpdates();
    static QStringList memberNames(const QList<Session *> &members);

    // Sends one encoded frame to every logged-in session except `except`; returns the count.
    int broadcast(const Message &message, const Session *except);
    Session *onlineSession(const QString &user) const;
    bool validText(Session *session, const Message &message);
    void maybeFinishShutdown();

    ServerConfig m_config;
    AccountStore m_accounts;
    QTcpServer *m_tcpServer = nullptr;
    UdpListener *m_udpListener = nullptr;
    std::optional<QSslConfiguration> m_tlsConfiguration; // set when TCP is served over TLS
    QString m_tlsFingerprint;
    QHash<quint64, Session *> m_sessions;          // every connection, by session id
    QHash<QString, Session *> m_online;            // logged-in sessions by canonical user name
    QHash<QString, quint64> m_loginsInProgress;    // canonical name → session id hashing a password
    QHash<QString, Room *> m_rooms;                // by canonical name
    RoomStore m_roomStore;
    BanStore m_banStore;
    ServerStats m_totals;                          // counters, plus frames/bytes of closed connections
    bool m_trafficObserved = false;
    QHash<quint64, PendingPoke> m_pokes;
    quint64 m_nextPokeId = 1;
    std::optional<BridgeWait> m_bridgeWait;        // the one user waiting to be paired, if any
    QSet<QString> m_changedRooms;                  // canonical names waiting for RoomUpdated
    QTimer *m_roomUpdateTimer = nullptr;
    struct BlockRecord {
        LimitBlock block;
        qint64 sinceMs = 0;
        qint64 untilMs = 0;
    };
    QElapsedTimer m_limitClock;                    // the limits' monotonic clock
    qint64 m_limitClockAdvanceMs = 0;              // advanceLimitClock()
    // Login deadlines, (ms on m_loginClock, session id) in arrival order; one timer for all.
    std::deque<std::pair<qint64, quint64>> m_loginDeadlines;
    QElapsedTimer m_loginClock;
    QTimer *m_loginTimer = nullptr;
    QHash<QString, int> m_connectionsByAddress;    // open connections per limitKey()
    SlidingWindowCounter m_connectionAttempts;     // per address
    SlidingWindowCounter m_loginsByAddress;
    SlidingWindowCounter m_loginsByAccount;
    QHash<QString, BlockRecord> m_blocks;          // by kind, target and rule
    qint64 m_lastUdpThrottleLog = -1;
    quint16 m_lastPort = 0;
    quint64 m_nextSessionId = 1;
    quint64 m_nextMessageId = 1;
    bool m_shuttingDown = false;
};

} // namespace Confab

Q_DECLARE_METATYPE(Confab::TrafficEvent)
