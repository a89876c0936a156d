// confab-demo-users: drives a scripted community against a running Confab server for a while
// (used by scripts/screenshots-server.sh to give the real confab-server window real data).
// Not a test and not run by ctest.
#include "demoscenario.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Scripted Confab users for demos and screenshots"));
    parser.addHelpOption();
    const QCommandLineOption hostOption(QStringLiteral("host"), QStringLiteral("Server address."), QStringLiteral("address"),
                                        QStringLiteral("127.0.0.1"));
    const QCommandLineOption portOption(QStringLiteral("port"), QStringLiteral("Server port."), QStringLiteral("port"),
                                        QStringLiteral("65432"));
    const QCommandLineOption secondsOption(QStringLiteral("seconds"), QStringLiteral("How long to chat."), QStringLiteral("n"),
                                           QStringLiteral("30"));
    const QCommandLineOption trustOption(QStringLiteral("trust-fingerprint"),
                                         QStringLiteral("Connect over TLS, trusting the certificate with this SHA-256 fingerprint."),
                                         QStringLiteral("fingerprint"));
    parser.addOptions({hostOption, portOption, secondsOption, trustOption});
    parser.process(app);

    ConfabDemo::DemoScenario scenario(QHostAddress(parser.value(hostOption)), quint16(parser.value(portOption).toUInt()));
    scenario.setTrustedFingerprint(parser.value(trustOption));
    QObject::connect(&scenario, &ConfabDemo::DemoScenario::ready, &app, [] {
        std::printf("confab-demo-users: everyone is in, chatting\n");
        std::fflush(stdout);
    });
    QTimer::singleShot(parser.value(secondsOption).toInt() * 1000, &app, [&] {
        std::printf("confab-demo-users: %d messages sent, leaving\n", scenario.messagesSent());
        scenario.stop();
        QTimer::singleShot(500, &app, &QCoreApplication::quit);
    });
    scenario.start();
    return app.exec();
}
