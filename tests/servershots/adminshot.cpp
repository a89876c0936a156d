// confab-admin-shot: screenshots of the server admin window in use. It embeds ChatServer and
// AdminWindow exactly as confab-server's main() does, drives a scripted community against it over
// loopback (DemoScenario), takes a few administrator actions, then switches through the tabs and
// saves each with QWidget::grab(). Run by scripts/screenshots-server.sh; not a test.
#include "adminbandialog.h"
#include "adminwindow.h"
#include "accountstab.h"
#include "chatserver.h"
#include "demoscenario.h"
#include "limitstab.h"
#include "roomstab.h"
#include "sessionstab.h"
#include "traffictab.h"

#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDir>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <functional>

using namespace Confab;

namespace {

// Runs steps one after another with a pause between, so the window repaints and the server and
// the scripted users keep working in between; nothing blocks.
class Steps : public QObject
{
public:
    void add(int delayMs, std::function<void()> step) { m_steps.append({delayMs, std::move(step)}); }
    void run()
    {
        if (m_next >= m_steps.size())
            return;
        const auto &[delay, step] = m_steps.at(m_next++);
        QTimer::singleShot(delay, this, [this, step] {
            step();
            run();
        });
    }

private:
    QList<std::pair<int, std::function<void()>>> m_steps;
    qsizetype m_next = 0;
};

bool save(QWidget *widget, const QString &dir, const QString &name)
{
    const QString path = QDir(dir).filePath(name);
    const bool ok = widget->grab().save(path);
    std::printf("%s %s\n", ok ? "saved" : "FAILED to save", qPrintable(path));
    std::fflush(stdout);
    return ok;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication::setOrganizationName(QStringLiteral("confab"));
    QApplication::setApplicationName(QStringLiteral("confab-server"));
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Folder for the PNG files."), QStringLiteral("dir"),
                                       QStringLiteral("docs/screenshots"));
    const QCommandLineOption warmupOption(QStringLiteral("warmup"), QStringLiteral("Seconds of chatter before the shots."),
                                          QStringLiteral("s"), QStringLiteral("45"));
    const QCommandLineOption certOption(QStringLiteral("tls-cert"), QStringLiteral("Serve TCP over TLS with this certificate (PEM)."),
                                        QStringLiteral("file"));
    const QCommandLineOption keyOption(QStringLiteral("tls-key"), QStringLiteral("The certificate's private key (PEM)."),
                                       QStringLiteral("file"));
    parser.addOptions({outOption, warmupOption, certOption, keyOption});
    parser.process(app);
    const QString out = parser.value(outOption);
    QDir().mkpath(out);

    QTemporaryDir dataDir;
    ServerConfig config;
    config.host = QHostAddress::LocalHost;
    config.port = 0;
    config.dataDir = dataDir.path();
    config.passwordIterations = 1000;
    config.tlsCertificateFile = parser.value(certOption);
    config.tlsKeyFile = parser.value(keyOption);
    ChatServer server(config);
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "confab-admin-shot: %s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&server, &ChatServer::stopped, &app, &QCoreApplication::quit, Qt::QueuedConnection);
    QApplication::setQuitOnLastWindowClosed(false);
    AdminWindow window(&server);
    window.resize(1200, 760);
    window.show();

    ConfabDemo::DemoScenario scenario(QHostAddress::LocalHost, server.tcpPort());
    scenario.setTrustedFingerprint(server.tlsFingerprint()); // the users trust the certificate served
    Steps steps;
    const int warmupMs = parser.value(warmupOption).toInt() * 1000;
    bool failed = false;
    auto shot = [&](QWidget *widget, const QString &name) { failed = !save(widget, out, name) || failed; };

    // Administrator actions while the community chats.
    steps.add(3000, [&] {
        QString why;
        if (!server.banAccount(QStringLiteral("mallory"), 24 * 60 * 60 * 1000, QStringLiteral("posting spam links"), &why))
            std::fprintf(stderr, "ban failed: %s\n", qPrintable(why));
        server.banAddress(QHostAddress(QStringLiteral("203.0.113.9")), 0, QStringLiteral("port scanning"));
        server.banAddress(QHostAddress(QStringLiteral("198.51.100.23")), 2 * 60 * 60 * 1000, QStringLiteral("login flood"));
        server.requirePasswordReset(QStringLiteral("ivan"));
        server.banFromRoom(QStringLiteral("random"), QStringLiteral("niaj"), QStringLiteral("off topic all day"));
    });
    steps.add(2000, [&] {
        window.showTab(AdminWindow::AnnouncePage);
        window.findChild<QPlainTextEdit *>(QStringLiteral("announceEdit"))
            ->setPlainText(QStringLiteral("Welcome to the Confab test server! Rooms: #general, #qt-dev, #random."));
        window.findChild<QPushButton *>(QStringLiteral("announceButton"))->click();
    });
    steps.add(warmupMs / 2, [&] {
        window.findChild<QPlainTextEdit *>(QStringLiteral("announceEdit"))
            ->setPlainText(QStringLiteral("The server restarts at 22:00 for an update (about two minutes)."));
        window.findChild<QPushButton *>(QStringLiteral("announceButton"))->click();
        window.findChild<QPlainTextEdit *>(QStringLiteral("announceEdit"))->setPlainText(QStringLiteral("Reminder: be kind in #general."));
    });

    // The shots.
    steps.add(warmupMs / 2, [&] {
        window.showTab(AdminWindow::OverviewPage);
    });
    steps.add(600, [&] { shot(&window, QStringLiteral("server-overview.png")); });
    steps.add(100, [&] {
        window.showTab(AdminWindow::AccountsPage);
        window.accountsTab()->selectAccount(QStringLiteral("carol"));
    });
    steps.add(600, [&] { shot(&window, QStringLiteral("server-registrations.png")); });
    steps.add(100, [&] {
        window.showTab(AdminWindow::SessionsPage);
        window.sessionsTab()->selectUser(QStringLiteral("bob"));
    });
    steps.add(1200, [&] { shot(&window, QStringLiteral("server-sessions.png")); });
    steps.add(100, [&] {
        window.showTab(AdminWindow::RoomsPage);
        window.roomsTab()->selectRoom(QStringLiteral("general"));
        window.roomsTab()->selectMember(QStringLiteral("dave"));
    });
    steps.add(600, [&] { shot(&window, QStringLiteral("server-rooms.png")); });
    steps.add(100, [&] { window.showTab(AdminWindow::TrafficPage); });
    steps.add(800, [&] { shot(&window, QStringLiteral("server-traffic.png")); });
    steps.add(100, [&] {
        window.findChild<QLineEdit *>(QStringLiteral("userFilterEdit"))->setText(QStringLiteral("alice"));
        auto *types = window.findChild<QComboBox *>(QStringLiteral("typeFilterCombo"));
        types->setCurrentIndex(types->findText(QStringLiteral("PostRoom")));
    });
    steps.add(800, [&] { shot(&window, QStringLiteral("server-traffic-filtered.png")); });
    steps.add(100, [&] {
        window.findChild<QLineEdit *>(QStringLiteral("userFilterEdit"))->clear();
        window.findChild<QComboBox *>(QStringLiteral("typeFilterCombo"))->setCurrentIndex(0);
        window.showTab(AdminWindow::LimitsPage);
        window.limitsTab()->selectTarget(QStringLiteral("mallory"));
    });
    steps.add(600, [&] { shot(&window, QStringLiteral("server-limits.png")); });
    steps.add(100, [&] { window.showTab(AdminWindow::AnnouncePage); });
    steps.add(600, [&] { shot(&window, QStringLiteral("server-announce.png")); });
    steps.add(100, [&] {
        window.showTab(AdminWindow::SessionsPage);
        window.sessionsTab()->selectUser(QStringLiteral("frank"));
        window.findChild<QPushButton *>(QStringLiteral("banButton"))->click();
    });
    steps.add(600, [&] {
        auto *dialog = window.findChild<AdminBanDialog *>();
        if (!dialog) {
            failed = true;
            return;
        }
        dialog->findChild<QComboBox *>(QStringLiteral("durationCombo"))->setCurrentIndex(2);
        dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit"))->setText(QStringLiteral("please stop flooding #qt-dev"));
        shot(dialog, QStringLiteral("server-ban-dialog.png"));
        dialog->reject();
    });
    steps.add(300, [&] { window.close(); });
    steps.add(600, [&] {
        auto *box = window.findChild<QMessageBox *>(QStringLiteral("closeQuestion"));
        if (!box) {
            failed = true;
            return;
        }
        shot(box, QStringLiteral("server-close-question.png"));
        box->findChild<QPushButton *>(QStringLiteral("stopServerButton"))->click();
    });

    QObject::connect(&scenario, &ConfabDemo::DemoScenario::ready, &steps, [&] { steps.run(); });
    scenario.start();
    QTimer::singleShot(warmupMs + 60000, &app, [&] {
        std::fprintf(stderr, "confab-admin-shot: timed out\n");
        failed = true;
        app.quit();
    });
    app.exec();
    return failed ? 1 : 0;
}
