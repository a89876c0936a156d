// confab-server: one binary; --headless runs the core under QCoreApplication, otherwise a
// QApplication shows the admin window, which observes and commands the same core.
#include "adminwindow.h"
#include "chatserver.h"
#include "unixsignalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMessageBox>
#include <QStandardPaths>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

using namespace Confab;

namespace {

// The mode must be known before the application object exists, so --headless (and --help or
// --version, which need no window either) is looked for by hand; QCommandLineParser checks every
// option, and documents them, afterwards.
bool needsNoWindow(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        if (std::strcmp(arg, "--") == 0)
            break;
        for (const char *option : {"--headless", "-headless", "--help", "-h", "-?", "--help-all", "--version", "-v"}) {
            if (std::strcmp(arg, option) == 0)
                return true;
        }
    }
    return false;
}

// Whether a QApplication can open a window. Qt aborts when its platform plugin finds no display,
// so without one we stop first with a clear message.
bool displayAvailable(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-platform") == 0 || std::strcmp(argv[i], "--platform") == 0)
            return true; // the user chose a platform plugin (offscreen, vnc, …)
    }
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (!platform.isEmpty() && !platform.startsWith("xcb") && !platform.startsWith("wayland"))
        return true;
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(QStringLiteral("confab"));
    QCoreApplication::setApplicationName(QStringLiteral("confab-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION));
    const bool headless = needsNoWindow(argc, argv);
    if (!headless && !displayAvailable(argc, argv)) {
        std::fprintf(stderr, "confab-server: no display is available for the admin window "
                             "(DISPLAY and WAYLAND_DISPLAY are unset).\n"
                             "Run \"confab-server --headless\" to serve without a window.\n");
        return 3;
    }
    std::unique_ptr<QCoreApplication> application;
    if (headless)
        application = std::make_unique<QCoreApplication>(argc, argv);
    else
        application = std::make_unique<QApplication>(argc, argv);
    QCoreApplication &app = *application;

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate("main", "Confab chat server"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption hostOption(QStringLiteral("host"), QCoreApplication::translate("main", "Address to listen on (default 127.0.0.1)."),
                                        QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption portOption(QStringLiteral("port"), QCoreApplication::translate("main", "Port to listen on (default 65432)."),
                                        QStringLiteral("port"), QStringLiteral("65432"));
    const QCommandLineOption dataOption(QStringLiteral("data-dir"), QCoreApplication::translate("main", "Directory for the database (default: %1).")
                                            .arg(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)),
                                        QStringLiteral("dir"));
    const QCommandLineOption headlessOption(QStringLiteral("headless"), QCoreApplication::translate("main", "Run without the admin window."));
    const QCommandLineOption iterationsOption(QStringLiteral("password-iterations"),
                                              QCoreApplication::translate("main", "PBKDF2 iterations for new passwords (default %1; lower only for tests).")
                                                  .arg(PasswordHasher::DefaultIterations),
                                              QStringLiteral("n"));
    const QCommandLineOption noTcpOption(QStringLiteral("no-tcp"), QCoreApplication::translate("main", "Do not serve TCP clients."));
    const QCommandLineOption noUdpOption(QStringLiteral("no-udp"), QCoreApplication::translate("main", "Do not serve UDP clients (by default the same port number serves both)."));
    const AbuseLimits defaults;
    const QCommandLineOption noLimitsOption(QStringLiteral("no-limits"),
                                            QCoreApplication::translate("main", "Turn every rate and connection limit off (trusted networks, benchmarks)."));
    const QCommandLineOption messageRateOption(QStringLiteral("message-rate"),
                                               QCoreApplication::translate("main", "Messages a second each session may send (default %1).").arg(defaults.messagesPerSecond),
                                               QStringLiteral("n"));
    const QCommandLineOption messageBurstOption(QStringLiteral("message-burst"),
                                                QCoreApplication::translate("main", "Messages a session may send at once before the rate applies (default %1).").arg(defaults.messageBurst),
                                                QStringLiteral("n"));
    const QCommandLineOption connectionsOption(QStringLiteral("connections-per-address"),
                                               QCoreApplication::translate("main", "Connections one address may hold open at once (default %1).").arg(defaults.maxConnectionsPerAddress),
                                               QStringLiteral("n"));
    const QCommandLineOption tlsCertOption(QStringLiteral("tls-cert"),
                                           QCoreApplication::translate("main", "Serve TCP over TLS only, with this PEM certificate (server "
                                                                               "certificate first, then any intermediates); needs --tls-key. "
                                                                               "SIGHUP reloads both files."),
                                           QStringLiteral("file"));
    const QCommandLineOption tlsKeyOption(QStringLiteral("tls-key"),
                                          QCoreApplication::translate("main", "The certificate's private key (PEM, RSA or EC, unencrypted)."),
                                          QStringLiteral("file"));
    parser.addOptions({hostOption, portOption, dataOption, headlessOption, iterationsOption, noTcpOption, noUdpOption,
                       noLimitsOption, messageRateOption, messageBurstOption, connectionsOption, tlsCertOption, tlsKeyOption});
    parser.process(app);

    ServerConfig config;
    if (!config.host.setAddress(parser.value(hostOption))) {
        std::fprintf(stderr, "confab-server: not an IP address: %s\n", qPrintable(parser.value(hostOption)));
        return 3;
    }
    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535) {
        std::fprintf(stderr, "confab-server: not a port number: %s\n", qPrintable(parser.value(portOption)));
        return 3;
    }
    config.port = quint16(port);
    config.serveTcp = !parser.isSet(noTcpOption);
    config.serveUdp = !parser.isSet(noUdpOption);
    if (!config.serveTcp && !config.serveUdp) {
        std::fprintf(stderr, "confab-server: --no-tcp and --no-udp together leave nothing to serve\n");
        return 3;
    }
    config.dataDir = parser.isSet(dataOption) ? parser.value(dataOption)
                                              : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (parser.isSet(iterationsOption)) {
        const int n = parser.value(iterationsOption).toInt(&ok);
        if (!ok || n < 1) {
            std::fprintf(stderr, "confab-server: --password-iterations needs a positive number\n");
            return 3;
        }
        config.passwordIterations = n;
    }
    config.limits.enabled = !parser.isSet(noLimitsOption);
    for (const auto &[option, target] : {std::pair{&messageBurstOption, &config.limits.messageBurst},
                                         std::pair{&connectionsOption, &config.limits.maxConnectionsPerAddress}}) {
        if (!parser.isSet(*option))
            continue;
        const int n = parser.value(*option).toInt(&ok);
        if (!ok || n < 1) {
            std::fprintf(stderr, "confab-server: --%s needs a positive number\n", qPrintable(option->names().constFirst()));
            return 3;
        }
        *target = n;
    }
    if (parser.isSet(messageRateOption)) {
        const double rate = parser.value(messageRateOption).toDouble(&ok);
        if (!ok || rate <= 0) {
            std::fprintf(stderr, "confab-server: --message-rate needs a positive number\n");
            return 3;
        }
        config.limits.messagesPerSecond = rate;
    }
    if (parser.isSet(tlsCertOption) != parser.isSet(tlsKeyOption)) {
        std::fprintf(stderr, "confab-server: --tls-cert and --tls-key go together\n");
        return 3;
    }
    config.tlsCertificateFile = parser.value(tlsCertOption);
    config.tlsKeyFile = parser.value(tlsKeyOption);
    if (parser.isSet(tlsCertOption) && (config.tlsCertificateFile.isEmpty() || config.tlsKeyFile.isEmpty())) {
        std::fprintf(stderr, "confab-server: --tls-cert and --tls-key need file names\n");
        return 3;
    }
    if (config.tlsEnabled() && !config.serveTcp) {
        std::fprintf(stderr, "confab-server: TLS is for TCP, and --no-tcp turns TCP off\n");
        return 3;
    }
    ChatServer server(config);
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "confab-server: %s\n", qPrintable(error));
        if (!headless)
            QMessageBox::critical(nullptr, QCoreApplication::translate("main", "Confab server"),
                                  QCoreApplication::translate("main", "The server could not start:\n%1").arg(error));
        return 1;
    }
    // Both transports share one port number (ChatServer picks it so), hence one "host:port".
    QStringList transports;
    if (config.serveTcp)
        transports << (server.isTlsEnabled() ? QStringLiteral("TCP with TLS") : QStringLiteral("TCP"));
    if (config.serveUdp)
        transports << QStringLiteral("UDP");
    const quint16 boundPort = config.serveTcp ? server.tcpPort() : server.udpPort();
    std::printf("confab-server listening on %s:%u (%s)\n", qPrintable(config.host.toString()), boundPort,
                qPrintable(transports.join(QStringLiteral(", "))));
    if (server.isTlsEnabled())
        std::printf("confab-server TLS certificate SHA-256 fingerprint %s\n", qPrintable(server.tlsFingerprint()));
    std::fflush(stdout);

    UnixSignalWatcher signalWatcher;
    signalWatcher.watch({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signalWatcher, &UnixSignalWatcher::unixSignal, &server, [&server](int number) {
        if (number == SIGHUP) {
            // Reload the TLS certificate; the result is logged either way.
            if (server.reloadCertificate()) {
                std::printf("confab-server TLS certificate SHA-256 fingerprint %s\n", qPrintable(server.tlsFingerprint()));
                std::fflush(stdout);
            }
            return;
        }
        server.shutdown(number == SIGINT ? QCoreApplication::translate("main", "server stopped by its operator (interrupt)")
                                         : QCoreApplication::translate("main", "server is shutting down"));
    });
    // Queued, so the admin window has seen stopped() (and will not ask about closing) before the
    // application closes its windows and quits.
    QObject::connect(&server, &ChatServer::stopped, &app, &QCoreApplication::quit, Qt::QueuedConnection);

    std::unique_ptr<AdminWindow> window;
    if (!headless) {
        // The program ends when the server stops, not when its window closes: closing the window
        // may leave the server running in the background (AdminWindow asks).
        QApplication::setQuitOnLastWindowClosed(false);
        QApplication::setDesktopFileName(QStringLiteral("confab-server"));
        window = std::make_unique<AdminWindow>(&server);
        QApplication::setWindowIcon(window->windowIcon());
        window->show();
    }
    return app.exec();
}
