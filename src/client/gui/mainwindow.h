// The chat window. It only wires: the conversation registry, request helpers, reconnection and
// notifications (non-widget classes) to the panels, the tabs, the input line and the status bar
// (one widget class each). It owns no socket and parses no frame; the ClientSession does.
#pragma once

#include "conversationid.h"
#include "peerconversations.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>

#include <memory>

QT_BEGIN_NAMESPACE
class QMessageBox;
QT_END_NAMESPACE

namespace Ui {
class MainWindow;
}

namespace Confab {

class ClientSession;
class ConnectionStatus;
class ConversationRegistry;
class ConversationTabs;
class InputCommands;
class MessageInput;
class Notifier;
class Reconnector;
class RoomListModel;
class RoomsPanel;
class SessionActions;
class UserModel;
class UsersPanel;
class ConnectionBanner;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(ClientSession *session, QWidget *parent = nullptr);
    ~MainWindow() override;

    // For reconnecting after a loss; held in memory only.
    void setCredentials(const QString &host, quint16 port, const QString &user, const QString &password);

    ClientSession *session() const { return m_session; }
    ConversationRegistry *registry() const { return m_registry; }
    SessionActions *actions() const { return m_actions; }
    Reconnector *reconnector() const { return m_reconnector; }
    Notifier *notifier() const { return m_notifier; }
    PeerConversations *peers() const { return m_peers; }
    UserModel *userModel() const { return m_users; }
    RoomListModel *roomModel() const { return m_rooms; }
    ConversationTabs *tabs() const;
    UsersPanel *usersPanel() const;
    RoomsPanel *roomsPanel() const;
    MessageInput *input() const;
    ConnectionBanner *banner() const;
    ConnectionStatus *connectionStatus() const { return m_status; }

    // Sends (or runs) what the input line holds, as Enter does.
    void submitInput();

signals:
    void logoutRequested();
    void quitRequested();

protected:
    void changeEvent(QEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void setupActions();
    void onLoggedIn();
    void onCurrentConversationChanged(const ConversationId &id);
    void onMessageArrived(const ConversationId &id, const QString &sender, const QString &text, bool mention);
    void showFeedback(const ConversationId &where, const QString &text, bool isError);
    void openDm(const QString &user);
    void askPokeAnswer(quint64 pokeId, const QString &from);
    void askDirectChat();
    void onPeerStateChanged(const ConversationId &id, PeerConversations::State state);
    void askCreateRoom();
    void askTopic(const QString &room);
    void askCloseRoom(const QString &room);
    void askModeration(bool ban, const QString &room, const QString &user);
    void updateRoomContext();
    void updateTitle();
    void updateActions();
    void restoreLayout();
    void saveLayout();

    std::unique_ptr<Ui::MainWindow> m_ui;
    ClientSession *m_session;
    ConversationRegistry *m_registry;
    SessionActions *m_actions;
    InputCommands *m_commands;
    Reconnector *m_reconnector;
    Notifier *m_notifier;
    PeerConversations *m_peers;
    QHash<quint64, QPointer<QMessageBox>> m_pokeQuestions;
    UserModel *m_users;
    RoomListModel *m_rooms;
    ConnectionStatus *m_status;
};

} // namespace Confab
