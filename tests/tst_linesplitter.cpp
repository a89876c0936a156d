// LineSplitter, the receiving side of the direct-chat line protocol (docs/PROTOCOL.md §9).
#include "linesplitter.h"

#include <QtTest>

using namespace Confab;

class tst_LineSplitter : public QObject
{
    Q_OBJECT
private slots:
    void splitsLinesAcrossReads();
    void limitCountsBytesWithoutTheLineEnd();
    void unfinishedLineOverTheLimitFailsAtOnce();
    void restAfterTheStreamEnds();
};

namespace {
QStringList drain(LineSplitter &lines, LineSplitter::Status *last = nullptr)
{
    QStringList out;
    QString line;
    LineSplitter::Status status;
    while ((status = lines.next(&line)) == LineSplitter::Status::Line)
        out << line;
    if (last)
        *last = status;
    return out;
}
} // namespace

void tst_LineSplitter::splitsLinesAcrossReads()
{
    LineSplitter lines(100);
    const QByteArray stream = "hello\nwor" "ld\r\n\xff invalid\n" "caf\xc3\xa9\n";
    QStringList got;
    for (char c : stream) { // one byte per read, the worst case for a line protocol
        lines.append(QByteArray(1, c));
        got += drain(lines);
    }
    QCOMPARE(got, (QStringList{QStringLiteral("hello"), QStringLiteral("world"), QStringLiteral("\ufffd invalid"),
                               QStringLiteral("caf\u00e9")}));
    QCOMPARE(lines.bufferedBytes(), 0);
}

void tst_LineSplitter::limitCountsBytesWithoutTheLineEnd()
{
    LineSplitter lines(5);
    lines.append("abcde\r\nabcde\n");
    QCOMPARE(drain(lines), (QStringList{QStringLiteral("abcde"), QStringLiteral("abcde")}));
    lines.append("abcdef\n");
    LineSplitter::Status status;
    QVERIFY(drain(lines, &status).isEmpty());
    QCOMPARE(status, LineSplitter::Status::TooLong);
    QVERIFY(lines.hasError());
    lines.append("ok\n"); // the stream is to be closed: nothing more comes out
    QVERIFY(drain(lines, &status).isEmpty());
    QCOMPARE(status, LineSplitter::Status::TooLong);
}

void tst_LineSplitter::unfinishedLineOverTheLimitFailsAtOnce()
{
    LineSplitter lines(8);
    lines.append("12345678\r"); // could still end well
    LineSplitter::Status status;
    drain(lines, &status);
    QCOMPARE(status, LineSplitter::Status::NeedMore);
    lines.append("9"); // cannot: fails without waiting for a newline that may never come
    drain(lines, &status);
    QCOMPARE(status, LineSplitter::Status::TooLong);
    QCOMPARE(lines.bufferedBytes(), 0);
}

void tst_LineSplitter::restAfterTheStreamEnds()
{
    LineSplitter lines(4);
    lines.append("ab\ncd");
    QCOMPARE(drain(lines), QStringList{QStringLiteral("ab")});
    QCOMPARE(lines.takeRest(), QStringLiteral("cd"));
    QCOMPARE(lines.takeRest(), QString());
}

QTEST_GUILESS_MAIN(tst_LineSplitter)
#include "tst_linesplitter.moc"
