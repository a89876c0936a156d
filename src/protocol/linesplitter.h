// The receiving side of the direct-chat line protocol (docs/PROTOCOL.md §9): bytes in, lines out.
// A line ends with "\n"; a "\r" before it is dropped; text is UTF-8 (invalid bytes become
// replacement characters). A line may hold at most maxLineBytes bytes: a longer one, or that many
// bytes without a newline, is an error, and the splitter stays in error (the stream is to be
// closed). It never holds more than maxLineBytes + 1 bytes of an unfinished line plus what one
// append() brought, and it scans each byte for a newline once, however the stream is cut.
#pragma once

#include <QByteArray>
#include <QString>

namespace Confab {

class LineSplitter
{
public:
    enum class Status { Line, NeedMore, TooLong };

    explicit LineSplitter(int maxLineBytes);

    void append(const QByteArray &bytes);
    // Takes the next complete line out of the buffer.
    Status next(QString *line);
    // When the stream has ended: the unfinished last line (at most maxLineBytes bytes), which is
    // then gone; empty if there is none or the splitter is in error.
    QString takeRest();
    bool hasError() const { return m_failed; }
    qsizetype bufferedBytes() const { return m_buffer.size() - m_offset; }
    int maxLineBytes() const { return m_max; }

private:
    Status fail();

    QByteArray m_buffer;
    qsizetype m_offset = 0;   // start of the first line not yet taken
    qsizetype m_scanned = 0;  // bytes from m_offset already known to hold no newline
    int m_max;
    bool m_failed = false;
};

} // namespace Confab
