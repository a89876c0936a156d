// ChatServer's private bookkeeping, shared by chatserver.cpp and chatserver_rooms.cpp.
#pragma once

#include "chatserver.h"

#include <QSet>

namespace Confab {

struct ChatServer::Session {
    SessionInfo info;
    SessionState state = SessionState::AwaitingHello;
    QString key;                 // canonical user name once logged in
    Connection *connection = nullptr;
    QSet<QString> rooms;         // canonical names of the rooms this session is in
    bool ended = false;
    // Abuse limits (chatserver_limits.cpp)
    TokenBucket messages;        // the session's message rate
    qint64 slowedSince = -1;     // when it was first told to slow down in this episode, or -1
    bool rateHeld = false;       // receiving paused until a token is back
    bool hashing = false;        // receiving paused while its password is checked
    bool counted = false;        // counted in m_connectionsByAddress
    QString addressKey;          // limitKey(info.address)
};

struct ChatServer::Room {
    QString name;                // as created
    QString key;                 // canonical name
    QString owner;               // owner's registered user name (ownership stays with the account)
    QString topic;
    QDateTime created;
    QSet<QString> bans;          // canonical user names
    QList<Session *> members;    // in joining order
};

} // namespace Confab
