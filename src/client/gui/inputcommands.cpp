#include "inputcommands.h"

#include "clientsession.h"
#include "conversationregistry.h"
#include "peerconversations.h"
#include "sessionactions.h"
#include "usernames.h"

namespace Confab {

InputCommands::InputCommands(ConversationRegistry *registry, SessionActions *actions, QObject *parent)
    : QObject(parent)
    , m_registry(registry)
    , m_actions(actions)
{
}

bool InputCommands::isLoggedIn() const
{
    return m_registry->session() && m_registry->session()->isLoggedIn();
}

bool InputCommands::sendText(const QString &text, const ConversationId &to, const ConversationId &current)
{
    if (to.isPeer()) { // peer to peer: no server needed, only the connection
        if (m_registry->sendText(to, text))
            return true;
        error(current, tr("The direct chat with %1 is not connected; your text stays in the input line.").arg(to.name));
        return false;
    }
    if (!isLoggedIn()) {
        error(current, tr("Not connected: your text stays in the input line until the connection is back."));
        return false;
    }
    if (to.isRoom() && !m_registry->isJoined(to.name)) {
        error(current, tr("You are not in #%1 any more; join it again to write there.").arg(to.name));
        return false;
    }
    m_registry->sendText(to, text);
    return true;
}

QString InputCommands::roomFor(const QString &given, const ConversationId &current, const char *commandName)
{
    if (!given.isEmpty())
        return ClientSession::roomName(given);
    if (current.isRoom())
        return current.name;
    error(current, tr("/%1: name a room, or use it in a room's tab.").arg(QLatin1String(commandName)));
    return {};
}

ConversationId InputCommands::resolveTarget(const QString &target) const
{
    if (target.compare(QLatin1String("lobby"), Qt::CaseInsensitive) == 0)
        return ConversationId::lobby();
    if (target.startsWith(u'#'))
        return ConversationId::room(target.mid(1));
    if (target.startsWith(u'@'))
        return ConversationId::dm(target.mid(1));
    if (m_registry->isJoined(target))
        return m_registry->canonical(ConversationId::room(target));
    return ConversationId::dm(target);
}

bool InputCommands::execute(const QString &line, const ConversationId &current)
{
    const Command command = m_parser.parse(line);
    using K = Command::Kind;
    switch (command.kind) {
    case K::None:
        return true;
    case K::Invalid:
        error(current, command.error);
        return false;
    case K::Text:
        return sendText(command.arg(0), current, current);
    case K::Help: {
        const QString help = command.args.isEmpty() ? m_parser.helpText() : m_parser.helpText(command.arg(0));
        if (help.isEmpty())
            error(current, tr("No such command: %1 (type /help for the list)").arg(command.arg(0)));
        else
            info(current, help);
        return true;
    }
    case K::Quit:
        emit quitRequested(command.arg(0));
        return true;
    case K::SwitchConversation: {
        if (command.args.isEmpty()) {
            const QString name = current.isLobby()  ? tr("the lobby")
                                 : current.isRoom() ? QStringLiteral("#") + current.name
                                 : current.isPeer() ? tr("%1, directly").arg(current.name)
                                                    : current.name;
            info(current, tr("You are writing to %1.").arg(name));
            return true;
        }
        const ConversationId target = resolveTarget(command.arg(0));
        if (target.isRoom() && !m_registry->isJoined(target.name)) {
            error(current, tr("You are not in #%1; /join it first.").arg(target.name));
            return false;
        }
        if (target.isDm() && !isValidUsername(target.name)) {
            error(current, tr("“%1” is not a user name.").arg(target.name));
            return false;
        }
        emit switchRequested(target);
        return true;
    }
    case K::LeaveRoom:
        if (command.args.isEmpty() && current.isPeer()) { // /leave in a direct chat hangs up
            if (m_peers)
                m_peers->end(current);
            return true;
        }
        break;
    default:
        break;
    }

    // Everything below talks to the server.
    if (!isLoggedIn()) {
        error(current, tr("Not connected: the command stays in the input line until the connection is back."));
        return false;
    }
    switch (command.kind) {
    case K::ListUsers:
        m_actions->listUsers(current);
        return true;
    case K::DirectMessage: {
        const ConversationId to = ConversationId::dm(command.arg(0));
        emit switchRequested(to);
        return sendText(command.arg(1), to, current);
    }
    case K::CreateRoom:
        m_actions->createRoom(command.arg(0), command.arg(1), current);
        return true;
    case K::JoinRoom:
        m_actions->joinRoom(command.arg(0), current);
        return true;
    case K::LeaveRoom: {
        const QString room = roomFor(command.arg(0), current, "leave");
        if (room.isEmpty())
            return false;
        m_actions->leaveRoom(room, current);
        return true;
    }
    case K::ListRooms:
        m_actions->listRooms(current);
        return true;
    case K::ListMembers: {
        const QString room = roomFor(command.arg(0), current, "members");
        if (room.isEmpty())
            return false;
        m_actions->listMembers(room, current);
        return true;
    }
    case K::SetTopic: {
        const QString room = roomFor(QString(), current, "topic");
        if (room.isEmpty())
            return false;
        if (command.args.isEmpty()) {
            const QString topic = m_registry->room(room).topic;
            info(current, topic.isEmpty() ? tr("#%1 has no topic.").arg(room) : tr("Topic of #%1: %2").arg(room, topic));
            return true;
        }
        m_actions->setTopic(room, command.arg(0), current);
        return true;
    }
    case K::Kick: {
        const QString room = roomFor(QString(), current, "kick");
        if (room.isEmpty())
            return false;
        m_actions->kick(room, command.arg(0), command.arg(1), current);
        return true;
    }
    case K::Ban: {
        const QString room = roomFor(QString(), current, "ban");
        if (room.isEmpty())
            return false;
        m_actions->ban(room, command.arg(0), command.arg(1), current);
        return true;
    }
    case K::Unban: {
        const QString room = roomFor(QString(), current, "unban");
        if (room.isEmpty())
            return false;
        m_actions->unban(room, command.arg(0), current);
        return true;
    }
    case K::CloseRoom: {
        const QString room = roomFor(command.arg(0), current, "close");
        if (room.isEmpty())
            return false;
        m_actions->closeRoom(room, current);
        return true;
    }
    case K::Poke:
    case K::AcceptPoke:
    case K::DeclinePoke:
    case K::Bridge:
    case K::CancelBridge:
    case K::Register:
        return executePeerCommand(command, current);
    default:
        error(current, tr("This command is not available in this window."));
        return false;
    }
}

bool InputCommands::executePeerCommand(const Command &command, const ConversationId &current)
{
    using K = Command::Kind;
    if (!m_peers) {
        error(current, tr("Direct chats are not available in this window."));
        return false;
    }
    switch (command.kind) {
    case K::Poke:
        if (!isValidUsername(command.arg(0))) {
            error(current, tr("“%1” is not a user name.").arg(command.arg(0)));
            return false;
        }
        emit switchRequested(m_peers->poke(command.arg(0)));
        return true;
    case K::AcceptPoke:
    case K::DeclinePoke: {
        const quint64 pokeId = m_peers->pendingPokeFrom(command.arg(0));
        if (!pokeId) {
            error(current, command.arg(0).isEmpty() ? tr("Nobody is poking you.")
                                                    : tr("%1 is not poking you.").arg(command.arg(0)));
            return false;
        }
        if (command.kind == K::AcceptPoke)
            m_peers->acceptPoke(pokeId);
        else
            m_peers->declinePoke(pokeId);
        return true;
    }
    case K::Bridge:
        m_peers->bridge();
        return true;
    case K::CancelBridge:
        m_peers->cancelBridge();
        return true;
    case K::Register:
        info(current, tr("You are registered as %1: logging in registers you.").arg(m_registry->selfName()));
        return true;
    default:
        return false;
    }
}

} // namespace Confab
