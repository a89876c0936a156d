// The desktop client's chat window against a real ChatServer (in-process, loopback, port 0,
// offscreen), driven as a user would through widgets found by objectName: the users and rooms
// panels after login, DM tabs from a double-click, rooms, unread counts, notifications, commands
// in the input line. The other users are real ClientSessions.
#include "clientguisupport.h"

#include "conversationmodel.h"
#include "conversationpage.h"
#include "conversationregistry.h"
#include "conversationtabs.h"
#include "conversationview.h"
#include "notifier.h"
#include "roomlistmodel.h"
#include "roomspanel.h"
#include "userfiltermodel.h"
#include "userspanel.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QListView>
#include <QMenu>

using namespace ConfabTest;
using Confab::ClientApp;
using Confab::ClientSession;
using Confab::ConversationId;
using Confab::ConversationModel;
using Confab::LoginDialog;
using Confab::MainWindow;
using State = Confab::ClientSession::State;

class tst_ClientGui : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void successfulLoginFillsPanels();
    void doubleClickOnUserOpensDirectTab();
    void closedDirectTabKeepsHistory();
    void failedMessageCanBeSentAgain();
    void roomJoinAndMessage();
    void roomOwnerGetsKickAndBan();
    void unreadCountsInTabTitles();
    void directMessageWhileUnfocusedNotifies();
    void commandsInTheInputLine();
    void modelsPassTheModelTester();

private:
    ClientGuiFixture m_fixture;
};

void tst_ClientGui::initTestCase()
{
    ClientGuiFixture::initTestCase("tst_clientgui");
    QVERIFY(!Confab::ClientIcons::application().isNull());
}

void tst_ClientGui::init()
{
    QVERIFY(m_fixture.init());
}

void tst_ClientGui::cleanup()
{
    m_fixture.cleanup();
}

void tst_ClientGui::successfulLoginFillsPanels()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    auto carol = m_fixture.peer(QStringLiteral("carol"));
    QVERIFY(bob && carol);
    QSignalSpy joined(bob.get(), &ClientSession::roomJoined);
    bob->createRoom(QStringLiteral("dev"), QStringLiteral("Talk about code"));
    bob->createRoom(QStringLiteral("music"));
    QTRY_COMPARE(joined.count(), 2);

    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);

    auto *users = child<QListView>(window, "usersView");
    QTRY_COMPARE(users->model()->rowCount(), 3);
    QVERIFY(findRow(users, QStringLiteral("bob")).isValid());
    QVERIFY(findRow(users, QStringLiteral("alice (you)")).isValid());

    auto *rooms = child<QListView>(window, "roomsView");
    QTRY_COMPARE(rooms->model()->rowCount(), 2);
    const QModelIndex dev = findRow(rooms, QStringLiteral("dev"), Confab::RoomListModel::NameRole);
    QVERIFY(dev.isValid());
    QCOMPARE(dev.data(Confab::RoomListModel::TopicRole).toString(), QStringLiteral("Talk about code"));
    QCOMPARE(dev.data(Confab::RoomListModel::MemberCountRole).toInt(), 1);

    // The filter box narrows the users panel.
    QTest::keyClicks(child<QLineEdit>(window, "userFilterEdit"), QStringLiteral("CA"));
    QTRY_COMPARE(users->model()->rowCount(), 1);
    QCOMPARE(users->model()->index(0, 0).data(Confab::UserModel::NameRole).toString(), QStringLiteral("carol"));

    // Status bar: state, transport, server, round trip.
    QTRY_VERIFY(child<QLabel>(window, "connectionStateLabel")->text().contains(QLatin1String("alice")));
    QCOMPARE(child<QLabel>(window, "transportLabel")->text(), QStringLiteral("TCP ⚠ not encrypted"));
    QVERIFY(child<QLabel>(window, "serverLabel")->text().contains(QString::number(m_fixture.port())));
    QVERIFY(child<QLabel>(window, "roundTripLabel")->text().startsWith(QLatin1String("RTT")));
    window->session()->setKeepalive(100, 10000); // ping after 0.1 s of quiet instead of 15 s
    QTRY_VERIFY(child<QLabel>(window, "roundTripLabel")->text().endsWith(QLatin1String(" ms")));
    QVERIFY(window->windowTitle().contains(QLatin1String("alice")));
}

void tst_ClientGui::doubleClickOnUserOpensDirectTab()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);

    auto *users = child<QListView>(window, "usersView");
    QTRY_VERIFY(findRow(users, QStringLiteral("bob")).isValid());
    doubleClick(users, findRow(users, QStringLiteral("bob")));

    Confab::ConversationTabs *tabs = child<Confab::ConversationTabs>(window, "conversationTabs");
    QTRY_COMPARE(tabs->currentConversation(), ConversationId::dm(QStringLiteral("bob")));
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("bob"));

    QSignalSpy received(bob.get(), &ClientSession::directMessageReceived);
    typeAndSend(child<Confab::MessageInput>(window, "messageInput"), QStringLiteral("hello bob"));
    QVERIFY(received.wait(ReplyTimeoutMs));
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("alice"));
    QCOMPARE(received.at(0).at(2).toString(), QStringLiteral("hello bob"));
    QVERIFY(window->input()->text().isEmpty());

    // Own message, then delivered; bob's answer arrives in the same tab.
    ConversationModel *dm = window->registry()->model(ConversationId::dm(QStringLiteral("bob")));
    QCOMPARE(dm->rowCount(), 1);
    QTRY_COMPARE(dm->entry(0).state, ConversationModel::DeliveryState::Delivered);
    bob->sendDirectMessage(QStringLiteral("alice"), QStringLiteral("hi alice <b>not bold</b>"));
    QTRY_COMPARE(dm->rowCount(), 2);
    QCOMPARE(dm->entry(1).sender, QStringLiteral("bob"));
    QCOMPARE(dm->entry(1).text, QStringLiteral("hi alice <b>not bold</b>"));
}

void tst_ClientGui::closedDirectTabKeepsHistory()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    Confab::ConversationTabs *tabs = window->tabs();

    // A DM that arrives opens its tab by itself, in the background.
    bob->sendDirectMessage(QStringLiteral("alice"), QStringLiteral("are you there?"));
    const ConversationId withBob = ConversationId::dm(QStringLiteral("bob"));
    QTRY_VERIFY(tabs->indexOf(withBob) >= 0);
    QCOMPARE(tabs->currentConversation(), ConversationId::lobby());

    emit tabs->tabCloseRequested(tabs->indexOf(withBob));
    QCOMPARE(tabs->indexOf(withBob), -1);
    QCOMPARE(window->registry()->model(withBob)->rowCount(), 1);

    // Opening it again (double-click) shows the same history.
    auto *users = child<QListView>(window, "usersView");
    doubleClick(users, findRow(users, QStringLiteral("bob")));
    QTRY_COMPARE(tabs->currentConversation(), withBob);
    Confab::ConversationPage *page = tabs->page(withBob);
    QVERIFY(page);
    QCOMPARE(page->view()->model()->rowCount(), 1);
    QCOMPARE(page->view()->model()->index(0, 0).data(ConversationModel::TextRole).toString(),
             QStringLiteral("are you there?"));

    // The lobby cannot be closed.
    emit tabs->tabCloseRequested(tabs->indexOf(ConversationId::lobby()));
    QCOMPARE(tabs->indexOf(ConversationId::lobby()), 0);
}

void tst_ClientGui::failedMessageCanBeSentAgain()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    const ConversationId withBob = ConversationId::dm(QStringLiteral("bob"));
    window->tabs()->openConversation(withBob, true);
    bob->quit();
    QTRY_COMPARE(window->userModel()->rowCount(), 1);
    QVERIFY(window->tabs()->page(withBob)->headerLabel()->text().contains(QLatin1String("offline")));

    typeAndSend(window->input(), QStringLiteral("are you back?"));
    ConversationModel *dm = window->registry()->model(withBob);
    const int row = dm->rowCount() - 1; // after the notice that bob went offline
    QVERIFY(dm->entry(row).own);
    QTRY_COMPARE(dm->entry(row).state, ConversationModel::DeliveryState::Failed);
    QVERIFY(!dm->entry(row).failureReason.isEmpty());

    bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    QSignalSpy received(bob.get(), &ClientSession::directMessageReceived);
    emit window->tabs()->resendRequested(withBob, row); // the view's "Send Again"
    QVERIFY(received.wait(ReplyTimeoutMs));
    QCOMPARE(received.at(0).at(2).toString(), QStringLiteral("are you back?"));
    const int again = dm->rowCount() - 1;
    QVERIFY(again > row && dm->entry(again).own);
    QTRY_COMPARE(dm->entry(again).state, ConversationModel::DeliveryState::Delivered);
}

void tst_ClientGui::roomJoinAndMessage()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    QSignalSpy created(bob.get(), &ClientSession::roomJoined);
    bob->createRoom(QStringLiteral("dev"), QStringLiteral("Talk about code"));
    QVERIFY(created.wait(ReplyTimeoutMs));

    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    auto *rooms = child<QListView>(window, "roomsView");
    QTRY_VERIFY(findRow(rooms, QStringLiteral("dev"), Confab::RoomListModel::NameRole).isValid());

    QSignalSpy memberJoined(bob.get(), &ClientSession::memberJoined);
    doubleClick(rooms, findRow(rooms, QStringLiteral("dev"), Confab::RoomListModel::NameRole));
    const ConversationId dev = ConversationId::room(QStringLiteral("dev"));
    QTRY_COMPARE_WITH_TIMEOUT(window->tabs()->currentConversation(), dev, ReplyTimeoutMs);
    QVERIFY(memberJoined.wait(ReplyTimeoutMs) || !memberJoined.isEmpty());
    QCOMPARE(window->tabs()->tabText(window->tabs()->currentIndex()), QStringLiteral("#dev"));
    // The tab's header shows the topic; the room row shows that alice is in it.
    QTRY_VERIFY(window->tabs()->page(dev)->headerLabel()->text().contains(QLatin1String("Talk about code")));
    QTRY_VERIFY(findRow(rooms, QStringLiteral("dev"), Confab::RoomListModel::NameRole)
                    .data(Confab::RoomListModel::JoinedRole).toBool());

    QSignalSpy roomMessages(bob.get(), &ClientSession::roomMessageReceived);
    typeAndSend(window->input(), QStringLiteral("hi all"));
    QVERIFY(roomMessages.wait(ReplyTimeoutMs));
    QCOMPARE(roomMessages.at(0).at(0).toString(), QStringLiteral("dev"));
    QCOMPARE(roomMessages.at(0).at(1).toString(), QStringLiteral("alice"));
    QCOMPARE(roomMessages.at(0).at(2).toString(), QStringLiteral("hi all"));

    ConversationModel *model = window->registry()->model(dev);
    bob->sendRoomMessage(QStringLiteral("dev"), QStringLiteral("welcome, alice"));
    QTRY_VERIFY(model->rowCount() > 0 && model->entry(model->rowCount() - 1).text == QLatin1String("welcome, alice"));
    // alice's own message was confirmed delivered to the one other member.
    bool delivered = false;
    for (int row = 0; row < model->rowCount(); ++row) {
        const ConversationModel::Entry &e = model->entry(row);
        if (e.own && e.text == QLatin1String("hi all"))
            delivered = QTest::qWaitFor([&] { return model->entry(row).state == ConversationModel::DeliveryState::Delivered; });
    }
    QVERIFY(delivered);

    // The Leave button leaves the room and its tab closes; the history stays in the registry.
    window->roomsPanel()->selectRoom(QStringLiteral("dev"));
    QPushButton *leave = child<QPushButton>(window, "leaveRoomButton");
    QTRY_VERIFY(leave->isEnabled());
    QTest::mouseClick(leave, Qt::LeftButton);
    QTRY_COMPARE(window->tabs()->indexOf(dev), -1);
    QVERIFY(!window->registry()->isJoined(QStringLiteral("dev")));
    QVERIFY(window->registry()->model(dev)->rowCount() >= 3);
}

void tst_ClientGui::roomOwnerGetsKickAndBan()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);

    // alice creates a room with /create; bob joins it.
    typeAndSend(window->input(), QStringLiteral("/create dev our room"));
    const ConversationId dev = ConversationId::room(QStringLiteral("dev"));
    QTRY_COMPARE_WITH_TIMEOUT(window->tabs()->currentConversation(), dev, ReplyTimeoutMs);
    QVERIFY(window->registry()->ownsRoom(QStringLiteral("dev")));
    QSignalSpy bobJoined(bob.get(), &ClientSession::roomJoined);
    bob->joinRoom(QStringLiteral("dev"));
    QVERIFY(bobJoined.wait(ReplyTimeoutMs));
    QTRY_VERIFY(window->registry()->room(QStringLiteral("dev")).members.contains(QStringLiteral("bob")));

    // In the room's tab, the owner's context menu on bob offers kick and ban.
    auto *users = child<QListView>(window, "usersView");
    std::unique_ptr<QMenu> menu(window->usersPanel()->createContextMenu(findRow(users, QStringLiteral("bob"))));
    QVERIFY(menu);
    auto *kick = menu->findChild<QAction *>(QStringLiteral("kickUserAction"));
    QVERIFY(kick && kick->isEnabled());
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("banUserAction")));

    // Kicking (through the dialog) removes bob from the room.
    QSignalSpy kicked(bob.get(), &ClientSession::kickedFromRoom);
    kick->trigger();
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = window->findChild<QDialog *>(QStringLiteral("moderationDialog"))) && dialog->isVisible());
    child<QLineEdit>(dialog, "reasonEdit")->setText(QStringLiteral("testing"));
    dialog->accept();
    QVERIFY(kicked.wait(ReplyTimeoutMs));
    QCOMPARE(kicked.at(0).at(2).toString(), QStringLiteral("testing"));
    QTRY_VERIFY(!window->registry()->room(QStringLiteral("dev")).members.contains(QStringLiteral("bob")));

    // Not owning the room shown (the lobby): only "Message".
    window->tabs()->openConversation(ConversationId::lobby(), true);
    menu.reset(window->usersPanel()->createContextMenu(findRow(users, QStringLiteral("bob"))));
    QVERIFY(!menu->findChild<QAction *>(QStringLiteral("kickUserAction")));
    QVERIFY(menu->findChild<QAction *>(QStringLiteral("messageUserAction")));
}

void tst_ClientGui::unreadCountsInTabTitles()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    auto carol = m_fixture.peer(QStringLiteral("carol"));
    QVERIFY(bob && carol);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    QVERIFY(m_fixture.activate(window));
    Confab::ConversationTabs *tabs = window->tabs();

    // alice reads a DM with bob; two lobby messages come meanwhile.
    auto *users = child<QListView>(window, "usersView");
    doubleClick(users, findRow(users, QStringLiteral("bob")));
    QTRY_COMPARE(tabs->currentConversation(), ConversationId::dm(QStringLiteral("bob")));
    carol->sendLobbyMessage(QStringLiteral("one"));
    carol->sendLobbyMessage(QStringLiteral("two"));
    const int lobby = tabs->indexOf(ConversationId::lobby());
    QTRY_COMPARE(tabs->tabText(lobby), QStringLiteral("Lobby (2)"));
    QVERIFY(tabs->isMarked(ConversationId::lobby()));
    QVERIFY(window->windowTitle().startsWith(QLatin1String("(2)")));
    // The DM being read gets no count.
    bob->sendDirectMessage(QStringLiteral("alice"), QStringLiteral("psst"));
    QTRY_COMPARE(window->registry()->model(ConversationId::dm(QStringLiteral("bob")))->rowCount(), 1);
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("bob"));
    QVERIFY(!tabs->isMarked(ConversationId::dm(QStringLiteral("bob"))));

    // Showing the lobby reads it.
    tabs->setCurrentIndex(lobby);
    QCOMPARE(tabs->tabText(lobby), QStringLiteral("Lobby"));
    QVERIFY(!tabs->isMarked(ConversationId::lobby()));
    QVERIFY(!window->windowTitle().startsWith(QLatin1String("(")));
}

void tst_ClientGui::directMessageWhileUnfocusedNotifies()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    QSignalSpy notified(window->notifier(), &Confab::Notifier::notified);

    // Another window has the focus: a DM and a mention notify, a plain lobby message does not.
    QWidget elsewhere;
    elsewhere.resize(200, 100);
    QVERIFY(m_fixture.activate(&elsewhere));
    QVERIFY(window->notifier()->windowIsUnattended());
    bob->sendDirectMessage(QStringLiteral("alice"), QStringLiteral("ping"));
    QVERIFY(notified.wait(ReplyTimeoutMs));
    QCOMPARE(notified.at(0).at(0).value<ConversationId>(), ConversationId::dm(QStringLiteral("bob")));
    QVERIFY(notified.at(0).at(1).toString().contains(QLatin1String("bob")));
    QCOMPARE(notified.at(0).at(2).toString(), QStringLiteral("ping"));

    bob->sendLobbyMessage(QStringLiteral("nothing to see"));
    bob->sendLobbyMessage(QStringLiteral("hey Alice, look"));
    QVERIFY(notified.wait(ReplyTimeoutMs));
    QCOMPARE(notified.count(), 2);
    QCOMPARE(notified.at(1).at(2).toString(), QStringLiteral("hey Alice, look"));

    // While the window is in front, nothing pops up.
    QVERIFY(m_fixture.activate(window));
    bob->sendDirectMessage(QStringLiteral("alice"), QStringLiteral("again"));
    QTRY_COMPARE(window->registry()->model(ConversationId::dm(QStringLiteral("bob")))->rowCount(), 2);
    QCOMPARE(notified.count(), 2);
}

void tst_ClientGui::commandsInTheInputLine()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    Confab::MessageInput *input = window->input();

    // Seed alias: /msg opens the DM tab and sends.
    QSignalSpy dms(bob.get(), &ClientSession::directMessageReceived);
    typeAndSend(input, QStringLiteral("/msg bob via command"));
    QVERIFY(dms.wait(ReplyTimeoutMs));
    QCOMPARE(dms.at(0).at(2).toString(), QStringLiteral("via command"));
    QCOMPARE(window->tabs()->currentConversation(), ConversationId::dm(QStringLiteral("bob")));

    // Seed 001's $roomcreate, then /go back to the lobby.
    typeAndSend(input, QStringLiteral("$roomcreate seeds"));
    QTRY_COMPARE_WITH_TIMEOUT(window->tabs()->currentConversation(), ConversationId::room(QStringLiteral("seeds")),
                              ReplyTimeoutMs);
    typeAndSend(input, QStringLiteral("/go lobby"));
    QCOMPARE(window->tabs()->currentConversation(), ConversationId::lobby());

    // An error is shown in the conversation and the line is kept for fixing.
    ConversationModel *lobby = window->registry()->model(ConversationId::lobby());
    const int before = lobby->rowCount();
    typeAndSend(input, QStringLiteral("/join"));
    QCOMPARE(input->text(), QStringLiteral("/join"));
    QCOMPARE(lobby->rowCount(), before + 1);
    QVERIFY(lobby->entry(before).sender.isEmpty()); // a notice row

    // Multi-line text: Shift+Enter adds a line break; Up brings back what was sent.
    input->clear();
    QTest::keyClicks(input, QStringLiteral("first line"));
    QTest::keyClick(input, Qt::Key_Return, Qt::ShiftModifier);
    QTest::keyClicks(input, QStringLiteral("second line"));
    QSignalSpy lobbyMessages(bob.get(), &ClientSession::lobbyMessageReceived);
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(lobbyMessages.wait(ReplyTimeoutMs));
    QCOMPARE(lobbyMessages.at(0).at(1).toString(), QStringLiteral("first line\nsecond line"));
    QTest::keyClick(input, Qt::Key_Up);
    QCOMPARE(input->text(), QStringLiteral("first line\nsecond line"));
}

void tst_ClientGui::modelsPassTheModelTester()
{
    auto bob = m_fixture.peer(QStringLiteral("bob"));
    QVERIFY(bob);
    ClientApp app;
    MainWindow *window = m_fixture.logInThroughDialog(app, QStringLiteral("alice"));
    QVERIFY(window);
    using Mode = QAbstractItemModelTester::FailureReportingMode;
    QAbstractItemModelTester users(window->usersPanel()->filterModel(), Mode::QtTest);
    QAbstractItemModelTester rooms(window->roomModel(), Mode::QtTest);
    QAbstractItemModelTester lobby(window->registry()->model(ConversationId::lobby()), Mode::QtTest);

    auto carol = m_fixture.peer(QStringLiteral("carol"));
    QVERIFY(carol);
    QTRY_COMPARE(window->userModel()->rowCount(), 3);
    QTest::keyClicks(window->usersPanel()->filterEdit(), QStringLiteral("o"));
    QSignalSpy joined(bob.get(), &ClientSession::roomJoined);
    bob->createRoom(QStringLiteral("dev"));
    QVERIFY(joined.wait(ReplyTimeoutMs));
    window->session()->requestRoomList();
    QTRY_COMPARE(window->roomModel()->rowCount(), 1);
    bob->sendLobbyMessage(QStringLiteral("hello"));
    typeAndSend(window->input(), QStringLiteral("hello back"));
    carol->quit();
    QTRY_COMPARE(window->userModel()->rowCount(), 2);
    window->usersPanel()->filterEdit()->clear();
    QTRY_COMPARE(window->usersPanel()->filterModel()->rowCount(), 2);
}

QTEST_MAIN(tst_ClientGui)
#include "tst_clientgui.moc"
