// The admin window's models against a real server core and real clients on loopback: each one
// follows the server live and passes QAbstractItemModelTester; the traffic log stays bounded and
// its filters work.
#include "accountsmodel.h"
#include "limitsmodel.h"
#include "roomtablemodel.h"
#include "sessionsmodel.h"
#include "testcertificates.h"
#include "testsupport.h"
#include "trafficfiltermodel.h"
#include "trafficmodel.h"

#include <QAbstractItemModelTester>
#include <QSslSocket>

#include "udpconnection.h"

using namespace Confab;
using namespace ConfabTest;

namespace {
const QString pw = QStringLiteral("secret1");

// The display text of every cell of a model, for "does it appear anywhere" checks.
QStringList allCells(const QAbstractItemModel &model)
{
    QStringList cells;
    for (int r = 0; r < model.rowCount(); ++r) {
        for (int c = 0; c < model.columnCount(); ++c)
            cells << model.index(r, c).data().toString();
    }
    return cells;
}

QString cell(const QAbstractItemModel &model, int row, int column)
{
    return model.index(row, column).data().toString();
}

TrafficEvent trafficEvent(int n, const QString &user, MessageType type, const QString &transport = QStringLiteral("tcp"))
{
    TrafficEvent e;
    e.timeMs = 1700000000000 + n;
    e.direction = n % 2 ? TrafficEvent::Direction::Out : TrafficEvent::Direction::In;
    e.sessionId = quint64(n);
    e.user = user;
    e.peer = QStringLiteral("127.0.0.1:%1").arg(40000 + n);
    e.transport = transport;
    e.type = type;
    e.bytes = 10 + n;
    return e;
}

// A second source of held-back entries, as the rate limiter of a later issue will be.
class FakeRuleSource : public LimitSource
{
public:
    QList<HeldBack> entries;
    QList<HeldBack> heldBack() const override { return entries; }
    bool lift(const HeldBack &entry, QString *) override
    {
        entries.removeIf([&](const HeldBack &e) { return e.target == entry.target; });
        emit changed();
        return true;
    }
};
} // namespace

class tst_AdminModels : public QObject
{
    Q_OBJECT
private slots:
    void accountsFollowRegistrations();
    void sessionsFollowConnections();
    void sessionsShowEncryption();
    void roomsFollowTheServer();
    void trafficIsBounded_data();
    void trafficIsBounded();
    void trafficFilters();
    void trafficFromServerHasNoPasswords();
    void trafficPauseStopsTheTap();
    void limitsShowBansAndOtherRules();
};

void tst_AdminModels::accountsFollowRegistrations()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer early(ts.port());
        QVERIFY(early.login(QStringLiteral("Early"), pw));
    }
    AccountsModel model(ts.server.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(cell(model, 0, AccountsModel::NameColumn), QStringLiteral("Early"));

    RawPeer alice(ts.port());
    QVERIFY(alice.login(QStringLiteral("Alice"), pw));
    QCOMPARE(model.rowCount(), 2);
    const int row = model.rowOf(QStringLiteral("alice"));
    QCOMPARE(row, 1);
    QCOMPARE(model.index(row, 0).data(AccountsModel::NameRole).toString(), QStringLiteral("Alice"));
    QVERIFY(model.index(row, 0).data(AccountsModel::OnlineRole).toBool());
    QVERIFY(!cell(model, row, AccountsModel::OnlineColumn).isEmpty());
    QVERIFY(cell(model, row, AccountsModel::LastLoginColumn) != QStringLiteral("never"));
    QCOMPARE(model.onlineCount(), 1);

    QVERIFY(ts.server->requirePasswordReset(QStringLiteral("alice")));
    QVERIFY(!cell(model, row, AccountsModel::PasswordColumn).isEmpty());

    alice.send(Message::quit());
    QVERIFY(alice.waitClosed());
    QTRY_VERIFY(!model.index(row, 0).data(AccountsModel::OnlineRole).toBool());

    QVERIFY(ts.server->deleteAccount(QStringLiteral("early")));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.rowOf(QStringLiteral("early")), -1);
}

void tst_AdminModels::sessionsFollowConnections()
{
    TestServer ts;
    QVERIFY(ts.start());
    SessionsModel model(ts.server.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setRefreshInterval(50);

    RawPeer alice(ts.port());
    QTRY_COMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, 0).data(SessionsModel::UserNameRole).toString(), QString());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QTRY_COMPARE(model.index(0, 0).data(SessionsModel::UserNameRole).toString(), QStringLiteral("alice"));
    QCOMPARE(cell(model, 0, SessionsModel::TransportColumn), QStringLiteral("TCP"));
    QVERIFY(cell(model, 0, SessionsModel::AddressColumn).startsWith(QStringLiteral("127.0.0.1:")));
    QCOMPARE(model.index(0, 0).data(SessionsModel::AddressRole).toString(), QStringLiteral("127.0.0.1"));
    QVERIFY(model.index(0, SessionsModel::FramesInColumn).data(SessionsModel::SortRole).toULongLong() >= 2);

    RawPeer bob(ts.port());
    QVERIFY(bob.login(QStringLiteral("bob"), pw));
    QTRY_COMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowOfUser(QStringLiteral("BOB")), 1);

    // Counters have no signal of their own: the poll reports just the cells that moved.
    const quint64 before = model.index(1, SessionsModel::BytesInColumn).data(SessionsModel::SortRole).toULongLong();
    changed.clear();
    bob.send(Message::postLobby(5, QStringLiteral("counted")));
    QVERIFY(bob.expect(MessageType::Delivered));
    QTRY_VERIFY(model.index(1, SessionsModel::BytesInColumn).data(SessionsModel::SortRole).toULongLong() > before);
    for (const QList<QVariant> &args : std::as_const(changed)) {
        const QModelIndex first = args.at(0).toModelIndex();
        QVERIFY(first.column() >= SessionsModel::BytesInColumn); // name, address, times unchanged
    }

    QVERIFY(ts.server->disconnectUser(QStringLiteral("alice"), {}));
    QTRY_COMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, 0).data(SessionsModel::UserNameRole).toString(), QStringLiteral("bob"));
}

void tst_AdminModels::sessionsShowEncryption()
{
    QTemporaryDir certificates;
    const auto certificate = makeSelfSigned(certificates.path(), QStringLiteral("server"));
    QVERIFY(certificate);
    ServerConfig config;
    config.tlsCertificateFile = certificate->certificate;
    config.tlsKeyFile = certificate->key;
    TestServer ts(config);
    QVERIFY(ts.start());
    SessionsModel model(ts.server.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRefreshInterval(50);

    // A TLS client that trusts exactly this certificate, logging in over the encrypted stream.
    QSslSocket tlsClient;
    QObject::connect(&tlsClient, &QSslSocket::sslErrors, &tlsClient, [&] {
        if (certificateFingerprint(tlsClient.peerCertificate()) == certificate->fingerprint)
            tlsClient.ignoreSslErrors();
    });
    tlsClient.connectToHostEncrypted(QStringLiteral("127.0.0.1"), ts.port());
    QTRY_VERIFY(tlsClient.isEncrypted());
    tlsClient.write(Message::hello(QStringLiteral("tst_adminmodels/1")).toFrame());
    tlsClient.write(Message::login(1, QStringLiteral("alice"), pw).toFrame());
    QTRY_COMPARE(model.rowOfUser(QStringLiteral("alice")), 0);
    QTRY_VERIFY(model.index(0, 0).data(SessionsModel::EncryptedRole).toBool());
    QCOMPARE(cell(model, 0, SessionsModel::EncryptedColumn), QStringLiteral("TLS"));
    QCOMPARE(cell(model, 0, SessionsModel::TransportColumn), QStringLiteral("TCP"));

    // A plain socket on the TLS port never finishes the handshake.
    RawPeer plain(ts.port());
    QTRY_COMPARE(model.rowCount(), 2);
    QVERIFY(!model.index(1, 0).data(SessionsModel::EncryptedRole).toBool());
    QCOMPARE(cell(model, 1, SessionsModel::EncryptedColumn), QStringLiteral("handshake…"));

    // Over UDP the same server takes only DTLS: a session appears once its channel is up inside it.
    UdpConnection udp;
    QObject::connect(&udp, &Connection::sslErrors, &udp, [&] {
        if (certificateFingerprint(udp.peerCertificate()) == certificate->fingerprint)
            udp.ignoreSslErrors();
    }, Qt::DirectConnection);
    QSignalSpy up(&udp, &Connection::connected);
    udp.connectToHostEncrypted(QStringLiteral("127.0.0.1"), ts.port(), QSslConfiguration::defaultDtlsConfiguration());
    QVERIFY(up.wait(10000));
    QVERIFY(udp.isEncrypted());
    udp.send(Message::hello(QStringLiteral("tst_adminmodels/1")));
    udp.send(Message::login(1, QStringLiteral("bob"), pw));
    QTRY_COMPARE(model.rowOfUser(QStringLiteral("bob")), 2);
    QVERIFY(model.index(2, 0).data(SessionsModel::EncryptedRole).toBool());
    QCOMPARE(cell(model, 2, SessionsModel::EncryptedColumn), QStringLiteral("DTLS"));
    QCOMPARE(cell(model, 2, SessionsModel::TransportColumn), QStringLiteral("UDP"));

    // Without a certificate, UDP sessions are plain and say so.
    TestServer plainServer;
    QVERIFY(plainServer.start());
    SessionsModel plainModel(plainServer.server.get());
    plainModel.setRefreshInterval(50);
    RawPeer plainUdp(RawPeer::Transport::Udp, plainServer.port());
    QVERIFY(plainUdp.login(QStringLiteral("carol"), pw));
    QTRY_COMPARE(plainModel.rowOfUser(QStringLiteral("carol")), 0);
    QCOMPARE(cell(plainModel, 0, SessionsModel::EncryptedColumn), QStringLiteral("no"));
}

void tst_AdminModels::roomsFollowTheServer()
{
    TestServer ts;
    QVERIFY(ts.start());
    RoomTableModel model(ts.server.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    RawPeer alice(ts.port()), bob(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QVERIFY(bob.login(QStringLiteral("bob"), pw));

    alice.send(Message::createRoom(1, QStringLiteral("Zebra"), QStringLiteral("stripes")));
    QVERIFY(alice.expect(MessageType::RoomJoined));
    alice.send(Message::createRoom(2, QStringLiteral("apple")));
    QVERIFY(alice.expect(MessageType::RoomJoined));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, 0).data(RoomTableModel::NameRole).toString(), QStringLiteral("apple"));
    const int zebra = model.rowOf(QStringLiteral("zebra"));
    QCOMPARE(zebra, 1);
    QCOMPARE(cell(model, zebra, RoomTableModel::OwnerColumn), QStringLiteral("alice"));
    QCOMPARE(cell(model, zebra, RoomTableModel::TopicColumn), QStringLiteral("stripes"));

    bob.send(Message::joinRoom(3, QStringLiteral("zebra")));
    QVERIFY(bob.expect(MessageType::RoomJoined));
    QCOMPARE(model.index(zebra, 0).data(RoomTableModel::MembersRole).toStringList(),
             QStringList({QStringLiteral("alice"), QStringLiteral("bob")}));

    alice.send(Message::setTopic(4, QStringLiteral("zebra"), QStringLiteral("black and white")));
    QVERIFY(alice.expect(MessageType::Ok));
    QCOMPARE(cell(model, zebra, RoomTableModel::TopicColumn), QStringLiteral("black and white"));

    QVERIFY(ts.server->banFromRoom(QStringLiteral("zebra"), QStringLiteral("bob"), QStringLiteral("spam")));
    QCOMPARE(model.index(zebra, 0).data(RoomTableModel::MembersRole).toStringList(), QStringList{QStringLiteral("alice")});
    QCOMPARE(cell(model, zebra, RoomTableModel::BansColumn), QStringLiteral("bob"));

    QVERIFY(ts.server->closeRoom(QStringLiteral("apple")));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, 0).data(RoomTableModel::NameRole).toString(), QStringLiteral("Zebra"));
}

void tst_AdminModels::trafficIsBounded_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("events");
    QTest::addColumn<int>("batch");
    QTest::newRow("one batch, under capacity") << 100 << 60 << 60;
    QTest::newRow("many small batches") << 100 << 250 << 7;
    QTest::newRow("one batch larger than the log") << 100 << 350 << 350;
    QTest::newRow("row by row") << 10 << 40 << 1;
}

void tst_AdminModels::trafficIsBounded()
{
    QFETCH(int, capacity);
    QFETCH(int, events);
    QFETCH(int, batch);
    TrafficModel model(nullptr);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setCapacity(capacity);
    for (int n = 0; n < events; ++n) {
        model.append(trafficEvent(n, QStringLiteral("alice"), MessageType::PostLobby));
        if ((n + 1) % batch == 0)
            model.flush();
        QVERIFY(model.rowCount() <= capacity);
    }
    model.flush();
    QCOMPARE(model.rowCount(), qMin(capacity, events));
    QCOMPARE(model.totalLogged(), quint64(events));
    // The newest rows are kept, oldest first.
    const int firstKept = qMax(0, events - capacity);
    QCOMPARE(model.index(0, TrafficModel::SizeColumn).data().toInt(), 10 + firstKept);
    QCOMPARE(model.index(model.rowCount() - 1, TrafficModel::SizeColumn).data().toInt(), 10 + events - 1);

    model.setCapacity(5);
    QCOMPARE(model.rowCount(), qMin(5, events));
    QCOMPARE(model.index(4, TrafficModel::SizeColumn).data().toInt(), 10 + events - 1);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.totalLogged(), quint64(0));
}

void tst_AdminModels::trafficFilters()
{
    TrafficModel model(nullptr);
    TrafficFilterModel filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    int n = 0;
    for (int i = 0; i < 3; ++i) {
        model.append(trafficEvent(n++, QStringLiteral("alice"), MessageType::PostLobby));
        model.append(trafficEvent(n++, QStringLiteral("bob"), MessageType::LobbyMessage));
        model.append(trafficEvent(n++, QStringLiteral("Alicia"), MessageType::PostDm, QStringLiteral("udp")));
        model.append(trafficEvent(n++, QString(), MessageType::Hello));
    }
    model.flush();
    QCOMPARE(filter.rowCount(), 12);

    filter.setUserFilter(QStringLiteral("ALI"));
    QCOMPARE(filter.rowCount(), 6);
    filter.setTypeFilter(int(MessageType::PostDm));
    QCOMPARE(filter.rowCount(), 3);
    QCOMPARE(filter.index(0, TrafficModel::UserColumn).data().toString(), QStringLiteral("Alicia"));
    filter.setTransportFilter(QStringLiteral("tcp"));
    QCOMPARE(filter.rowCount(), 0);
    filter.setTransportFilter(QStringLiteral("UDP"));
    QCOMPARE(filter.rowCount(), 3);
    filter.setUserFilter(QString());
    filter.setTypeFilter(0);
    filter.setTransportFilter(QString());
    QCOMPARE(filter.rowCount(), 12);

    // New rows are filtered as they arrive; the oldest leave when the log is full.
    filter.setTypeFilter(int(MessageType::Hello));
    model.setCapacity(12);
    model.append(trafficEvent(n++, QString(), MessageType::Hello));
    model.flush();
    QCOMPARE(model.rowCount(), 12);
    QCOMPARE(filter.rowCount(), 4); // the row dropped for room was alice's first PostLobby
    QCOMPARE(filter.index(3, TrafficModel::SizeColumn).data().toInt(), 10 + n - 1);
    filter.setTypeFilter(int(MessageType::PostLobby));
    QCOMPARE(filter.rowCount(), 2);
}

void tst_AdminModels::trafficFromServerHasNoPasswords()
{
    TestServer ts;
    QVERIFY(ts.start());
    TrafficModel model(ts.server.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(ts.server->isTrafficObserved());
    const QString password = QStringLiteral("correct horse battery");
    RawPeer carol(ts.port());
    QVERIFY(carol.login(QStringLiteral("carol"), password));
    carol.send(Message::postLobby(2, QStringLiteral("hello all")));
    QVERIFY(carol.expect(MessageType::Delivered));
    QTRY_VERIFY(model.rowCount() >= 6); // Hello, Welcome, Login, LoginOk, PostLobby, Delivered

    int loginRow = -1, postRow = -1;
    for (int r = 0; r < model.rowCount(); ++r) {
        const int type = model.index(r, 0).data(TrafficModel::TypeRole).toInt();
        if (type == int(MessageType::Login))
            loginRow = r;
        if (type == int(MessageType::PostLobby))
            postRow = r;
    }
    QVERIFY(loginRow >= 0);
    QVERIFY(postRow >= 0);
    QCOMPARE(cell(model, loginRow, TrafficModel::TypeColumn), QStringLiteral("Login"));
    QCOMPARE(cell(model, loginRow, TrafficModel::DirectionColumn), QStringLiteral("in"));
    QCOMPARE(model.index(loginRow, 0).data(TrafficModel::BytesRole).toInt(),
             Message::login(1, QStringLiteral("carol"), password).toFrame().size());
    QCOMPARE(model.index(postRow, 0).data(TrafficModel::UserNameRole).toString(), QStringLiteral("carol"));
    QCOMPARE(cell(model, postRow, TrafficModel::SizeColumn).toInt(),
             Message::postLobby(2, QStringLiteral("hello all")).toFrame().size());
    const QStringList cells = allCells(model);
    for (const QString &text : cells) {
        QVERIFY2(!text.contains(QStringLiteral("horse")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("hello all")), qPrintable(text));
    }
}

void tst_AdminModels::trafficPauseStopsTheTap()
{
    TestServer ts;
    QVERIFY(ts.start());
    TrafficModel model(ts.server.get());
    RawPeer alice(ts.port());
    QVERIFY(alice.login(QStringLiteral("alice"), pw));
    QTRY_VERIFY(model.rowCount() >= 4);
    model.setRecording(false);
    QVERIFY(!ts.server->isTrafficObserved());
    const int rows = model.rowCount();
    alice.send(Message::postLobby(2, QStringLiteral("unseen")));
    QVERIFY(alice.expect(MessageType::Delivered));
    QTest::qWait(200);
    QCOMPARE(model.rowCount(), rows);
    model.setRecording(true);
    alice.send(Message::postLobby(3, QStringLiteral("seen")));
    QVERIFY(alice.expect(MessageType::Delivered));
    QTRY_COMPARE(model.rowCount(), rows + 2);
}

void tst_AdminModels::limitsShowBansAndOtherRules()
{
    TestServer ts;
    QVERIFY(ts.start());
    {
        RawPeer bob(ts.port());
        QVERIFY(bob.login(QStringLiteral("bob"), pw));
    }
    LimitsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addSource(new BanLimitSource(ts.server.get()));
    auto *rules = new FakeRuleSource;
    model.addSource(rules);
    QCOMPARE(model.rowCount(), 0);

    QVERIFY(ts.server->banAccount(QStringLiteral("bob"), 60 * 60 * 1000, QStringLiteral("cool off")));
    QVERIFY(ts.server->banAddress(QHostAddress(QStringLiteral("10.1.2.3")), 0, QString()));
    QCOMPARE(model.rowCount(), 2);
    const int bobRow = model.rowOf(HeldBack::Kind::Account, QStringLiteral("bob"));
    QVERIFY(bobRow >= 0);
    QCOMPARE(cell(model, bobRow, LimitsModel::RuleColumn), QStringLiteral("administrator ban"));
    QCOMPARE(cell(model, bobRow, LimitsModel::ReasonColumn), QStringLiteral("cool off"));
    QVERIFY(cell(model, bobRow, LimitsModel::LeftColumn).contains(QStringLiteral("min")));
    const int addressRow = model.rowOf(HeldBack::Kind::Address, QStringLiteral("10.1.2.3"));
    QCOMPARE(cell(model, addressRow, LimitsModel::LeftColumn), QStringLiteral("for good"));

    HeldBack flood;
    flood.kind = HeldBack::Kind::Address;
    flood.target = QStringLiteral("192.0.2.7");
    flood.rule = QStringLiteral("more than 10 packets before login");
    flood.since = QDateTime::currentDateTimeUtc();
    flood.until = QDateTime::currentDateTimeUtc().addSecs(30);
    rules->entries.append(flood);
    emit rules->changed();
    QCOMPARE(model.rowCount(), 3);
    const int floodRow = model.rowOf(HeldBack::Kind::Address, QStringLiteral("192.0.2.7"));
    QCOMPARE(cell(model, floodRow, LimitsModel::RuleColumn), flood.rule);
    QVERIFY(model.lift(floodRow, nullptr));
    QCOMPARE(model.rowCount(), 2);

    QVERIFY(model.lift(model.rowOf(HeldBack::Kind::Account, QStringLiteral("bob")), nullptr));
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(ts.server->bans().size() == 1);
    RawPeer again(ts.port());
    QCOMPARE(again.login(QStringLiteral("bob"), pw)->type(), MessageType::LoginOk);
}

QTEST_MAIN(tst_AdminModels)
#include "tst_adminmodels.moc"
