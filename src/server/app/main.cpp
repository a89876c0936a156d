// confab-server: one binary; --headless runs the core under QCoreApplication, otherwise the
// admin window observes the same core.
#include "chatserver.h"
#include "unixsignalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStandardPaths>

#include <csignal>
#include <cstdio>
#include <memory>

using namespace Confab;

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(QStringLiteral("confab"));
    QCoreApplication::setApplicationName(QStringLiteral("confab-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION));
    QCoreApplication app(argc, argv);

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
    parser.addOptions({hostOption, portOption, dataOption, headlessOption, iterationsOption});
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
    if (!parser.isSet(headlessOption))
        std::fprintf(stderr, "confab-server: the admin window is not built yet; running headless\n");

    ChatServer server(config);
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "confab-server: %s\n", qPrintable(error));
        return 1;
    }
    std::printf("confab-server listening on %s:%u (TCP)\n", qPrintable(config.host.toString()), server.tcpPort());
    std::fflush(stdout);

    UnixSignalWatcher signalWatcher;
    signalWatcher.watch({SIGINT, SIGTERM});
    QObject::connect(&signalWatcher, &UnixSignalWatcher::unixSignal, &server, [&server](int number) {
        server.shutdown(number == SIGINT ? QCoreApplication::translate("main", "server stopped by its operator (interrupt)")
                                         : QCoreApplication::translate("main", "server is shutting down"));
    });
    QObject::connect(&server, &ChatServer::stopped, &app, &QCoreApplication::quit);
    return app.exec();
}
