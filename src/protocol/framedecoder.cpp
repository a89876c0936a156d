#include "framedecoder.h"

#include <QtEndian>

namespace Confab {

FrameDecoder::FrameDecoder(quint32 maxPayload)
    : m_maxPayload(maxPayload)
{
}

void FrameDecoder::append(const QByteArray &bytes)
{
    append(bytes.constData(), bytes.size());
}

void FrameDecoder::append(const char *data, qsizetype size)
{
    if (m_error != ErrorCode::None || size <= 0)
        return;
    // Drop consumed bytes before growing, so the buffer holds at most one partial frame plus
    // what arrived in this read.
    if (m_offset > 0 && (m_offset == m_buffer.size() || m_offset > 64 * 1024)) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer.append(data, size);
}

FrameDecoder::Status FrameDecoder::next(QByteArray *payload)
{
    if (m_error != ErrorCode::None)
        return Status::Error;
    const qsizetype available = m_buffer.size() - m_offset;
    if (available < 4)
        return Status::NeedMore;
    const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
    if (length == 0) {
        m_error = ErrorCode::EmptyFrame;
        m_errorString = QStringLiteral("frame with a zero length prefix");
    } else if (length > m_maxPayload) {
        m_error = ErrorCode::FrameTooLarge;
        m_errorString = QStringLiteral("frame of %1 bytes exceeds the limit of %2").arg(length).arg(m_maxPayload);
    }
    if (m_error != ErrorCode::None) {
        m_buffer.clear();
        m_offset = 0;
        return Status::Error;
    }
    if (available - 4 < qsizetype(length))
        return Status::NeedMore;
    *payload = m_buffer.mid(m_offset + 4, length);
    m_offset += 4 + length;
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    return Status::Frame;
}

} // namespace Confab
