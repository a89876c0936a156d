#include "clirunner.h"
#include "terminal.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace Confab {

Q_LOGGING_CATEGORY(lcCli, "confab.cli")

namespace {

constexpr qsizetype MaxBufferedInput = 1024 * 1024; // a "line" longer than this is cut here
constexpr int DrainTimeoutMs = 60 * 1000;           // how long EOF/quit waits for confirmations

} // namespace

CliRunner::CliRunner(CliOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_current(lobbyLabel())
{
    m_session.setAgent(QStringLiteral("confab-cli/%1").arg(QCoreApplication::applicationVersion()));
    m_session.setKeepalive(15000, 45000);

    connect(&m_session, &ClientSession::stateChanged, this, &CliRunner::onStateChanged);
    connect(&m_session, &ClientSession::loggedIn, this, &CliRunner::onLoggedIn);
    connect(&m_session, &ClientSession::loginFailed, this, &CliRunner::onLoginFailed);
    connect(&m_session, &ClientSession::delivered, this, &CliRunner::onDelivered);
    connect(&m_session, &ClientSession::requestFailed, this, &CliRunner::onRequestFailed);
    connect(&m_session, &ClientSession::requestSucceeded, this, &CliRunner::onRequestSucceeded);
    connect(&m_session, &ClientSession::lobbyMessageReceived, this,
            [this](const QString &from, const QString &text, const QDateTime &time) {
                print(lobbyLabel(), QStringLiteral("<%1> %2").arg(from, printable(text)), time);
            });
    connect(&m_session, &ClientSession::directMessageReceived, this,
            [this](const QString &from, const QString &, const QString &text, const QDateTime &time) {
                print(dmLabel(from), tr("<- %1 (DM): %2").arg(from, printable(text)), time);
            });
    connect(&m_session, &ClientSession::roomMessageReceived, this,
            [this](const QString &room, const QString &from, const QString &text, const QDateTime &time) {
                print(roomLabel(room), QStringLiteral("<%1> %2").arg(from, printable(text)), time);
            });
    connect(&m_session, &ClientSession::userListReceived, this, [this](const QList<OnlineUser> &users) {
        QStringList names;
        for (const OnlineUser &user : users)
            names << user.name;
        print(serverLabel(), tr("* online (%1): %2").arg(users.size()).arg(names.join(QStringLiteral(", "))));
        maybeLeave();
    });
    connect(&m_session, &ClientSession::userJoined, this, [this](const OnlineUser &user) {
        print(lobbyLabel(), tr("* %1 joined").arg(user.name));
    });
    connect(&m_session, &ClientSession::userLeft, this, [this](const QString &user, const QString &reason) {
        print(lobbyLabel(), reason.isEmpty() ? tr("* %1 left").arg(user) : tr("* %1 left (%2)").arg(user, printable(reason)));
    });
    connect(&m_session, &ClientSession::roomJoined, this, [this](const JoinedRoom &room, bool created) {
        if (m_current.compare(roomLabel(room.name), Qt::CaseInsensitive) == 0)
            m_current = roomLabel(room.name); // the server's spelling
        print(roomLabel(room.name), created ? tr("* you created %1 and joined it").arg(roomLabel(room.name))
                                 : tr("* you joined (members: %1)")
                                       .arg(room.members.join(QStringLiteral(", "))));
        if (!room.topic.isEmpty())
            print(roomLabel(room.name), tr("* topic: %1").arg(printable(room.topic)));
        m_topics.insert(room.name.toLower(), room.topic);
        maybeLeave();
    });
    connect(&m_session, &ClientSession::roomLeft, this, [this](const QString &room) {
        print(roomLabel(room), tr("* you left"));
        fallBackToLobby(room);
        maybeLeave();
    });
    connect(&m_session, &ClientSession::kickedFromRoom, this, [this](const QString &room, const QString &by, const QString &reason) {
        print(roomLabel(room), reason.isEmpty() ? tr("! %1 kicked you out").arg(by)
                                                : tr("! %1 kicked you out: %2").arg(by, printable(reason)));
        fallBackToLobby(room);
    });
    connect(&m_session, &ClientSession::roomClosed, this, [this](const QString &room, const QString &by) {
        print(roomLabel(room), tr("! %1 closed the room").arg(by));
        fallBackToLobby(room);
    });
    connect(&m_session, &ClientSession::memberJoined, this, [this](const QString &room, const QString &user) {
        print(roomLabel(room), tr("* %1 joined the room").arg(user));
    });
    connect(&m_session, &ClientSession::memberLeft, this, [this](const QString &room, const QString &user, const QString &reason) {
        print(roomLabel(room), reason.isEmpty() ? tr("* %1 left the room").arg(user)
                                                : tr("* %1 left the room (%2)").arg(user, printable(reason)));
    });
    connect(&m_session, &ClientSession::memberKicked, this,
            [this](const QString &room, const QString &user, const QString &by, const QString &reason) {
                print(roomLabel(room), reason.isEmpty() ? tr("* %1 kicked %2").arg(by, user)
                                                        : tr("* %1 kicked %2: %3").arg(by, user, printable(reason)));
            });
    connect(&m_session, &ClientSession::topicChanged, this, [this](const QString &room, const QString &topic, const QString &by) {
        m_topics.insert(room.toLower(), topic);
        print(roomLabel(room), tr("* %1 set the topic: %2").arg(by, printable(topic)));
    });
    connect(&m_session, &ClientSession::roomListReceived, this, [this](const QList<RoomSummary> &rooms) {
        if (rooms.isEmpty())
            print(serverLabel(), tr("* no rooms yet; create one with /create <room>"));
        for (const RoomSummary &room : rooms) {
            m_topics.insert(room.name.toLower(), room.topic);
            print(serverLabel(), tr("* %1%2 — %n member(s), owner %3%4", nullptr, room.memberCount)
                                     .arg(roomLabel(room.name), room.joined ? tr(" (joined)") : QString(), room.owner,
                                          room.topic.isEmpty() ? QString() : tr(": %1").arg(printable(room.topic))));
        }
        maybeLeave();
    });
    connect(&m_session, &ClientSession::memberListReceived, this,
            [this](const QString &room, const QString &owner, const QStringList &members) {
                print(roomLabel(room), tr("* members (%1): %2; owner %3")
                                           .arg(members.size()).arg(members.join(QStringLiteral(", ")), owner));
                maybeLeave();
            });
    connect(&m_session, &ClientSession::noticeReceived, this, [this](const QString &text, const QDateTime &time) {
        print(serverLabel(), tr("* notice: %1").arg(printable(text)), time);
    });
    connect(&m_session, &ClientSession::serverShutdown, this, [this](const QString &reason) {
        m_shutdownAnnounced = true;
        print(serverLabel(), reason.isEmpty() ? tr("! the server is shutting down")
                                              : tr("! the server is shutting down: %1").arg(printable(reason)));
    });
    connect(&m_session, &ClientSession::sessionEnded, this, [this](const QString &reason) {
        m_shutdownAnnounced = true;
        print(serverLabel(), reason.isEmpty() ? tr("! the server's administrator ended your session")
                                              : tr("! the server's administrator ended your session: %1").arg(printable(reason)));
    });
    connect(&m_session, &ClientSession::errorOccurred, this,
            [this](ClientSession::Error, ErrorCode, const QString &message) {
                print(serverLabel(), QStringLiteral("! ") + printable(message));
            });
    connect(&m_session, &ClientSession::connectionLost, this, [this](const QString &reason) {
        print(serverLabel(), m_shutdownAnnounced ? tr("! disconnected by the server")
                                                 : tr("! connection lost: %1").arg(printable(reason)));
    });

    connect(&m_session, &ClientSession::serverCertificateNeedsTrust, this, &CliRunner::onCertificateNeedsTrust);
    connect(&m_session, &ClientSession::serverCertificatePinned, this, [this](const QString &fingerprint, const QString &file) {
        print(serverLabel(), tr("* remembered the server's certificate %1 in %2").arg(fingerprint, file));
    });
    connect(&m_session, &ClientSession::serverCertificateMismatch, this,
            [](const QString &host, quint16 port, const QString &pinned, const QString &presented, const QString &file) {
                writeStderr(tr("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                               "@  WARNING: THE SERVER'S TLS CERTIFICATE HAS CHANGED!          @\n"
                               "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
                               "Someone may be intercepting your connection to %1:%2, or its\n"
                               "administrator replaced the certificate. Nothing was sent.\n"
                               "  trusted before: %3\n"
                               "  presented now:  %4\n"
                               "Only if the administrator confirms the new fingerprint, delete the\n"
                               "line for %5 in %6 and connect again.")
                                .arg(host).arg(port)
                                .arg(pinned, presented, KnownServers::serverKey(host, port), file));
            });
    connect(&m_trustQuestion, &TerminalQuestion::answered, this, [this](const QString &answer) {
        const QString word = answer.trimmed().toLower();
        if (word == QLatin1String("yes") || word == QLatin1String("y"))
            m_session.trustServerCertificate(m_pendingFingerprint);
        else
            m_session.rejectServerCertificate();
    });
    connect(&m_trustQuestion, &TerminalQuestion::cancelled, &m_session, &ClientSession::rejectServerCertificate);

    setUpPeerChats();

    m_drainTimer.setSingleShot(true);
    connect(&m_drainTimer, &QTimer::timeout, this, [this] {
        print(serverLabel(), tr("! gave up waiting for %n answer(s) from the server", nullptr, m_session.pendingRequestCount()));
        m_exitCode = ExitConnectionLost;
        m_leaving = true;
        m_session.quit(m_quitReason);
    });
}

CliRunner::~CliRunner() = default;

QString CliRunner::lobbyLabel()
{
    return QStringLiteral("lobby");
}

QString CliRunner::serverLabel()
{
    return QStringLiteral("server");
}

QString CliRunner::roomLabel(const QString &room)
{
    return u'#' + ClientSession::roomName(room);
}

QString CliRunner::dmLabel(const QString &user)
{
    return u'@' + user;
}

void CliRunner::fallBackToLobby(const QString &room)
{
    if (m_current.compare(roomLabel(room), Qt::CaseInsensitive) != 0)
        return;
    m_current = lobbyLabel();
    print(m_current, tr("* plain lines now go to the lobby"));
}

void CliRunner::start()
{
    if (m_options.verbose)
        QLoggingCategory::setFilterRules(QStringLiteral("confab.*.debug=true"));
    else
        QLoggingCategory::setFilterRules(QStringLiteral("confab.*.debug=false\nconfab.*.info=false"));
    m_session.setTransport(m_options.transport);
    m_session.setTlsMode(m_options.tls);
    m_session.setTrustedFingerprint(m_options.trustFingerprint);
    m_session.connectToServer(m_options.host, m_options.port, m_options.user, m_options.password);
    m_options.password.fill(u'\0');
    m_options.password.clear();
}

void CliRunner::print(const QString &conversation, const QString &text, const QDateTime &time)
{
    writeStdout(QStringLiteral("[%1] [%2] %3")
                    .arg(time.toLocalTime().toString(QStringLiteral("HH:mm:ss")), conversation, text));
}

void CliRunner::printPlain(const QString &text)
{
    writeStdout(text);
}

void CliRunner::startReadingInput()
{
    if (m_input || m_inputEnded)
        return;
    m_input = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
    connect(m_input, &QSocketNotifier::activated, this, &CliRunner::onInputReadable);
}

void CliRunner::stopReadingInput()
{
    if (!m_input)
        return;
    m_input->setEnabled(false);
    m_input->deleteLater();
    m_input = nullptr;
}

void CliRunner::onInputReadable()
{
    // One read per wake-up: the notifier said it will not block.
    char chunk[64 * 1024];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        qCWarning(lcCli) << "reading stdin failed:" << strerror(errno);
    }
    if (n <= 0) {
        stopReadingInput();
        if (!m_inputBuffer.isEmpty()) {
            const QByteArray last = m_inputBuffer;
            m_inputBuffer.clear();
            handleLine(QString::fromUtf8(last));
        }
        onInputEnded();
        return;
    }
    m_inputBuffer.append(chunk, n);
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = m_inputBuffer.indexOf('\n', start);
        if (newline < 0)
            break;
        const QString line = QString::fromUtf8(m_inputBuffer.constData() + start, newline - start);
        start = newline + 1;
        handleLine(line);
        if (m_quitRequested) {
            stopReadingInput();
            break;
        }
    }
    m_inputBuffer.remove(0, start);
    if (m_inputBuffer.size() > MaxBufferedInput) {
        const QByteArray overlong = m_inputBuffer;
        m_inputBuffer.clear();
        handleLine(QString::fromUtf8(overlong));
    }
}

QString CliRunner::currentRoom() const
{
    return m_current.startsWith(u'#') ? m_current.mid(1) : QString();
}

// The room a room command acts on: the one named, else the current one; empty (after saying
// why) when there is none.
QString CliRunner::roomFor(const Command &command, int argument)
{
    const QString named = command.arg(argument);
    if (!named.isEmpty())
        return ClientSession::roomName(named);
    const QString room = currentRoom();
    if (room.isEmpty())
        print(m_current, tr("! no current room: name one, or choose one with /go #room"));
    return room;
}

void CliRunner::track(quint64 id, Request request)
{
    m_requests.insert(id, std::move(request));
}

void CliRunner::handleLine(const QString &line)
{
    if (m_quitRequested)
        return;
    const Command command = m_parser.parse(line);
    switch (command.kind) {
    case Command::Kind::None:
        return;
    case Command::Kind::Invalid:
        print(m_current, QStringLiteral("! ") + command.error);
        return;
    case Command::Kind::Help: {
        if (command.args.isEmpty()) {
            printPlain(m_parser.helpText());
            return;
        }
        const QString help = m_parser.helpText(command.arg(0));
        if (help.isEmpty())
            print(m_current, tr("! no such command: %1 (type /help for the list)").arg(command.arg(0)));
        else
            printPlain(help);
        return;
    }
    case Command::Kind::Text:
        sendText(command.arg(0));
        return;
    case Command::Kind::DirectMessage:
        track(m_session.sendDirectMessage(command.arg(0), command.arg(1)),
              {RequestKind::Direct, dmLabel(command.arg(0)), command.arg(0), command.arg(1)});
        return;
    case Command::Kind::ListUsers:
        m_session.requestUserList(); // answered by userListReceived() or requestFailed()
        return;
    case Command::Kind::Quit:
        m_quitRequested = true;
        m_quitReason = command.arg(0);
        maybeLeave();
        return;
    case Command::Kind::SwitchConversation:
        switchConversation(command.arg(0));
        return;
    case Command::Kind::Poke:
    case Command::Kind::AcceptPoke:
    case Command::Kind::DeclinePoke:
    case Command::Kind::Bridge:
    case Command::Kind::CancelBridge:
    case Command::Kind::Register:
        handlePeerCommand(command);
        return;
    default:
        handleRoomCommand(command);
        return;
    }
}

void CliRunner::sendText(const QString &text)
{
    if (m_current.startsWith(QLatin1String("direct:"))) {
        DirectChat *chat = m_directChats.value(m_current.mid(7).toLower());
        if (!chat || !chat->send(text))
            print(m_current, tr("! not sent: the direct chat has ended (/go lobby)"));
        return;
    }
    if (m_current.startsWith(u'#')) {
        const QString room = currentRoom();
        track(m_session.sendRoomMessage(room, text), {RequestKind::Room, m_current, room, text});
    } else if (m_current.startsWith(u'@')) {
        const QString user = m_current.mid(1);
        track(m_session.sendDirectMessage(user, text), {RequestKind::Direct, m_current, user, text});
    } else {
        track(m_session.sendLobbyMessage(text), {RequestKind::Lobby, m_current, QString(), text});
    }
}

void CliRunner::switchConversation(const QString &target)
{
    if (target.isEmpty()) {
        print(m_current, tr("* plain lines go here"));
        return;
    }
    if (target.compare(lobbyLabel(), Qt::CaseInsensitive) == 0) {
        m_current = lobbyLabel();
    } else if (target.startsWith(QLatin1String("direct:"), Qt::CaseInsensitive)) {
        if (!m_directChats.value(target.mid(7).toLower())) {
            print(m_current, tr("! no direct chat with %1").arg(target.mid(7)));
            return;
        }
        m_current = directLabel(target.mid(7));
    } else if (target.startsWith(u'@') && target.size() > 1) {
        m_current = target;
    } else {
        const QString room = ClientSession::roomName(target);
        const QStringList joined = m_session.joinedRooms();
        const auto it = std::find_if(joined.cbegin(), joined.cend(),
                                     [&room](const QString &r) { return r.compare(room, Qt::CaseInsensitive) == 0; });
        if (it == joined.cend()) {
            print(m_current, tr("! you are not in %1: /join it first").arg(roomLabel(room)));
            return;
        }
        m_current = roomLabel(*it);
    }
    print(m_current, tr("* plain lines now go here"));
}

void CliRunner::handleRoomCommand(const Command &command)
{
    QString room;
    switch (command.kind) {
    // Joining makes the room current at once, so lines typed (or piped) right after the join go
    // to it: the server handles a connection's requests in order. If the join is refused those
    // lines are refused too (and reported), and the lobby becomes current again. Leaving
    // switches back at once.
    case Command::Kind::CreateRoom:
    case Command::Kind::JoinRoom:
        room = ClientSession::roomName(command.arg(0));
        track(command.kind == Command::Kind::CreateRoom ? m_session.createRoom(room, command.arg(1)) : m_session.joinRoom(room),
              {RequestKind::Join, roomLabel(room), room, {}});
        m_current = roomLabel(room);
        return;
    case Command::Kind::LeaveRoom:
        if (command.args.isEmpty() && m_current.startsWith(QLatin1String("direct:"))) {
            if (DirectChat *chat = m_directChats.value(m_current.mid(7).toLower()))
                chat->close(); // the peer sees it end
            return;
        }
        if ((room = roomFor(command, 0)).isEmpty())
            return;
        track(m_session.leaveRoom(room), {RequestKind::Action, roomLabel(room), room, {}});
        if (m_current.compare(roomLabel(room), Qt::CaseInsensitive) == 0)
            m_current = lobbyLabel();
        return;
    case Command::Kind::ListRooms:
        track(m_session.requestRoomList(), {RequestKind::Action, serverLabel(), {}, {}});
        return;
    case Command::Kind::ListMembers:
        if (!(room = roomFor(command, 0)).isEmpty())
            track(m_session.requestMemberList(room), {RequestKind::Action, roomLabel(room), room, {}});
        return;
    case Command::Kind::SetTopic:
        if ((room = roomFor(command, -1)).isEmpty())
            return;
        if (command.args.isEmpty()) {
            const QString topic = m_topics.value(room.toLower());
            print(m_current, topic.isEmpty() ? tr("* no topic known; the owner sets one with /topic <text>")
                                             : tr("* topic: %1").arg(printable(topic)));
            return;
        }
        track(m_session.setRoomTopic(room, command.arg(0)), {RequestKind::Action, m_current, room, tr("topic set")});
        return;
    case Command::Kind::Kick:
        if ((room = roomFor(command, -1)).isEmpty())
            return;
        track(m_session.kickFromRoom(room, command.arg(0), command.arg(1)),
              {RequestKind::Action, m_current, room, command.args.isEmpty() ? tr("kicked everyone: %n member(s)")
                                                                            : tr("kicked %1").arg(command.arg(0))});
        return;
    case Command::Kind::Ban:
        if ((room = roomFor(command, -1)).isEmpty())
            return;
        track(m_session.banFromRoom(room, command.arg(0), command.arg(1)),
              {RequestKind::Action, m_current, room, tr("banned %1").arg(command.arg(0))});
        return;
    case Command::Kind::Unban:
        if ((room = roomFor(command, -1)).isEmpty())
            return;
        track(m_session.unbanFromRoom(room, command.arg(0)),
              {RequestKind::Action, m_current, room, tr("lifted %1's ban").arg(command.arg(0))});
        return;
    case Command::Kind::CloseRoom:
        if (!(room = roomFor(command, 0)).isEmpty())
            track(m_session.closeRoom(room), {RequestKind::Action, roomLabel(room), room, tr("room closed")});
        return;
    default:
        return;
    }
}

void CliRunner::onInputEnded()
{
    m_inputEnded = true;
    maybeLeave();
}

void CliRunner::maybeLeave()
{
    if (m_leaving || !(m_inputEnded || m_quitRequested))
        return;
    if (m_session.state() != ClientSession::State::LoggedIn)
        return; // the state change decides
    if (m_session.pendingRequestCount() > 0) {
        if (!m_drainTimer.isActive())
            m_drainTimer.start(DrainTimeoutMs);
        return;
    }
    m_drainTimer.stop();
    m_leaving = true;
    m_exitCode = ExitOk;
    m_session.quit(m_quitReason);
}

void CliRunner::onCertificateNeedsTrust(const QString &fingerprint, const QString &host, quint16 port)
{
    m_pendingFingerprint = fingerprint;
    const QString facts = tr("The server at %1:%2 presented a TLS certificate that no authority this system trusts "
                             "has signed, and this client has not seen it before.\n"
                             "  SHA-256 fingerprint: %3\n"
                             "Compare it with the fingerprint the server's administrator gave you (the server "
                             "prints it when it starts).")
                              .arg(host).arg(port).arg(fingerprint);
    if (m_trustQuestion.ask(facts + tr("\nTrust this server and remember its certificate? (yes/no) "))) {
        return;
    }
    writeStderr(facts + tr("\nThere is no terminal to ask on: if the fingerprint is right, run again with "
                           "--trust-fingerprint %1").arg(fingerprint));
    m_session.rejectServerCertificate();
}

void CliRunner::onLoggedIn(const QString &user, bool created)
{
    const QString server = m_session.serverName().isEmpty() ? m_options.host : m_session.serverName();
    QString transport = ClientSession::transportName(m_session.activeTransport());
    if (m_session.isEncrypted())
        transport += tr(" with %1").arg(m_session.encryptionName());
    print(serverLabel(), created ? tr("* logged in to %1 as %2 over %3 (new account)").arg(server, user, transport)
                                 : tr("* logged in to %1 as %2 over %3").arg(server, user, transport));
    startReadingInput();
}

void CliRunner::onLoginFailed(ErrorCode code, const QString &message)
{
    Q_UNUSED(code)
    print(serverLabel(), tr("! login failed: %1").arg(printable(message)));
    m_exitCode = ExitLoginFailed;
    m_leaving = true;
    m_session.quit();
}

void CliRunner::onDelivered(quint64 requestId, int count, const QDateTime &timestamp)
{
    const auto it = m_requests.constFind(requestId);
    if (it != m_requests.cend()) {
        const Request request = it.value();
        m_requests.erase(it);
        if (request.kind == RequestKind::Direct)
            print(request.conversation, QStringLiteral("-> %1: %2").arg(request.target, printable(request.text)), timestamp);
        else
            print(request.conversation, tr("* delivered to %1").arg(count), timestamp);
    }
    maybeLeave();
}

void CliRunner::onRequestSucceeded(quint64 requestId, int count)
{
    const Request request = m_requests.take(requestId);
    if (!request.text.isEmpty())
        print(request.conversation, QStringLiteral("* ") + (request.text.contains(QLatin1String("%n"))
                                                                 ? QString(request.text).replace(QLatin1String("%n"), QString::number(count))
                                                                 : request.text));
    maybeLeave();
}

void CliRunner::onRequestFailed(quint64 requestId, ErrorCode code, const QString &message)
{
    const bool known = m_requests.contains(requestId);
    const Request request = m_requests.take(requestId);
    const QString conversation = known ? request.conversation : m_current;
    if (request.kind == RequestKind::Join && code != ErrorCode::AlreadyInRoom)
        fallBackToLobby(request.target);
    if (request.kind == RequestKind::Room && code != ErrorCode::None) {
        print(conversation, tr("! not sent: %1 (%2)").arg(printable(request.text), printable(message)));
        maybeLeave();
        return;
    }
    switch (code) {
    case ErrorCode::NoSuchUser:
        print(conversation, request.kind == RequestKind::Direct ? tr("! no such user: %1").arg(request.target)
                                                                : QStringLiteral("! ") + printable(message));
        break;
    case ErrorCode::UserOffline:
        print(conversation, tr("! %1 is offline").arg(request.target));
        break;
    case ErrorCode::TextTooLong:
        print(conversation, tr("! not sent: %1").arg(printable(message)));
        break;
    case ErrorCode::None:
        // The connection ended with the request open; connectionLost() says the rest.
        if (known && !m_leaving && !request.text.isEmpty())
            print(conversation, tr("! not confirmed: %1").arg(printable(request.text)));
        break;
    default:
        print(conversation, QStringLiteral("! ") + printable(message));
        break;
    }
    maybeLeave();
}

void CliRunner::onStateChanged(ClientSession::State state)
{
    if (state != ClientSession::State::Disconnected || m_finished)
        return;
    m_finished = true;
    stopReadingInput();
    m_drainTimer.stop();
    // Queued: connectionLost() and the last failures are printed first, then the loop ends.
    QMetaObject::invokeMethod(this, [this] { emit finished(m_exitCode); }, Qt::QueuedConnection);
}

} // namespace Confab
