// confab: the desktop chat client. Everything happens in ClientApp and the windows; this only
// reads the command line.
#include "clientapp.h"
#include "clienticons.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace Confab;

namespace {

struct Options {
    QString host;
    quint16 port = 0;
    QString user;
};

bool hasArgument(int argc, char *argv[], std::initializer_list<const char *> names)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *name : names) {
            if (std::strcmp(argv[i], name) == 0)
                return true;
        }
    }
    return false;
}

// Qt aborts when its platform plugin finds no display; say so plainly instead.
bool displayAvailable(int argc, char *argv[])
{
    if (hasArgument(argc, argv, {"-platform", "--platform"}))
        return true;
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (!platform.isEmpty() && !platform.startsWith("xcb") && !platform.startsWith("wayland"))
        return true;
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

// Reads the options; --help, --version and usage errors end the program here.
Options parseOptions(const QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate("main", "Confab chat client"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption hostOption(QStringLiteral("host"),
                                        QCoreApplication::translate("main", "Server to offer in the login window."),
                                        QCoreApplication::translate("main", "host"));
    const QCommandLineOption portOption(QStringLiteral("port"),
                                        QCoreApplication::translate("main", "Port to offer in the login window."),
                                        QCoreApplication::translate("main", "port"));
    const QCommandLineOption userOption(QStringLiteral("user"),
                                        QCoreApplication::translate("main", "Username to offer in the login window."),
                                        QCoreApplication::translate("main", "name"));
    parser.addOptions({hostOption, portOption, userOption});
    parser.process(app);

    Options options;
    options.host = parser.value(hostOption);
    options.user = parser.value(userOption);
    if (parser.isSet(portOption)) {
        bool ok = false;
        const uint value = parser.value(portOption).toUInt(&ok);
        if (!ok || value == 0 || value > 65535) {
            std::fprintf(stderr, "confab: --port must be a number from 1 to 65535\n");
            std::exit(3);
        }
        options.port = quint16(value);
    }
    return options;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(QStringLiteral("confab"));
    QCoreApplication::setApplicationName(QStringLiteral("confab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION));
    if (hasArgument(argc, argv, {"--help", "-h", "-?", "--help-all", "--version", "-v"})) {
        QCoreApplication app(argc, argv); // no window needed, nor a display
        parseOptions(app);
        return 0;
    }
    if (!displayAvailable(argc, argv)) {
        std::fprintf(stderr, "confab: no display is available (DISPLAY and WAYLAND_DISPLAY are unset).\n"
                             "Use confab-cli for a terminal client.\n");
        return 3;
    }
    QGuiApplication::setDesktopFileName(QStringLiteral("confab"));
    QApplication app(argc, argv);
    QApplication::setQuitOnLastWindowClosed(false); // ClientApp says goodbye to the server first
    confabInitClientResources();
    QApplication::setWindowIcon(ClientIcons::application());
    const Options options = parseOptions(app);

    ClientApp client;
    client.setLoginDefaults(options.host, options.port, options.user);
    QObject::connect(&client, &ClientApp::finished, &app, &QCoreApplication::exit);
    client.start();
    return app.exec();
}
