// confab-cli: a line-oriented terminal client on top of ClientSession.
//
// Each stdin line is a command (CommandParser) or a message to the current conversation (the
// lobby, the room last joined, or what /go chose); every event is printed as one line
// "[HH:mm:ss] [conversation] ..." on stdout, the conversation being lobby, #room, @user or server. stdin is watched by a QSocketNotifier and read only when it is
// readable, so the event loop never waits on it (works for terminals, pipes and files alike).
// At EOF (or /quit) the runner waits until every request it sent is answered, then says Quit.
#pragma once

#include "clientsession.h"
#include "commandparser.h"
#include "peerchats.h"
#include "terminal.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcCli)

struct CliOptions {
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 65432;
    QString user;
    QString password;
    bool verbose = false;
    ClientSession::Transport transport = ClientSession::Transport::Auto; // --transport
    ClientSession::TlsMode tls = ClientSession::TlsMode::Auto;          // --tls
    QString trustFingerprint;                                           // --trust-fingerprint
};

class CliRunner : public QObject
{
    Q_OBJECT
public:
    enum ExitCode {
        ExitOk = 0,             // /quit, or EOF after every confirmation arrived
        ExitLoginFailed = 1,
        ExitConnectionLost = 2, // could not connect, connection lost, server shut down
        ExitUsage = 3,
    };
    Q_ENUM(ExitCode)

    // Call first in main(): reopens any of stdin/stdout/stderr that is closed onto /dev/null.
    static void ensureStandardStreams();

    // Reads the command line, the password (--password-file, CONFAB_PASSWORD, or a prompt without
    // echo on the terminal) and, when missing, the user name (prompt). Returns false when the
    // program should end now with *exitCode (after --help, --version or a usage error, which it
    // has printed).
    static bool parseArguments(const QStringList &arguments, CliOptions *options, int *exitCode);

    explicit CliRunner(CliOptions options, QObject *parent = nullptr);
    ~CliRunner() override;

    void start();
    ClientSession *session() { return &m_session; }

signals:
    void finished(int exitCode);

private:
    enum class RequestKind { Lobby, Direct, Room, Join, Action };
    struct Request {
        RequestKind kind = RequestKind::Lobby;
        QString conversation; // label of the conversation the answer is printed in
        QString target;       // user (DM) or room
        QString text;         // the message sent; for actions, what to print on success ("%n": count)
    };

    // Every line names its conversation: "lobby", "#room", "@user" (DMs) or "server".
    static QString lobbyLabel();
    static QString serverLabel();
    static QString roomLabel(const QString &room);
    static QString dmLabel(const QString &user);

    void print(const QString &conversation, const QString &text, const QDateTime &time = QDateTime::currentDateTime());
    void printPlain(const QString &text);

    void startReadingInput();
    void stopReadingInput();
    void onInputReadable();
    void handleLine(const QString &line);
    void sendText(const QString &text);
    void switchConversation(const QString &target);
    void handleRoomCommand(const Command &command);
    QString currentRoom() const;
    QString roomFor(const Command &command, int argument);
    void fallBackToLobby(const QString &room);
    void track(quint64 id, Request request);
    // Peer-to-peer (clirunner_p2p.cpp)
    static QString directLabel(const QString &peer);
    void setUpPeerChats();
    void handlePeerCommand(const Command &command);
    quint64 pokeFrom(const QString &user) const;
    void onDirectChatStarted(DirectChat *chat, const QString &peer);
    void onInputEnded();
    void maybeLeave();

    void onLoggedIn(const QString &user, bool created);
    void onLoginFailed(ErrorCode code, const QString &message);
    void onDelivered(quint64 requestId, int count, const QDateTime &timestamp);
    void onRequestFailed(quint64 requestId, ErrorCode code, const QString &message);
    void onRequestSucceeded(quint64 requestId, int count);
    void onStateChanged(ClientSession::State state);
    // TLS: asks on the terminal whether to trust an unknown certificate (or refuses without one).
    void onCertificateNeedsTrust(const QString &fingerprint, const QString &host, quint16 port);

    CliOptions m_options;
    ClientSession m_session;
    CommandParser m_parser;
    QSocketNotifier *m_input = nullptr;
    QByteArray m_inputBuffer;
    QHash<quint64, Request> m_requests;
    QString m_current;             // where plain lines go: lobbyLabel(), "#room" or "@user"
    QHash<QString, QString> m_topics; // lower-case room name → last known topic
    PeerChats m_peers{&m_session};
    QHash<QString, QPointer<DirectChat>> m_directChats; // lower-case peer → live chat
    QList<quint64> m_pokeOrder;       // incoming pokes, oldest first
    bool m_inputEnded = false;
    bool m_quitRequested = false;
    bool m_leaving = false;
    bool m_finished = false;
    bool m_shutdownAnnounced = false;
    QString m_quitReason;
    int m_exitCode = ExitConnectionLost;
    QTimer m_drainTimer;
    TerminalQuestion m_trustQuestion;
    QString m_pendingFingerprint; // asked about on the terminal
};

} // namespace Confab
