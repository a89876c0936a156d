// The fuzz targets of fuzz/ as an ordinary, bounded test (gcc, no libFuzzer): each target runs
// over its whole seed corpus (fuzz/corpus/<target>/, regression inputs of fixed crashes included)
// and then over a fixed number of mutations of it, drawn from a seeded generator, so every run
// tries the same inputs. A crash, a sanitizer report (scripts/sanitize.sh) or a broken invariant
// (the targets trap) fails the test. CONFAB_FUZZ_RUNS sets the number of mutations per target.
#include "fuzztargets.h"

#include <QDir>
#include <QFile>
#include <QtTest>

#include <random>

class tst_FuzzReplay : public QObject
{
    Q_OBJECT
private slots:
    void replay_data();
    void replay();
};

namespace {

QList<QByteArray> corpusOf(const QString &target)
{
    QList<QByteArray> inputs;
    QDir dir(QStringLiteral(CONFAB_FUZZ_CORPUS "/") + target);
    const QStringList names = dir.entryList(QDir::Files, QDir::Name);
    for (const QString &name : names) {
        QFile file(dir.filePath(name));
        if (file.open(QIODevice::ReadOnly))
            inputs.append(file.readAll());
    }
    return inputs;
}

// One mutation of `input`, in the spirit of libFuzzer's: bit flips, boundary values written over
// bytes and big-endian integers (lengths, counts, sizes), inserted, erased or repeated ranges, and
// splices with another corpus entry.
QByteArray mutate(QByteArray input, const QList<QByteArray> &corpus, std::mt19937 &rng)
{
    auto pick = [&rng](qsizetype bound) { return bound <= 0 ? qsizetype(0) : qsizetype(rng() % quint64(bound)); };
    static const quint32 boundaries[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400, 0x496, 0x4b0, 0x7fff, 0x8000,
                                         0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xffffffff};
    const int steps = 1 + int(rng() % 4);
    for (int step = 0; step < steps; ++step) {
        const qsizetype size = input.size();
        switch (rng() % 8) {
        case 0:
            if (size)
                input[pick(size)] ^= char(1u << (rng() % 8));
            break;
        case 1:
            if (size)
                input[pick(size)] = char(boundaries[rng() % std::size(boundaries)]);
            break;
        case 2: {
            if (size < 4)
                break;
            const quint32 v = boundaries[rng() % std::size(boundaries)];
            const qsizetype at = pick(size - 3);
            const int width = (rng() % 2) ? 4 : 2;
            for (int i = 0; i < width && at + i < size; ++i)
                input[at + i] = char(v >> (8 * (width - 1 - i)));
            break;
        }
        case 3: {
            QByteArray noise(1 + pick(32), Qt::Uninitialized);
            for (char &c : noise)
                c = char(rng());
            input.insert(pick(size + 1), noise);
            break;
        }
        case 4:
            if (size)
                input.remove(pick(size), 1 + pick(qMin<qsizetype>(size, 64)));
            break;
        case 5:
            if (size) {
                const qsizetype at = pick(size);
                input.insert(pick(size + 1), input.mid(at, 1 + pick(qMin<qsizetype>(size - at, 256))));
            }
            break;
        case 6: {
            const QByteArray &other = corpus.at(pick(corpus.size()));
            input = input.left(pick(size + 1)) + other.mid(pick(other.size() + 1));
            break;
        }
        case 7:
            input.truncate(pick(size + 1));
            break;
        }
    }
    return input.left(70000);
}

} // namespace

void tst_FuzzReplay::replay_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < int(std::size(ConfabFuzz::Targets)); ++i)
        QTest::newRow(ConfabFuzz::Targets[i].name) << i;
}

void tst_FuzzReplay::replay()
{
    QFETCH(int, index);
    const ConfabFuzz::Target &target = ConfabFuzz::Targets[index];
    const QList<QByteArray> corpus = corpusOf(QString::fromLatin1(target.name));
    QVERIFY2(corpus.size() >= 3, "the seed corpus is missing; see fuzz/make_seeds.py");
    for (const QByteArray &input : corpus)
        target.run(reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size()));
    // The empty input too.
    target.run(nullptr, 0);

    bool ok = false;
    int runs = qEnvironmentVariableIntValue("CONFAB_FUZZ_RUNS", &ok);
    if (!ok || runs < 0)
        runs = 20000;
    std::mt19937 rng(0xC0FFEEu + quint32(index));
    for (int run = 0; run < runs; ++run) {
        const QByteArray input = mutate(corpus.at(run % corpus.size()), corpus, rng);
        target.run(reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size()));
    }
    qInfo("%s: %lld seeds and %d mutations, no crash", target.name, qlonglong(corpus.size()), runs);
}

QTEST_GUILESS_MAIN(tst_FuzzReplay)
#include "tst_fuzzreplay.moc"
