#include "linesplitter.h"

namespace Confab {

LineSplitter::LineSplitter(int maxLineBytes)
    : m_max(qMax(1, maxLineBytes))
{
}

void LineSplitter::append(const QByteArray &bytes)
{
    if (m_failed || bytes.isEmpty())
        return;
    if (m_offset > 0) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer.append(bytes);
}

LineSplitter::Status LineSplitter::fail()
{
    m_failed = true;
    m_buffer.clear();
    m_offset = 0;
    m_scanned = 0;
    return Status::TooLong;
}

LineSplitter::Status LineSplitter::next(QString *line)
{
    if (m_failed)
        return Status::TooLong;
    const qsizetype newline = m_buffer.indexOf('\n', m_offset + m_scanned);
    if (newline < 0) {
        m_scanned = m_buffer.size() - m_offset;
        // One byte more than a line, for the "\r" that may still come before its "\n".
        if (m_scanned > qsizetype(m_max) + 1)
            return fail();
        return Status::NeedMore;
    }
    qsizetype end = newline;
    if (end > m_offset && m_buffer.at(end - 1) == '\r')
        --end;
    if (end - m_offset > m_max)
        return fail();
    *line = QString::fromUtf8(m_buffer.constData() + m_offset, end - m_offset);
    m_offset = newline + 1;
    m_scanned = 0;
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    return Status::Line;
}

QString LineSplitter::takeRest()
{
    if (m_failed || m_offset >= m_buffer.size())
        return {};
    const QString rest = QString::fromUtf8(m_buffer.constData() + m_offset, qMin<qsizetype>(m_max, m_buffer.size() - m_offset));
    m_buffer.clear();
    m_offset = 0;
    m_scanned = 0;
    return rest;
}

} // namespace Confab
