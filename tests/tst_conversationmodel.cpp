// One conversation's messages: appends, delivery states by request id, and 100,000 rows.
#include "conversationmodel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>

using Confab::ConversationModel;
using State = Confab::ConversationModel::DeliveryState;

class tst_ConversationModel : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void startsEmpty();
    void receivedMessageHasEveryRole();
    void ownMessageStartsSending();
    void answer_data();
    void answer();
    void answersFindTheirRowInAnyOrder();
    void unknownOrRepeatedAnswerChangesNothing();
    void batchAppendIsOneInsert();
    void clearRemovesEverything();
    void hundredThousandRows();

private:
    std::unique_ptr<ConversationModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void tst_ConversationModel::init()
{
    m_model = std::make_unique<ConversationModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(m_model.get(),
                                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void tst_ConversationModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void tst_ConversationModel::startsEmpty()
{
    QCOMPARE(m_model->rowCount(), 0);
    QCOMPARE(m_model->sendingCount(), 0);
    const QHash<int, QByteArray> roles = m_model->roleNames();
    QCOMPARE(roles.value(ConversationModel::SenderRole), QByteArray("sender"));
    QCOMPARE(roles.value(ConversationModel::DeliveryStateRole), QByteArray("deliveryState"));
    QVERIFY(ConversationModel::SenderRole == Qt::UserRole + 1);
}

void tst_ConversationModel::receivedMessageHasEveryRole()
{
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    const QDateTime ts = QDateTime::fromMSecsSinceEpoch(1700000000000);
    QCOMPARE(m_model->appendReceived(QStringLiteral("alice"), QStringLiteral("hello"), ts), 0);

    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 0);
    const QModelIndex i = m_model->index(0);
    QCOMPARE(i.data(Qt::DisplayRole).toString(), QStringLiteral("hello"));
    QCOMPARE(i.data(ConversationModel::TextRole).toString(), QStringLiteral("hello"));
    QCOMPARE(i.data(ConversationModel::SenderRole).toString(), QStringLiteral("alice"));
    QCOMPARE(i.data(ConversationModel::TimestampRole).toDateTime(), ts);
    QCOMPARE(i.data(ConversationModel::IsOwnRole).toBool(), false);
    QCOMPARE(i.data(ConversationModel::DeliveryStateRole).value<State>(), State::Received);
    QVERIFY(!m_model->index(1).data().isValid());
}

void tst_ConversationModel::ownMessageStartsSending()
{
    m_model->appendReceived(QStringLiteral("bob"), QStringLiteral("hi"), QDateTime::currentDateTime());
    const int row = m_model->appendOwn(7, QStringLiteral("alice"), QStringLiteral("hey bob"));
    QCOMPARE(row, 1);
    QCOMPARE(m_model->rowForRequest(7), 1);
    QCOMPARE(m_model->sendingCount(), 1);
    const QModelIndex i = m_model->index(row);
    QCOMPARE(i.data(ConversationModel::IsOwnRole).toBool(), true);
    QCOMPARE(i.data(ConversationModel::DeliveryStateRole).value<State>(), State::Sending);
    QCOMPARE(i.data(ConversationModel::RequestIdRole).toULongLong(), 7ULL);
}

void tst_ConversationModel::answer_data()
{
    QTest::addColumn<bool>("delivered");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("reason");

    QTest::newRow("delivered to two") << true << 2 << QString();
    QTest::newRow("delivered to nobody") << true << 0 << QString();
    QTest::newRow("failed: no such user") << false << 0 << QStringLiteral("no such user");
    QTest::newRow("failed: connection lost") << false << 0 << QStringLiteral("the connection was lost");
}

void tst_ConversationModel::answer()
{
    QFETCH(bool, delivered);
    QFETCH(int, count);
    QFETCH(QString, reason);

    m_model->appendOwn(1, QStringLiteral("alice"), QStringLiteral("one"));
    m_model->appendOwn(2, QStringLiteral("alice"), QStringLiteral("two"));
    m_model->appendOwn(3, QStringLiteral("alice"), QStringLiteral("three"));
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    const QDateTime serverTime = QDateTime::fromMSecsSinceEpoch(1800000000000);

    QVERIFY(delivered ? m_model->markDelivered(2, count, serverTime) : m_model->markFailed(2, reason));

    QCOMPARE(changed.count(), 1);
    const QModelIndex topLeft = changed.at(0).at(0).value<QModelIndex>();
    const QModelIndex bottomRight = changed.at(0).at(1).value<QModelIndex>();
    QCOMPARE(topLeft.row(), 1);
    QCOMPARE(bottomRight.row(), 1);
    const QList<int> roles = changed.at(0).at(2).value<QList<int>>();
    QVERIFY(roles.contains(ConversationModel::DeliveryStateRole));

    const QModelIndex i = m_model->index(1);
    QCOMPARE(i.data(ConversationModel::DeliveryStateRole).value<State>(), delivered ? State::Delivered : State::Failed);
    QCOMPARE(i.data(ConversationModel::DeliveredCountRole).toInt(), count);
    QCOMPARE(i.data(ConversationModel::FailureReasonRole).toString(), reason);
    if (delivered) {
        QVERIFY(roles.contains(ConversationModel::TimestampRole));
        QCOMPARE(i.data(ConversationModel::TimestampRole).toDateTime(), serverTime);
    }
    // The neighbours are untouched.
    QCOMPARE(m_model->index(0).data(ConversationModel::DeliveryStateRole).value<State>(), State::Sending);
    QCOMPARE(m_model->index(2).data(ConversationModel::DeliveryStateRole).value<State>(), State::Sending);
    QCOMPARE(m_model->rowForRequest(2), -1);
    QCOMPARE(m_model->sendingCount(), 2);
}

void tst_ConversationModel::answersFindTheirRowInAnyOrder()
{
    const int n = 200;
    QList<quint64> ids;
    for (int i = 0; i < n; ++i) {
        m_model->appendReceived(QStringLiteral("bob"), QStringLiteral("noise %1").arg(i), QDateTime::currentDateTime());
        const quint64 id = quint64(1000 + i);
        m_model->appendOwn(id, QStringLiteral("alice"), QStringLiteral("msg %1").arg(i));
        ids.append(id);
    }
    std::shuffle(ids.begin(), ids.end(), *QRandomGenerator::global());
    for (quint64 id : std::as_const(ids))
        QVERIFY(m_model->markDelivered(id, int(id % 5)));

    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex i = m_model->index(row);
        if (!i.data(ConversationModel::IsOwnRole).toBool())
            continue;
        const quint64 id = i.data(ConversationModel::RequestIdRole).toULongLong();
        QCOMPARE(i.data(ConversationModel::TextRole).toString(), QStringLiteral("msg %1").arg(id - 1000));
        QCOMPARE(i.data(ConversationModel::DeliveryStateRole).value<State>(), State::Delivered);
        QCOMPARE(i.data(ConversationModel::DeliveredCountRole).toInt(), int(id % 5));
    }
    QCOMPARE(m_model->sendingCount(), 0);
}

void tst_ConversationModel::unknownOrRepeatedAnswerChangesNothing()
{
    m_model->appendOwn(5, QStringLiteral("alice"), QStringLiteral("x"));
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    QVERIFY(!m_model->markDelivered(99, 1));
    QVERIFY(!m_model->markFailed(99, QStringLiteral("nope")));
    QCOMPARE(changed.count(), 0);

    QVERIFY(m_model->markDelivered(5, 1));
    QVERIFY(!m_model->markFailed(5, QStringLiteral("late")));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_model->index(0).data(ConversationModel::DeliveryStateRole).value<State>(), State::Delivered);
}

void tst_ConversationModel::batchAppendIsOneInsert()
{
    QVector<ConversationModel::Entry> entries(3);
    entries[0].sender = QStringLiteral("a");
    entries[1].sender = QStringLiteral("b");
    entries[2].sender = QStringLiteral("me");
    entries[2].own = true;
    entries[2].state = State::Sending;
    entries[2].requestId = 12;
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    m_model->appendEntries(entries);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(2).toInt(), 2);
    QCOMPARE(m_model->rowForRequest(12), 2);
    m_model->appendEntries({});
    QCOMPARE(inserted.count(), 1);
}

void tst_ConversationModel::clearRemovesEverything()
{
    m_model->appendOwn(1, QStringLiteral("alice"), QStringLiteral("x"));
    m_model->appendReceived(QStringLiteral("bob"), QStringLiteral("y"), QDateTime::currentDateTime());
    m_model->clear();
    QCOMPARE(m_model->rowCount(), 0);
    QVERIFY(!m_model->markDelivered(1, 1));
    m_model->clear();
}

void tst_ConversationModel::hundredThousandRows()
{
    // Not a timing assertion (benchmarks print figures elsewhere); it shows the operations stay
    // per-row cheap at this size. The model tester re-walks every row on each insert and change,
    // which would make this quadratic, so it checks the finished model once instead.
    m_tester.reset();
    const int rows = 100000;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < rows; ++i) {
        if (i % 2)
            m_model->appendOwn(quint64(i), QStringLiteral("alice"), QStringLiteral("own %1").arg(i));
        else
            m_model->appendReceived(QStringLiteral("bob"), QStringLiteral("msg %1").arg(i), QDateTime::currentDateTime());
    }
    const qint64 appendMs = timer.restart();
    QCOMPARE(m_model->rowCount(), rows);
    QCOMPARE(m_model->sendingCount(), rows / 2);

    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    for (int i = rows - 1; i > 0; i -= 2)
        QVERIFY(m_model->markDelivered(quint64(i), 3));
    const qint64 answerMs = timer.elapsed();
    m_tester = std::make_unique<QAbstractItemModelTester>(m_model.get(),
                                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(changed.count(), rows / 2);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), rows - 1);
    QCOMPARE(m_model->index(54321).data(ConversationModel::DeliveredCountRole).toInt(), 3);
    QCOMPARE(m_model->index(54321).data().toString(), QStringLiteral("own 54321"));
    QCOMPARE(m_model->sendingCount(), 0);
    qInfo("%d rows: appended one by one in %lld ms, %d delivery updates in %lld ms",
          rows, appendMs, rows / 2, answerMs);
}

QTEST_GUILESS_MAIN(tst_ConversationModel)
#include "tst_conversationmodel.moc"
