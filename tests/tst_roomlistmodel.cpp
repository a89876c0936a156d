// RoomListModel: snapshots and pushes merged row by row, and a live session keeping it current.
#include "roomlistmodel.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>

using namespace Confab;
using namespace ConfabTest;

namespace {
RoomSummary room(const QString &name, int members = 0, const QString &topic = {}, bool joined = false)
{
    return {name, topic, QStringLiteral("owner"), members, joined};
}

QStringList names(const RoomListModel &model)
{
    QStringList list;
    for (int row = 0; row < model.rowCount(); ++row)
        list << model.data(model.index(row), RoomListModel::NameRole).toString();
    return list;
}
} // namespace

class tst_RoomListModel : public QObject
{
    Q_OBJECT
private slots:
    void snapshotsMergeWithoutReset();
    void updatesInsertAndChangeOneRow();
    void followsALiveSession();
};

void tst_RoomListModel::snapshotsMergeWithoutReset()
{
    RoomListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRooms({room(QStringLiteral("zoo")), room(QStringLiteral("Alpha")), room(QStringLiteral("mid"))});
    QCOMPARE(names(model), (QStringList{QStringLiteral("Alpha"), QStringLiteral("mid"), QStringLiteral("zoo")}));
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setRooms({room(QStringLiteral("mid"), 3), room(QStringLiteral("beta"))});
    QCOMPARE(names(model), (QStringList{QStringLiteral("beta"), QStringLiteral("mid")}));
    QCOMPARE(reset.count(), 0);
    QCOMPARE(model.data(model.index(1), RoomListModel::MemberCountRole).toInt(), 3);
    QCOMPARE(model.data(model.index(0), Qt::DisplayRole).toString(), QStringLiteral("#beta"));
}

void tst_RoomListModel::updatesInsertAndChangeOneRow()
{
    RoomListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.updateRoom(room(QStringLiteral("dev"), 1));
    model.updateRoom(room(QStringLiteral("art"), 2));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.updateRoom(room(QStringLiteral("DEV"), 5, QStringLiteral("code")));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 1);
    QCOMPARE(model.rowCount(), 2);
    model.setJoined(QStringLiteral("#dev"), true);
    QVERIFY(model.data(model.index(1), RoomListModel::JoinedRole).toBool());
    model.removeRoom(QStringLiteral("art"));
    QCOMPARE(names(model), QStringList{QStringLiteral("DEV")});
    model.removeRoom(QStringLiteral("nothing"));
    QCOMPARE(model.rowCount(), 1);
}

void tst_RoomListModel::followsALiveSession()
{
    TestServer ts;
    QVERIFY(ts.start());
    ClientSession alice, bob;
    RoomListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSession(&bob);
    QSignalSpy aliceIn(&alice, &ClientSession::loggedIn), bobIn(&bob, &ClientSession::loggedIn);
    alice.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("alice"), QStringLiteral("secret1"));
    bob.connectToServer(QStringLiteral("127.0.0.1"), ts.port(), QStringLiteral("bob"), QStringLiteral("secret1"));
    QVERIFY(aliceIn.wait(10000) || aliceIn.count() == 1);
    QVERIFY(bobIn.count() == 1 || bobIn.wait(10000));

    alice.createRoom(QStringLiteral("#dev"), QStringLiteral("code"));
    QTRY_COMPARE(model.rowCount(), 1); // pushed to bob, who is not in it
    QCOMPARE(model.data(model.index(0), RoomListModel::TopicRole).toString(), QStringLiteral("code"));
    QCOMPARE(model.data(model.index(0), RoomListModel::JoinedRole).toBool(), false);

    bob.joinRoom(QStringLiteral("dev"));
    QTRY_COMPARE(model.data(model.index(0), RoomListModel::MemberCountRole).toInt(), 2);
    QVERIFY(model.data(model.index(0), RoomListModel::JoinedRole).toBool());
    QCOMPARE(bob.joinedRooms(), QStringList{QStringLiteral("dev")});

    alice.kickFromRoom(QStringLiteral("dev"), QStringLiteral("bob"), QStringLiteral("test"));
    QTRY_VERIFY(!model.data(model.index(0), RoomListModel::JoinedRole).toBool());
    QVERIFY(bob.joinedRooms().isEmpty());
    QTRY_COMPARE(model.data(model.index(0), RoomListModel::MemberCountRole).toInt(), 1);

    bob.requestRoomList();
    alice.closeRoom(QStringLiteral("dev"));
    QTRY_COMPARE(model.rowCount(), 0);
}

QTEST_GUILESS_MAIN(tst_RoomListModel)
#include "tst_roomlistmodel.moc"
