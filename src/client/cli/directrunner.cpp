#include "directrunner.h"

#include "terminal.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>

namespace Confab {

namespace {
enum ExitCode { ExitOk = 0, ExitFailed = 2, ExitUsage = 3 };
}

bool DirectRunner::wantsDirectMode(const QStringList &arguments)
{
    for (const QString &a : arguments) {
        if (a == QLatin1String("--direct") || a.startsWith(QLatin1String("--direct="))
            || a == QLatin1String("--listen") || a.startsWith(QLatin1String("--listen=")))
            return true;
    }
    return false;
}

bool DirectRunner::parseArguments(const QStringList &arguments, DirectOptions *options, int *exitCode)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Direct chat with one peer, no server: connect to HOST:PORT, or, when it is not up, wait for the\n"
           "peer on MYPORT. The wire is plain UTF-8 lines, so `nc HOST MYPORT` can be the peer. Type :q to end."));
    parser.addHelpOption();
    const QCommandLineOption directOption(QStringLiteral("direct"), tr("The peer to connect to."), tr("host:port"));
    const QCommandLineOption listenOption(QStringLiteral("listen"), tr("Your port, to wait on if the peer is not up."),
                                          tr("port"));
    parser.addOptions({directOption, listenOption});
    auto usageError = [exitCode](const QString &message) {
        writeStderr(QStringLiteral("confab-cli: %1").arg(message));
        *exitCode = ExitUsage;
        return false;
    };
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        writeStdout(parser.helpText());
        *exitCode = ExitOk;
        return false;
    }
    if (parser.isSet(directOption)) {
        const QString peer = parser.value(directOption);
        const qsizetype colon = peer.lastIndexOf(u':');
        bool ok = false;
        const uint port = colon > 0 ? peer.mid(colon + 1).toUInt(&ok) : 0;
        if (!ok || port == 0 || port > 65535)
            return usageError(tr("--direct needs HOST:PORT, not \"%1\"").arg(peer));
        options->peerHost = peer.left(colon);
        if (options->peerHost.startsWith(u'[') && options->peerHost.endsWith(u']'))
            options->peerHost = options->peerHost.mid(1, options->peerHost.size() - 2);
        options->peerPort = quint16(port);
    }
    if (parser.isSet(listenOption)) {
        bool ok = false;
        const uint port = parser.value(listenOption).toUInt(&ok);
        if (!ok || port > 65535)
            return usageError(tr("--listen needs a port number, not \"%1\"").arg(parser.value(listenOption)));
        options->listenPort = quint16(port);
    }
    if (options->peerPort == 0 && !parser.isSet(listenOption))
        return usageError(tr("give --direct HOST:PORT, --listen PORT, or both"));
    return true;
}

DirectRunner::DirectRunner(DirectOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    connect(&m_chat, &DirectChat::listening, this, [this](quint16 port) {
        print(tr("* waiting for the peer on port %1").arg(port));
    });
    connect(&m_chat, &DirectChat::peerConnected, this, [this](const QString &peer) {
        m_peer = peer;
        print(tr("* connected to %1; type to chat, :q to leave").arg(peer));
        m_input.start();
    });
    connect(&m_chat, &DirectChat::lineReceived, this, [this](const QString &text) {
        print(QStringLiteral("<%1> %2").arg(m_peer, printable(text)));
    });
    connect(&m_chat, &DirectChat::errorOccurred, this, [this](const QString &message) {
        print(QStringLiteral("! ") + message);
    });
    connect(&m_chat, &DirectChat::peerLeft, this, [this] {
        print(tr("* the peer left"));
        end(ExitOk);
    });
    connect(&m_chat, &DirectChat::stateChanged, this, [this](DirectChat::State state) {
        if (state == DirectChat::State::Closed && !m_ended && m_peer.isEmpty())
            end(ExitFailed); // could neither connect nor listen
    });
    connect(&m_input, &StdinReader::lineRead, this, &DirectRunner::onLine);
    connect(&m_input, &StdinReader::finished, this, [this] {
        m_chat.close();
        end(ExitOk);
    });
}

void DirectRunner::start()
{
    QLoggingCategory::setFilterRules(QStringLiteral("confab.*.debug=false\nconfab.*.info=false"));
    if (m_options.peerPort == 0) {
        if (!m_chat.listen(m_options.listenPort))
            end(ExitFailed);
        return;
    }
    print(tr("* connecting to %1:%2").arg(m_options.peerHost).arg(m_options.peerPort));
    m_chat.start(m_options.peerHost, m_options.peerPort, m_options.listenPort);
}

void DirectRunner::print(const QString &text)
{
    writeStdout(QStringLiteral("[%1] [direct] %2").arg(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")), text));
}

void DirectRunner::onLine(const QString &line)
{
    if (line.trimmed() == QLatin1String(":q") || line.trimmed() == QLatin1String("/quit")) {
        m_input.stop();
        m_chat.close();
        print(tr("* you left"));
        end(ExitOk);
        return;
    }
    if (line.isEmpty())
        return;
    m_chat.send(line);
}

void DirectRunner::end(int exitCode)
{
    if (m_ended)
        return;
    m_ended = true;
    m_input.stop();
    QMetaObject::invokeMethod(this, [this, exitCode] { emit finished(exitCode); }, Qt::QueuedConnection);
}

} // namespace Confab
