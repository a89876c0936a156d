// confab-cli: the terminal client. Everything but the event loop lives in CliRunner.
#include "clirunner.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    Confab::CliRunner::ensureStandardStreams();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("confab-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION_STRING));

    Confab::CliOptions options;
    int exitCode = Confab::CliRunner::ExitOk;
    if (!Confab::CliRunner::parseArguments(QCoreApplication::arguments(), &options, &exitCode))
        return exitCode;

    Confab::CliRunner runner(std::move(options));
    QObject::connect(&runner, &Confab::CliRunner::finished, &app, &QCoreApplication::exit);
    runner.start();
    return QCoreApplication::exec();
}
