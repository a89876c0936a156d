// What a line typed into the input does: a command (CommandParser: Confab's /commands and the
// seeds' spellings) or text for the current conversation.
//
// execute() returns whether the line was used: the input keeps a line that could not be sent
// (not connected, or a room one is no longer in), so nothing typed is lost. Answers and usage
// errors come back as feedback() for the conversation the line was typed in.
#pragma once

#include "commandparser.h"
#include "conversationid.h"

#include <QObject>

namespace Confab {

class ConversationRegistry;
class PeerConversations;
class SessionActions;

class InputCommands : public QObject
{
    Q_OBJECT
public:
    InputCommands(ConversationRegistry *registry, SessionActions *actions, QObject *parent = nullptr);

    bool execute(const QString &line, const ConversationId &current);
    // Carries /poke, /accept, /decline, /bridge and text typed into direct chats.
    void setPeerConversations(PeerConversations *peers) { m_peers = peers; }

    const CommandParser &parser() const { return m_parser; }

signals:
    void feedback(const Confab::ConversationId &where, const QString &text, bool isError);
    void switchRequested(const Confab::ConversationId &id);
    void quitRequested(const QString &reason);

private:
    bool sendText(const QString &text, const ConversationId &to, const ConversationId &current);
    bool executePeerCommand(const Command &command, const ConversationId &current);
    // The room a command is about: the given one, else the current conversation if it is a room.
    QString roomFor(const QString &given, const ConversationId &current, const char *commandName);
    ConversationId resolveTarget(const QString &target) const;
    bool isLoggedIn() const;
    void error(const ConversationId &where, const QString &text) { emit feedback(where, text, true); }
    void info(const ConversationId &where, const QString &text) { emit feedback(where, text, false); }

    ConversationRegistry *m_registry;
    SessionActions *m_actions;
    PeerConversations *m_peers = nullptr;
    CommandParser m_parser;
};

} // namespace Confab
