// The desktop client's parts that need no server: the input line, the message view with 100,000
// rows, the delegate's plain-text drawing, unread tabs, the users filter, reconnection pauses,
// mentions, recent servers and the login dialog's own checks. Offscreen platform.
#include "clientsession.h"
#include "conversationmodel.h"
#include "conversationregistry.h"
#include "conversationtabs.h"
#include "conversationview.h"
#include "logindialog.h"
#include "messagedelegate.h"
#include "messageinput.h"
#include "reconnector.h"
#include "serverhistory.h"
#include "unreadtabbar.h"
#include "userfiltermodel.h"
#include "usermodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace Confab;

class tst_ClientWidgets : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();

    void inputEnterSendsShiftEnterBreaksLine();
    void inputHistoryWalksWithUpAndDown();
    void inputKeepsADraftPerConversation();
    void viewFollowsNewRowsOnlyAtTheBottom();
    void estimatedRowHeightsBecomeExactWhenShown();
    void delegateDrawsMarkupAsPlainText();
    void delegateWordsTheDeliveryState();
    void unreadTabsShowCountAndBold();
    void userFilterModel();
    void backoffDelays_data();
    void backoffDelays();
    void mentions_data();
    void mentions();
    void parseAddress_data();
    void parseAddress();
    void recentServersAreRememberedWithoutPasswords();
    void loginDialogChecksBeforeConnecting_data();
    void loginDialogChecksBeforeConnecting();
};

void tst_ClientWidgets::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("confab-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_clientwidgets"));
}

void tst_ClientWidgets::inputEnterSendsShiftEnterBreaksLine()
{
    MessageInput input;
    input.show();
    QSignalSpy submitted(&input, &MessageInput::submitted);
    const int oneLine = input.height();

    QTest::keyClick(&input, Qt::Key_Return); // nothing to send
    QCOMPARE(submitted.count(), 0);
    QTest::keyClicks(&input, QStringLiteral("one"));
    QTest::keyClick(&input, Qt::Key_Return, Qt::ShiftModifier);
    QTest::keyClicks(&input, QStringLiteral("two"));
    QTest::keyClick(&input, Qt::Key_Enter, Qt::ShiftModifier);
    QTest::keyClicks(&input, QStringLiteral("three"));
    QVERIFY(input.height() > oneLine); // grows with its lines
    QTest::keyClick(&input, Qt::Key_Return);
    QCOMPARE(submitted.count(), 1);
    QCOMPARE(submitted.at(0).at(0).toString(), QStringLiteral("one\ntwo\nthree"));
    // The text stays until whoever sent it says it was used.
    QCOMPARE(input.text(), QStringLiteral("one\ntwo\nthree"));
    input.clearAfterSend(input.text());
    QVERIFY(input.text().isEmpty());
    QTRY_COMPARE(input.height(), oneLine);
}

void tst_ClientWidgets::inputHistoryWalksWithUpAndDown()
{
    MessageInput input;
    input.show();
    for (const char *line : {"first", "second", "third"}) {
        QTest::keyClicks(&input, QLatin1String(line));
        input.clearAfterSend(input.text());
    }
    QTest::keyClicks(&input, QStringLiteral("draft"));
    QTest::keyClick(&input, Qt::Key_Up);
    QCOMPARE(input.text(), QStringLiteral("third"));
    QTest::keyClick(&input, Qt::Key_Up);
    QCOMPARE(input.text(), QStringLiteral("second"));
    QTest::keyClick(&input, Qt::Key_Up);
    QTest::keyClick(&input, Qt::Key_Up); // stops at the oldest
    QCOMPARE(input.text(), QStringLiteral("first"));
    QTest::keyClick(&input, Qt::Key_Down);
    QCOMPARE(input.text(), QStringLiteral("second"));
    QTest::keyClick(&input, Qt::Key_Down);
    QTest::keyClick(&input, Qt::Key_Down);
    QCOMPARE(input.text(), QStringLiteral("draft")); // back to what was being written
    QTest::keyClick(&input, Qt::Key_Up);
    QTest::keyClick(&input, Qt::Key_Escape);
    QCOMPARE(input.text(), QStringLiteral("draft"));
    QCOMPARE(input.history(), (QStringList{"first", "second", "third"}));

    // In a multi-line text, Up moves the cursor until the first line.
    input.setText(QStringLiteral("a\nb"));
    QTest::keyClick(&input, Qt::Key_Up);
    QCOMPARE(input.text(), QStringLiteral("a\nb"));
    QTest::keyClick(&input, Qt::Key_Up);
    QCOMPARE(input.text(), QStringLiteral("third"));
}

void tst_ClientWidgets::inputKeepsADraftPerConversation()
{
    MessageInput input;
    input.setDraftKey(QStringLiteral("lobby"));
    input.setText(QStringLiteral("for the lobby"));
    input.setDraftKey(QStringLiteral("dm:bob"));
    QVERIFY(input.text().isEmpty());
    input.setText(QStringLiteral("for bob"));
    input.setDraftKey(QStringLiteral("lobby"));
    QCOMPARE(input.text(), QStringLiteral("for the lobby"));
    input.setDraftKey(QStringLiteral("dm:bob"));
    QCOMPARE(input.text(), QStringLiteral("for bob"));
}

void tst_ClientWidgets::viewFollowsNewRowsOnlyAtTheBottom()
{
    constexpr int Rows = 100000;
    ConversationModel model;
    QVector<ConversationModel::Entry> entries;
    entries.reserve(Rows);
    const QDateTime start = QDateTime::currentDateTime().addSecs(-Rows);
    for (int i = 0; i < Rows; ++i) {
        ConversationModel::Entry e;
        e.sender = i % 3 == 0 ? QStringLiteral("alice") : QStringLiteral("bob");
        e.text = i % 50 == 0 ? QStringLiteral("a longer message number %1 that wraps onto more than one line when "
                                              "the view is narrow, as chat messages often do")
                                   .arg(i)
                             : QStringLiteral("message %1").arg(i);
        e.timestamp = start.addSecs(i);
        entries.append(e);
    }
    model.appendEntries(entries);

    ConversationView view;
    view.resize(500, 400);
    QElapsedTimer timer;
    timer.start();
    view.setConversation(&model, ConversationKind::Lobby);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_VERIFY(view.verticalScrollBar()->maximum() > 0);
    QTRY_VERIFY(view.isAtBottom());
    qInfo("first layout of %d rows: %lld ms", Rows, qint64(timer.elapsed()));

    // At the bottom: a new row scrolls into view.
    model.appendReceived(QStringLiteral("carol"), QStringLiteral("new at the bottom"), QDateTime::currentDateTime());
    QTRY_VERIFY(view.isAtBottom());
    QTRY_VERIFY(view.indexAt(QPoint(10, view.viewport()->height() - 5)).row() == Rows);

    // Reading older rows: new ones do not move the view.
    QScrollBar *bar = view.verticalScrollBar();
    bar->setValue(bar->maximum() / 2);
    const int reading = bar->value();
    const QModelIndex top = view.indexAt(QPoint(10, 5));
    QVERIFY(!view.followsNewMessages());
    timer.restart();
    for (int i = 0; i < 20; ++i)
        model.appendReceived(QStringLiteral("carol"), QStringLiteral("while you read %1").arg(i), QDateTime::currentDateTime());
    QTRY_VERIFY(bar->maximum() > reading * 2 - 10);
    QTest::qWait(50);
    qInfo("layout after 20 appends to %d rows: %lld ms", Rows, qint64(timer.elapsed()));
    QCOMPARE(bar->value(), reading);
    QCOMPARE(view.indexAt(QPoint(10, 5)), top);

    // A narrower view lays the rows out again and keeps following once back at the bottom.
    view.scrollToLatest();
    view.resize(300, 400);
    QTRY_VERIFY(view.isAtBottom());
    model.appendReceived(QStringLiteral("carol"), QStringLiteral("last"), QDateTime::currentDateTime());
    QTRY_VERIFY(view.isAtBottom());
}

void tst_ClientWidgets::estimatedRowHeightsBecomeExactWhenShown()
{
    // Row heights start as estimates from the average character width. "W" is much wider than
    // average and "i" much narrower, so both estimates are wrong; once painted, each row must be
    // as tall as its wrapped text and the rows must not overlap.
    const QString wide = QString(60, u'W');
    const QString narrow = QString(120, u'i');
    ConversationModel model;
    const QDateTime time = QDateTime::currentDateTime();
    model.appendReceived(QStringLiteral("bob"), wide, time);
    model.appendReceived(QStringLiteral("bob"), narrow, time);
    model.appendReceived(QStringLiteral("bob"), QStringLiteral("short"), time);
    ConversationView view;
    view.resize(320, 600);
    view.setConversation(&model, ConversationKind::Lobby);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    const QFont font = view.font();
    QFont bold = font;
    bold.setBold(true);
    const int textWidth = view.viewport()->width() - 16; // the delegate's side margins
    const int header = QFontMetrics(bold).height();
    auto wrappedHeight = [&](const QString &text) {
        return QFontMetrics(font).boundingRect(QRect(0, 0, textWidth, 100000), Qt::TextWrapAnywhere, text).height();
    };
    const int oneLine = QFontMetrics(font).height();
    QVERIFY2(wrappedHeight(wide) >= 3 * oneLine, "the wide row should wrap onto several lines");

    QTRY_VERIFY(view.visualRect(model.index(0)).height() >= header + wrappedHeight(wide));
    QTRY_VERIFY(view.visualRect(model.index(1)).height() <= header + wrappedHeight(narrow) + 8 + oneLine);
    QVERIFY(view.visualRect(model.index(1)).height() >= header + wrappedHeight(narrow));
    // The view lays the rows out again after the delegate reports the corrected heights.
    for (int row = 0; row + 1 < model.rowCount(); ++row)
        QTRY_COMPARE(view.visualRect(model.index(row + 1)).top(), view.visualRect(model.index(row)).bottom() + 1);
}

void tst_ClientWidgets::delegateDrawsMarkupAsPlainText()
{
    // "<b></b>" is nothing as rich text but seven characters as plain text.
    ConversationModel model;
    const QDateTime time = QDateTime::currentDateTime();
    model.appendReceived(QStringLiteral("bob"), QStringLiteral("<b></b>"), time);
    model.appendReceived(QStringLiteral("bob"), QStringLiteral(" "), time);
    ConversationView view;
    view.resize(400, 200);
    view.setConversation(&model, ConversationKind::Lobby);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    auto render = [&](int row) {
        const QModelIndex index = model.index(row);
        const QRect rect = view.visualRect(index);
        QImage image(rect.size(), QImage::Format_ARGB32);
        image.fill(Qt::white);
        QPainter painter(&image);
        QStyleOptionViewItem option;
        option.initFrom(&view);
        option.rect = QRect(QPoint(0, 0), rect.size());
        option.state &= ~QStyle::State_Selected;
        view.itemDelegate()->paint(&painter, option, index);
        painter.end();
        return image;
    };
    const QImage markup = render(0);
    const QImage blank = render(1);
    QCOMPARE(markup.size(), blank.size());
    QVERIFY2(markup != blank, "the markup was interpreted instead of shown");
    QCOMPARE(model.index(0).data(Qt::DisplayRole).toString(), QStringLiteral("<b></b>"));
}

void tst_ClientWidgets::delegateWordsTheDeliveryState()
{
    ConversationModel model;
    model.appendOwn(1, QStringLiteral("alice"), QStringLiteral("one"));
    model.appendOwn(2, QStringLiteral("alice"), QStringLiteral("two"));
    model.appendOwn(3, QStringLiteral("alice"), QStringLiteral("three"));
    model.appendReceived(QStringLiteral("bob"), QStringLiteral("four"), QDateTime::currentDateTime());
    model.markDelivered(2, 3);
    model.markFailed(3, QStringLiteral("the user is offline"));
    MessageDelegate delegate;
    QCOMPARE(delegate.deliveryText(model.index(0)), QStringLiteral("Sending…"));
    QCOMPARE(delegate.deliveryText(model.index(1)), QStringLiteral("✓ Delivered to 3"));
    QVERIFY(delegate.deliveryText(model.index(2)).contains(QLatin1String("the user is offline")));
    QVERIFY(delegate.deliveryText(model.index(3)).isEmpty());
    delegate.setConversationKind(ConversationKind::Dm);
    QCOMPARE(delegate.deliveryText(model.index(1)), QStringLiteral("✓ Delivered"));
}

void tst_ClientWidgets::unreadTabsShowCountAndBold()
{
    ConversationRegistry registry;
    ConversationTabs tabs;
    tabs.resize(600, 300);
    tabs.setRegistry(&registry);
    tabs.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tabs));
    registry.setAttended(true);
    QCOMPARE(tabs.count(), 1);
    QCOMPARE(tabs.tabText(0), QStringLiteral("Lobby"));

    const ConversationId bob = ConversationId::dm(QStringLiteral("bob"));
    registry.model(bob); // a DM conversation opens its tab in the background
    QCOMPARE(tabs.count(), 2);
    QCOMPARE(tabs.currentConversation(), ConversationId::lobby());
    const int index = tabs.indexOf(bob);
    const int plainWidth = tabs.tabBar()->tabRect(index).width();

    registry.addNotice(bob, QStringLiteral("counts"), false);
    registry.addNotice(bob, QStringLiteral("counts too"), false);
    registry.addNotice(bob, QStringLiteral("quiet"));
    QCOMPARE(tabs.tabText(index), QStringLiteral("bob (2)"));
    QVERIFY(tabs.isMarked(bob));
    QVERIFY(tabs.tabBar()->tabRect(index).width() > plainWidth);

    // Moving the tab keeps its mark.
    tabs.tabBar()->moveTab(index, 0);
    QVERIFY(tabs.unreadTabBar()->isTabMarked(0));

    tabs.setCurrentIndex(tabs.indexOf(bob));
    QCOMPARE(tabs.tabText(tabs.indexOf(bob)), QStringLiteral("bob"));
    QVERIFY(!tabs.isMarked(bob));
    QCOMPARE(registry.totalUnread(), 0);

    // Unattended (window in the background), even the current conversation counts.
    registry.setAttended(false);
    registry.addNotice(bob, QStringLiteral("while away"), false);
    QCOMPARE(registry.unreadCount(bob), 1);
    registry.setAttended(true);
    QCOMPARE(registry.unreadCount(bob), 0);
}

void tst_ClientWidgets::userFilterModel()
{
    UserModel users;
    UserFilterModel filter;
    filter.setSourceModel(&users);
    QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QDateTime since = QDateTime::currentDateTime();
    users.setUsers({{QStringLiteral("alice"), since, QStringLiteral("tcp")},
                    {QStringLiteral("bob"), since, QStringLiteral("udp")},
                    {QStringLiteral("Carol"), since, QStringLiteral("tcp")}});
    users.setSelfName(QStringLiteral("alice"));
    QCOMPARE(filter.rowCount(), 3);
    QCOMPARE(filter.index(0, 0).data().toString(), QStringLiteral("alice (you)"));
    QVERIFY(filter.index(1, 0).data(Qt::ToolTipRole).toString().contains(QLatin1String("UDP")));
    QVERIFY(!filter.index(1, 0).data(Qt::DecorationRole).value<QIcon>().isNull());

    filter.setFilterFixedString(QStringLiteral("CAR"));
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, 0).data(UserModel::NameRole).toString(), QStringLiteral("Carol"));
    users.addUser({QStringLiteral("carlos"), since, QStringLiteral("tcp")});
    QCOMPARE(filter.rowCount(), 2);
    users.removeUser(QStringLiteral("carol"));
    QCOMPARE(filter.rowCount(), 1);
    filter.setFilterFixedString(QString());
    QCOMPARE(filter.rowCount(), 3);

    // In a room's context the owner is starred and outsiders are greyed.
    filter.setRoomContext(QStringLiteral("dev"), {QStringLiteral("alice"), QStringLiteral("Bob")}, QStringLiteral("bob"));
    QVERIFY(filter.index(1, 0).data().toString().endsWith(QStringLiteral("★")));
    QVERIFY(!filter.index(0, 0).data(Qt::ForegroundRole).isValid());
    QVERIFY(filter.index(2, 0).data(Qt::ForegroundRole).isValid()); // carlos is not in #dev
}

void tst_ClientWidgets::backoffDelays_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<int>("delay");
    QTest::newRow("first") << 1 << 1000;
    QTest::newRow("second") << 2 << 2000;
    QTest::newRow("third") << 3 << 4000;
    QTest::newRow("fifth") << 5 << 16000;
    QTest::newRow("capped") << 6 << 30000;
    QTest::newRow("stays capped") << 40 << 30000;
}

void tst_ClientWidgets::backoffDelays()
{
    QFETCH(int, attempt);
    QFETCH(int, delay);
    QCOMPARE(Reconnector::backoffDelay(attempt, 1000, 30000), delay);
}

void tst_ClientWidgets::mentions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("mentioned");
    QTest::newRow("plain") << "hi alice" << true;
    QTest::newRow("other case") << "ALICE: look" << true;
    QTest::newRow("at sign") << "@alice thanks" << true;
    QTest::newRow("end of sentence") << "thanks, alice." << true;
    QTest::newRow("inside a word") << "malice aforethought" << false;
    QTest::newRow("longer name") << "alice_b is here" << false;
    QTest::newRow("dotted name") << "ask alice.b" << false;
    QTest::newRow("nobody") << "hello everyone" << false;
}

void tst_ClientWidgets::mentions()
{
    QFETCH(QString, text);
    QFETCH(bool, mentioned);
    QCOMPARE(ConversationRegistry::mentions(text, QStringLiteral("alice")), mentioned);
}

void tst_ClientWidgets::parseAddress_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::newRow("host") << "chat.example.org" << true << "chat.example.org" << 65432;
    QTest::newRow("host and port") << "10.0.0.2:4000" << true << "10.0.0.2" << 4000;
    QTest::newRow("bare IPv6") << "::1" << true << "::1" << 65432;
    QTest::newRow("bracketed IPv6 with port") << "[::1]:7000" << true << "::1" << 7000;
    QTest::newRow("bad port") << "host:99999" << false << "" << 65432;
    QTest::newRow("empty") << "  " << false << "" << 65432;
}

void tst_ClientWidgets::parseAddress()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(QString, host);
    QFETCH(int, port);
    QString parsedHost;
    quint16 parsedPort = 65432;
    QCOMPARE(ServerHistory::parseAddress(text, &parsedHost, &parsedPort), ok);
    if (ok) {
        QCOMPARE(parsedHost, host);
        QCOMPARE(int(parsedPort), port);
    }
}

void tst_ClientWidgets::recentServersAreRememberedWithoutPasswords()
{
    ServerHistory::clear();
    for (int i = 0; i < ServerHistory::MaxEntries + 3; ++i)
        ServerHistory::remember({QStringLiteral("host%1").arg(i), quint16(1000 + i), QStringLiteral("u%1").arg(i),
                                 QStringLiteral("tcp")});
    ServerHistory::remember({QStringLiteral("HOST3"), 1003, QStringLiteral("again"), QStringLiteral("auto")});
    const QList<ServerEntry> entries = ServerHistory::load();
    QCOMPARE(entries.size(), ServerHistory::MaxEntries);
    QCOMPARE(entries.at(0).host, QStringLiteral("HOST3")); // newest first, no duplicate
    QCOMPARE(entries.at(0).user, QStringLiteral("again"));
    QCOMPARE(entries.at(1).host, QStringLiteral("host10"));
    int host3 = 0;
    for (const ServerEntry &e : entries)
        host3 += e.host.compare(QLatin1String("host3"), Qt::CaseInsensitive) == 0 ? 1 : 0;
    QCOMPARE(host3, 1);

    // The login dialog offers them, newest first, and fills the fields from the choice.
    ClientSession session;
    LoginDialog dialog(&session);
    auto *servers = dialog.findChild<QComboBox *>(QStringLiteral("serverCombo"));
    QCOMPARE(servers->count(), ServerHistory::MaxEntries);
    QCOMPARE(servers->currentText(), QStringLiteral("HOST3"));
    QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("userEdit"))->text(), QStringLiteral("again"));
    ServerHistory::clear();
}

void tst_ClientWidgets::loginDialogChecksBeforeConnecting_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no server") << "" << "alice" << "secret1" << "host name";
    QTest::newRow("no username") << "127.0.0.1" << "" << "secret1" << "Type a username";
    QTest::newRow("invalid username") << "127.0.0.1" << "a" << "secret1" << "cannot be a username";
    QTest::newRow("username with a space") << "127.0.0.1" << "al ice" << "secret1" << "may only hold";
    QTest::newRow("no password") << "127.0.0.1" << "alice" << "" << "password";
}

void tst_ClientWidgets::loginDialogChecksBeforeConnecting()
{
    QFETCH(QString, server);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QString, expected);
    ServerHistory::clear();
    ClientSession session;
    LoginDialog dialog(&session);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    dialog.findChild<QComboBox *>(QStringLiteral("serverCombo"))->setEditText(server);
    dialog.findChild<QLineEdit *>(QStringLiteral("userEdit"))->setText(user);
    dialog.findChild<QLineEdit *>(QStringLiteral("passwordEdit"))->setText(password);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QVERIFY2(dialog.errorText().contains(expected, Qt::CaseInsensitive), qPrintable(dialog.errorText()));
    QVERIFY(!dialog.isBusy());
    QCOMPARE(session.state(), ClientSession::State::Disconnected); // nothing was sent anywhere
}

QTEST_MAIN(tst_ClientWidgets)
#include "tst_clientwidgets.moc"
