// The server admin window, offscreen, on a real server core with real clients on loopback:
// what the administrator sees and what their clicks do to the users.
#include "accountsmodel.h"
#include "accountstab.h"
#include "adminbandialog.h"
#include "adminkickdialog.h"
#include "adminwindow.h"
#include "announcetab.h"
#include "limitsmodel.h"
#include "limitstab.h"
#include "overviewtab.h"
#include "ratechart.h"
#include "roomstab.h"
#include "sessionstab.h"
#include "testcertificates.h"
#include "testsupport.h"
#include "traffictab.h"
#include "trafficmodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QStatusBar>
#include <QStringListModel>
#include <QTableView>

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");

// Rows of a view's model whose column shows `text`.
int findRow(QAbstractItemView *view, int column, const QString &text)
{
    QAbstractItemModel *model = view->model();
    for (int r = 0; r < model->rowCount(); ++r) {
        if (model->index(r, column).data().toString() == text)
            return r;
    }
    return -1;
}

template <typename T>
T *child(QObject *parent, const QString &name)
{
    T *found = parent->findChild<T *>(name);
    if (!found)
        qWarning() << "no" << T::staticMetaObject.className() << "named" << name;
    return found;
}

template <typename T>
T *waitForDialog(QWidget *parent)
{
    T *dialog = nullptr;
    const bool shown = QTest::qWaitFor([&] {
        dialog = parent->findChild<T *>();
        return dialog && dialog->isVisible();
    }, 3000);
    return shown ? dialog : nullptr;
}

QMessageBox *waitForBox(QWidget *parent, const QString &name)
{
    QMessageBox *box = nullptr;
    const bool shown = QTest::qWaitFor([&] {
        box = parent->findChild<QMessageBox *>(name);
        return box && box->isVisible();
    }, 3000);
    return shown ? box : nullptr;
}

// A window on a fresh server, shown offscreen.
struct Fixture {
    explicit Fixture(ServerConfig config = {})
        : ts(std::move(config))
    {
    }
    TestServer ts;
    std::unique_ptr<AdminWindow> window;
    bool start()
    {
        if (!ts.start())
            return false;
        window = std::make_unique<AdminWindow>(ts.server.get());
        window->show();
        return QTest::qWaitForWindowExposed(window.get());
    }
};
} // namespace

class tst_AdminWindow : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void everyTabIsThere();
    void newRegistrationAppears();
    void messageShowsInTraffic();
    void trafficFiltersPauseClearExport();
    void kickFromSessionsTab();
    void banKeepsAccountOutUntilLifted();
    void banAddressFromSessionsTab();
    void deleteAccountAndRequireReset();
    void roomsTabKicksAndCloses();
    void announceReachesEveryone();
    void overviewShowsTheServer();
    void overviewShowsTlsAndReloadsTheCertificate();
    void overviewSaysWhenTlsIsOff();
    void closingCanStopTheServer();
    void closingCanKeepTheServerRunning();
    void closingCanBeCancelled();
    void reasonsFitTheProtocol();
};

void tst_AdminWindow::init()
{
    // Offscreen windows still need a private runtime dir to keep Qt quiet.
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        static QTemporaryDir runtime;
        QFile::setPermissions(runtime.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qputenv("XDG_RUNTIME_DIR", runtime.path().toLocal8Bit());
    }
}

void tst_AdminWindow::everyTabIsThere()
{
    Fixture f;
    QVERIFY(f.start());
    auto *tabs = child<QTabWidget>(f.window.get(), QStringLiteral("tabs"));
    QVERIFY(tabs);
    QCOMPARE(tabs->count(), 7);
    for (const char *name : {"accountsView", "sessionsView", "roomsView", "trafficView", "limitsView"}) {
        auto *view = child<QTableView>(f.window.get(), QLatin1String(name));
        QVERIFY2(view, name);
        QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }
    QVERIFY(f.window->windowTitle().contains(QStringLiteral("Confab")));
    QVERIFY(!f.window->windowIcon().isNull());
}

void tst_AdminWindow::newRegistrationAppears()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::AccountsPage);
    auto *view = child<QTableView>(f.window.get(), QStringLiteral("accountsView"));
    QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(view->model()->rowCount(), 0);

    RawPeer newcomer(f.ts.port());
    QCOMPARE(newcomer.login(QStringLiteral("Newcomer"), pw)->type(), MessageType::LoginOk);
    QTRY_VERIFY(findRow(view, AccountsModel::NameColumn, QStringLiteral("Newcomer")) >= 0);
    const int row = findRow(view, AccountsModel::NameColumn, QStringLiteral("Newcomer"));
    QCOMPARE(view->model()->index(row, AccountsModel::OnlineColumn).data().toString(), QStringLiteral("online"));
    QVERIFY(child<QLabel>(f.window.get(), QStringLiteral("accountsCountLabel"))->text().contains(QStringLiteral("Accounts: 1")));

    // The filter narrows the list.
    RawPeer other(f.ts.port());
    QVERIFY(other.login(QStringLiteral("zed"), pw));
    QTRY_COMPARE(view->model()->rowCount(), 2);
    child<QLineEdit>(f.window.get(), QStringLiteral("accountsFilterEdit"))->setText(QStringLiteral("new"));
    QCOMPARE(view->model()->rowCount(), 1);
}

void tst_AdminWindow::messageShowsInTraffic()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::TrafficPage);
    auto *view = child<QTableView>(f.window.get(), QStringLiteral("trafficView"));
    QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    const Message post = Message::postLobby(9, QStringLiteral("is this thing on?"));
    alice.send(post);
    QVERIFY(bob.expect(MessageType::LobbyMessage));

    QTRY_VERIFY(findRow(view, TrafficModel::TypeColumn, QStringLiteral("PostLobby")) >= 0);
    const int row = findRow(view, TrafficModel::TypeColumn, QStringLiteral("PostLobby"));
    QAbstractItemModel *model = view->model();
    QCOMPARE(model->index(row, TrafficModel::SizeColumn).data().toInt(), post.toFrame().size());
    QCOMPARE(model->index(row, TrafficModel::UserColumn).data().toString(), QStringLiteral("alice"));
    QCOMPARE(model->index(row, TrafficModel::DirectionColumn).data().toString(), QStringLiteral("in"));
    QCOMPARE(model->index(row, TrafficModel::TransportColumn).data().toString(), QStringLiteral("TCP"));
    QVERIFY(model->index(row, TrafficModel::PeerColumn).data().toString().startsWith(QStringLiteral("127.0.0.1:")));
    QTRY_VERIFY(findRow(view, TrafficModel::TypeColumn, QStringLiteral("LobbyMessage")) >= 0);
    QVERIFY(child<QLabel>(f.window.get(), QStringLiteral("trafficCountLabel"))->text().contains(QStringLiteral("frames shown")));
}

void tst_AdminWindow::trafficFiltersPauseClearExport()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::TrafficPage);
    QWidget *w = f.window.get();
    auto *view = child<QTableView>(w, QStringLiteral("trafficView"));
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), QStringLiteral("alice-password")));
    QVERIFY(bob.login(QStringLiteral("bob"), QStringLiteral("bob-password")));
    alice.send(Message::postDm(2, QStringLiteral("bob"), QStringLiteral("psst")));
    QVERIFY(bob.expect(MessageType::DmMessage));
    QTRY_VERIFY(findRow(view, TrafficModel::TypeColumn, QStringLiteral("DmMessage")) >= 0);
    f.window->trafficTab()->model()->flush();
    const int all = view->model()->rowCount();

    auto *type = child<QComboBox>(w, QStringLiteral("typeFilterCombo"));
    type->setCurrentIndex(type->findText(QStringLiteral("PostDm")));
    QCOMPARE(view->model()->rowCount(), 1);
    type->setCurrentIndex(0);
    child<QLineEdit>(w, QStringLiteral("userFilterEdit"))->setText(QStringLiteral("BOB"));
    QVERIFY(view->model()->rowCount() > 0);
    QVERIFY(view->model()->rowCount() < all);
    for (int r = 0; r < view->model()->rowCount(); ++r)
        QCOMPARE(view->model()->index(r, TrafficModel::UserColumn).data().toString(), QStringLiteral("bob"));
    auto *transport = child<QComboBox>(w, QStringLiteral("transportFilterCombo"));
    transport->setCurrentIndex(transport->findData(QStringLiteral("udp")));
    QCOMPARE(view->model()->rowCount(), 0);
    transport->setCurrentIndex(0);
    child<QLineEdit>(w, QStringLiteral("userFilterEdit"))->clear();
    QCOMPARE(view->model()->rowCount(), all);

    // Export writes what is shown, as CSV, without passwords or message text.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("traffic.csv"));
    QString error;
    QVERIFY2(f.window->trafficTab()->exportTo(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray csv = file.readAll();
    QVERIFY(csv.startsWith("Time,Direction,Peer,User,Transport,Type,Size (B)\r\n"));
    QCOMPARE(csv.count("\r\n"), all + 1);
    QVERIFY(csv.contains(",Login,"));
    QVERIFY(!csv.contains("password"));
    QVERIFY(!csv.contains("psst"));

    // Pause stops the log; Resume starts it again; Clear empties it.
    auto *pause = child<QPushButton>(w, QStringLiteral("pauseButton"));
    pause->click();
    QVERIFY(!f.ts.server->isTrafficObserved());
    alice.send(Message::postLobby(3, QStringLiteral("while paused")));
    QVERIFY(bob.expect(MessageType::LobbyMessage));
    QTest::qWait(250);
    QCOMPARE(view->model()->rowCount(), all);
    pause->click();
    QVERIFY(f.ts.server->isTrafficObserved());
    child<QPushButton>(w, QStringLiteral("clearButton"))->click();
    QCOMPARE(view->model()->rowCount(), 0);
    alice.send(Message::postLobby(4, QStringLiteral("after clear")));
    QTRY_VERIFY(findRow(view, TrafficModel::TypeColumn, QStringLiteral("PostLobby")) >= 0);
}

void tst_AdminWindow::kickFromSessionsTab()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::SessionsPage);
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    auto *view = child<QTableView>(f.window.get(), QStringLiteral("sessionsView"));
    QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(findRow(view, 0, QStringLiteral("bob")) >= 0);
    auto *kick = child<QPushButton>(f.window.get(), QStringLiteral("kickButton"));
    QVERIFY(!kick->isEnabled());
    view->selectRow(findRow(view, 0, QStringLiteral("bob")));
    QVERIFY(kick->isEnabled());
    kick->click();

    auto *dialog = waitForDialog<AdminKickDialog>(f.window.get());
    QVERIFY(dialog);
    child<QLineEdit>(dialog, QStringLiteral("reasonEdit"))->setText(QStringLiteral("please take a break"));
    child<QDialogButtonBox>(dialog, QStringLiteral("buttonBox"))->button(QDialogButtonBox::Ok)->click();

    const auto ended = bob.expect(MessageType::SessionEnded);
    QVERIFY(ended);
    QCOMPARE(ended->text(Key::Reason), QStringLiteral("please take a break"));
    QCOMPARE(ended->text(Key::By), QStringLiteral("server"));
    QVERIFY(bob.waitClosed());
    QVERIFY(alice.expect(MessageType::UserLeft)->text(Key::Reason).contains(QStringLiteral("please take a break")));
    QTRY_COMPARE(findRow(view, 0, QStringLiteral("bob")), -1);
    QVERIFY(f.window->statusBar()->currentMessage().contains(QStringLiteral("bob")));
}

void tst_AdminWindow::banKeepsAccountOutUntilLifted()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::SessionsPage);
    RawPeer bob(f.ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QVERIFY(f.window->sessionsTab()->selectUser(QStringLiteral("bob")));
    child<QPushButton>(f.window.get(), QStringLiteral("banButton"))->click();

    auto *dialog = waitForDialog<AdminBanDialog>(f.window.get());
    QVERIFY(dialog);
    QVERIFY(child<QRadioButton>(dialog, QStringLiteral("accountRadio"))->isChecked());
    auto *duration = child<QComboBox>(dialog, QStringLiteral("durationCombo"));
    duration->setCurrentIndex(duration->findData(qint64(24 * 60 * 60 * 1000)));
    child<QLineEdit>(dialog, QStringLiteral("reasonEdit"))->setText(QStringLiteral("spamming the lobby"));
    child<QDialogButtonBox>(dialog, QStringLiteral("buttonBox"))->button(QDialogButtonBox::Ok)->click();

    const auto ended = bob.expect(MessageType::SessionEnded);
    QVERIFY(ended);
    QVERIFY(ended->text(Key::Reason).contains(QStringLiteral("spamming the lobby")));
    QVERIFY(ended->integer(Key::RetryAfter) > 23 * 60 * 60 * 1000);
    QVERIFY(bob.waitClosed());

    RawPeer again(f.ts.port());
    const auto refused = again.login(QStringLiteral("bob"), pw);
    QCOMPARE(errorCodeOf(refused), ErrorCode::Banned);

    // The Limits tab shows the ban under its rule; lifting it lets bob in again.
    f.window->showTab(AdminWindow::LimitsPage);
    auto *limits = child<QTableView>(f.window.get(), QStringLiteral("limitsView"));
    QAbstractItemModelTester tester(limits->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(limits->model()->rowCount(), 1);
    QCOMPARE(limits->model()->index(0, LimitsModel::TargetColumn).data().toString(), QStringLiteral("bob"));
    QCOMPARE(limits->model()->index(0, LimitsModel::RuleColumn).data().toString(), QStringLiteral("administrator ban"));
    QCOMPARE(limits->model()->index(0, LimitsModel::ReasonColumn).data().toString(), QStringLiteral("spamming the lobby"));
    auto *lift = child<QPushButton>(f.window.get(), QStringLiteral("liftButton"));
    QVERIFY(!lift->isEnabled());
    limits->selectRow(0);
    lift->click();
    QCOMPARE(limits->model()->rowCount(), 0);
    again.send(Message::login(2, QStringLiteral("bob"), pw));
    QVERIFY(again.expect(MessageType::LoginOk));
}

void tst_AdminWindow::banAddressFromSessionsTab()
{
    Fixture f;
    QVERIFY(f.start());
    RawPeer lurker(f.ts.port()); // connected, never logged in
    auto *view = child<QTableView>(f.window.get(), QStringLiteral("sessionsView"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    view->selectRow(0);
    QVERIFY(!child<QPushButton>(f.window.get(), QStringLiteral("kickButton"))->isEnabled());
    child<QPushButton>(f.window.get(), QStringLiteral("banButton"))->click();
    auto *dialog = waitForDialog<AdminBanDialog>(f.window.get());
    QVERIFY(dialog);
    QVERIFY(!child<QRadioButton>(dialog, QStringLiteral("accountRadio"))->isEnabled());
    QVERIFY(child<QRadioButton>(dialog, QStringLiteral("addressRadio"))->isChecked());
    dialog->accept();
    QVERIFY(lurker.waitClosed());
    RawPeer next(f.ts.port());
    QCOMPARE(errorCodeOf(next.next()), ErrorCode::Banned);
    QVERIFY(f.window->limitsTab()->selectTarget(QStringLiteral("127.0.0.1")));
}

void tst_AdminWindow::deleteAccountAndRequireReset()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::AccountsPage);
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    auto *view = child<QTableView>(f.window.get(), QStringLiteral("accountsView"));
    QTRY_COMPARE(view->model()->rowCount(), 2);

    f.window->accountsTab()->selectAccount(QStringLiteral("bob"));
    child<QPushButton>(f.window.get(), QStringLiteral("deleteAccountButton"))->click();
    QMessageBox *box = waitForBox(f.window.get(), QStringLiteral("confirmDeleteAccount"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("confirmButton"))->click();
    QCOMPARE(bob.expect(MessageType::SessionEnded)->text(Key::Reason), QStringLiteral("your account was deleted"));
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QVERIFY(!f.ts.server->accounts()->find(QStringLiteral("bob")));

    f.window->accountsTab()->selectAccount(QStringLiteral("alice"));
    child<QPushButton>(f.window.get(), QStringLiteral("resetPasswordButton"))->click();
    box = waitForBox(f.window.get(), QStringLiteral("confirmPasswordReset"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("confirmButton"))->click();
    QVERIFY(f.ts.server->accounts()->find(QStringLiteral("alice"))->resetRequired);
    QCOMPARE(view->model()->index(0, AccountsModel::PasswordColumn).data().toString(), QStringLiteral("reset on next login"));

    // Cancelling does nothing.
    f.window->accountsTab()->selectAccount(QStringLiteral("alice"));
    child<QPushButton>(f.window.get(), QStringLiteral("deleteAccountButton"))->click();
    box = waitForBox(f.window.get(), QStringLiteral("confirmDeleteAccount"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("cancelButton"))->click();
    QTest::qWait(50);
    QVERIFY(f.ts.server->accounts()->find(QStringLiteral("alice")));
}

void tst_AdminWindow::roomsTabKicksAndCloses()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::RoomsPage);
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    alice.send(Message::createRoom(1, QStringLiteral("garden"), QStringLiteral("roses")));
    QVERIFY(alice.expect(MessageType::RoomJoined));
    bob.send(Message::joinRoom(2, QStringLiteral("garden")));
    QVERIFY(bob.expect(MessageType::RoomJoined));

    auto *view = child<QTableView>(f.window.get(), QStringLiteral("roomsView"));
    QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("#garden"));
    QVERIFY(f.window->roomsTab()->selectRoom(QStringLiteral("garden")));
    auto *members = child<QListView>(f.window.get(), QStringLiteral("membersView"));
    QCOMPARE(members->model()->rowCount(), 2);

    QVERIFY(f.window->roomsTab()->selectMember(QStringLiteral("bob")));
    child<QPushButton>(f.window.get(), QStringLiteral("kickMemberButton"))->click();
    auto *dialog = waitForDialog<AdminKickDialog>(f.window.get());
    QVERIFY(dialog);
    child<QLineEdit>(dialog, QStringLiteral("reasonEdit"))->setText(QStringLiteral("off topic"));
    dialog->accept();
    const auto kicked = bob.expect(MessageType::Kicked);
    QVERIFY(kicked);
    QCOMPARE(kicked->text(Key::By), QStringLiteral("server"));
    QCOMPARE(kicked->text(Key::Reason), QStringLiteral("off topic"));
    QTRY_COMPARE(members->model()->rowCount(), 1);

    child<QPushButton>(f.window.get(), QStringLiteral("closeRoomButton"))->click();
    QMessageBox *box = waitForBox(f.window.get(), QStringLiteral("confirmCloseRoom"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("confirmButton"))->click();
    QCOMPARE(alice.expect(MessageType::RoomClosed)->text(Key::By), QStringLiteral("server"));
    QCOMPARE(view->model()->rowCount(), 0);
    QCOMPARE(members->model()->rowCount(), 0);
}

void tst_AdminWindow::announceReachesEveryone()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->showTab(AdminWindow::AnnouncePage);
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    auto *send = child<QPushButton>(f.window.get(), QStringLiteral("announceButton"));
    QVERIFY(!send->isEnabled());
    child<QPlainTextEdit>(f.window.get(), QStringLiteral("announceEdit"))->setPlainText(QStringLiteral("Maintenance at 18:00"));
    QVERIFY(send->isEnabled());
    send->click();
    for (RawPeer *peer : {&alice, &bob})
        QCOMPARE(peer->expect(MessageType::Notice)->text(Key::Text), QStringLiteral("Maintenance at 18:00"));
    QCOMPARE(f.window->announceTab()->history()->rowCount(), 1);
    QVERIFY(f.window->announceTab()->history()->stringList().first().contains(QStringLiteral("Maintenance")));
    QVERIFY(child<QLabel>(f.window.get(), QStringLiteral("announceStatusLabel"))->text().contains(QStringLiteral("everyone online (2)")));
}

void tst_AdminWindow::overviewShowsTheServer()
{
    Fixture f;
    QVERIFY(f.start());
    QWidget *w = f.window.get();
    OverviewTab *overview = f.window->overviewTab();
    RawPeer alice(f.ts.port()), bob(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    overview->sample();
    for (int i = 0; i < 5; ++i) {
        alice.send(Message::postLobby(quint64(10 + i), QStringLiteral("tick %1").arg(i)));
        QVERIFY(alice.expect(MessageType::Delivered));
    }
    overview->sample();
    QVERIFY(overview->rateChart()->current() > 0.0);
    QCOMPARE(overview->rateChart()->samples().size(), 3); // at construction and the two above
    QCOMPARE(child<QLabel>(w, QStringLiteral("onlineLabel"))->text(), QStringLiteral("2"));
    QCOMPARE(child<QLabel>(w, QStringLiteral("messagesLabel"))->text(), QStringLiteral("5"));
    // One port number serves both transports: TCP and UDP are separate port spaces.
    const QString listening = QStringLiteral("TCP 127.0.0.1:%1\nUDP 127.0.0.1:%1").arg(f.ts.port());
    QCOMPARE(child<QLabel>(w, QStringLiteral("listenersLabel"))->text(), listening);
    QVERIFY(child<QLabel>(w, QStringLiteral("serverStatusLabel"))->text().contains(QString(listening).replace(QLatin1Char('\n'), QStringLiteral(", "))));

    auto *toggle = child<QPushButton>(w, QStringLiteral("listeningButton"));
    toggle->click();
    QVERIFY(!f.ts.server->isListening());
    QVERIFY(child<QLabel>(w, QStringLiteral("listenersLabel"))->text().contains(QStringLiteral("not accepting")));
    RawPeer refused(f.ts.port());
    QVERIFY(!refused.isConnected());
    toggle->click();
    QVERIFY(f.ts.server->isListening());
    RawPeer carol(f.ts.port());
    QVERIFY(carol.login(QStringLiteral("carol"), pw));
}

void tst_AdminWindow::overviewShowsTlsAndReloadsTheCertificate()
{
    QTemporaryDir certificates;
    const auto a = makeSelfSigned(certificates.path(), QStringLiteral("a"));
    const auto b = makeSelfSigned(certificates.path(), QStringLiteral("b"));
    QVERIFY(a && b);
    // The server reads copies, so the test can replace them as an administrator would.
    ServerConfig config;
    config.tlsCertificateFile = certificates.filePath(QStringLiteral("server.crt"));
    config.tlsKeyFile = certificates.filePath(QStringLiteral("server.key"));
    QVERIFY(copyOver(a->certificate, config.tlsCertificateFile) && copyOver(a->key, config.tlsKeyFile));
    Fixture f(config);
    QVERIFY(f.start());
    QWidget *w = f.window.get();
    auto *tls = child<QLabel>(w, QStringLiteral("tlsLabel"));
    auto *result = child<QLabel>(w, QStringLiteral("reloadResultLabel"));
    auto *reload = child<QPushButton>(w, QStringLiteral("reloadCertificateButton"));
    QVERIFY(tls && result && reload);
    QCOMPARE(f.ts.server->tlsFingerprint(), a->fingerprint);
    QVERIFY2(tls->text().startsWith(QStringLiteral("TLS on — certificate 127.0.0.1, valid until ")), qPrintable(tls->text()));
    QVERIFY(tls->text().contains(QStringLiteral("SHA-256 ") + a->fingerprint));
    QVERIFY(!tls->property("warning").toBool());
    QCOMPARE(child<QLabel>(w, QStringLiteral("udpSecurityLabel"))->text(),
             QStringLiteral("DTLS on: UDP sessions are encrypted with the same certificate"));
    QVERIFY(!child<QLabel>(w, QStringLiteral("udpSecurityLabel"))->property("warning").toBool());
    QVERIFY(reload->isEnabled());
    QVERIFY(result->text().isEmpty());

    // New files, then Reload: the new fingerprint shows.
    QVERIFY(copyOver(b->certificate, config.tlsCertificateFile) && copyOver(b->key, config.tlsKeyFile));
    reload->click();
    QCOMPARE(f.ts.server->tlsFingerprint(), b->fingerprint);
    QVERIFY(tls->text().contains(b->fingerprint));
    QVERIFY(!tls->text().contains(a->fingerprint));
    QVERIFY2(result->text().contains(QStringLiteral("Reloaded")), qPrintable(result->text()));
    QVERIFY(!result->property("warning").toBool());
    QVERIFY(f.window->statusBar()->currentMessage().contains(b->fingerprint));

    // A broken key: the reason shows, and the certificate in use (B) stays on the label.
    QFile key(config.tlsKeyFile);
    QVERIFY(key.open(QIODevice::WriteOnly | QIODevice::Truncate));
    key.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
    key.close();
    reload->click();
    QCOMPARE(f.ts.server->tlsFingerprint(), b->fingerprint);
    QVERIFY2(result->text().contains(QStringLiteral("Reload failed")), qPrintable(result->text()));
    QVERIFY2(result->text().contains(QStringLiteral("holds no usable private key")), qPrintable(result->text()));
    QVERIFY(result->property("warning").toBool());
    QVERIFY(tls->text().contains(b->fingerprint));
    QVERIFY(reload->isEnabled());

    // A reload the window did not ask for (SIGHUP) updates it too.
    QVERIFY(copyOver(a->key, config.tlsKeyFile) && copyOver(a->certificate, config.tlsCertificateFile));
    QVERIFY(f.ts.server->reloadCertificate());
    QVERIFY(tls->text().contains(a->fingerprint));
    QVERIFY(result->text().contains(QStringLiteral("Reloaded")));
    QVERIFY(!result->property("warning").toBool());
}

void tst_AdminWindow::overviewSaysWhenTlsIsOff()
{
    Fixture f;
    QVERIFY(f.start());
    QWidget *w = f.window.get();
    auto *tls = child<QLabel>(w, QStringLiteral("tlsLabel"));
    QVERIFY(tls);
    QCOMPARE(tls->text(), QStringLiteral("TLS off: passwords and messages cross the network in clear"));
    QVERIFY(!tls->property("warning").toBool()); // loopback only: nothing crosses a network
    QCOMPARE(child<QLabel>(w, QStringLiteral("udpSecurityLabel"))->text(), QStringLiteral("UDP is not encrypted"));
    QVERIFY(!child<QPushButton>(w, QStringLiteral("reloadCertificateButton"))->isEnabled());

    // Listening on every address without TLS looks like the warning it is (never started: no socket).
    ServerConfig open;
    open.host = QHostAddress::Any;
    open.serveUdp = false;
    ChatServer server(open);
    OverviewTab overview(&server);
    auto *openTls = child<QLabel>(&overview, QStringLiteral("tlsLabel"));
    QVERIFY(openTls->text().startsWith(QStringLiteral("TLS off")));
    QVERIFY(openTls->property("warning").toBool());
    QCOMPARE(child<QLabel>(&overview, QStringLiteral("udpSecurityLabel"))->text(), QStringLiteral("UDP is not served"));
    // So does plain UDP on every address.
    ServerConfig openUdp;
    openUdp.host = QHostAddress::Any;
    ChatServer udpServer(openUdp);
    OverviewTab udpOverview(&udpServer);
    auto *udpLabel = child<QLabel>(&udpOverview, QStringLiteral("udpSecurityLabel"));
    QCOMPARE(udpLabel->text(), QStringLiteral("UDP is not encrypted"));
    QVERIFY(udpLabel->property("warning").toBool());
}

void tst_AdminWindow::closingCanStopTheServer()
{
    Fixture f;
    QVERIFY(f.start());
    RawPeer alice(f.ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QSignalSpy stopped(f.ts.server.get(), &ChatServer::stopped);
    QVERIFY(!f.window->close()); // not yet: it asks first
    QVERIFY(f.window->isVisible());
    QMessageBox *box = waitForBox(f.window.get(), QStringLiteral("closeQuestion"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("stopServerButton"))->click();
    const auto notice = alice.expect(MessageType::ServerShutdown);
    QVERIFY(notice);
    QVERIFY(notice->text(Key::Reason).contains(QStringLiteral("administrator")));
    QVERIFY(alice.waitClosed());
    QVERIFY(stopped.wait(5000) || stopped.count() == 1);
    QTRY_VERIFY(!f.window->isVisible());
}

void tst_AdminWindow::closingCanKeepTheServerRunning()
{
    Fixture f;
    QVERIFY(f.start());
    QSignalSpy kept(f.window.get(), &AdminWindow::keptRunningInBackground);
    f.window->close();
    QMessageBox *box = waitForBox(f.window.get(), QStringLiteral("closeQuestion"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("keepRunningButton"))->click();
    QCOMPARE(kept.count(), 1);
    QTRY_VERIFY(!f.window->isVisible());
    QVERIFY(f.ts.server->isListening());
    RawPeer late(f.ts.port());
    QCOMPARE(late.login(QStringLiteral("late"), pw)->type(), MessageType::LoginOk);
}

void tst_AdminWindow::closingCanBeCancelled()
{
    Fixture f;
    QVERIFY(f.start());
    f.window->close();
    QMessageBox *box = waitForBox(f.window.get(), QStringLiteral("closeQuestion"));
    QVERIFY(box);
    child<QPushButton>(box, QStringLiteral("cancelButton"))->click();
    QTest::qWait(50);
    QVERIFY(f.window->isVisible());
    QVERIFY(f.ts.server->isListening());
}

void tst_AdminWindow::reasonsFitTheProtocol()
{
    // The field counts characters, the protocol bytes: a long reason is cut between characters.
    AdminKickDialog kick;
    const QString han(200, QChar(0x6F22)); // 3 UTF-8 bytes each
    child<QLineEdit>(&kick, QStringLiteral("reasonEdit"))->setText(han);
    QCOMPARE(kick.reason().toUtf8().size(), 255);
    QVERIFY(han.startsWith(kick.reason()));
    AdminBanDialog ban;
    const QString faces = QString(100, QLatin1Char('x')) + QString::fromUtf8("\xF0\x9F\x98\x80").repeated(60); // 4 bytes each
    child<QLineEdit>(&ban, QStringLiteral("reasonEdit"))->setText(faces);
    QCOMPARE(ban.reason().toUtf8().size(), 100 + 4 * 39);
    QVERIFY(faces.startsWith(ban.reason()));
    child<QLineEdit>(&ban, QStringLiteral("reasonEdit"))->setText(QStringLiteral("  short  "));
    QCOMPARE(ban.reason(), QStringLiteral("short"));
}

QTEST_MAIN(tst_AdminWindow)
#include "tst_adminwindow.moc"
