// Message encode/decode and the per-type schema, without sockets.
#include "message.h"

#include <QCborStreamWriter>
#include <QtTest>

using namespace Confab;

namespace {
QByteArray cbor(const QCborMap &map)
{
    return map.toCborValue().toCbor();
}

QCborMap mapOf(std::initializer_list<std::pair<QString, QCborValue>> pairs)
{
    QCborMap m;
    for (const auto &p : pairs)
        m.insert(p.first, p.second);
    return m;
}
} // namespace

class tst_Message : public QObject
{
    Q_OBJECT
private slots:
    void roundTrip_data();
    void roundTrip();
    void rejects_data();
    void rejects();
    void requestIdSurvivesBadField();
    void errorFrameCarriesCodeAndFatality();
    void typeNumbersAreStable();
};

void tst_Message::roundTrip_data()
{
    QTest::addColumn<Message>("message");
    QTest::newRow("hello") << Message::hello(QStringLiteral("test/1"), {QStringLiteral("lobby")});
    QTest::newRow("login") << Message::login(1, QStringLiteral("alice"), QStringLiteral("pässwörd"));
    QTest::newRow("lobby") << Message::lobbyMessage(QStringLiteral("bob"), QStringLiteral("hi 👋 <b>"), 1700000000000, 42);
    QTest::newRow("dm") << Message::dmMessage(QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("psst"), 1, 2);
    QTest::newRow("delivered") << Message::delivered(9, 3, 5, 6);
    QTest::newRow("error") << Message::error(ErrorCode::NoSuchUser, QStringLiteral("no such user: carol"), 4);
    QTest::newRow("quit-empty") << Message::quit();
    QTest::newRow("max-text") << Message::postLobby(1, QString(Limits::MaxTextBytes, u'x'));
}

void tst_Message::roundTrip()
{
    QFETCH(Message, message);
    const DecodeResult r = Message::decode(message.encode());
    QVERIFY2(r.ok(), qPrintable(r.detail));
    QCOMPARE(r.message.type(), message.type());
    QCOMPARE(r.message.toCborMap(), message.toCborMap());
    QVERIFY(message.toFrame().size() <= int(Limits::MaxFramePayload) + 4);
}

void tst_Message::rejects_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<ErrorCode>("expected");
    const qint64 lobby = qint64(MessageType::PostLobby);
    QTest::newRow("not-cbor") << QByteArray("\xff\xff\xff", 3) << ErrorCode::MalformedMessage;
    QTest::newRow("truncated-map") << cbor(mapOf({{Key::Type, lobby}, {Key::Text, QStringLiteral("x")}})).chopped(1)
                                   << ErrorCode::MalformedMessage;
    QTest::newRow("array-not-map") << QCborValue(QCborArray{1, 2}).toCbor() << ErrorCode::MalformedMessage;
    QTest::newRow("trailing-bytes") << cbor(Message::quit().toCborMap()) + QByteArray(1, '\0') << ErrorCode::MalformedMessage;
    QTest::newRow("no-type") << cbor(mapOf({{Key::Text, QStringLiteral("x")}})) << ErrorCode::MalformedMessage;
    QTest::newRow("text-type") << cbor(mapOf({{Key::Type, QStringLiteral("8")}})) << ErrorCode::MalformedMessage;
    QTest::newRow("unknown-type") << cbor(mapOf({{Key::Type, 9999}})) << ErrorCode::UnknownMessageType;
    QTest::newRow("type-zero") << cbor(mapOf({{Key::Type, 0}})) << ErrorCode::UnknownMessageType;
    QTest::newRow("missing-field") << cbor(mapOf({{Key::Type, lobby}, {Key::Id, 1}})) << ErrorCode::BadField;
    QTest::newRow("mistyped-field") << cbor(mapOf({{Key::Type, lobby}, {Key::Id, 1}, {Key::Text, 5}})) << ErrorCode::BadField;
    QTest::newRow("negative-id") << cbor(mapOf({{Key::Type, lobby}, {Key::Id, -1}, {Key::Text, QStringLiteral("x")}}))
                                 << ErrorCode::BadField;
    QTest::newRow("text-too-long") << cbor(mapOf({{Key::Type, lobby}, {Key::Id, 1}, {Key::Text, QString(Limits::MaxTextBytes + 1, u'x')}}))
                                   << ErrorCode::TextTooLong;
    QTest::newRow("multibyte-too-long") << cbor(mapOf({{Key::Type, lobby}, {Key::Id, 1}, {Key::Text, QString(Limits::MaxTextBytes / 2, QChar(0x00e9))}}))
                                        << ErrorCode::None;
    QTest::newRow("username-field-huge") << cbor(Message::login(1, QString(1000, u'a'), QStringLiteral("pw")).toCborMap())
                                         << ErrorCode::BadField;
}

void tst_Message::rejects()
{
    QFETCH(QByteArray, payload);
    QFETCH(ErrorCode, expected);
    const DecodeResult r = Message::decode(payload);
    QCOMPARE(r.error, expected);
    if (expected != ErrorCode::None)
        QVERIFY(!r.detail.isEmpty());
}

void tst_Message::requestIdSurvivesBadField()
{
    QCborMap m = mapOf({{Key::Type, qint64(MessageType::PostDm)}, {Key::Id, 77}, {Key::Text, QStringLiteral("x")}});
    const DecodeResult r = Message::decode(cbor(m));
    QCOMPARE(r.error, ErrorCode::BadField);
    QCOMPARE(r.requestId, quint64(77)); // so the error frame can cite the request
    QVERIFY(r.detail.contains(QStringLiteral("\"to\"")));
}

void tst_Message::errorFrameCarriesCodeAndFatality()
{
    const Message fatal = Message::error(ErrorCode::FrameTooLarge);
    QCOMPARE(fatal.integer(Key::Code), qint64(ErrorCode::FrameTooLarge));
    QVERIFY(fatal.boolean(Key::Fatal));
    QVERIFY(!fatal.text(Key::Message).isEmpty());
    const Message mild = Message::error(ErrorCode::UserOffline, {}, 5);
    QVERIFY(!mild.boolean(Key::Fatal));
    QCOMPARE(mild.replyTo(), quint64(5));
}

void tst_Message::typeNumbersAreStable()
{
    // Append-only: these numbers are on the wire and in docs/PROTOCOL.md.
    QCOMPARE(int(MessageType::Hello), 1);
    QCOMPARE(int(MessageType::Login), 3);
    QCOMPARE(int(MessageType::Error), 5);
    QCOMPARE(int(MessageType::PostLobby), 8);
    QCOMPARE(int(MessageType::PostDm), 11);
    QCOMPARE(int(MessageType::Notice), 19);
    QCOMPARE(int(ErrorCode::FrameTooLarge), 1);
    QCOMPARE(int(ErrorCode::WrongPassword), 11);
    QCOMPARE(int(ErrorCode::HelloRequired), 18);
}

QTEST_GUILESS_MAIN(tst_Message)
#include "tst_message.moc"
