#include "mainwindow.h"
#include "ui_mainwindow.h"

#include "clienticons.h"
#include "clientsession.h"
#include "connectionbanner.h"
#include "connectionstatus.h"
#include "conversationpage.h"
#include "conversationregistry.h"
#include "conversationtabs.h"
#include "conversationview.h"
#include "directchatdialog.h"
#include "inputcommands.h"
#include "messageinput.h"
#include "moderationdialog.h"
#include "notifier.h"
#include "reconnector.h"
#include "roomdialog.h"
#include "roomlistmodel.h"
#include "roomspanel.h"
#include "sessionactions.h"
#include "usermodel.h"
#include "userspanel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>

namespace Confab {

MainWindow::MainWindow(ClientSession *session, QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::MainWindow>())
    , m_session(session)
    , m_registry(new ConversationRegistry(this))
    , m_actions(new SessionActions(m_registry, this))
    , m_commands(new InputCommands(m_registry, m_actions, this))
    , m_reconnector(new Reconnector(session, this))
    , m_notifier(new Notifier(this, this))
    , m_peers(new PeerConversations(m_registry, this))
    , m_users(new UserModel(this))
    , m_rooms(new RoomListModel(this))
    , m_status(new ConnectionStatus(this))
{
    m_ui->setupUi(this);
    setWindowIcon(ClientIcons::application());
    m_ui->mainSplitter->setStretchFactor(0, 0);
    m_ui->mainSplitter->setStretchFactor(1, 1);
    m_ui->mainSplitter->setStretchFactor(2, 0);
    m_ui->mainSplitter->setSizes({230, 640, 210});
    m_status->setObjectName(QStringLiteral("connectionStatus"));
    statusBar()->addPermanentWidget(m_status);

    // Models and the non-widget logic follow the session. Until the window is shown and active,
    // nobody reads it.
    m_registry->setAttended(false);
    m_users->setSession(session);
    m_rooms->setSession(session);
    m_registry->setSession(session);
    m_actions->setSession(session);
    m_peers->setSession(session);
    m_commands->setPeerConversations(m_peers);

    ConversationTabs *tabs = m_ui->conversationTabs;
    tabs->setRegistry(m_registry);
    tabs->setUserModel(m_users);
    tabs->setPeerConversations(m_peers);
    m_ui->usersPanel->setModel(m_users);
    m_ui->roomsPanel->setModel(m_rooms);
    m_ui->connectionBanner->setSession(session, m_reconnector);
    m_status->setSession(session, m_reconnector);
    m_notifier->setTrayIcon(ClientIcons::application(), tr("Confab"));

    connect(session, &ClientSession::loggedIn, this, &MainWindow::onLoggedIn);
    connect(session, &ClientSession::stateChanged, this, &MainWindow::updateActions);
    connect(session, &ClientSession::stateChanged, this, &MainWindow::updateTitle);

    connect(m_ui->messageInput, &MessageInput::submitted, this, &MainWindow::submitInput);
    connect(m_ui->sendButton, &QPushButton::clicked, this, &MainWindow::submitInput);

    connect(tabs, &ConversationTabs::currentConversationChanged, this, &MainWindow::onCurrentConversationChanged);
    connect(tabs, &ConversationTabs::leaveRoomRequested, this,
            [this](const QString &room) { m_actions->leaveRoom(room, m_ui->conversationTabs->currentConversation()); });
    connect(tabs, &ConversationTabs::resendRequested, m_registry, &ConversationRegistry::resend);
    connect(tabs, &ConversationTabs::endPeerChatRequested, m_peers, &PeerConversations::end);

    connect(m_registry, &ConversationRegistry::messageArrived, this, &MainWindow::onMessageArrived);
    connect(m_registry, &ConversationRegistry::unreadChanged, this, &MainWindow::updateTitle);
    connect(m_registry, &ConversationRegistry::roomChanged, this, [this] {
        updateRoomContext();
        updateActions();
    });

    connect(m_actions, &SessionActions::feedback, this, &MainWindow::showFeedback);
    connect(m_commands, &InputCommands::feedback, this, &MainWindow::showFeedback);
    connect(m_actions, &SessionActions::switchRequested, this,
            [this](const ConversationId &id) { m_ui->conversationTabs->openConversation(id, true); });
    connect(m_commands, &InputCommands::switchRequested, this,
            [this](const ConversationId &id) { m_ui->conversationTabs->openConversation(id, true); });
    connect(m_commands, &InputCommands::quitRequested, this, &MainWindow::quitRequested);

    connect(m_ui->usersPanel, &UsersPanel::messageRequested, this, &MainWindow::openDm);
    connect(m_ui->usersPanel, &UsersPanel::pokeRequested, this,
            [this](const QString &user) { m_ui->conversationTabs->openConversation(m_peers->poke(user), true); });

    connect(m_peers, &PeerConversations::pokeReceived, this, &MainWindow::askPokeAnswer);
    connect(m_peers, &PeerConversations::pokeSettled, this, [this](quint64 pokeId) {
        if (QPointer<QMessageBox> box = m_pokeQuestions.take(pokeId))
            box->close();
    });
    connect(m_peers, &PeerConversations::stateChanged, this, &MainWindow::onPeerStateChanged);
    connect(m_peers, &PeerConversations::feedback, this, &MainWindow::showFeedback);
    connect(m_ui->usersPanel, &UsersPanel::kickRequested, this,
            [this](const QString &room, const QString &user) { askModeration(false, room, user); });
    connect(m_ui->usersPanel, &UsersPanel::banRequested, this,
            [this](const QString &room, const QString &user) { askModeration(true, room, user); });

    RoomsPanel *rooms = m_ui->roomsPanel;
    connect(rooms, &RoomsPanel::joinRequested, this,
            [this](const QString &room) { m_actions->joinRoom(room, m_ui->conversationTabs->currentConversation()); });
    connect(rooms, &RoomsPanel::leaveRequested, this,
            [this](const QString &room) { m_actions->leaveRoom(room, m_ui->conversationTabs->currentConversation()); });
    connect(rooms, &RoomsPanel::createRequested, this, &MainWindow::askCreateRoom);
    connect(rooms, &RoomsPanel::topicRequested, this, &MainWindow::askTopic);
    connect(rooms, &RoomsPanel::closeRequested, this, &MainWindow::askCloseRoom);

    connect(m_reconnector, &Reconnector::reconnected, this,
            [this] { statusBar()->showMessage(tr("Reconnected."), 5000); });
    connect(m_reconnector, &Reconnector::rejoinFailed, this, [this](const QString &room, const QString &reason) {
        m_registry->addNotice(ConversationId::room(room), tr("Could not join #%1 again: %2").arg(room, reason), false);
    });
    connect(m_notifier, &Notifier::activated, this,
            [this](const ConversationId &id) { m_ui->conversationTabs->openConversation(id, true); });
    connect(m_notifier, &Notifier::quitRequested, this, &MainWindow::quitRequested);

    setupActions();
    restoreLayout();
    if (session->isLoggedIn())
        onLoggedIn();
    onCurrentConversationChanged(tabs->currentConversation());
    m_ui->messageInput->setFocus(); // where typing goes when the window opens
}

MainWindow::~MainWindow() = default;

ConversationTabs *MainWindow::tabs() const { return m_ui->conversationTabs; }
UsersPanel *MainWindow::usersPanel() const { return m_ui->usersPanel; }
RoomsPanel *MainWindow::roomsPanel() const { return m_ui->roomsPanel; }
MessageInput *MainWindow::input() const { return m_ui->messageInput; }
ConnectionBanner *MainWindow::banner() const { return m_ui->connectionBanner; }

void MainWindow::setCredentials(const QString &host, quint16 port, const QString &user, const QString &password)
{
    m_reconnector->setCredentials(host, port, user, password);
}

void MainWindow::setupActions()
{
    Ui::MainWindow *ui = m_ui.get();
    connect(ui->actionReconnect, &QAction::triggered, m_reconnector, &Reconnector::reconnectNow);
    connect(ui->actionLogOut, &QAction::triggered, this, &MainWindow::logoutRequested);
    connect(ui->actionQuit, &QAction::triggered, this, &MainWindow::quitRequested);
    connect(ui->actionCreateRoom, &QAction::triggered, this, &MainWindow::askCreateRoom);
    connect(ui->actionJoinRoom, &QAction::triggered, this, [this] {
        const RoomSummary room = m_ui->roomsPanel->selectedRoom();
        if (room.name.isEmpty())
            statusBar()->showMessage(tr("Select a room in the rooms panel first, or type /join name."), 6000);
        else
            m_actions->joinRoom(room.name, m_ui->conversationTabs->currentConversation());
    });
    connect(ui->actionLeaveRoom, &QAction::triggered, this, [this] {
        const ConversationId id = m_ui->conversationTabs->currentConversation();
        if (id.isRoom())
            m_actions->leaveRoom(id.name, id);
    });
    connect(ui->actionSetTopic, &QAction::triggered, this, [this] {
        const ConversationId id = m_ui->conversationTabs->currentConversation();
        if (id.isRoom())
            askTopic(id.name);
    });
    connect(ui->actionCloseRoom, &QAction::triggered, this, [this] {
        const ConversationId id = m_ui->conversationTabs->currentConversation();
        if (id.isRoom())
            askCloseRoom(id.name);
    });
    connect(ui->actionRefreshRooms, &QAction::triggered, this, [this] {
        if (m_session->isLoggedIn())
            m_session->requestRoomList();
    });
    connect(ui->actionLobby, &QAction::triggered, this,
            [this] { m_ui->conversationTabs->openConversation(ConversationId::lobby(), true); });
    connect(ui->actionNextTab, &QAction::triggered, ui->conversationTabs, &ConversationTabs::showNextTab);
    connect(ui->actionPreviousTab, &QAction::triggered, ui->conversationTabs, &ConversationTabs::showPreviousTab);
    connect(ui->actionJumpToLatest, &QAction::triggered, this, [this] {
        if (ConversationPage *page = m_ui->conversationTabs->page(m_ui->conversationTabs->currentConversation()))
            page->view()->scrollToLatest();
    });
    connect(ui->actionCloseTab, &QAction::triggered, this, [this] {
        ConversationTabs *tabs = m_ui->conversationTabs;
        emit tabs->tabCloseRequested(tabs->currentIndex());
    });
    connect(ui->actionPoke, &QAction::triggered, this, [this] {
        const QString user = m_ui->usersPanel->selectedUser();
        if (user.isEmpty() || user.compare(m_session->userName(), Qt::CaseInsensitive) == 0)
            statusBar()->showMessage(tr("Select someone in the users panel first, or type /poke name."), 6000);
        else
            m_ui->conversationTabs->openConversation(m_peers->poke(user), true);
    });
    connect(ui->actionDirectChat, &QAction::triggered, this, &MainWindow::askDirectChat);
    connect(ui->actionBridge, &QAction::triggered, m_peers, &PeerConversations::bridge);
    connect(ui->actionCancelBridge, &QAction::triggered, m_peers, &PeerConversations::cancelBridge);
    connect(ui->actionShowRooms, &QAction::toggled, ui->roomsPanel, &QWidget::setVisible);
    connect(ui->actionShowUsers, &QAction::toggled, ui->usersPanel, &QWidget::setVisible);
    connect(ui->actionFilterUsers, &QAction::triggered, this, [this] {
        m_ui->actionShowUsers->setChecked(true);
        m_ui->usersPanel->filterEdit()->setFocus();
        m_ui->usersPanel->filterEdit()->selectAll();
    });
    connect(ui->actionCommands, &QAction::triggered, this, [this] {
        const ConversationId id = m_ui->conversationTabs->currentConversation();
        m_registry->addNotice(id, m_commands->parser().helpText());
        if (ConversationPage *page = m_ui->conversationTabs->page(id))
            page->view()->scrollToLatest();
    });
    connect(ui->actionAbout, &QAction::triggered, this, [this] {
        auto *box = new QMessageBox(this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setWindowTitle(tr("About Confab"));
        box->setIconPixmap(ClientIcons::application().pixmap(64, 64));
        box->setTextFormat(Qt::PlainText);
        box->setText(tr("Confab %1\n\nA chat client: lobby, rooms and direct messages on a Confab server, "
                        "and direct chats peer to peer.")
                         .arg(QCoreApplication::applicationVersion()));
        box->open();
    });
    connect(ui->actionAboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
    updateActions();
}

void MainWindow::onLoggedIn()
{
    m_session->requestRoomList();
    m_ui->roomsPanel->setSelfName(m_session->userName());
    updateTitle();
    updateActions();
}

void MainWindow::submitInput()
{
    MessageInput *input = m_ui->messageInput;
    const QString text = input->text();
    if (text.trimmed().isEmpty())
        return;
    const ConversationId current = m_ui->conversationTabs->currentConversation();
    if (m_commands->execute(text, current)) {
        input->clearAfterSend(text);
        // Sending means wanting to see the answer: follow the conversation again.
        if (ConversationPage *page = m_ui->conversationTabs->page(m_ui->conversationTabs->currentConversation()))
            page->view()->scrollToLatest();
    }
}

void MainWindow::onCurrentConversationChanged(const ConversationId &id)
{
    m_ui->messageInput->setDraftKey(id.key());
    switch (id.kind) {
    case ConversationKind::Lobby: m_ui->messageInput->setPlaceholderText(tr("Message the lobby")); break;
    case ConversationKind::Room: m_ui->messageInput->setPlaceholderText(tr("Message #%1").arg(id.name)); break;
    case ConversationKind::Dm: m_ui->messageInput->setPlaceholderText(tr("Message %1").arg(id.name)); break;
    case ConversationKind::Peer: m_ui->messageInput->setPlaceholderText(tr("Message %1 directly").arg(id.name)); break;
    }
    if (id.isRoom())
        m_ui->roomsPanel->selectRoom(id.name); // its buttons then act on the room shown
    updateRoomContext();
    updateActions();
    updateTitle();
    if (isActiveWindow())
        m_ui->messageInput->setFocus();
}

void MainWindow::onMessageArrived(const ConversationId &id, const QString &sender, const QString &text, bool mention)
{
    if (!id.isDm() && !id.isPeer() && !mention)
        return;
    QString title;
    if (id.isDm())
        title = tr("Message from %1").arg(sender);
    else if (id.isPeer())
        title = tr("Direct chat: %1").arg(sender);
    else if (id.isRoom())
        title = tr("%1 mentioned you in #%2").arg(sender, id.name);
    else
        title = tr("%1 mentioned you in the lobby").arg(sender);
    m_notifier->notify(id, title, text);
}

void MainWindow::showFeedback(const ConversationId &where, const QString &text, bool isError)
{
    ConversationTabs *tabs = m_ui->conversationTabs;
    const ConversationId target = tabs->indexOf(where) >= 0 ? where : tabs->currentConversation();
    m_registry->addNotice(target, text);
    if (isError || target != tabs->currentConversation())
        statusBar()->showMessage(text, 10000);
}

void MainWindow::openDm(const QString &user)
{
    m_ui->conversationTabs->openConversation(ConversationId::dm(user), true);
    m_ui->messageInput->setFocus();
}

void MainWindow::askPokeAnswer(quint64 pokeId, const QString &from)
{
    auto *box = new QMessageBox(QMessageBox::Question, tr("%1 pokes you").arg(from),
                                tr("%1 asks for a direct chat.").arg(from), QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("pokeQuestion"));
    box->setInformativeText(tr("A direct chat goes from your computer straight to theirs; the server only "
                               "introduces you, and both of you learn the other's network address."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::NonModal); // chatting goes on while the question waits
    QPushButton *accept = box->addButton(tr("&Accept"), QMessageBox::AcceptRole);
    accept->setObjectName(QStringLiteral("acceptPokeButton"));
    QPushButton *decline = box->addButton(tr("&Decline"), QMessageBox::RejectRole);
    decline->setObjectName(QStringLiteral("declinePokeButton"));
    box->setDefaultButton(accept);
    box->setEscapeButton(decline);
    m_pokeQuestions.insert(pokeId, box);
    connect(box, &QMessageBox::buttonClicked, this, [this, pokeId, accept](QAbstractButton *button) {
        m_pokeQuestions.remove(pokeId);
        if (button == accept)
            m_peers->acceptPoke(pokeId);
        else
            m_peers->declinePoke(pokeId);
    });
    box->show();
    m_notifier->notify(ConversationId::peer(from), tr("%1 pokes you").arg(from), tr("%1 asks for a direct chat.").arg(from));
}

void MainWindow::askDirectChat()
{
    auto *dialog = new DirectChatDialog(this);
    dialog->setObjectName(QStringLiteral("directChatDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const ConversationId id = m_peers->openDirect(dialog->peerHost(), dialog->peerPort(), dialog->listenPort());
        m_ui->conversationTabs->openConversation(id, true);
    });
    dialog->open();
}

void MainWindow::onPeerStateChanged(const ConversationId &id, PeerConversations::State state)
{
    // A chat that starts is shown: the user asked for it (poke, accept, bridge, dialog).
    if (state == PeerConversations::State::Connected || state == PeerConversations::State::Waiting)
        m_ui->conversationTabs->openConversation(id, true);
    if (id == m_ui->conversationTabs->currentConversation())
        updateActions();
}

void MainWindow::askCreateRoom()
{
    auto *dialog = new RoomDialog(RoomDialog::Mode::Create, this);
    dialog->setObjectName(QStringLiteral("createRoomDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        m_actions->createRoom(dialog->roomName(), dialog->topic(), m_ui->conversationTabs->currentConversation());
    });
    dialog->open();
}

void MainWindow::askTopic(const QString &room)
{
    auto *dialog = new RoomDialog(RoomDialog::Mode::EditTopic, this);
    dialog->setObjectName(QStringLiteral("topicDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setRoomName(room);
    QString topic = m_registry->room(room).topic;
    const int row = m_rooms->indexOf(room);
    if (row >= 0)
        topic = m_rooms->room(row).topic;
    dialog->setTopic(topic);
    connect(dialog, &QDialog::accepted, this, [this, dialog, room] {
        m_actions->setTopic(room, dialog->topic(), m_ui->conversationTabs->currentConversation());
    });
    dialog->open();
}

void MainWindow::askCloseRoom(const QString &room)
{
    auto *box = new QMessageBox(QMessageBox::Question, tr("Close #%1").arg(room),
                                tr("Close #%1 for good? Everyone in it is removed; its topic and bans are deleted "
                                   "and the name becomes free.").arg(room),
                                QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("closeRoomQuestion"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *close = box->addButton(tr("&Close Room"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, close, room](QAbstractButton *button) {
        if (button == close)
            m_actions->closeRoom(room, m_ui->conversationTabs->currentConversation());
    });
    box->open();
}

void MainWindow::askModeration(bool ban, const QString &room, const QString &user)
{
    auto *dialog = new ModerationDialog(ban ? ModerationDialog::Action::Ban : ModerationDialog::Action::Kick, room, user, this);
    dialog->setObjectName(QStringLiteral("moderationDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const ConversationId from = m_ui->conversationTabs->currentConversation();
        if (dialog->action() == ModerationDialog::Action::Ban)
            m_actions->ban(dialog->room(), dialog->user(), dialog->reason(), from);
        else
            m_actions->kick(dialog->room(), dialog->user(), dialog->reason(), from);
    });
    dialog->open();
}

void MainWindow::updateRoomContext()
{
    const ConversationId id = m_ui->conversationTabs->currentConversation();
    if (!id.isRoom()) {
        m_ui->usersPanel->setRoomContext(QString(), {}, QString(), false);
        return;
    }
    const ConversationRegistry::RoomState room = m_registry->room(id.name);
    m_ui->usersPanel->setRoomContext(room.name.isEmpty() ? id.name : room.name, room.members, room.owner,
                                     m_registry->ownsRoom(id.name));
}

void MainWindow::updateTitle()
{
    const ConversationId id = m_ui->conversationTabs->currentConversation();
    const QString where = ConversationTabs::titleOf(id);
    QString title = m_session->isLoggedIn()
        ? tr("%1 — %2@%3 — Confab").arg(where, m_session->userName(), m_session->host())
        : tr("%1 — Confab").arg(where);
    const int unread = m_registry->totalUnread();
    if (unread > 0)
        title.prepend(QStringLiteral("(%1) ").arg(unread));
    setWindowTitle(title);
    m_notifier->setTrayToolTip(unread > 0 ? (unread == 1 ? tr("Confab — 1 unread message") : tr("Confab — %1 unread messages").arg(unread)) : tr("Confab"));
}

void MainWindow::updateActions()
{
    const ConversationId id = m_ui->conversationTabs->currentConversation();
    const bool loggedIn = m_session->isLoggedIn();
    const bool joinedRoom = id.isRoom() && m_registry->isJoined(id.name);
    const bool owner = id.isRoom() && m_registry->ownsRoom(id.name);
    m_ui->actionReconnect->setEnabled(m_session->state() == ClientSession::State::Disconnected);
    m_ui->actionLeaveRoom->setEnabled(loggedIn && joinedRoom);
    m_ui->actionSetTopic->setEnabled(loggedIn && owner);
    m_ui->actionCloseRoom->setEnabled(loggedIn && owner);
    m_ui->actionCreateRoom->setEnabled(loggedIn);
    m_ui->actionJoinRoom->setEnabled(loggedIn);
    m_ui->actionRefreshRooms->setEnabled(loggedIn);
    m_ui->actionCloseTab->setEnabled(!id.isLobby());
    m_ui->actionPoke->setEnabled(loggedIn);
    m_ui->actionBridge->setEnabled(loggedIn);
    m_ui->actionCancelBridge->setEnabled(loggedIn);
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::ActivationChange || event->type() == QEvent::WindowStateChange)
        m_registry->setAttended(isActiveWindow() && !isMinimized());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    event->accept();
    emit quitRequested();
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("mainWindow/geometry")).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray splitter = settings.value(QStringLiteral("mainWindow/splitter")).toByteArray();
    if (!splitter.isEmpty())
        m_ui->mainSplitter->restoreState(splitter);
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/splitter"), m_ui->mainSplitter->saveState());
}

} // namespace Confab
