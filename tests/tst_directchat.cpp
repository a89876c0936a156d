// DirectChat (seeds 000/001): plain UTF-8 lines between two peers, no server.
#include "directchat.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace Confab;

class tst_DirectChat : public QObject
{
    Q_OBJECT
private slots:
    void connectsWhenThePeerIsUp();
    void listensWhenThePeerIsNotUp();
    void plainSocketIsAValidPeer();
    void overlongLineDisconnects();
    void secondCallerIsTurnedAway();
    void closingTellsThePeer();
};

namespace {
quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort(); // closed again when probe goes; nothing listens there now
}
} // namespace

void tst_DirectChat::connectsWhenThePeerIsUp()
{
    DirectChat a, b;
    QVERIFY(a.listen(0, QHostAddress::LocalHost));
    QSignalSpy aConnected(&a, &DirectChat::peerConnected), bConnected(&b, &DirectChat::peerConnected);
    b.start(QStringLiteral("127.0.0.1"), a.listeningPort(), 0);
    QVERIFY(bConnected.wait(5000));
    QTRY_COMPARE(aConnected.count(), 1);
    QSignalSpy aGot(&a, &DirectChat::lineReceived), bGot(&b, &DirectChat::lineReceived);
    QVERIFY(b.send(QStringLiteral("hello ✓")));
    QVERIFY(a.send(QStringLiteral("two\nlines")));
    QTRY_COMPARE(aGot.count(), 1);
    QCOMPARE(aGot.at(0).at(0).toString(), QStringLiteral("hello ✓"));
    QTRY_COMPARE(bGot.count(), 2);
    QCOMPARE(bGot.at(1).at(0).toString(), QStringLiteral("lines"));
}

void tst_DirectChat::listensWhenThePeerIsNotUp()
{
    const quint16 nobody = freePort();
    const quint16 mine = freePort();
    DirectChat first;
    QSignalSpy listening(&first, &DirectChat::listening);
    QSignalSpy error(&first, &DirectChat::errorOccurred);
    first.start(QStringLiteral("127.0.0.1"), nobody, mine);
    QVERIFY(listening.wait(5000));
    QCOMPARE(listening.at(0).at(0).value<quint16>(), mine);
    QCOMPARE(first.state(), DirectChat::State::Listening);
    QVERIFY(error.count() == 1 && error.at(0).at(0).toString().contains(QStringLiteral("waiting")));

    // The seeds' second peer: it tries the first one's port and gets through.
    DirectChat second;
    QSignalSpy connected(&first, &DirectChat::peerConnected);
    second.start(QStringLiteral("127.0.0.1"), mine, nobody);
    QVERIFY(connected.wait(5000));
    QSignalSpy got(&first, &DirectChat::lineReceived);
    second.send(QStringLiteral("you were first"));
    QVERIFY(got.wait(5000));
    QCOMPARE(got.at(0).at(0).toString(), QStringLiteral("you were first"));
}

void tst_DirectChat::plainSocketIsAValidPeer()
{
    DirectChat chat;
    QVERIFY(chat.listen(0, QHostAddress::LocalHost));
    QTcpSocket nc;
    nc.connectToHost(QHostAddress::LocalHost, chat.listeningPort());
    QSignalSpy got(&chat, &DirectChat::lineReceived);
    QTRY_COMPARE(chat.state(), DirectChat::State::Connected);
    nc.write("crlf line\r\nsecond");
    QTRY_COMPARE(got.count(), 1);
    QCOMPARE(got.at(0).at(0).toString(), QStringLiteral("crlf line"));
    chat.send(QStringLiteral("back"));
    QTRY_VERIFY(nc.canReadLine());
    QCOMPARE(nc.readLine(), QByteArray("back\n"));
    // A last line without its newline is delivered when the peer leaves.
    QSignalSpy left(&chat, &DirectChat::peerLeft);
    nc.disconnectFromHost();
    QVERIFY(left.wait(5000));
    QCOMPARE(got.count(), 2);
    QCOMPARE(got.at(1).at(0).toString(), QStringLiteral("second"));
}

void tst_DirectChat::overlongLineDisconnects()
{
    DirectChat chat;
    QVERIFY(chat.listen(0, QHostAddress::LocalHost));
    QTcpSocket flood;
    flood.connectToHost(QHostAddress::LocalHost, chat.listeningPort());
    QTRY_COMPARE(chat.state(), DirectChat::State::Connected);
    QSignalSpy error(&chat, &DirectChat::errorOccurred), left(&chat, &DirectChat::peerLeft);
    flood.write(QByteArray(DirectChat::MaxLineBytes + 100, 'x'));
    QVERIFY(left.wait(5000));
    QVERIFY(error.last().at(0).toString().contains(QStringLiteral("longer than")));
    QTRY_COMPARE(flood.state(), QAbstractSocket::UnconnectedState);
    QVERIFY(!chat.send(QStringLiteral("nobody there")));
}

void tst_DirectChat::secondCallerIsTurnedAway()
{
    DirectChat chat;
    QVERIFY(chat.listen(0, QHostAddress::LocalHost));
    const quint16 port = chat.listeningPort();
    QTcpSocket first;
    first.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE(chat.state(), DirectChat::State::Connected);
    QTcpSocket second;
    second.connectToHost(QHostAddress::LocalHost, port);
    // The listening socket is closed once the first peer is in.
    QTRY_COMPARE(second.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(chat.state(), DirectChat::State::Connected);
}

void tst_DirectChat::closingTellsThePeer()
{
    DirectChat a, b;
    QVERIFY(a.listen(0, QHostAddress::LocalHost));
    b.start(QStringLiteral("127.0.0.1"), a.listeningPort(), 0);
    QTRY_COMPARE(a.state(), DirectChat::State::Connected);
    QTRY_COMPARE(b.state(), DirectChat::State::Connected);
    QSignalSpy left(&a, &DirectChat::peerLeft), got(&a, &DirectChat::lineReceived);
    b.send(QStringLiteral("bye"));
    b.close();
    QVERIFY(left.wait(5000));
    QCOMPARE(got.count(), 1); // what was sent before the close arrives first
    QCOMPARE(a.state(), DirectChat::State::Closed);
}

QTEST_GUILESS_MAIN(tst_DirectChat)
#include "tst_directchat.moc"
