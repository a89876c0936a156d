// Splits a byte stream into Confab frames: a 4-byte big-endian payload length, then the payload.
// The length is checked against the limit as soon as the 4 header bytes are in, before any
// payload byte is buffered, so a hostile length can never make us allocate.
#pragma once

#include "protocol.h"

#include <QByteArray>

namespace Confab {

class FrameDecoder
{
public:
    enum class Status { NeedMore, Frame, Error };

    explicit FrameDecoder(quint32 maxPayload = Limits::MaxFramePayload);

    void append(const QByteArray &bytes);
    void append(const char *data, qsizetype size);

    // Takes the next complete frame's payload out of the buffer. Once an error is reported the
    // decoder stays in error: the stream has lost its framing and must be closed.
    Status next(QByteArray *payload);

    ErrorCode error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    qsizetype bufferedBytes() const { return m_buffer.size() - m_offset; }

private:
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    quint32 m_maxPayload;
    ErrorCode m_error = ErrorCode::None;
    QString m_errorString;
};

} // namespace Confab
