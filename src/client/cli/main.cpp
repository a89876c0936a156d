// confab-cli: the terminal client. Everything but the event loop lives in CliRunner.
#include "clirunner.h"
#include "directrunner.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    Confab::CliRunner::ensureStandardStreams();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("confab-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION_STRING));

    if (Confab::DirectRunner::wantsDirectMode(QCoreApplication::arguments())) {
        Confab::DirectOptions direct;
        int code = 0;
        if (!Confab::DirectRunner::parseArguments(QCoreApplication::arguments(), &direct, &code))
            return code;
        Confab::DirectRunner runner(std::move(direct));
        QObject::connect(&runner, &Confab::DirectRunner::finished, &app, &QCoreApplication::exit);
        runner.start();
        return QCoreApplication::exec();
    }

    Confab::CliOptions options;
    int exitCode = Confab::CliRunner::ExitOk;
    if (!Confab::CliRunner::parseArguments(QCoreApplication::arguments(), &options, &exitCode))
        return exitCode;

    Confab::CliRunner runner(std::move(options));
    QObject::connect(&runner, &Confab::CliRunner::finished, &app, &QCoreApplication::exit);
    runner.start();
    return QCoreApplication::exec();
}
