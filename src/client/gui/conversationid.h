// Names one conversation of the client: the lobby, a room, or a direct-message partner.
//
// The kind decides how text is sent and how the tab looks. Peer-to-peer chats (poke, direct
// chat) will be one more kind; everything keyed by ConversationId (models, tabs, drafts, unread
// counts) then works for them unchanged.
#pragma once

#include <QHashFunctions>
#include <QMetaType>
#include <QString>

namespace Confab {

enum class ConversationKind {
    Lobby,  // the public conversation of every session
    Room,   // a named group conversation; name = the room's name without '#'
    Direct, // messages relayed by the server to one user; name = that user
};

struct ConversationId {
    ConversationKind kind = ConversationKind::Lobby;
    QString name; // empty for the lobby

    static ConversationId lobby() { return {}; }
    static ConversationId room(const QString &room) { return {ConversationKind::Room, room}; }
    static ConversationId direct(const QString &user) { return {ConversationKind::Direct, user}; }

    bool isLobby() const { return kind == ConversationKind::Lobby; }
    bool isRoom() const { return kind == ConversationKind::Room; }
    bool isDirect() const { return kind == ConversationKind::Direct; }

    // Room and user names are unique without regard to case, so identity ignores case too;
    // `name` keeps the spelling to show.
    QString key() const
    {
        switch (kind) {
        case ConversationKind::Lobby: return QStringLiteral("lobby");
        case ConversationKind::Room: return QStringLiteral("room:") + name.toLower();
        case ConversationKind::Direct: return QStringLiteral("dm:") + name.toLower();
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
