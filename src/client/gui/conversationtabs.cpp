#include "conversationtabs.h"

#include "clienticons.h"
#include "clientsession.h"
#include "conversationpage.h"
#include "conversationregistry.h"
#include "conversationview.h"
#include "peerconversations.h"
#include "unreadtabbar.h"
#include "usermodel.h"

#include <QLocale>

namespace Confab {

namespace {

QColor mentionColor()
{
    return QColor(0xd0, 0x3a, 0x2f);
}

} // namespace

ConversationTabs::ConversationTabs(QWidget *parent)
    : QTabWidget(parent)
    , m_bar(new UnreadTabBar(this))
{
    setTabBar(m_bar);
    m_bar->setObjectName(QStringLiteral("conversationTabBar"));
    setDocumentMode(true);
    setTabsClosable(true);
    setMovable(true);
    setUsesScrollButtons(true);
    setElideMode(Qt::ElideNone); // whole names, and scroll buttons when they do not fit
    connect(this, &QTabWidget::currentChanged, this, &ConversationTabs::onCurrentChanged);
    connect(this, &QTabWidget::tabCloseRequested, this, &ConversationTabs::onCloseRequested);
}

void ConversationTabs::setRegistry(ConversationRegistry *registry)
{
    m_registry = registry;
    connect(registry, &ConversationRegistry::conversationAdded, this, [this](const ConversationId &id) {
        if (id.isLobby() || id.isDm())
            openConversation(id, false);
    });
    connect(registry, &ConversationRegistry::messageArrived, this, [this](const ConversationId &id) {
        if (indexOf(id) < 0)
            openConversation(id, false); // a closed DM tab comes back with its history
    });
    connect(registry, &ConversationRegistry::roomJoined, this,
            [this](const ConversationId &id) { openConversation(id, false); });
    connect(registry, &ConversationRegistry::roomLeft, this, &ConversationTabs::closeConversation);
    connect(registry, &ConversationRegistry::unreadChanged, this, &ConversationTabs::updateTitle);
    connect(registry, &ConversationRegistry::roomChanged, this,
            [this](const QString &room) { updateHeader(ConversationId::room(room)); });
    for (const ConversationId &id : registry->conversations()) {
        if (id.isLobby())
            openConversation(id, true);
    }
}

void ConversationTabs::setPeerConversations(PeerConversations *peers)
{
    m_peers = peers;
    connect(peers, &PeerConversations::stateChanged, this, [this](const ConversationId &id) {
        updateHeader(id);
        updateTitle(id);
    });
}

void ConversationTabs::setUserModel(UserModel *users)
{
    m_users = users;
    auto refresh = [this] {
        updateHeaders(ConversationKind::Dm);
        updateHeaders(ConversationKind::Lobby);
    };
    connect(users, &QAbstractItemModel::rowsInserted, this, refresh);
    connect(users, &QAbstractItemModel::rowsRemoved, this, refresh);
    connect(users, &QAbstractItemModel::modelReset, this, refresh);
    refresh();
}

int ConversationTabs::indexOf(const ConversationId &id) const
{
    const QString key = id.key();
    for (int i = 0; i < count(); ++i) {
        if (m_bar->tabData(i).toString() == key)
            return i;
    }
    return -1;
}

ConversationId ConversationTabs::conversationAt(int index) const
{
    const auto *p = qobject_cast<ConversationPage *>(widget(index));
    return p ? p->conversationId() : ConversationId();
}

ConversationPage *ConversationTabs::page(const ConversationId &id) const
{
    const int index = indexOf(id);
    return index < 0 ? nullptr : qobject_cast<ConversationPage *>(widget(index));
}

ConversationId ConversationTabs::currentConversation() const
{
    return conversationAt(currentIndex());
}

bool ConversationTabs::isMarked(const ConversationId &id) const
{
    return m_bar->isTabMarked(indexOf(id));
}

ConversationPage *ConversationTabs::openConversation(const ConversationId &requested, bool activate)
{
    if (!m_registry)
        return nullptr;
    int index = indexOf(requested);
    if (index < 0) {
        // Creating the model announces the conversation, which may open its tab right here.
        m_registry->model(requested);
        index = indexOf(requested);
    }
    if (index < 0) {
        const ConversationId id = m_registry->canonical(requested);
        auto *p = new ConversationPage(id, m_registry->model(id), this);
        connect(p->view(), &ConversationView::resendRequested, this,
                [this, id](int row) { emit resendRequested(id, row); });
        QIcon icon;
        switch (id.kind) {
        case ConversationKind::Lobby: icon = ClientIcons::lobby(); break;
        case ConversationKind::Room: icon = ClientIcons::room(); break;
        case ConversationKind::Dm: icon = ClientIcons::dm(); break;
        case ConversationKind::Peer: icon = ClientIcons::peer(); break;
        }
        // Rooms after the lobby and the other rooms; DMs and direct chats at the end.
        int at = count();
        if (id.isLobby())
            at = 0;
        else if (id.isRoom()) {
            at = 0;
            while (at < count() && conversationAt(at).kind != ConversationKind::Dm
                   && conversationAt(at).kind != ConversationKind::Peer)
                ++at;
        }
        const QSignalBlocker blocker(this); // the current tab does not change by inserting
        index = insertTab(at, p, icon, QString());
        m_bar->setTabData(index, id.key());
        if (id.isLobby()) {
            m_bar->setTabButton(index, QTabBar::RightSide, nullptr);
            m_bar->setTabButton(index, QTabBar::LeftSide, nullptr);
        }
        updateTitle(id);
        updateHeader(id);
    }
    if (activate || count() == 1)
        setCurrentIndex(index);
    if (count() == 1)
        onCurrentChanged(index);
    return qobject_cast<ConversationPage *>(widget(index));
}

void ConversationTabs::closeConversation(const ConversationId &id)
{
    const int index = indexOf(id);
    if (index < 0 || id.isLobby())
        return;
    QWidget *w = widget(index);
    removeTab(index);
    w->deleteLater(); // the model stays in the registry
}

void ConversationTabs::onCurrentChanged(int index)
{
    const ConversationId id = conversationAt(index);
    if (index < 0)
        return;
    if (m_registry)
        m_registry->setCurrent(id);
    emit currentConversationChanged(id);
}

void ConversationTabs::onCloseRequested(int index)
{
    const ConversationId id = conversationAt(index);
    if (id.isLobby())
        return;
    if (id.isRoom() && m_registry && m_registry->isJoined(id.name)) {
        emit leaveRoomRequested(id.name);
        return;
    }
    if (id.isPeer() && m_peers) {
        const PeerConversations::State state = m_peers->state(id);
        if (state == PeerConversations::State::Connected || state == PeerConversations::State::Connecting)
            emit endPeerChatRequested(id); // closing a direct chat's tab hangs up, as a call window does
    }
    closeConversation(id);
}

void ConversationTabs::showNextTab()
{
    if (count() > 1)
        setCurrentIndex((currentIndex() + 1) % count());
}

void ConversationTabs::showPreviousTab()
{
    if (count() > 1)
        setCurrentIndex((currentIndex() + count() - 1) % count());
}

QString ConversationTabs::titleOf(const ConversationId &id)
{
    switch (id.kind) {
    case ConversationKind::Lobby: return tr("Lobby");
    case ConversationKind::Room: return QStringLiteral("#") + id.name;
    case ConversationKind::Dm: return id.name;
    case ConversationKind::Peer: return tr("%1 (direct)").arg(id.name);
    }
    return {};
}

void ConversationTabs::updateTitle(const ConversationId &id)
{
    const int index = indexOf(id);
    if (index < 0 || !m_registry)
        return;
    QString title = titleOf(conversationAt(index));
    const int unread = m_registry->unreadCount(id);
    const bool mentioned = m_registry->isMentioned(id);
    if (unread > 0)
        title = tr("%1 (%2)").arg(title, QLocale().toString(unread));
    m_bar->setTabText(index, title);
    m_bar->setTabMarked(index, unread > 0);
    m_bar->setTabTextColor(index, mentioned || (unread > 0 && (id.isDm() || id.isPeer())) ? mentionColor() : QColor());
    m_bar->setTabToolTip(index, unread > 0 ? (unread == 1 ? tr("1 unread message") : tr("%1 unread messages").arg(unread)) : QString());
}

void ConversationTabs::updateHeaders(ConversationKind kind)
{
    for (int i = 0; i < count(); ++i) {
        const ConversationId id = conversationAt(i);
        if (id.kind == kind)
            updateHeader(id);
    }
}

void ConversationTabs::updateHeader(const ConversationId &id)
{
    ConversationPage *p = page(id);
    if (!p || !m_registry)
        return;
    switch (id.kind) {
    case ConversationKind::Lobby: {
        const ClientSession *session = m_registry->session();
        const QString server = session && !session->serverName().isEmpty() ? session->serverName() : tr("the server");
        const int online = m_users ? m_users->rowCount() : 0;
        p->setHeader(tr("Lobby — everyone on %1 reads this · %n online", nullptr, online).arg(server));
        return;
    }
    case ConversationKind::Room: {
        const ConversationRegistry::RoomState room = m_registry->room(id.name);
        QString text = QStringLiteral("#") + (room.name.isEmpty() ? id.name : room.name);
        text += QStringLiteral(" — ") + (room.topic.isEmpty() ? tr("no topic") : room.topic);
        if (!room.joined)
            text += QStringLiteral(" · ") + tr("you are not in this room");
        else
            text += QStringLiteral(" · ") + (room.members.size() == 1 ? tr("1 member") : tr("%1 members").arg(room.members.size()));
        if (!room.owner.isEmpty())
            text += QStringLiteral(" · ") + tr("owner %1").arg(room.owner);
        p->setHeader(text, room.members.isEmpty() ? room.topic
                                                  : tr("%1\nMembers: %2").arg(room.topic, room.members.join(QStringLiteral(", "))));
        return;
    }
    case ConversationKind::Dm: {
        const bool online = m_users && m_users->contains(id.name);
        p->setHeader(online ? tr("Direct messages with %1 · online").arg(id.name)
                            : tr("Direct messages with %1 · offline: messages cannot be delivered now").arg(id.name));
        return;
    }
    case ConversationKind::Peer: {
        const PeerConversations::State state = m_peers ? m_peers->state(id) : PeerConversations::State::None;
        QString text;
        switch (state) {
        case PeerConversations::State::Connected:
            text = m_peers->isEncrypted(id)
                ? tr("Direct chat with %1 at %2 · peer to peer, not through the server · 🔒 encrypted")
                      .arg(id.name, m_peers->peerAddress(id))
                : tr("Direct chat with %1 at %2 · peer to peer, not through the server · not encrypted")
                      .arg(id.name, m_peers->peerAddress(id));
            break;
        case PeerConversations::State::Waiting: text = tr("Direct chat with %1 · waiting for an answer").arg(id.name); break;
        case PeerConversations::State::Connecting: text = tr("Direct chat with %1 · connecting…").arg(id.name); break;
        case PeerConversations::State::None:
        case PeerConversations::State::Ended:
            text = tr("Direct chat with %1 · not connected").arg(id.name);
            break;
        }
        p->setHeader(text);
        return;
    }
    }
}

} // namespace Confab
