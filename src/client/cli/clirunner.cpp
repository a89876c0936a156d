#include "clirunner.h"

#include <QCommandLineParser>
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

// --- Reading a line from the terminal, optionally without echo -----------------------------

// Restores the terminal if the user interrupts a password prompt (async-signal-safe).
int g_promptFd = -1;
struct termios g_savedTerminal;

extern "C" void restoreTerminalAndDie(int signal)
{
    if (g_promptFd >= 0)
        tcsetattr(g_promptFd, TCSANOW, &g_savedTerminal);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

// Asks on the controlling terminal (also when stdin is a pipe). Returns false without a terminal
// or when the user ends the input (Ctrl-D) without a line.
bool promptOnTerminal(const QString &prompt, bool echo, QString *answer)
{
    int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    const bool ownFd = fd >= 0;
    if (!ownFd) {
        if (!isatty(STDIN_FILENO))
            return false;
        fd = STDIN_FILENO;
    }
    const int promptFd = ownFd ? fd : STDERR_FILENO;
    const QByteArray promptBytes = prompt.toLocal8Bit();
    [[maybe_unused]] ssize_t written = ::write(promptFd, promptBytes.constData(), size_t(promptBytes.size()));

    bool echoOff = false;
    struct sigaction oldInt = {};
    struct sigaction oldTerm = {};
    if (!echo && tcgetattr(fd, &g_savedTerminal) == 0) {
        struct termios quiet = g_savedTerminal;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL; // the Enter still moves to the next line
        g_promptFd = fd;
        struct sigaction restore = {};
        restore.sa_handler = restoreTerminalAndDie;
        sigemptyset(&restore.sa_mask);
        sigaction(SIGINT, &restore, &oldInt);
        sigaction(SIGTERM, &restore, &oldTerm);
        echoOff = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }

    QByteArray line;
    bool gotLine = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (c == '\n') {
            gotLine = true;
            break;
        }
        line.append(c);
    }

    if (echoOff)
        tcsetattr(fd, TCSANOW, &g_savedTerminal);
    if (!echo) {
        sigaction(SIGINT, &oldInt, nullptr);
        sigaction(SIGTERM, &oldTerm, nullptr);
        g_promptFd = -1;
    }
    if (ownFd)
        ::close(fd);
    if (line.endsWith('\r'))
        line.chop(1);
    *answer = QString::fromLocal8Bit(line);
    return gotLine || !line.isEmpty();
}

// Message text is shown on one line, and a peer cannot send terminal escape sequences.
QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c == u'\n')
            out += QChar(0x21B5); // ↵
        else if (c == u'\t')
            out += u' ';
        else if (c.category() == QChar::Other_Control)
            out += QChar::ReplacementCharacter;
        else
            out += c;
    }
    return out;
}

void writeStdout(const QString &line)
{
    const QByteArray bytes = (line + u'\n').toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void writeStderr(const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    if (!bytes.endsWith('\n'))
        std::fputc('\n', stderr);
    std::fflush(stderr);
}

} // namespace

void CliRunner::ensureStandardStreams()
{
    // Started with 0, 1 or 2 closed, the next file opened (a socket) would get that number, and
    // reading "stdin" or printing to "stdout" would then go to the server. /dev/null takes them.
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            const int opened = ::open("/dev/null", O_RDWR);
            if (opened >= 0 && opened != fd) {
                ::dup2(opened, fd);
                ::close(opened);
            }
        }
    }
}

bool CliRunner::parseArguments(const QStringList &arguments, CliOptions *options, int *exitCode)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Terminal client for a Confab chat server. Each input line is a command (see /help) or a\n"
           "message to the lobby; every event is printed as one line."));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption hostOption(QStringLiteral("host"), tr("Server address (default %1).").arg(options->host),
                                        tr("host"), options->host);
    const QCommandLineOption portOption(QStringLiteral("port"), tr("Server port (default %1).").arg(options->port),
                                        tr("port"), QString::number(options->port));
    const QCommandLineOption userOption(QStringLiteral("user"),
                                        tr("User name; a new name creates an account (asked for when missing)."),
                                        tr("name"));
    const QCommandLineOption passwordFileOption(
        QStringLiteral("password-file"),
        tr("Read the password from the first line of this file. Without it the password comes from the "
           "CONFAB_PASSWORD environment variable, or is asked for on the terminal."),
        tr("file"));
    const QCommandLineOption verboseOption(QStringLiteral("verbose"), tr("Log protocol details to stderr."));
    parser.addOptions({hostOption, portOption, userOption, passwordFileOption, verboseOption});

    auto usageError = [&](const QString &message) {
        writeStderr(QStringLiteral("confab-cli: %1\n%2").arg(message, tr("Try 'confab-cli --help'.")));
        *exitCode = ExitUsage;
        return false;
    };

    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(helpOption)) {
        writeStdout(parser.helpText() + tr("\nExit status: 0 quit or end of input, 1 login failed, "
                                           "2 connection failed or lost, 3 usage error.\n\n")
                    + CommandParser().helpText());
        *exitCode = ExitOk;
        return false;
    }
    if (parser.isSet(versionOption)) {
        writeStdout(QStringLiteral("%1 %2").arg(QCoreApplication::applicationName(),
                                                QCoreApplication::applicationVersion()));
        *exitCode = ExitOk;
        return false;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError(tr("unexpected argument: %1").arg(parser.positionalArguments().constFirst()));

    options->host = parser.value(hostOption);
    if (options->host.isEmpty())
        return usageError(tr("--host must not be empty"));
    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port == 0 || port > 65535)
        return usageError(tr("--port must be a number from 1 to 65535, not \"%1\"").arg(parser.value(portOption)));
    options->port = quint16(port);
    options->verbose = parser.isSet(verboseOption);

    options->user = parser.value(userOption).trimmed();
    if (options->user.isEmpty()) {
        if (!promptOnTerminal(tr("User name: "), true, &options->user) || options->user.trimmed().isEmpty())
            return usageError(tr("--user is required"));
        options->user = options->user.trimmed();
    }

    if (parser.isSet(passwordFileOption)) {
        QFile file(parser.value(passwordFileOption));
        if (!file.open(QIODevice::ReadOnly))
            return usageError(tr("cannot read the password file %1: %2").arg(file.fileName(), file.errorString()));
        QByteArray line = file.readLine(Limits::MaxPasswordBytes * 4);
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        options->password = QString::fromUtf8(line);
    } else if (qEnvironmentVariableIsSet("CONFAB_PASSWORD")) {
        options->password = qEnvironmentVariable("CONFAB_PASSWORD");
    } else if (!promptOnTerminal(tr("Password for %1@%2: ").arg(options->user, options->host), false,
                                 &options->password)) {
        return usageError(tr("no password: use --password-file FILE or CONFAB_PASSWORD when there is no terminal"));
    }
    return true;
}

CliRunner::CliRunner(CliOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_session.setAgent(QStringLiteral("confab-cli/%1").arg(QCoreApplication::applicationVersion()));
    m_session.setKeepalive(15000, 45000);

    connect(&m_session, &ClientSession::stateChanged, this, &CliRunner::onStateChanged);
    connect(&m_session, &ClientSession::loggedIn, this, &CliRunner::onLoggedIn);
    connect(&m_session, &ClientSession::loginFailed, this, &CliRunner::onLoginFailed);
    connect(&m_session, &ClientSession::delivered, this, &CliRunner::onDelivered);
    connect(&m_session, &ClientSession::requestFailed, this, &CliRunner::onRequestFailed);
    connect(&m_session, &ClientSession::lobbyMessageReceived, this,
            [this](const QString &from, const QString &text, const QDateTime &time) {
                print(QStringLiteral("<%1> %2").arg(from, printable(text)), time);
            });
    connect(&m_session, &ClientSession::directMessageReceived, this,
            [this](const QString &from, const QString &, const QString &text, const QDateTime &time) {
                print(tr("<- %1 (DM): %2").arg(from, printable(text)), time);
            });
    connect(&m_session, &ClientSession::userListReceived, this, [this](const QList<OnlineUser> &users) {
        QStringList names;
        for (const OnlineUser &user : users)
            names << user.name;
        print(tr("* online (%1): %2").arg(users.size()).arg(names.join(QStringLiteral(", "))));
        maybeLeave();
    });
    connect(&m_session, &ClientSession::userJoined, this, [this](const OnlineUser &user) {
        print(tr("* %1 joined").arg(user.name));
    });
    connect(&m_session, &ClientSession::userLeft, this, [this](const QString &user, const QString &reason) {
        if (reason.isEmpty())
            print(tr("* %1 left").arg(user));
        else
            print(tr("* %1 left (%2)").arg(user, printable(reason)));
    });
    connect(&m_session, &ClientSession::noticeReceived, this, [this](const QString &text, const QDateTime &time) {
        print(tr("* notice: %1").arg(printable(text)), time);
    });
    connect(&m_session, &ClientSession::serverShutdown, this, [this](const QString &reason) {
        m_shutdownAnnounced = true;
        if (reason.isEmpty())
            print(tr("! the server is shutting down"));
        else
            print(tr("! the server is shutting down: %1").arg(printable(reason)));
    });
    connect(&m_session, &ClientSession::errorOccurred, this,
            [this](ClientSession::Error, ErrorCode, const QString &message) {
                print(QStringLiteral("! ") + printable(message));
            });
    connect(&m_session, &ClientSession::connectionLost, this, [this](const QString &reason) {
        if (m_shutdownAnnounced)
            print(tr("! disconnected by the server"));
        else
            print(tr("! connection lost: %1").arg(printable(reason)));
    });

    m_drainTimer.setSingleShot(true);
    connect(&m_drainTimer, &QTimer::timeout, this, [this] {
        print(tr("! gave up waiting for %n answer(s) from the server", nullptr, m_session.pendingRequestCount()));
        m_exitCode = ExitConnectionLost;
        m_leaving = true;
        m_session.quit(m_quitReason);
    });
}

CliRunner::~CliRunner() = default;

void CliRunner::start()
{
    if (m_options.verbose)
        QLoggingCategory::setFilterRules(QStringLiteral("confab.*.debug=true"));
    else
        QLoggingCategory::setFilterRules(QStringLiteral("confab.*.debug=false\nconfab.*.info=false"));
    m_session.connectToServer(m_options.host, m_options.port, m_options.user, m_options.password);
    m_options.password.fill(u'\0');
    m_options.password.clear();
}

void CliRunner::print(const QString &text, const QDateTime &time)
{
    writeStdout(QStringLiteral("[%1] %2").arg(time.toLocalTime().toString(QStringLiteral("HH:mm:ss")), text));
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

void CliRunner::handleLine(const QString &line)
{
    if (m_quitRequested)
        return;
    const Command command = m_parser.parse(line);
    switch (command.kind) {
    case Command::Kind::None:
        return;
    case Command::Kind::Invalid:
        print(QStringLiteral("! ") + command.error);
        return;
    case Command::Kind::Help: {
        if (command.args.isEmpty()) {
            printPlain(m_parser.helpText());
            return;
        }
        const QString help = m_parser.helpText(command.arg(0));
        if (help.isEmpty())
            print(tr("! no such command: %1 (type /help for the list)").arg(command.arg(0)));
        else
            printPlain(help);
        return;
    }
    case Command::Kind::Text: {
        const quint64 id = m_session.sendLobbyMessage(command.arg(0));
        m_requests.insert(id, Request{RequestKind::Lobby, QString(), command.arg(0)});
        return;
    }
    case Command::Kind::DirectMessage: {
        const quint64 id = m_session.sendDirectMessage(command.arg(0), command.arg(1));
        m_requests.insert(id, Request{RequestKind::Direct, command.arg(0), command.arg(1)});
        return;
    }
    case Command::Kind::ListUsers:
        m_session.requestUserList(); // answered by userListReceived() or requestFailed()
        return;
    case Command::Kind::Quit:
        m_quitRequested = true;
        m_quitReason = command.arg(0);
        maybeLeave();
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

void CliRunner::onLoggedIn(const QString &user, bool created)
{
    const QString server = m_session.serverName().isEmpty() ? m_options.host : m_session.serverName();
    if (created)
        print(tr("* logged in to %1 as %2 (new account)").arg(server, user));
    else
        print(tr("* logged in to %1 as %2").arg(server, user));
    startReadingInput();
}

void CliRunner::onLoginFailed(ErrorCode code, const QString &message)
{
    Q_UNUSED(code)
    print(tr("! login failed: %1").arg(printable(message)));
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
            print(QStringLiteral("-> %1: %2").arg(request.target, printable(request.text)), timestamp);
        else
            print(tr("* delivered to %1").arg(count), timestamp);
    }
    maybeLeave();
}

void CliRunner::onRequestFailed(quint64 requestId, ErrorCode code, const QString &message)
{
    const bool known = m_requests.contains(requestId);
    const Request request = m_requests.take(requestId);
    switch (code) {
    case ErrorCode::NoSuchUser:
        print(tr("! no such user: %1").arg(request.target));
        break;
    case ErrorCode::UserOffline:
        print(tr("! %1 is offline").arg(request.target));
        break;
    case ErrorCode::TextTooLong:
        print(tr("! not sent: %1").arg(printable(message)));
        break;
    case ErrorCode::None:
        // The connection ended with the request open; connectionLost() says the rest.
        if (known && !m_leaving)
            print(tr("! not confirmed: %1").arg(printable(request.text)));
        break;
    default:
        print(QStringLiteral("! ") + printable(message));
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
