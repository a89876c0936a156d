// A small run of confab-bench against a real confab-server process (both started here, the server
// on port 0), over TCP and over reliable UDP: every expected room delivery must arrive, in order
// per sender. No timing is
// asserted; the figures are for docs/PERFORMANCE.md, not for tests.
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

class tst_BenchSmoke : public QObject
{
    Q_OBJECT
private slots:
    void fanout_data();
    void fanout();

private:
    static QString binary(const QString &name)
    {
        return QDir(qEnvironmentVariable("CONFAB_BIN_DIR")).filePath(name);
    }
};

void tst_BenchSmoke::fanout_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<qint64>("expected");
    // N clients, S senders, M messages: S × M × (N − 1) deliveries.
    QTest::newRow("unpaced") << QStringList{"--clients", "12", "--senders", "3", "--messages", "40"} << qint64(3 * 40 * 11);
    QTest::newRow("paced") << QStringList{"--clients", "6", "--senders", "2", "--messages", "10", "--rate", "200"}
                           << qint64(2 * 10 * 5);
    QTest::newRow("big payload") << QStringList{"--clients", "4", "--senders", "2", "--messages", "20", "--payload", "9000"}
                                 << qint64(2 * 20 * 3);
    // The same over reliable UDP (the server serves it on the TCP port's number).
    QTest::newRow("udp") << QStringList{"--udp", "--clients", "6", "--senders", "2", "--messages", "50"}
                         << qint64(2 * 50 * 5);
    QTest::newRow("udp big payload")
        << QStringList{"--udp", "--clients", "4", "--senders", "2", "--messages", "20", "--payload", "9000"}
        << qint64(2 * 20 * 3);
}

void tst_BenchSmoke::fanout()
{
    QFETCH(QStringList, args);
    QFETCH(qint64, expected);

    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    QProcess server;
    server.setProgram(binary(QStringLiteral("confab-server")));
    server.setArguments({"--headless", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.path(),
                         "--password-iterations", "1000", "--no-limits"});
    server.setProcessChannelMode(QProcess::SeparateChannels);
    server.start();
    QVERIFY2(server.waitForStarted(), qPrintable(server.errorString()));
    QByteArray banner;
    QTRY_VERIFY_WITH_TIMEOUT((banner += server.readAllStandardOutput()).contains('\n'), 20000);
    const QRegularExpressionMatch port = QRegularExpression(QStringLiteral(":(\\d+) ")).match(QString::fromUtf8(banner));
    QVERIFY2(port.hasMatch(), banner.constData());

    QProcess bench;
    bench.setProgram(binary(QStringLiteral("confab-bench")));
    bench.setArguments(QStringList{"--port", port.captured(1), "--server-pid", QString::number(server.processId()),
                                   "--timeout", "60"}
                       + args);
    bench.start();
    QVERIFY2(bench.waitForStarted(), qPrintable(bench.errorString()));
    QVERIFY(bench.waitForFinished(120000));
    const QString out = QString::fromUtf8(bench.readAllStandardOutput());
    const QString err = QString::fromUtf8(bench.readAllStandardError());
    server.terminate();
    QVERIFY(server.waitForFinished(20000));

    QVERIFY2(bench.exitStatus() == QProcess::NormalExit && bench.exitCode() == 0, qPrintable(out + err));
    const QRegularExpressionMatch result =
        QRegularExpression(QStringLiteral("RESULT .* expected=(\\d+) delivered=(\\d+) lost=(\\d+) ooo=(\\d+)")).match(out);
    QVERIFY2(result.hasMatch(), qPrintable(out + err));
    QCOMPARE(result.captured(1).toLongLong(), expected);
    QCOMPARE(result.captured(2).toLongLong(), expected);
    QCOMPARE(result.captured(3).toLongLong(), 0);
    QCOMPARE(result.captured(4).toLongLong(), 0);
}

QTEST_GUILESS_MAIN(tst_BenchSmoke)
#include "tst_benchsmoke.moc"
