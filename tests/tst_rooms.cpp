// Rooms over real loopback sockets: membership, fan-out, moderation, persistence, errors. Every
// test runs over TCP and over UDP (the global data rows "tcp" and "udp").
#include "testsupport.h"

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");

QStringList namesIn(const QCborArray &array)
{
    QStringList names;
    for (const QCborValue &v : array)
        names << v.toString();
    return names;
}

// Sends a request and returns the first reply citing it (Error or otherwise).
std::optional<Message> request(RawPeer &peer, const Message &message)
{
    peer.send(message);
    const quint64 id = message.requestId();
    for (;;) {
        std::optional<Message> m = peer.next();
        if (!m || m->replyTo() == id)
            return m;
    }
}
} // namespace

class tst_Rooms : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase_data();
    void init();
    void cleanup();

    void onlyMembersReceiveRoomMessages();
    void joinAndLeaveAreSeenByMembers();
    void severalRoomsAtOnce();
    void roomListShowsCountsAndMembership();
    void kickOneWithReasonThenRejoin();
    void kickAllLeavesOnlyTheOwner();
    void banKicksAndKeepsOut();
    void ownerOnlyActions();
    void topicReachesMembers();
    void errors_data();
    void errors();
    void ownershipStaysWithTheAccount();
    void disconnectLeavesRooms();
    void roomsOwnersTopicsAndBansPersist();
    void closeRoom();
    void administratorKickAndBan();
    void everyoneHearsOfRoomChanges();

private:
    static RawPeer::Transport currentTransport()
    {
        QFETCH_GLOBAL(RawPeer::Transport, transport);
        return transport;
    }

    std::unique_ptr<TestServer> ts;
    std::unique_ptr<RawPeer> alice, bob, carol;
};

void tst_Rooms::initTestCase_data()
{
    addTransportRows();
}

void tst_Rooms::init()
{
    ts = std::make_unique<TestServer>();
    QVERIFY(ts->start());
    alice = std::make_unique<RawPeer>(currentTransport(), ts->port());
    bob = std::make_unique<RawPeer>(currentTransport(), ts->port());
    carol = std::make_unique<RawPeer>(currentTransport(), ts->port());
    QCOMPARE(alice->login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
    QCOMPARE(bob->login(QStringLiteral("bob"), pw)->type(), MessageType::LoginOk);
    QCOMPARE(carol->login(QStringLiteral("carol"), pw)->type(), MessageType::LoginOk);
    const auto created = request(*alice, Message::createRoom(100, QStringLiteral("Dev"), QStringLiteral("all things code")));
    QCOMPARE(created->type(), MessageType::RoomJoined);
    QVERIFY(created->boolean(Key::Created));
    QCOMPARE(created->text(Key::Owner), QStringLiteral("alice"));
    QCOMPARE(created->text(Key::Topic), QStringLiteral("all things code"));
}

void tst_Rooms::cleanup()
{
    alice.reset();
    bob.reset();
    carol.reset();
    ts.reset();
}

void tst_Rooms::onlyMembersReceiveRoomMessages()
{
    QCOMPARE(request(*bob, Message::joinRoom(1, QStringLiteral("dev")))->type(), MessageType::RoomJoined);
    const auto delivered = request(*alice, Message::postRoom(2, QStringLiteral("dev"), QStringLiteral("members only")));
    QCOMPARE(delivered->type(), MessageType::Delivered);
    QCOMPARE(delivered->integer(Key::Count), 1);
    const auto got = bob->expect(MessageType::RoomMessage);
    QCOMPARE(got->text(Key::Room), QStringLiteral("Dev"));
    QCOMPARE(got->text(Key::From), QStringLiteral("alice"));
    QCOMPARE(got->text(Key::Text), QStringLiteral("members only"));
    QVERIFY(!carol->expect(MessageType::RoomMessage, 300));

    const auto refused = request(*carol, Message::postRoom(3, QStringLiteral("dev"), QStringLiteral("let me in")));
    QCOMPARE(errorCodeOf(refused), ErrorCode::NotRoomMember);
    QVERIFY(!bob->expect(MessageType::RoomMessage, 300));
}

void tst_Rooms::joinAndLeaveAreSeenByMembers()
{
    const auto joined = request(*bob, Message::joinRoom(1, QStringLiteral("DEV")));
    QCOMPARE(joined->type(), MessageType::RoomJoined);
    QCOMPARE(namesIn(joined->array(Key::Members)), (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
    QVERIFY(!joined->boolean(Key::Created));
    QCOMPARE(alice->expect(MessageType::MemberJoined)->text(Key::User), QStringLiteral("bob"));

    const auto left = request(*bob, Message::leaveRoom(2, QStringLiteral("dev")));
    QCOMPARE(left->type(), MessageType::RoomLeft);
    const auto seen = alice->expect(MessageType::MemberLeft);
    QCOMPARE(seen->text(Key::User), QStringLiteral("bob"));
    QCOMPARE(seen->text(Key::Reason), QStringLiteral("left"));
    QCOMPARE(errorCodeOf(request(*bob, Message::leaveRoom(3, QStringLiteral("dev")))), ErrorCode::NotRoomMember);
}

void tst_Rooms::severalRoomsAtOnce()
{
    QCOMPARE(request(*bob, Message::createRoom(1, QStringLiteral("games")))->type(), MessageType::RoomJoined);
    QCOMPARE(request(*bob, Message::joinRoom(2, QStringLiteral("dev")))->type(), MessageType::RoomJoined);
    QCOMPARE(request(*carol, Message::joinRoom(3, QStringLiteral("games")))->type(), MessageType::RoomJoined);
    request(*bob, Message::postRoom(4, QStringLiteral("games"), QStringLiteral("gg")));
    request(*bob, Message::postRoom(5, QStringLiteral("dev"), QStringLiteral("build is green")));
    QCOMPARE(carol->expect(MessageType::RoomMessage)->text(Key::Text), QStringLiteral("gg"));
    QCOMPARE(alice->expect(MessageType::RoomMessage)->text(Key::Text), QStringLiteral("build is green"));
    QVERIFY(!carol->expect(MessageType::RoomMessage, 300));
}

void tst_Rooms::roomListShowsCountsAndMembership()
{
    request(*bob, Message::createRoom(1, QStringLiteral("games"), QStringLiteral("fun")));
    request(*carol, Message::joinRoom(2, QStringLiteral("games")));
    const auto list = request(*carol, Message::listRooms(3));
    QCOMPARE(list->type(), MessageType::RoomList);
    const QCborArray rooms = list->array(Key::Rooms);
    QCOMPARE(rooms.size(), 2);
    const QCborMap dev = rooms.at(0).toMap(), games = rooms.at(1).toMap();
    QCOMPARE(dev.value(Key::Room).toString(), QStringLiteral("Dev"));
    QCOMPARE(dev.value(Key::Members).toInteger(), 1);
    QCOMPARE(dev.value(Key::Joined).toBool(), false);
    QCOMPARE(games.value(Key::Owner).toString(), QStringLiteral("bob"));
    QCOMPARE(games.value(Key::Topic).toString(), QStringLiteral("fun"));
    QCOMPARE(games.value(Key::Members).toInteger(), 2);
    QCOMPARE(games.value(Key::Joined).toBool(), true);

    const auto members = request(*carol, Message::listMembers(4, QStringLiteral("games")));
    QCOMPARE(namesIn(members->array(Key::Members)), (QStringList{QStringLiteral("bob"), QStringLiteral("carol")}));
    QCOMPARE(members->text(Key::Owner), QStringLiteral("bob"));
    QCOMPARE(errorCodeOf(request(*carol, Message::listMembers(5, QStringLiteral("dev")))), ErrorCode::NotRoomMember);
}

void tst_Rooms::kickOneWithReasonThenRejoin()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    request(*carol, Message::joinRoom(2, QStringLiteral("dev")));
    const auto ok = request(*alice, Message::kick(3, QStringLiteral("dev"), QStringLiteral("bob"), QStringLiteral("spam")));
    QCOMPARE(ok->type(), MessageType::Ok);
    QCOMPARE(ok->integer(Key::Count), 1);
    const auto kicked = bob->expect(MessageType::Kicked);
    QCOMPARE(kicked->text(Key::Room), QStringLiteral("Dev"));
    QCOMPARE(kicked->text(Key::By), QStringLiteral("alice"));
    QCOMPARE(kicked->text(Key::Reason), QStringLiteral("spam"));
    const auto seen = carol->expect(MessageType::MemberKicked);
    QCOMPARE(seen->text(Key::User), QStringLiteral("bob"));
    QCOMPARE(seen->text(Key::Reason), QStringLiteral("spam"));

    request(*alice, Message::postRoom(4, QStringLiteral("dev"), QStringLiteral("after the kick")));
    QVERIFY(!bob->expect(MessageType::RoomMessage, 300));
    QCOMPARE(request(*bob, Message::joinRoom(5, QStringLiteral("dev")))->type(), MessageType::RoomJoined);
}

void tst_Rooms::kickAllLeavesOnlyTheOwner()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    request(*carol, Message::joinRoom(2, QStringLiteral("dev")));
    const auto ok = request(*alice, Message::kick(3, QStringLiteral("dev")));
    QCOMPARE(ok->integer(Key::Count), 2);
    QVERIFY(bob->expect(MessageType::Kicked));
    QVERIFY(carol->expect(MessageType::Kicked));
    const auto members = request(*alice, Message::listMembers(4, QStringLiteral("dev")));
    QCOMPARE(namesIn(members->array(Key::Members)), QStringList{QStringLiteral("alice")});
}

void tst_Rooms::banKicksAndKeepsOut()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    QCOMPARE(request(*alice, Message::ban(2, QStringLiteral("dev"), QStringLiteral("BOB"), QStringLiteral("rude")))->type(),
             MessageType::Ok);
    QCOMPARE(bob->expect(MessageType::Kicked)->text(Key::Reason), QStringLiteral("banned: rude"));
    QCOMPARE(errorCodeOf(request(*bob, Message::joinRoom(3, QStringLiteral("dev")))), ErrorCode::BannedFromRoom);
    QCOMPARE(request(*alice, Message::unban(4, QStringLiteral("dev"), QStringLiteral("bob")))->integer(Key::Count), 1);
    QCOMPARE(request(*bob, Message::joinRoom(5, QStringLiteral("dev")))->type(), MessageType::RoomJoined);
    // A ban names an account, online or not; unknown names are refused.
    QCOMPARE(errorCodeOf(request(*alice, Message::ban(6, QStringLiteral("dev"), QStringLiteral("nobody")))), ErrorCode::NoSuchUser);
}

void tst_Rooms::ownerOnlyActions()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    request(*carol, Message::joinRoom(2, QStringLiteral("dev")));
    QCOMPARE(errorCodeOf(request(*bob, Message::kick(3, QStringLiteral("dev"), QStringLiteral("carol")))), ErrorCode::NotRoomOwner);
    QCOMPARE(errorCodeOf(request(*bob, Message::kick(4, QStringLiteral("dev")))), ErrorCode::NotRoomOwner);
    QCOMPARE(errorCodeOf(request(*bob, Message::ban(5, QStringLiteral("dev"), QStringLiteral("carol")))), ErrorCode::NotRoomOwner);
    QCOMPARE(errorCodeOf(request(*bob, Message::setTopic(6, QStringLiteral("dev"), QStringLiteral("mine now")))), ErrorCode::NotRoomOwner);
    QCOMPARE(errorCodeOf(request(*bob, Message::closeRoom(7, QStringLiteral("dev")))), ErrorCode::NotRoomOwner);
    QCOMPARE(errorCodeOf(request(*alice, Message::kick(8, QStringLiteral("dev"), QStringLiteral("alice")))), ErrorCode::NotPermitted);
    QCOMPARE(errorCodeOf(request(*alice, Message::ban(9, QStringLiteral("dev"), QStringLiteral("alice")))), ErrorCode::NotPermitted);
    QVERIFY(!carol->expect(MessageType::Kicked, 300));
}

void tst_Rooms::topicReachesMembers()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    QCOMPARE(request(*alice, Message::setTopic(2, QStringLiteral("dev"), QStringLiteral("release on Friday")))->type(), MessageType::Ok);
    const auto changed = bob->expect(MessageType::TopicChanged);
    QCOMPARE(changed->text(Key::Topic), QStringLiteral("release on Friday"));
    QCOMPARE(changed->text(Key::By), QStringLiteral("alice"));
    QVERIFY(!carol->expect(MessageType::TopicChanged, 300));
}

void tst_Rooms::errors_data()
{
    QTest::addColumn<Message>("message");
    QTest::addColumn<ErrorCode>("expected");
    QTest::newRow("join-unknown-room") << Message::joinRoom(1, QStringLiteral("nowhere")) << ErrorCode::NoSuchRoom;
    QTest::newRow("post-unknown-room") << Message::postRoom(1, QStringLiteral("nowhere"), QStringLiteral("x")) << ErrorCode::NoSuchRoom;
    QTest::newRow("post-not-member") << Message::postRoom(1, QStringLiteral("dev"), QStringLiteral("x")) << ErrorCode::NotRoomMember;
    QTest::newRow("leave-not-member") << Message::leaveRoom(1, QStringLiteral("dev")) << ErrorCode::NotRoomMember;
    QTest::newRow("topic-not-owner") << Message::setTopic(1, QStringLiteral("dev"), QStringLiteral("t")) << ErrorCode::NotRoomOwner;
    QTest::newRow("create-bad-name") << Message::createRoom(1, QStringLiteral("#no spaces")) << ErrorCode::InvalidRoomName;
    QTest::newRow("create-empty-name") << Message::createRoom(1, QString()) << ErrorCode::InvalidRoomName;
    QTest::newRow("join-bad-name") << Message::joinRoom(1, QStringLiteral("x")) << ErrorCode::InvalidRoomName;
    QTest::newRow("create-duplicate") << Message::createRoom(1, QStringLiteral("DEV")) << ErrorCode::RoomExists;
    QTest::newRow("kick-stranger") << Message::kick(1, QStringLiteral("dev"), QStringLiteral("bob")) << ErrorCode::NotRoomOwner;
}

void tst_Rooms::errors()
{
    QFETCH(Message, message);
    QFETCH(ErrorCode, expected);
    const auto reply = request(*carol, message);
    QCOMPARE(errorCodeOf(reply), expected);
    QVERIFY(!reply->text(Key::Message).isEmpty());
    // ...and the session carries on.
    QCOMPARE(request(*carol, Message::listRooms(99))->type(), MessageType::RoomList);
}

void tst_Rooms::ownershipStaysWithTheAccount()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    request(*alice, Message::leaveRoom(2, QStringLiteral("dev")));
    // Bob is alone in the room but alice still owns it, even from outside.
    QCOMPARE(errorCodeOf(request(*bob, Message::setTopic(3, QStringLiteral("dev"), QStringLiteral("x")))), ErrorCode::NotRoomOwner);
    QCOMPARE(request(*alice, Message::setTopic(4, QStringLiteral("dev"), QStringLiteral("from outside")))->type(), MessageType::Ok);
    QCOMPARE(request(*alice, Message::joinRoom(5, QStringLiteral("dev")))->text(Key::Owner), QStringLiteral("alice"));
    QCOMPARE(request(*alice, Message::kick(6, QStringLiteral("dev"), QStringLiteral("bob")))->type(), MessageType::Ok);
}

void tst_Rooms::disconnectLeavesRooms()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    bob->abort();
    const auto left = alice->expect(MessageType::MemberLeft);
    QCOMPARE(left->text(Key::User), QStringLiteral("bob"));
    QCOMPARE(left->text(Key::Reason), QStringLiteral("connection lost"));
    QCOMPARE(ts->server->rooms().first().members, QStringList{QStringLiteral("alice")});
}

void tst_Rooms::roomsOwnersTopicsAndBansPersist()
{
    request(*alice, Message::ban(1, QStringLiteral("dev"), QStringLiteral("bob")));
    request(*carol, Message::createRoom(2, QStringLiteral("music"), QStringLiteral("vinyl only")));
    alice.reset();
    bob.reset();
    carol.reset();
    QVERIFY(ts->restart());

    RawPeer bob2(currentTransport(), ts->port()), alice2(currentTransport(), ts->port());
    QCOMPARE(bob2.login(QStringLiteral("bob"), pw)->type(), MessageType::LoginOk);
    QCOMPARE(alice2.login(QStringLiteral("alice"), pw)->type(), MessageType::LoginOk);
    const auto list = request(bob2, Message::listRooms(3));
    const QCborArray rooms = list->array(Key::Rooms);
    QCOMPARE(rooms.size(), 2);
    QCOMPARE(rooms.at(0).toMap().value(Key::Owner).toString(), QStringLiteral("alice"));
    QCOMPARE(rooms.at(0).toMap().value(Key::Topic).toString(), QStringLiteral("all things code"));
    QCOMPARE(rooms.at(0).toMap().value(Key::Members).toInteger(), 0); // membership is per session
    QCOMPARE(rooms.at(1).toMap().value(Key::Owner).toString(), QStringLiteral("carol"));
    QCOMPARE(rooms.at(1).toMap().value(Key::Topic).toString(), QStringLiteral("vinyl only"));
    QCOMPARE(errorCodeOf(request(bob2, Message::joinRoom(4, QStringLiteral("dev")))), ErrorCode::BannedFromRoom);
    QCOMPARE(request(alice2, Message::setTopic(5, QStringLiteral("dev"), QStringLiteral("still mine")))->type(), MessageType::Ok);
}

void tst_Rooms::closeRoom()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    QCOMPARE(request(*alice, Message::closeRoom(2, QStringLiteral("dev")))->type(), MessageType::Ok);
    QCOMPARE(bob->expect(MessageType::RoomClosed)->text(Key::By), QStringLiteral("alice"));
    QCOMPARE(request(*bob, Message::listRooms(3))->array(Key::Rooms).size(), 0);
    QCOMPARE(errorCodeOf(request(*bob, Message::postRoom(4, QStringLiteral("dev"), QStringLiteral("x")))), ErrorCode::NoSuchRoom);
    // The name is free again, and the closed room's bans went with it.
    QCOMPARE(request(*bob, Message::createRoom(5, QStringLiteral("dev")))->text(Key::Owner), QStringLiteral("bob"));
}

void tst_Rooms::administratorKickAndBan()
{
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    QString error;
    QVERIFY(ts->server->kickFromRoom(QStringLiteral("dev"), QStringLiteral("alice"), QStringLiteral("owner too"), &error));
    QCOMPARE(alice->expect(MessageType::Kicked)->text(Key::By), ChatServer::administratorName());
    QVERIFY(ts->server->banFromRoom(QStringLiteral("dev"), QStringLiteral("bob"), QStringLiteral("flood"), &error));
    QCOMPARE(bob->expect(MessageType::Kicked)->text(Key::Reason), QStringLiteral("banned: flood"));
    QCOMPARE(ts->server->rooms().first().bans, QStringList{QStringLiteral("bob")});
    QVERIFY(!ts->server->kickFromRoom(QStringLiteral("dev"), QStringLiteral("carol"), {}, &error));
    QVERIFY(error.contains(QStringLiteral("carol")));
    QVERIFY(!ts->server->closeRoom(QStringLiteral("nowhere"), &error));
    QVERIFY(ts->server->unbanFromRoom(QStringLiteral("dev"), QStringLiteral("bob")));
    QCOMPARE(request(*bob, Message::joinRoom(2, QStringLiteral("dev")))->type(), MessageType::RoomJoined);
}

void tst_Rooms::everyoneHearsOfRoomChanges()
{
    // Carol is in no room, yet her room list stays current: creation, member counts, topic, closing.
    auto created = carol->expect(MessageType::RoomUpdated);
    QCOMPARE(created->text(Key::Room), QStringLiteral("Dev"));
    QCOMPARE(created->integer(Key::Members), 1);
    QCOMPARE(created->text(Key::Owner), QStringLiteral("alice"));
    request(*bob, Message::joinRoom(1, QStringLiteral("dev")));
    request(*alice, Message::setTopic(2, QStringLiteral("dev"), QStringLiteral("new topic")));
    // Both changes fall in one coalescing interval or two; the last word has both.
    std::optional<Message> latest;
    while (auto m = carol->expect(MessageType::RoomUpdated, 500))
        latest = m;
    QVERIFY(latest);
    QCOMPARE(latest->integer(Key::Members), 2);
    QCOMPARE(latest->text(Key::Topic), QStringLiteral("new topic"));
    request(*alice, Message::closeRoom(3, QStringLiteral("dev")));
    QCOMPARE(carol->expect(MessageType::RoomClosed)->text(Key::Room), QStringLiteral("Dev"));
}

QTEST_GUILESS_MAIN(tst_Rooms)
#include "tst_rooms.moc"
