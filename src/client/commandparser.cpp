#include "commandparser.h"

#include <algorithm>

namespace Confab {

namespace {

// The length of the command prefix `word` starts with, or 0.
int prefixLength(const QString &word)
{
    for (const QString &prefix : CommandParser::prefixes()) {
        if (word.size() > prefix.size() && word.startsWith(prefix, Qt::CaseInsensitive))
            return int(prefix.size());
    }
    return 0;
}

// A table name is "prefixed" when a prefix is followed by a letter ("/list", "$userlist"); it
// then matches with any prefix. Anything else (":q", "/?") is a literal word.
bool isPrefixedName(const QString &name)
{
    const int n = prefixLength(name);
    return n > 0 && name.at(n).isLetter();
}

QString bareName(const QString &name)
{
    return isPrefixedName(name) ? name.mid(prefixLength(name)) : name;
}

// Splits "word rest of line" at the first run of whitespace.
void splitFirstWord(const QString &text, QString *word, QString *rest)
{
    qsizetype end = 0;
    while (end < text.size() && !text.at(end).isSpace())
        ++end;
    *word = text.left(end);
    *rest = text.mid(end).trimmed();
}

} // namespace

CommandParser::CommandParser()
    : m_table(defaultCommands())
{
}

CommandParser::CommandParser(QList<CommandSpec> table)
    : m_table(std::move(table))
{
}

const QStringList &CommandParser::prefixes()
{
    static const QStringList list{QStringLiteral("/"), QStringLiteral("$"), QStringLiteral("cmd:")};
    return list;
}

QList<CommandSpec> CommandParser::defaultCommands()
{
    using K = Command::Kind;
    using A = CommandSpec::Args;
    return {
        {K::Help, {QStringLiteral("/help"), QStringLiteral("/?")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[command]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "List the commands, or explain one")},
        {K::ListUsers, {QStringLiteral("/list"), QStringLiteral("/users"), QStringLiteral("/who"),
                        QStringLiteral("$userlist")}, A::None,
         "",
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Show who is online")},
        {K::DirectMessage, {QStringLiteral("/msg"), QStringLiteral("/dm")}, A::WordAndText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<user> <text>"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Send a direct message to one user")},
        {K::Text, {QStringLiteral("/say")}, A::Text,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<text>"),
         QT_TRANSLATE_NOOP("Confab::CommandParser",
                           "Send text as typed, even if it starts with / or $ (or type //text)")},
        {K::ListRooms, {QStringLiteral("/rooms"), QStringLiteral("$roomlist")}, A::None,
         "",
         QT_TRANSLATE_NOOP("Confab::CommandParser", "List every room with its topic and member count")},
        {K::CreateRoom, {QStringLiteral("/create"), QStringLiteral("$roomcreate")}, A::WordAndOptionalText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<room> [topic]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Create a room (you own it) and join it")},
        {K::JoinRoom, {QStringLiteral("/join"), QStringLiteral("/j"), QStringLiteral("$roomjoin")}, A::Word,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<room>"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Join a room; it becomes the current conversation")},
        {K::LeaveRoom, {QStringLiteral("/leave"), QStringLiteral("/part"), QStringLiteral("$roomleave")},
         A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[room]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Leave a room (default: the current one)")},
        {K::ListMembers, {QStringLiteral("/members"), QStringLiteral("/names")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[room]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "List a room's members (default: the current room)")},
        {K::SwitchConversation, {QStringLiteral("/go"), QStringLiteral("/switch")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[lobby | #room | @user]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Choose where plain lines go (or show the current choice)")},
        {K::SetTopic, {QStringLiteral("/topic")}, A::OptionalText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[text]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Show, or as owner set, the current room's topic")},
        {K::Kick, {QStringLiteral("/kick")}, A::OptionalWordAndText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[user [reason]]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser",
                           "As owner, remove one member from the current room, or everyone but you without a user ($kick)")},
        {K::Ban, {QStringLiteral("/ban")}, A::WordAndOptionalText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<user> [reason]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "As owner, ban a user from the current room")},
        {K::Unban, {QStringLiteral("/unban")}, A::Word,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<user>"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "As owner, lift a user's ban from the current room")},
        {K::CloseRoom, {QStringLiteral("/close")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[room]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "As owner, close a room for good (default: the current one)")},
        {K::Poke, {QStringLiteral("/poke"), QStringLiteral("cmd:request"), QStringLiteral("/chat")},
         A::Word,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "<user>"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Ask a user for a direct chat that bypasses the server")},
        {K::AcceptPoke, {QStringLiteral("/accept")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[user]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Accept a poke (default: the latest)")},
        {K::DeclinePoke, {QStringLiteral("/decline")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[user]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Decline a poke (default: the latest)")},
        {K::Bridge, {QStringLiteral("/bridge")}, A::None,
         "",
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Be paired for a direct chat with anyone who is waiting")},
        {K::CancelBridge, {QStringLiteral("/cancel")}, A::None,
         "",
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Stop waiting for a bridge partner")},
        {K::Register, {QStringLiteral("/register")}, A::OptionalWord,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[name]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Seed 002's registration; logging in already registered you")},
        {K::Quit, {QStringLiteral("/quit"), QStringLiteral("/exit"), QStringLiteral(":q")}, A::OptionalText,
         QT_TRANSLATE_NOOP("Confab::CommandParser", "[reason]"),
         QT_TRANSLATE_NOOP("Confab::CommandParser", "Leave the chat")},
    };
}

const CommandSpec *CommandParser::find(const QString &name) const
{
    if (const CommandSpec *literal = findLiteral(name))
        return literal;
    const QString wanted = isPrefixedName(name) ? bareName(name) : name;
    if (wanted.isEmpty() || !wanted.at(0).isLetter())
        return nullptr;
    for (const CommandSpec &spec : m_table) {
        for (const QString &candidate : spec.names) {
            if (isPrefixedName(candidate) && bareName(candidate).compare(wanted, Qt::CaseInsensitive) == 0)
                return &spec;
        }
    }
    return nullptr;
}

const CommandSpec *CommandParser::findLiteral(const QString &word) const
{
    for (const CommandSpec &spec : m_table) {
        for (const QString &candidate : spec.names) {
            if (!isPrefixedName(candidate) && candidate.compare(word, Qt::CaseInsensitive) == 0)
                return &spec;
        }
    }
    return nullptr;
}

Command CommandParser::parse(const QString &input) const
{
    QString line = input;
    while (!line.isEmpty() && (line.back() == u'\n' || line.back() == u'\r'))
        line.chop(1);

    Command command;
    const QString body = line.trimmed();
    if (body.isEmpty())
        return command; // Kind::None

    if (body.startsWith(QLatin1String("//"))) {
        command.kind = Command::Kind::Text;
        command.args = QStringList{body.mid(1)};
        return command;
    }

    QString word;
    QString rest;
    splitFirstWord(body, &word, &rest);

    if (const CommandSpec *spec = findLiteral(word))
        return makeCommand(*spec, rest);

    if (isPrefixedName(word)) {
        if (const CommandSpec *spec = find(word))
            return makeCommand(*spec, rest);
        command.kind = Command::Kind::Invalid;
        command.error = tr("unknown command %1 (type /help for the list, or /say to send it as text)").arg(word);
        return command;
    }

    command.kind = Command::Kind::Text;
    command.args = QStringList{line};
    return command;
}

Command CommandParser::makeCommand(const CommandSpec &spec, const QString &rest) const
{
    Command command;
    command.kind = spec.kind;
    command.name = bareName(spec.names.value(0));

    QString word;
    QString text;
    splitFirstWord(rest, &word, &text);

    bool ok = true;
    switch (spec.args) {
    case CommandSpec::Args::None:
        ok = rest.isEmpty();
        break;
    case CommandSpec::Args::Word:
        ok = !word.isEmpty() && text.isEmpty();
        command.args = QStringList{word};
        break;
    case CommandSpec::Args::OptionalWord:
        ok = text.isEmpty();
        if (!word.isEmpty())
            command.args = QStringList{word};
        break;
    case CommandSpec::Args::Text:
        ok = !rest.isEmpty();
        command.args = QStringList{rest};
        break;
    case CommandSpec::Args::OptionalText:
        if (!rest.isEmpty())
            command.args = QStringList{rest};
        break;
    case CommandSpec::Args::WordAndText:
        ok = !word.isEmpty() && !text.isEmpty();
        command.args = QStringList{word, text};
        break;
    case CommandSpec::Args::WordAndOptionalText:
        ok = !word.isEmpty();
        command.args = text.isEmpty() ? QStringList{word} : QStringList{word, text};
        break;
    case CommandSpec::Args::OptionalWordAndText:
        if (!word.isEmpty())
            command.args = text.isEmpty() ? QStringList{word} : QStringList{word, text};
        break;
    }
    if (!ok) {
        command.kind = Command::Kind::Invalid;
        command.args.clear();
        command.error = tr("usage: %1").arg(usage(spec));
    }
    return command;
}

QString CommandParser::usage(const CommandSpec &spec)
{
    QString text = spec.names.value(0);
    if (spec.usage && *spec.usage)
        text += u' ' + tr(spec.usage);
    return text;
}

QString CommandParser::helpText() const
{
    QList<QString> usages;
    int width = 0;
    for (const CommandSpec &spec : m_table) {
        usages.append(usage(spec));
        width = std::max(width, int(usages.back().size()));
    }
    QStringList lines;
    lines << tr("Commands (a $ may stand for the /, as in $userlist):");
    for (qsizetype i = 0; i < m_table.size(); ++i) {
        const CommandSpec &spec = m_table.at(i);
        QString line = QStringLiteral("  ") + usages.at(i).leftJustified(width + 2) + tr(spec.help);
        if (spec.names.size() > 1)
            line += u' ' + tr("(also %1)").arg(spec.names.mid(1).join(QStringLiteral(", ")));
        lines << line;
    }
    lines << tr("Any other line goes to the current conversation (the lobby, or the room last joined or chosen with /go).");
    return lines.join(u'\n');
}

QString CommandParser::helpText(const QString &command) const
{
    const CommandSpec *spec = find(command);
    if (!spec) {
        // "/help msg" names the command without a prefix.
        spec = find(u'/' + command);
    }
    if (!spec)
        return {};
    QString text = usage(*spec) + QStringLiteral(" — ") + tr(spec->help);
    if (spec->names.size() > 1)
        text += u' ' + tr("(also %1)").arg(spec->names.mid(1).join(QStringLiteral(", ")));
    return text;
}

} // namespace Confab
