// CliRunner: what happens before the session starts: standard streams and the command line.
#include "clirunner.h"
#include "terminal.h"
#include "tlsfingerprint.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace Confab {

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
    const QCommandLineOption transportOption(
        QStringLiteral("transport"),
        tr("auto, tcp or udp (default auto: ask the server, then TCP when it serves TCP, else UDP)."),
        tr("transport"), ClientSession::transportName(options->transport));
    const QCommandLineOption tlsOption(
        QStringLiteral("tls"),
        tr("on, off or auto (default auto: TLS, or DTLS over UDP, when the server offers it or was trusted "
           "before; without an answer to the UDP probe, plain first, then encrypted if the server turns plain away)."),
        tr("mode"), ClientSession::tlsModeName(options->tls));
    const QCommandLineOption trustOption(
        QStringLiteral("trust-fingerprint"),
        tr("Trust (and remember) the server's TLS certificate if its SHA-256 fingerprint is this one; for use "
           "without a terminal. Any other unknown certificate is refused."),
        tr("sha256"));
    parser.addOptions({hostOption, portOption, userOption, passwordFileOption, verboseOption});
    parser.addOptions({transportOption, tlsOption, trustOption});

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
    const std::optional<ClientSession::Transport> transport = ClientSession::transportFromName(parser.value(transportOption));
    if (!transport)
        return usageError(tr("--transport must be auto, tcp or udp, not \"%1\"").arg(parser.value(transportOption)));
    options->transport = *transport;
    const std::optional<ClientSession::TlsMode> tls = ClientSession::tlsModeFromName(parser.value(tlsOption));
    if (!tls)
        return usageError(tr("--tls must be on, off or auto, not \"%1\"").arg(parser.value(tlsOption)));
    options->tls = *tls;
    if (parser.isSet(trustOption)) {
        options->trustFingerprint = normalizedFingerprint(parser.value(trustOption));
        if (options->trustFingerprint.isEmpty())
            return usageError(tr("--trust-fingerprint needs a SHA-256 fingerprint (64 hex digits, colons optional), not \"%1\"")
                                  .arg(parser.value(trustOption)));
    }

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

} // namespace Confab
