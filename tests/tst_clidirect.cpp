// confab-cli --direct end to end (seeds 000/001): two real processes, and `nc` as the peer.
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QtTest>

namespace {

QString cliPath()
{
    return qEnvironmentVariable("CONFAB_BIN_DIR") + QStringLiteral("/confab-cli");
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// A child process whose output we collect while the event loop runs.
class Child
{
public:
    Child(const QString &program, const QStringList &arguments)
    {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] { m_out += m_process.readAllStandardOutput(); });
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start(program, arguments);
    }
    ~Child()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    void write(const QByteArray &bytes) { m_process.write(bytes); }
    void terminate()
    {
        m_process.terminate();
        m_process.waitForFinished(5000);
    }
    void closeInput() { m_process.closeWriteChannel(); }
    bool waitFor(const QString &needle, int timeoutMs = 10000)
    {
        return QTest::qWaitFor([&] { return output().contains(needle); }, timeoutMs);
    }
    int waitForExit(int timeoutMs = 10000)
    {
        if (!QTest::qWaitFor([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs))
            return -1;
        m_out += m_process.readAllStandardOutput();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }
    QString output() const { return QString::fromUtf8(m_out); }
    QString errors() { return QString::fromUtf8(m_process.readAllStandardError()); }

private:
    QProcess m_process;
    QByteArray m_out;
};

// Whether something listens on this TCP port of 127.0.0.1, from the kernel's table.
bool isListening(quint16 port)
{
    QFile table(QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return false;
    const QByteArray local = QByteArray("0100007F:") + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
    for (const QByteArray &line : table.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() > 3 && fields.at(1) == local && fields.at(3) == "0A")
            return true;
    }
    return false;
}

QStringList direct(quint16 peer, quint16 mine)
{
    return {QStringLiteral("--direct"), QStringLiteral("127.0.0.1:%1").arg(peer), QStringLiteral("--listen"), QString::number(mine)};
}

} // namespace

class tst_CliDirect : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void twoClisPeerNotUpYet();
    void ncConnectsToListeningCli();
    void cliConnectsToListeningNc();
    void usageErrors();
};

void tst_CliDirect::initTestCase()
{
    QVERIFY2(QFileInfo(cliPath()).isExecutable(), qPrintable(cliPath()));
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("nc")).isEmpty(),
             "nc is missing: scripts/install-deps.sh installs netcat-openbsd");
}

void tst_CliDirect::twoClisPeerNotUpYet()
{
    const quint16 portA = freePort(), portB = freePort();
    // A starts first: B is not up, so A listens on its own port (the seeds' behaviour).
    Child a(cliPath(), direct(portB, portA));
    QVERIFY2(a.waitFor(QStringLiteral("waiting for the peer on port %1").arg(portA)), qPrintable(a.output()));
    Child b(cliPath(), direct(portA, portB));
    QVERIFY2(b.waitFor(QStringLiteral("* connected to 127.0.0.1:%1").arg(portA)), qPrintable(b.output()));
    QVERIFY2(a.waitFor(QStringLiteral("* connected to 127.0.0.1:")), qPrintable(a.output()));

    a.write("hello from A\n");
    b.write("hello from B, ünïcode ✓\n");
    QVERIFY2(b.waitFor(QStringLiteral("> hello from A")), qPrintable(b.output()));
    QVERIFY2(a.waitFor(QStringLiteral("> hello from B, ünïcode ✓")), qPrintable(a.output()));
    a.write(":q\n");
    QCOMPARE(a.waitForExit(), 0);
    QVERIFY2(b.waitFor(QStringLiteral("* the peer left")), qPrintable(b.output()));
    QCOMPARE(b.waitForExit(), 0);
    // Every line is tagged with the conversation and the time.
    for (const QString &line : a.output().split(u'\n', Qt::SkipEmptyParts))
        QVERIFY2(QRegularExpression(QStringLiteral("^\\[\\d\\d:\\d\\d:\\d\\d\\] \\[direct\\] ")).match(line).hasMatch(), qPrintable(line));
}

void tst_CliDirect::ncConnectsToListeningCli()
{
    const quint16 port = freePort();
    Child cli(cliPath(), {QStringLiteral("--listen"), QString::number(port)});
    QVERIFY2(cli.waitFor(QStringLiteral("waiting for the peer on port %1").arg(port)), qPrintable(cli.output()));
    Child nc(QStringLiteral("nc"), {QStringLiteral("127.0.0.1"), QString::number(port)});
    QVERIFY2(cli.waitFor(QStringLiteral("* connected to")), qPrintable(cli.output()));
    nc.write("from nc\n");
    QVERIFY2(cli.waitFor(QStringLiteral("> from nc")), qPrintable(cli.output()));
    cli.write("from cli\n");
    QVERIFY2(nc.waitFor(QStringLiteral("from cli\n")), qPrintable(nc.output()));
    nc.terminate(); // the peer vanishes
    QVERIFY2(cli.waitFor(QStringLiteral("* the peer left")), qPrintable(cli.output()));
    QCOMPARE(cli.waitForExit(), 0);
}

void tst_CliDirect::cliConnectsToListeningNc()
{
    const quint16 port = freePort();
    Child nc(QStringLiteral("nc"), {QStringLiteral("-l"), QStringLiteral("127.0.0.1"), QString::number(port)});
    // Wait until nc listens (without connecting to it: it accepts only one peer).
    QVERIFY2(QTest::qWaitFor([port] { return isListening(port); }, 10000), "nc did not start listening");
    Child cli(cliPath(), {QStringLiteral("--direct"), QStringLiteral("127.0.0.1:%1").arg(port)});
    QVERIFY2(cli.waitFor(QStringLiteral("* connected to 127.0.0.1:%1").arg(port)), qPrintable(cli.output() + cli.errors()));
    cli.write("over to nc\n");
    QVERIFY2(nc.waitFor(QStringLiteral("over to nc\n")), qPrintable(nc.output()));
    nc.write("and back\n");
    QVERIFY2(cli.waitFor(QStringLiteral("> and back")), qPrintable(cli.output()));
    cli.closeInput(); // EOF ends the chat
    QCOMPARE(cli.waitForExit(), 0);
    QCOMPARE(nc.waitForExit(), 0); // nc -l ends when its peer closes
}

void tst_CliDirect::usageErrors()
{
    for (const QStringList &args : {QStringList{QStringLiteral("--direct"), QStringLiteral("nohostport")},
                                    QStringList{QStringLiteral("--direct"), QStringLiteral("host:99999")},
                                    QStringList{QStringLiteral("--listen"), QStringLiteral("port")}}) {
        Child cli(cliPath(), args);
        QCOMPARE(cli.waitForExit(), 3);
    }
}

QTEST_GUILESS_MAIN(tst_CliDirect)
#include "tst_clidirect.moc"
