// One tab per open conversation: the lobby (always there), each joined room, each DM, each
// direct (peer-to-peer) chat.
//
// Tabs open by themselves when a room is joined or a direct message arrives, and show the unread
// count in their title, bold (and tinted when someone mentions you) until read. Closing a DM tab
// only hides it: its history stays in the ConversationRegistry and comes back with the tab.
// Closing the tab of a room one is in asks to leave it (leaveRoomRequested); the tab goes once the
// server confirms. Closing the tab of a live direct chat ends that chat (endPeerChatRequested).
#pragma once

#include "conversationid.h"

#include <QPointer>
#include <QTabWidget>

namespace Confab {

class ConversationPage;
class ConversationRegistry;
class PeerConversations;
class UnreadTabBar;
class UserModel;

class ConversationTabs : public QTabWidget
{
    Q_OBJECT
public:
    explicit ConversationTabs(QWidget *parent = nullptr);

    void setRegistry(ConversationRegistry *registry);
    // Used for the presence shown in DM headers and the lobby's head count.
    void setUserModel(UserModel *users);
    // Used for the state shown in direct chats' headers.
    void setPeerConversations(PeerConversations *peers);

    ConversationPage *openConversation(const ConversationId &id, bool activate);
    void closeConversation(const ConversationId &id);
    ConversationId currentConversation() const;
    ConversationPage *page(const ConversationId &id) const;
    int indexOf(const ConversationId &id) const;
    ConversationId conversationAt(int index) const;
    bool isMarked(const ConversationId &id) const;
    UnreadTabBar *unreadTabBar() const { return m_bar; }
    // A conversation's name as tabs and the window title show it: "Lobby", "#dev", "bob", "bob (direct)".
    static QString titleOf(const ConversationId &id);

    void showNextTab();
    void showPreviousTab();

signals:
    void currentConversationChanged(const Confab::ConversationId &id);
    void leaveRoomRequested(const QString &room);
    void endPeerChatRequested(const Confab::ConversationId &id);
    void resendRequested(const Confab::ConversationId &id, int row);

private:
    void updateTitle(const ConversationId &id);
    void updateHeader(const ConversationId &id);
    void updateHeaders(ConversationKind kind);
    void onCurrentChanged(int index);
    void onCloseRequested(int index);

    UnreadTabBar *m_bar;
    QPointer<ConversationRegistry> m_registry;
    QPointer<UserModel> m_users;
    QPointer<PeerConversations> m_peers;
};

} // namespace Confab
