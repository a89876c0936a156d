// FrameDecoder: the byte stream → frames step, without sockets.
#include "framedecoder.h"
#include "message.h"

#include <QRandomGenerator>
#include <QtEndian>
#include <QtTest>

using namespace Confab;

namespace {
QByteArray header(quint32 length)
{
    QByteArray h(4, Qt::Uninitialized);
    qToBigEndian(length, h.data());
    return h;
}

QList<QByteArray> drainAll(FrameDecoder &decoder, FrameDecoder::Status *last = nullptr)
{
    QList<QByteArray> frames;
    QByteArray payload;
    FrameDecoder::Status status;
    while ((status = decoder.next(&payload)) == FrameDecoder::Status::Frame)
        frames.append(payload);
    if (last)
        *last = status;
    return frames;
}
} // namespace

class tst_FrameDecoder : public QObject
{
    Q_OBJECT
private slots:
    void wholeFrame();
    void splitAtEveryOffset();
    void byteByByte();
    void mergedFrames();
    void zeroLength();
    void oversizeRejectedAtHeader();
    void maximumSizeAccepted();
    void errorIsSticky();
    void garbageNeverCrashes();
};

void tst_FrameDecoder::wholeFrame()
{
    FrameDecoder decoder;
    decoder.append(frameFromPayload("hello"));
    const QList<QByteArray> frames = drainAll(decoder);
    QCOMPARE(frames, QList<QByteArray>{"hello"});
    QCOMPARE(decoder.bufferedBytes(), 0);
}

void tst_FrameDecoder::splitAtEveryOffset()
{
    const QByteArray frame = Message::postLobby(7, QStringLiteral("split me")).toFrame();
    for (int cut = 1; cut < frame.size(); ++cut) {
        FrameDecoder decoder;
        decoder.append(frame.left(cut));
        FrameDecoder::Status status;
        QVERIFY(drainAll(decoder, &status).isEmpty());
        QCOMPARE(status, FrameDecoder::Status::NeedMore);
        decoder.append(frame.mid(cut));
        const QList<QByteArray> frames = drainAll(decoder);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.first(), frame.mid(4));
    }
}

void tst_FrameDecoder::byteByByte()
{
    QByteArray stream;
    for (int i = 0; i < 20; ++i)
        stream += Message::postLobby(quint64(i), QStringLiteral("message %1").arg(i)).toFrame();
    FrameDecoder decoder;
    QList<QByteArray> frames;
    for (char c : stream) {
        decoder.append(&c, 1);
        frames += drainAll(decoder);
    }
    QCOMPARE(frames.size(), 20);
    for (int i = 0; i < 20; ++i) {
        const DecodeResult r = Message::decode(frames[i]);
        QVERIFY(r.ok());
        QCOMPARE(r.message.text(Key::Text), QStringLiteral("message %1").arg(i));
    }
}

void tst_FrameDecoder::mergedFrames()
{
    QByteArray stream = frameFromPayload("a") + frameFromPayload("bb") + frameFromPayload("ccc");
    stream += header(4).left(2); // a partial header trails the three frames
    FrameDecoder decoder;
    decoder.append(stream);
    FrameDecoder::Status status;
    QCOMPARE(drainAll(decoder, &status), (QList<QByteArray>{"a", "bb", "ccc"}));
    QCOMPARE(status, FrameDecoder::Status::NeedMore);
    QCOMPARE(decoder.bufferedBytes(), 2);
}

void tst_FrameDecoder::zeroLength()
{
    FrameDecoder decoder;
    decoder.append(header(0));
    QByteArray payload;
    QCOMPARE(decoder.next(&payload), FrameDecoder::Status::Error);
    QCOMPARE(decoder.error(), ErrorCode::EmptyFrame);
}

void tst_FrameDecoder::oversizeRejectedAtHeader()
{
    FrameDecoder decoder;
    // Only the header arrives: the decoder must refuse before any payload is buffered.
    decoder.append(header(Limits::MaxFramePayload + 1));
    QByteArray payload;
    QCOMPARE(decoder.next(&payload), FrameDecoder::Status::Error);
    QCOMPARE(decoder.error(), ErrorCode::FrameTooLarge);
    QCOMPARE(decoder.bufferedBytes(), 0);
    decoder.append(QByteArray(1024, 'x'));
    QCOMPARE(decoder.bufferedBytes(), 0); // nothing more is buffered after the error

    FrameDecoder huge;
    huge.append(header(0xFFFFFFFFu));
    QCOMPARE(huge.next(&payload), FrameDecoder::Status::Error);
    QCOMPARE(huge.error(), ErrorCode::FrameTooLarge);
}

void tst_FrameDecoder::maximumSizeAccepted()
{
    FrameDecoder decoder;
    const QByteArray big(int(Limits::MaxFramePayload), 'z');
    decoder.append(frameFromPayload(big));
    const QList<QByteArray> frames = drainAll(decoder);
    QCOMPARE(frames.size(), 1);
    QCOMPARE(frames.first().size(), big.size());
}

void tst_FrameDecoder::errorIsSticky()
{
    FrameDecoder decoder;
    decoder.append(header(0) + frameFromPayload("after"));
    QByteArray payload;
    QCOMPARE(decoder.next(&payload), FrameDecoder::Status::Error);
    QCOMPARE(decoder.next(&payload), FrameDecoder::Status::Error);
}

void tst_FrameDecoder::garbageNeverCrashes()
{
    QRandomGenerator rng(20261122);
    int frames = 0, errors = 0;
    for (int round = 0; round < 2000; ++round) {
        FrameDecoder decoder;
        QByteArray junk(int(rng.bounded(1, 64)), Qt::Uninitialized);
        for (char &c : junk)
            c = char(rng.bounded(256));
        decoder.append(junk);
        FrameDecoder::Status status;
        const QList<QByteArray> got = drainAll(decoder, &status);
        for (const QByteArray &payload : got) {
            ++frames;
            Message::decode(payload); // must not crash, whatever it says
        }
        if (status == FrameDecoder::Status::Error)
            ++errors;
        QVERIFY(decoder.bufferedBytes() <= junk.size());
    }
    QVERIFY(errors > 0); // random 4-byte lengths are mostly far above the limit
}

QTEST_GUILESS_MAIN(tst_FrameDecoder)
#include "tst_framedecoder.moc"
