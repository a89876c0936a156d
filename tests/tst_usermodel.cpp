// The online-users model: sorted, case-insensitive, row-level changes, fed by a ClientSession.
#include "clientsession.h"
#include "usermodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using Confab::ClientSession;
using Confab::OnlineUser;
using Confab::UserModel;

namespace {

OnlineUser user(const QString &name, qint64 since = 1700000000000, const QString &transport = QStringLiteral("tcp"))
{
    return OnlineUser{name, QDateTime::fromMSecsSinceEpoch(since), transport};
}

QList<OnlineUser> users(const QStringList &names)
{
    QList<OnlineUser> list;
    for (const QString &name : names)
        list.append(user(name));
    return list;
}

} // namespace

class tst_UserModel : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void rolesAndSortOrder();
    void merge_data();
    void merge();
    void mergeUpdatesChangedRowsInPlace();
    void duplicateNamesCollapse();
    void addUserInsertsInOrder();
    void addingAKnownNameUpdatesIt();
    void removeIgnoresCase();
    void lookup_data();
    void lookup();
    void selfFlag();
    void followsTheSession();

private:
    std::unique_ptr<UserModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void tst_UserModel::init()
{
    m_model = std::make_unique<UserModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(m_model.get(),
                                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void tst_UserModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void tst_UserModel::rolesAndSortOrder()
{
    m_model->setUsers({user(QStringLiteral("carol"), 3, QStringLiteral("udp")), user(QStringLiteral("Bob"), 2),
                       user(QStringLiteral("alice"), 1)});
    QCOMPARE(m_model->names(), (QStringList{"alice", "Bob", "carol"}));
    const QModelIndex carol = m_model->index(2);
    QCOMPARE(carol.data().toString(), QStringLiteral("carol"));
    QCOMPARE(carol.data(UserModel::NameRole).toString(), QStringLiteral("carol"));
    QCOMPARE(carol.data(UserModel::SinceRole).toDateTime(), QDateTime::fromMSecsSinceEpoch(3));
    QCOMPARE(carol.data(UserModel::TransportRole).toString(), QStringLiteral("udp"));
    QCOMPARE(carol.data(UserModel::IsSelfRole).toBool(), false);
    QVERIFY(UserModel::NameRole == Qt::UserRole + 1);
    QCOMPARE(m_model->roleNames().value(UserModel::TransportRole), QByteArray("transport"));
}

void tst_UserModel::merge_data()
{
    QTest::addColumn<QStringList>("before");
    QTest::addColumn<QStringList>("after");
    QTest::addColumn<int>("insertedRows");
    QTest::addColumn<int>("removedRows");

    QTest::newRow("first list") << QStringList{} << QStringList{"bob", "alice"} << 2 << 0;
    QTest::newRow("same list") << QStringList{"alice", "bob"} << QStringList{"bob", "alice"} << 0 << 0;
    QTest::newRow("one joined in the middle") << QStringList{"alice", "carol"} << QStringList{"alice", "bob", "carol"} << 1 << 0;
    QTest::newRow("one left") << QStringList{"alice", "bob", "carol"} << QStringList{"alice", "carol"} << 0 << 1;
    QTest::newRow("everyone replaced") << QStringList{"a1", "a2"} << QStringList{"b1", "b2", "b3"} << 3 << 2;
    QTest::newRow("interleaved") << QStringList{"b", "d", "f"} << QStringList{"a", "d", "e", "g"} << 3 << 2;
    QTest::newRow("case change is the same user") << QStringList{"alice"} << QStringList{"Alice"} << 0 << 0;
    QTest::newRow("empty list") << QStringList{"alice", "bob"} << QStringList{} << 0 << 2;
}

void tst_UserModel::merge()
{
    QFETCH(QStringList, before);
    QFETCH(QStringList, after);
    QFETCH(int, insertedRows);
    QFETCH(int, removedRows);

    m_model->setUsers(users(before));
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);

    m_model->setUsers(users(after));

    int in = 0;
    for (const QList<QVariant> &args : std::as_const(inserted))
        in += args.at(2).toInt() - args.at(1).toInt() + 1;
    int out = 0;
    for (const QList<QVariant> &args : std::as_const(removed))
        out += args.at(2).toInt() - args.at(1).toInt() + 1;
    QCOMPARE(in, insertedRows);
    QCOMPARE(out, removedRows);
    QCOMPARE(reset.count(), 0);

    QStringList expected = after;
    std::sort(expected.begin(), expected.end(),
              [](const QString &a, const QString &b) { return a.toLower() < b.toLower(); });
    QCOMPARE(m_model->names(), expected);
}

void tst_UserModel::mergeUpdatesChangedRowsInPlace()
{
    m_model->setUsers({user(QStringLiteral("alice"), 1), user(QStringLiteral("bob"), 2)});
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->setUsers({user(QStringLiteral("alice"), 1), user(QStringLiteral("bob"), 5, QStringLiteral("udp"))});
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 1);
    QCOMPARE(m_model->user(1).transport, QStringLiteral("udp"));
}

void tst_UserModel::duplicateNamesCollapse()
{
    m_model->setUsers({user(QStringLiteral("bob"), 1), user(QStringLiteral("BOB"), 2)});
    QCOMPARE(m_model->rowCount(), 1);
    QCOMPARE(m_model->user(0).name, QStringLiteral("BOB"));
}

void tst_UserModel::addUserInsertsInOrder()
{
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    for (const QString &name : {QStringLiteral("mike"), QStringLiteral("Alice"), QStringLiteral("zed"),
                                QStringLiteral("bob")})
        m_model->addUser(user(name));
    QCOMPARE(m_model->names(), (QStringList{"Alice", "bob", "mike", "zed"}));
    QCOMPARE(inserted.count(), 4);
    QCOMPARE(inserted.at(3).at(1).toInt(), 1); // bob went between Alice and mike
}

void tst_UserModel::addingAKnownNameUpdatesIt()
{
    m_model->addUser(user(QStringLiteral("bob"), 1));
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->addUser(user(QStringLiteral("Bob"), 9));
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_model->rowCount(), 1);
    QCOMPARE(m_model->user(0).name, QStringLiteral("Bob"));
}

void tst_UserModel::removeIgnoresCase()
{
    m_model->setUsers(users({QStringLiteral("alice"), QStringLiteral("Bob"), QStringLiteral("carol")}));
    QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
    QVERIFY(m_model->removeUser(QStringLiteral("BOB")));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 1);
    QVERIFY(!m_model->removeUser(QStringLiteral("bob")));
    QVERIFY(!m_model->removeUser(QStringLiteral("dave")));
    QCOMPARE(m_model->names(), (QStringList{"alice", "carol"}));
}

void tst_UserModel::lookup_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("row");

    QTest::newRow("exact") << "bob" << 1;
    QTest::newRow("upper") << "BOB" << 1;
    QTest::newRow("mixed") << "CaRoL" << 2;
    QTest::newRow("first") << "alice" << 0;
    QTest::newRow("missing before") << "aaron" << -1;
    QTest::newRow("missing after") << "zoe" << -1;
    QTest::newRow("prefix only") << "bo" << -1;
    QTest::newRow("empty") << "" << -1;
}

void tst_UserModel::lookup()
{
    QFETCH(QString, name);
    QFETCH(int, row);
    m_model->setUsers(users({QStringLiteral("Carol"), QStringLiteral("alice"), QStringLiteral("Bob")}));
    QCOMPARE(m_model->indexOf(name), row);
    QCOMPARE(m_model->contains(name), row >= 0);
}

void tst_UserModel::selfFlag()
{
    m_model->setUsers(users({QStringLiteral("alice"), QStringLiteral("bob")}));
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->setSelfName(QStringLiteral("Bob"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_model->index(1).data(UserModel::IsSelfRole).toBool(), true);
    QCOMPARE(m_model->index(0).data(UserModel::IsSelfRole).toBool(), false);
    m_model->setSelfName(QStringLiteral("alice"));
    QCOMPARE(changed.count(), 3); // bob's flag off, alice's on
    QCOMPARE(m_model->index(0).data(UserModel::IsSelfRole).toBool(), true);
}

void tst_UserModel::followsTheSession()
{
    // The session's signals are what a live server produces; emit them directly here (the real
    // server drives them in tst_clientsession).
    ClientSession session;
    m_model->setSession(&session);
    QCOMPARE(m_model->session(), &session);

    emit session.loggedIn(QStringLiteral("alice"), false);
    emit session.userListReceived({user(QStringLiteral("bob")), user(QStringLiteral("alice"))});
    QCOMPARE(m_model->names(), (QStringList{"alice", "bob"}));
    QCOMPARE(m_model->index(0).data(UserModel::IsSelfRole).toBool(), true);

    emit session.userJoined(user(QStringLiteral("carol"), 5, QStringLiteral("udp")));
    QCOMPARE(m_model->names(), (QStringList{"alice", "bob", "carol"}));
    QCOMPARE(m_model->user(2).transport, QStringLiteral("udp"));

    emit session.userLeft(QStringLiteral("BOB"), QStringLiteral("quit"));
    QCOMPARE(m_model->names(), (QStringList{"alice", "carol"}));

    emit session.stateChanged(ClientSession::State::Disconnected);
    QCOMPARE(m_model->rowCount(), 0);

    m_model->setSession(nullptr);
    emit session.userJoined(user(QStringLiteral("dave")));
    QCOMPARE(m_model->rowCount(), 0);
}

QTEST_GUILESS_MAIN(tst_UserModel)
#include "tst_usermodel.moc"
