// Names one conversation of the client: the lobby, a room, a DM partner, or a direct chat.
//
// The kind decides how text is sent and how the tab looks; everything keyed by ConversationId
// (models, tabs, drafts, unread counts) works the same for every kind.
#pragma once

#include <QHashFunctions>
#include <QMetaType>
#include <QString>

namespace Confab {

enum class ConversationKind {
    Lobby,  // the public conversation of every session
    Room,   // a named group conversation; name = the room's name without '#'
    Dm,     // messages relayed by the server to one user; name = that user
    Peer,   // a direct chat, peer to peer with no server in between (after a poke or bridge:
            // name = the user; opened by address: name = "host:port")
};

struct ConversationId {
    ConversationKind kind = ConversationKind::Lobby;
    QString name; // empty for the lobby

    static ConversationId lobby() { return {}; }
    static ConversationId room(const QString &room) { return {ConversationKind::Room, room}; }
    static ConversationId dm(const QString &user) { return {ConversationKind::Dm, user}; }
    static ConversationId peer(const QString &name) { return {ConversationKind::Peer, name}; }

    bool isLobby() const { return kind == ConversationKind::Lobby; }
    bool isRoom() const { return kind == ConversationKind::Room; }
    bool isDm() const { return kind == ConversationKind::Dm; }
    bool isPeer() const { return kind == ConversationKind::Peer; }

    // Room and user names are unique without regard to case, so identity ignores case too;
    // `name` keeps the spelling to show.
    QString key() const
    {
        switch (kind) {
        case ConversationKind::Lobby: return QStringLiteral("lobby");
        case ConversationKind::Room: return QStringLiteral("room:") + name.toLower();
        case ConversationKind::Dm: return QStringLiteral("dm:") + name.toLower();
        case ConversationKind::Peer: return QStringLiteral("peer:") + name.toLower();
        }
        return {};
    }
    bool operator==(const ConversationId &other) const { return key() == other.key(); }
    bool operator!=(const ConversationId &other) const { return !(*this == other); }
};

inline size_t qHash(const ConversationId &id, size_t seed = 0)
{
    return qHash(id.key(), seed);
}

} // namespace Confab

Q_DECLARE_METATYPE(Confab::ConversationId)
