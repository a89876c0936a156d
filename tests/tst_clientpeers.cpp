// Direct chats in the desktop client, against a real ChatServer on loopback: a poke from the users
// panel, answered in the other window's question box, opens direct tabs on both sides, and text
// typed there crosses peer to peer; a declined poke says so; the Direct Chat dialog talks to a
// plain TCP socket, as it would to `nc`, with no server at all.
#include "clientguisupport.h"

#include "conversationmodel.h"
#include "conversationpage.h"
#include "conversationregistry.h"
#include "conversationtabs.h"
#include "peerconversations.h"
#include "userspanel.h"

#include <QAction>
#include <QDialog>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QTcpServer>
#include <QTcpSocket>

using namespace ConfabTest;
using Confab::ClientApp;
using Confab::ConversationId;
using Confab::ConversationModel;
using Confab::MainWindow;
using Confab::PeerConversations;
using PeerState = Confab::PeerConversations::State;

class tst_ClientPeers : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void pokeAcceptedOpensDirectTabsOnBoth();
    void pokeDeclinedTellsTheAsker();
    void pokeCommandAndAcceptCommand();
    void directChatDialogTalksToAPlainSocket();

private:
    MainWindow *logIn(ClientApp &app, const QString &user);
    static void pokeFromUsersPanel(MainWindow *window, const QString &user);
    static QMessageBox *pokeQuestion(MainWindow *window);
    static bool hasRowWithText(ConversationModel *model, const QString &needle);

    ClientGuiFixture m_fixture;
};

void tst_ClientPeers::initTestCase()
{
    ClientGuiFixture::initTestCase("tst_clientpeers");
}

void tst_ClientPeers::init()
{
    QVERIFY(m_fixture.init());
}

void tst_ClientPeers::cleanup()
{
    m_fixture.cleanup();
}

MainWindow *tst_ClientPeers::logIn(ClientApp &app, const QString &user)
{
    MainWindow *window = m_fixture.logInThroughDialog(app, user);
    if (window)
        window->peers()->setListenAddress(QHostAddress::LocalHost); // stay on loopback
    return window;
}

void tst_ClientPeers::pokeFromUsersPanel(MainWindow *window, const QString &user)
{
    auto *users = child<QListView>(window, "usersView");
    QVERIFY(QTest::qWaitFor([&] { return findRow(users, user, Confab::UserModel::NameRole).isValid(); }, ReplyTimeoutMs));
    std::unique_ptr<QMenu> menu(window->usersPanel()->createContextMenu(findRow(users, user, Confab::UserModel::NameRole)));
    QVERIFY(menu);
    auto *poke = menu->findChild<QAction *>(QStringLiteral("pokeUserAction"));
    QVERIFY(poke);
    QVERIFY(poke->isEnabled());
    poke->trigger();
}

QMessageBox *tst_ClientPeers::pokeQuestion(MainWindow *window)
{
    QMessageBox *box = nullptr;
    (void)QTest::qWaitFor([&] {
        box = window->findChild<QMessageBox *>(QStringLiteral("pokeQuestion"));
        return box && box->isVisible();
    }, ReplyTimeoutMs);
    return box;
}

bool tst_ClientPeers::hasRowWithText(ConversationModel *model, const QString &needle)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->entry(row).text.contains(needle))
            return true;
    }
    return false;
}

void tst_ClientPeers::pokeAcceptedOpensDirectTabsOnBoth()
{
    ClientApp aliceApp, bobApp;
    MainWindow *alice = logIn(aliceApp, QStringLiteral("alice"));
    MainWindow *bob = logIn(bobApp, QStringLiteral("bob"));
    QVERIFY(alice && bob);

    // One's own row offers no poke.
    auto *aliceUsers = child<QListView>(alice, "usersView");
    std::unique_ptr<QMenu> ownMenu(
        alice->usersPanel()->createContextMenu(findRow(aliceUsers, QStringLiteral("alice"), Confab::UserModel::NameRole)));
    QVERIFY(ownMenu);
    QVERIFY(!ownMenu->findChild<QAction *>(QStringLiteral("pokeUserAction"))->isEnabled());

    pokeFromUsersPanel(alice, QStringLiteral("bob"));
    const ConversationId toBob = ConversationId::peer(QStringLiteral("bob"));
    QTRY_COMPARE(alice->tabs()->currentConversation(), toBob);
    QCOMPARE(alice->peers()->state(toBob), PeerState::Waiting);
    QCOMPARE(alice->tabs()->tabText(alice->tabs()->currentIndex()), QStringLiteral("bob (direct)"));

    // bob is asked, and accepts.
    QMessageBox *question = pokeQuestion(bob);
    QVERIFY(question);
    QVERIFY(question->text().contains(QStringLiteral("alice")));
    QTest::mouseClick(child<QPushButton>(question, "acceptPokeButton"), Qt::LeftButton);

    // Both sides get a direct tab, connected.
    const ConversationId toAlice = ConversationId::peer(QStringLiteral("alice"));
    QTRY_COMPARE_WITH_TIMEOUT(alice->peers()->state(toBob), PeerState::Connected, ReplyTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(bob->peers()->state(toAlice), PeerState::Connected, ReplyTimeoutMs);
    QVERIFY(alice->tabs()->indexOf(toBob) >= 0);
    QCOMPARE(bob->tabs()->currentConversation(), toAlice);
    QVERIFY(alice->tabs()->page(toBob)->headerLabel()->text().contains(QStringLiteral("peer to peer")));
    // Both clients offered a certificate, so the chat is TLS and each tab says so.
    QVERIFY(hasRowWithText(alice->registry()->model(toBob), QStringLiteral("It is encrypted (TLS)")));
    QVERIFY(hasRowWithText(bob->registry()->model(toAlice), QStringLiteral("It is encrypted (TLS)")));
    QVERIFY(alice->tabs()->page(toBob)->headerLabel()->text().contains(QStringLiteral("🔒 encrypted")));

    // Text typed in alice's direct tab reaches bob's, not through the server.
    const quint64 relayedBefore = m_fixture.server->server->stats().messagesRelayed;
    typeAndSend(alice->input(), QStringLiteral("hello bob, no server here"));
    ConversationModel *bobSide = bob->registry()->model(toAlice);
    QTRY_VERIFY_WITH_TIMEOUT(hasRowWithText(bobSide, QStringLiteral("hello bob, no server here")), ReplyTimeoutMs);
    QCOMPARE(bobSide->entry(bobSide->rowCount() - 1).sender, QStringLiteral("alice"));
    ConversationModel *aliceSide = alice->registry()->model(toBob);
    QCOMPARE(aliceSide->entry(aliceSide->rowCount() - 1).state, ConversationModel::DeliveryState::Sent);
    QVERIFY(alice->input()->text().isEmpty());

    // bob answers from his tab.
    typeAndSend(bob->input(), QStringLiteral("hi alice"));
    QTRY_VERIFY_WITH_TIMEOUT(hasRowWithText(aliceSide, QStringLiteral("hi alice")), ReplyTimeoutMs);
    QCOMPARE(m_fixture.server->server->stats().messagesRelayed, relayedBefore);

    // Closing bob's tab hangs up; alice sees the chat end and keeps the history.
    bob->tabs()->tabCloseRequested(bob->tabs()->indexOf(toAlice));
    QTRY_COMPARE_WITH_TIMEOUT(alice->peers()->state(toBob), PeerState::Ended, ReplyTimeoutMs);
    QVERIFY(hasRowWithText(aliceSide, QStringLiteral("hi alice")));
    QVERIFY(alice->tabs()->page(toBob)->headerLabel()->text().contains(QStringLiteral("not connected")));
    // Typing there now keeps the text and says why.
    typeAndSend(alice->input(), QStringLiteral("are you there?"));
    QCOMPARE(alice->input()->text(), QStringLiteral("are you there?"));
    QVERIFY(hasRowWithText(aliceSide, QStringLiteral("not connected")));
}

void tst_ClientPeers::pokeDeclinedTellsTheAsker()
{
    ClientApp aliceApp, bobApp;
    MainWindow *alice = logIn(aliceApp, QStringLiteral("alice"));
    MainWindow *bob = logIn(bobApp, QStringLiteral("bob"));
    QVERIFY(alice && bob);

    pokeFromUsersPanel(alice, QStringLiteral("bob"));
    QMessageBox *question = pokeQuestion(bob);
    QVERIFY(question);
    QTest::mouseClick(child<QPushButton>(question, "declinePokeButton"), Qt::LeftButton);

    const ConversationId toBob = ConversationId::peer(QStringLiteral("bob"));
    QTRY_COMPARE_WITH_TIMEOUT(alice->peers()->state(toBob), PeerState::Ended, ReplyTimeoutMs);
    QVERIFY(hasRowWithText(alice->registry()->model(toBob), QStringLiteral("declined")));
    QCOMPARE(bob->peers()->state(ConversationId::peer(QStringLiteral("alice"))), PeerState::None);
}

void tst_ClientPeers::pokeCommandAndAcceptCommand()
{
    ClientApp aliceApp, bobApp;
    MainWindow *alice = logIn(aliceApp, QStringLiteral("alice"));
    MainWindow *bob = logIn(bobApp, QStringLiteral("bob"));
    QVERIFY(alice && bob);

    // Nobody pokes bob yet: /accept says so and keeps the line.
    typeAndSend(bob->input(), QStringLiteral("/accept"));
    QCOMPARE(bob->input()->text(), QStringLiteral("/accept"));
    bob->input()->clear();

    // The seed spelling from the lobby's input line; bob answers with /accept alice.
    typeAndSend(alice->input(), QStringLiteral("$poke bob"));
    QMessageBox *question = pokeQuestion(bob);
    QVERIFY(question);
    typeAndSend(bob->input(), QStringLiteral("/accept alice"));
    QTRY_VERIFY(!bob->findChild<QMessageBox *>(QStringLiteral("pokeQuestion"))); // answered: the box goes
    const ConversationId toBob = ConversationId::peer(QStringLiteral("bob"));
    QTRY_COMPARE_WITH_TIMEOUT(alice->peers()->state(toBob), PeerState::Connected, ReplyTimeoutMs);

    // /leave in the direct tab hangs up.
    QCOMPARE(alice->tabs()->currentConversation(), toBob);
    typeAndSend(alice->input(), QStringLiteral("/leave"));
    QTRY_COMPARE_WITH_TIMEOUT(bob->peers()->state(ConversationId::peer(QStringLiteral("alice"))), PeerState::Ended,
                              ReplyTimeoutMs);
}

void tst_ClientPeers::directChatDialogTalksToAPlainSocket()
{
    // The other side is a bare TCP listener speaking lines, as `nc -l` would.
    QTcpServer other;
    QVERIFY(other.listen(QHostAddress::LocalHost, 0));

    ClientApp app;
    MainWindow *window = logIn(app, QStringLiteral("alice"));
    QVERIFY(window);
    auto *open = window->findChild<QAction *>(QStringLiteral("actionDirectChat"));
    QVERIFY(open);
    open->trigger();
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = window->findChild<QDialog *>(QStringLiteral("directChatDialog"))) && dialog->isVisible());
    auto *connectButton = child<QPushButton>(dialog, "directConnectButton");
    child<QLineEdit>(dialog, "peerHostEdit")->clear();
    QVERIFY(!connectButton->isEnabled()); // no address yet
    QTest::keyClicks(child<QLineEdit>(dialog, "peerHostEdit"), QStringLiteral("127.0.0.1"));
    child<QSpinBox>(dialog, "peerPortSpin")->setValue(other.serverPort());
    child<QSpinBox>(dialog, "listenPortSpin")->setValue(0);
    QVERIFY(connectButton->isEnabled());
    QTest::mouseClick(connectButton, Qt::LeftButton);

    QVERIFY(other.waitForNewConnection(ReplyTimeoutMs));
    std::unique_ptr<QTcpSocket> socket(other.nextPendingConnection());
    const ConversationId id = ConversationId::peer(QStringLiteral("127.0.0.1:%1").arg(other.serverPort()));
    QTRY_COMPARE_WITH_TIMEOUT(window->peers()->state(id), PeerState::Connected, ReplyTimeoutMs);
    QCOMPARE(window->tabs()->currentConversation(), id);

    socket->write("hi from a plain socket\n");
    ConversationModel *model = window->registry()->model(id);
    QTRY_VERIFY_WITH_TIMEOUT(hasRowWithText(model, QStringLiteral("hi from a plain socket")), ReplyTimeoutMs);

    typeAndSend(window->input(), QStringLiteral("hello back"));
    QTRY_VERIFY_WITH_TIMEOUT(socket->canReadLine() || (socket->waitForReadyRead(50) && socket->canReadLine()), ReplyTimeoutMs);
    QCOMPARE(socket->readLine(), QByteArray("hello back\n"));

    // The other side hangs up: the tab says so, the history stays.
    socket->close();
    QTRY_COMPARE_WITH_TIMEOUT(window->peers()->state(id), PeerState::Ended, ReplyTimeoutMs);
    QVERIFY(hasRowWithText(model, QStringLiteral("hi from a plain socket")));
    QVERIFY(hasRowWithText(model, QStringLiteral("ended")));
}

QTEST_MAIN(tst_ClientPeers)
#include "tst_clientpeers.moc"
