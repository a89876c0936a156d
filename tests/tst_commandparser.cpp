// The input-line language: Confab's commands, the seeds' spellings, plain text, usage errors.
#include "commandparser.h"

#include <QSet>
#include <QTest>

using Confab::Command;
using Confab::CommandParser;
using Confab::CommandSpec;

Q_DECLARE_METATYPE(Command::Kind)

class tst_CommandParser : public QObject
{
    Q_OBJECT
private slots:
    void parse_data();
    void parse();
    void unknownCommandIsNamedInTheError();
    void usageErrorShowsTheUsage();
    void findIgnoresPrefixAndCase_data();
    void findIgnoresPrefixAndCase();
    void tableNamesAreUnique();
    void helpTextListsEveryCommandAndAlias();
    void helpForOneCommand();
    void newRowIsEnoughForANewCommand();
};

void tst_CommandParser::parse_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<Command::Kind>("kind");
    QTest::addColumn<QStringList>("args");

    using K = Command::Kind;
    const QStringList none;
    // Blank lines do nothing.
    QTest::newRow("empty") << "" << K::None << none;
    QTest::newRow("spaces") << "   \t " << K::None << none;
    QTest::newRow("line end only") << "\r\n" << K::None << none;
    // Plain text goes to the conversation as typed (without the line end).
    QTest::newRow("text") << "hello world" << K::Text << QStringList{"hello world"};
    QTest::newRow("text keeps inner spacing") << "a   b" << K::Text << QStringList{"a   b"};
    QTest::newRow("text without CRLF") << "hi there\r\n" << K::Text << QStringList{"hi there"};
    QTest::newRow("non-ASCII text") << "grüße 👋" << K::Text << QStringList{"grüße 👋"};
    QTest::newRow("// escapes a slash") << "//list" << K::Text << QStringList{"/list"};
    QTest::newRow("$ and a digit is text") << "$5 for coffee" << K::Text << QStringList{"$5 for coffee"};
    QTest::newRow("lone slash is text") << "/ shrug" << K::Text << QStringList{"/ shrug"};
    QTest::newRow(":q as part of a word is text") << ":qq" << K::Text << QStringList{":qq"};
    QTest::newRow("/say sends commands as text") << "/say /list is a command" << K::Text
                                                  << QStringList{"/list is a command"};
    // Listing users: Confab, seed 003 (/list), seed 001 ($userlist), and any prefix.
    QTest::newRow("/list") << "/list" << K::ListUsers << none;
    QTest::newRow("/users") << "/users" << K::ListUsers << none;
    QTest::newRow("/who") << "/who" << K::ListUsers << none;
    QTest::newRow("$userlist (seed 001)") << "$userlist" << K::ListUsers << none;
    QTest::newRow("$list") << "$list" << K::ListUsers << none;
    QTest::newRow("/userlist") << "/userlist" << K::ListUsers << none;
    QTest::newRow("cmd:list (seed 000 prefix)") << "cmd:list" << K::ListUsers << none;
    QTest::newRow("upper case") << "/LIST" << K::ListUsers << none;
    QTest::newRow("surrounding spaces") << "  /list  " << K::ListUsers << none;
    // Direct messages: seed 003's /msg and /dm.
    QTest::newRow("/msg") << "/msg bob hi there" << K::DirectMessage << QStringList{"bob", "hi there"};
    QTest::newRow("/dm") << "/dm bob hi" << K::DirectMessage << QStringList{"bob", "hi"};
    QTest::newRow("$msg") << "$msg bob hi" << K::DirectMessage << QStringList{"bob", "hi"};
    QTest::newRow("/msg spacing") << "/msg   bob    two   spaces  " << K::DirectMessage
                                  << QStringList{"bob", "two   spaces"};
    // Quitting: Confab, seed 003 (/quit), seed 001 (:q).
    QTest::newRow("/quit") << "/quit" << K::Quit << none;
    QTest::newRow("/quit reason") << "/quit gone fishing" << K::Quit << QStringList{"gone fishing"};
    QTest::newRow("/exit") << "/exit" << K::Quit << none;
    QTest::newRow(":q (seed 001)") << ":q" << K::Quit << none;
    QTest::newRow(":Q") << ":Q" << K::Quit << none;
    QTest::newRow(":q reason") << ":q bye" << K::Quit << QStringList{"bye"};
    // Rooms: Confab's own names and every seed 001 spelling.
    QTest::newRow("$roomcreate (seed 001)") << "$roomcreate games" << K::CreateRoom << QStringList{"games"};
    QTest::newRow("/create with topic") << "/create games board games only" << K::CreateRoom
                                        << QStringList{"games", "board games only"};
    QTest::newRow("$roomjoin (seed 001)") << "$roomjoin games" << K::JoinRoom << QStringList{"games"};
    QTest::newRow("/join #room") << "/join #games" << K::JoinRoom << QStringList{"#games"};
    QTest::newRow("/j") << "/j games" << K::JoinRoom << QStringList{"games"};
    QTest::newRow("$roomleave (seed 001)") << "$roomleave" << K::LeaveRoom << none;
    QTest::newRow("/leave room") << "/leave games" << K::LeaveRoom << QStringList{"games"};
    QTest::newRow("/part") << "/part" << K::LeaveRoom << none;
    QTest::newRow("$roomlist (seed 001)") << "$roomlist" << K::ListRooms << none;
    QTest::newRow("/rooms") << "/rooms" << K::ListRooms << none;
    QTest::newRow("/members") << "/members games" << K::ListMembers << QStringList{"games"};
    QTest::newRow("/go lobby") << "/go lobby" << K::SwitchConversation << QStringList{"lobby"};
    QTest::newRow("/go @bob") << "/go @bob" << K::SwitchConversation << QStringList{"@bob"};
    QTest::newRow("/topic text") << "/topic release on Friday" << K::SetTopic << QStringList{"release on Friday"};
    QTest::newRow("/topic alone") << "/topic" << K::SetTopic << none;
    QTest::newRow("$kick (seed 001): everyone") << "$kick" << K::Kick << none;
    QTest::newRow("/kick user") << "/kick bob" << K::Kick << QStringList{"bob"};
    QTest::newRow("/kick user reason") << "/kick bob stop spamming" << K::Kick << QStringList{"bob", "stop spamming"};
    QTest::newRow("/ban user reason") << "/ban bob rude" << K::Ban << QStringList{"bob", "rude"};
    QTest::newRow("/unban") << "/unban bob" << K::Unban << QStringList{"bob"};
    QTest::newRow("/close") << "/close" << K::CloseRoom << none;
    // Help.
    QTest::newRow("/help") << "/help" << K::Help << none;
    QTest::newRow("/help topic") << "/help msg" << K::Help << QStringList{"msg"};
    QTest::newRow("/?") << "/?" << K::Help << none;
    QTest::newRow("$help") << "$help" << K::Help << none;
    // Errors: nothing is sent.
    QTest::newRow("unknown /command") << "/bogus" << K::Invalid << none;
    QTest::newRow("unknown $command") << "$HOME is here" << K::Invalid << none;
    QTest::newRow("$roomjoin without a room") << "$roomjoin" << K::Invalid << none;
    QTest::newRow("$roomjoin with two rooms") << "$roomjoin a b" << K::Invalid << none;
    QTest::newRow("/ban without a user") << "/ban" << K::Invalid << none;
    QTest::newRow("$roomlist with argument") << "$roomlist x" << K::Invalid << none;
    QTest::newRow("/list with argument") << "/list everyone" << K::Invalid << none;
    QTest::newRow("/msg without text") << "/msg bob" << K::Invalid << none;
    QTest::newRow("/msg without anything") << "/msg" << K::Invalid << none;
    QTest::newRow("/help with two words") << "/help msg quit" << K::Invalid << none;
    QTest::newRow("/say without text") << "/say" << K::Invalid << none;
}

void tst_CommandParser::parse()
{
    QFETCH(QString, line);
    QFETCH(Command::Kind, kind);
    QFETCH(QStringList, args);

    const Command command = CommandParser().parse(line);
    QCOMPARE(command.kind, kind);
    QCOMPARE(command.args, args);
    QCOMPARE(command.isValid(), kind != Command::Kind::Invalid);
    QCOMPARE(command.error.isEmpty(), kind != Command::Kind::Invalid);
}

void tst_CommandParser::unknownCommandIsNamedInTheError()
{
    const Command command = CommandParser().parse(QStringLiteral("/frobnicate now"));
    QCOMPARE(command.kind, Command::Kind::Invalid);
    QVERIFY2(command.error.contains(QLatin1String("/frobnicate")), qPrintable(command.error));
    QVERIFY2(command.error.contains(QLatin1String("/help")), qPrintable(command.error));
}

void tst_CommandParser::usageErrorShowsTheUsage()
{
    const Command command = CommandParser().parse(QStringLiteral("/msg bob"));
    QCOMPARE(command.kind, Command::Kind::Invalid);
    QVERIFY2(command.error.contains(QLatin1String("/msg <user> <text>")), qPrintable(command.error));
}

void tst_CommandParser::findIgnoresPrefixAndCase_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("canonical"); // empty: not found

    QTest::newRow("canonical") << "/list" << "/list";
    QTest::newRow("no prefix") << "list" << "/list";
    QTest::newRow("seed spelling") << "$USERLIST" << "/list";
    QTest::newRow("alias with other prefix") << "$dm" << "/msg";
    QTest::newRow("literal") << ":q" << "/quit";
    QTest::newRow("literal with prefix is not it") << "/:q" << "";
    QTest::newRow("unknown") << "/roomjump" << "";
    QTest::newRow("room seed spelling") << "/roomjoin" << "/join";
    QTest::newRow("empty") << "" << "";
}

void tst_CommandParser::findIgnoresPrefixAndCase()
{
    QFETCH(QString, name);
    QFETCH(QString, canonical);

    CommandParser parser;
    const CommandSpec *spec = parser.find(name);
    if (canonical.isEmpty()) {
        QVERIFY(!spec);
    } else {
        QVERIFY(spec);
        QCOMPARE(spec->names.constFirst(), canonical);
    }
}

void tst_CommandParser::tableNamesAreUnique()
{
    CommandParser parser;
    QSet<QString> seen;
    for (const CommandSpec &spec : parser.commands()) {
        QVERIFY(!spec.names.isEmpty());
        QVERIFY(spec.help && *spec.help);
        for (const QString &name : spec.names) {
            // Any prefix matches any name, so compare without the prefix.
            QString bare = name.toLower();
            for (const QString &prefix : CommandParser::prefixes()) {
                if (bare.startsWith(prefix) && bare.size() > prefix.size() && bare.at(prefix.size()).isLetter()) {
                    bare = bare.mid(prefix.size());
                    break;
                }
            }
            QVERIFY2(!seen.contains(bare), qPrintable(name));
            seen.insert(bare);
            QCOMPARE(parser.find(name), &spec);
        }
    }
}

void tst_CommandParser::helpTextListsEveryCommandAndAlias()
{
    CommandParser parser;
    const QString help = parser.helpText();
    for (const CommandSpec &spec : parser.commands()) {
        QVERIFY2(help.contains(CommandParser::usage(spec)), qPrintable(CommandParser::usage(spec)));
        QVERIFY2(help.contains(QLatin1String(spec.help)), spec.help);
        for (const QString &name : spec.names)
            QVERIFY2(help.contains(name), qPrintable(name));
    }
}

void tst_CommandParser::helpForOneCommand()
{
    CommandParser parser;
    const QString msg = parser.helpText(QStringLiteral("msg"));
    QVERIFY2(msg.contains(QLatin1String("/msg <user> <text>")), qPrintable(msg));
    QVERIFY2(msg.contains(QLatin1String("/dm")), qPrintable(msg));
    QVERIFY(parser.helpText(QStringLiteral("$userlist")).startsWith(QLatin1String("/list")));
    QVERIFY(parser.helpText(QStringLiteral(":q")).startsWith(QLatin1String("/quit")));
    QVERIFY(parser.helpText(QStringLiteral("nonsense")).isEmpty());
}

void tst_CommandParser::newRowIsEnoughForANewCommand()
{
    // One row, and every spelling, usage error and help line follows.
    QList<CommandSpec> table = CommandParser::defaultCommands();
    table.append({Command::Kind::ListUsers, {QStringLiteral("/wave"), QStringLiteral("$hello")},
                  CommandSpec::Args::Word, "<user>", "Wave at someone"});
    CommandParser parser(table);

    const Command seed = parser.parse(QStringLiteral("$hello bob"));
    QCOMPARE(seed.kind, Command::Kind::ListUsers);
    QCOMPARE(seed.name, QStringLiteral("wave"));
    QCOMPARE(seed.args, QStringList{QStringLiteral("bob")});
    QCOMPARE(parser.parse(QStringLiteral("/WAVE bob")).args, QStringList{QStringLiteral("bob")});

    const Command bad = parser.parse(QStringLiteral("/wave"));
    QCOMPARE(bad.kind, Command::Kind::Invalid);
    QVERIFY2(bad.error.contains(QLatin1String("/wave <user>")), qPrintable(bad.error));
    QVERIFY(parser.parse(QStringLiteral("/wave a b")).kind == Command::Kind::Invalid);
    QVERIFY(parser.helpText().contains(QLatin1String("$hello")));
    // And the real room rows appear in the default help, with their seed spellings.
    const QString help = CommandParser().helpText();
    for (const char *spelling : {"$roomcreate", "$roomjoin", "$roomleave", "$roomlist", "$userlist"})
        QVERIFY2(help.contains(QLatin1String(spelling)), spelling);
}

QTEST_GUILESS_MAIN(tst_CommandParser)
#include "tst_commandparser.moc"
