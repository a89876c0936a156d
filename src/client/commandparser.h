// The input-line language shared by both clients: Confab's own /commands, the seed projects'
// spellings as aliases, and plain text for the current conversation.
//
// Every command is one row of a table (CommandParser::commands()): its kind, its names, the shape
// of its arguments, a usage string and a help line. Adding a command (rooms, poke, ...) is one
// Command::Kind value plus one table row; parsing, usage errors and /help follow from the row.
//
// A name is matched without regard to case and with any command prefix: "/list", "$list",
// "$userlist" and "cmd:list" are the same command. The prefix written in the table is only how
// /help shows that spelling (seed 001 used "$userlist"). Names that start with something other
// than a letter (":q") are literal words matched as typed.
#pragma once

#include <QCoreApplication>
#include <QList>
#include <QString>
#include <QStringList>

namespace Confab {

struct Command {
    enum class Kind {
        None,          // blank line: nothing to do
        Invalid,       // unknown command or bad arguments; see error
        Text,          // plain text for the current conversation; args[0]
        Help,          // args: [command name]
        ListUsers,     // no args
        DirectMessage, // args: user, text
        Quit,          // args: [reason]
        CreateRoom,    // args: room, [topic]
        JoinRoom,      // args: room
        LeaveRoom,     // args: [room] (default: the current room)
        ListRooms,     // no args
        ListMembers,   // args: [room]
        SwitchConversation, // args: [lobby | #room | @user]; none: say which is current
        SetTopic,      // args: [topic] for the current room; none: show it
        Kick,          // args: [user, [reason]]; no user: everyone but the owner (seed 001's $kick)
        Ban,           // args: user, [reason]
        Unban,         // args: user
        CloseRoom,     // args: [room]
        Poke,          // args: user — ask for a direct (peer-to-peer) chat
        AcceptPoke,    // args: [user] (default: the latest poke)
        DeclinePoke,   // args: [user]
        Bridge,        // no args — be paired with anyone waiting (seed 002)
        CancelBridge,  // no args
        Register,      // args: [name] — seed 002's /register; accounts already do this
    };

    Kind kind = Kind::None;
    QString name;      // canonical name of the command ("msg"), empty for None/Text
    QStringList args;
    QString error;     // user-readable (translated) reason when kind == Invalid

    bool isValid() const { return kind != Kind::Invalid; }
    QString arg(int i) const { return args.value(i); }
};

struct CommandSpec {
    // How the text after the command name is cut into arguments.
    enum class Args {
        None,         // nothing may follow
        Word,         // exactly one word
        OptionalWord, // zero or one word
        Text,         // the rest of the line, required
        OptionalText, // the rest of the line, may be empty
        WordAndText,  // one word, then the rest of the line (required)
        WordAndOptionalText, // one word, then the rest of the line (may be empty)
        OptionalWordAndText, // zero or one word, then the rest of the line (may be empty)
    };

    Command::Kind kind;
    QStringList names;   // first is canonical; each written with the prefix /help shows
    Args args;
    const char *usage;   // argument synopsis, e.g. "<user> <text>" (QT_TRANSLATE_NOOP)
    const char *help;    // one line for /help (QT_TRANSLATE_NOOP)
};

class CommandParser
{
    Q_DECLARE_TR_FUNCTIONS(Confab::CommandParser)
public:
    CommandParser();
    explicit CommandParser(QList<CommandSpec> table);

    // The prefixes that make a word a command name: "/", "$" (seed 001), "cmd:" (seed 000).
    static const QStringList &prefixes();
    // Confab's commands with the seeds' spellings as aliases.
    static QList<CommandSpec> defaultCommands();

    Command parse(const QString &line) const;

    const QList<CommandSpec> &commands() const { return m_table; }
    // The row with this name (any prefix or none, any case), or nullptr.
    const CommandSpec *find(const QString &name) const;

    // "/msg <user> <text>" for a row.
    static QString usage(const CommandSpec &spec);
    // Every command, its aliases and help, one per line.
    QString helpText() const;
    // Usage, aliases and help of one command (for "/help msg"); empty if unknown.
    QString helpText(const QString &command) const;

private:
    const CommandSpec *findLiteral(const QString &word) const;
    Command makeCommand(const CommandSpec &spec, const QString &rest) const;

    QList<CommandSpec> m_table;
};

} // namespace Confab
