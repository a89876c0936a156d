#include "stdinreader.h"

#include <QSocketNotifier>

#include <cerrno>
#include <unistd.h>

namespace Confab {

StdinReader::StdinReader(QObject *parent)
    : QObject(parent)
{
}

void StdinReader::start()
{
    if (m_notifier || m_atEnd)
        return;
    m_notifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &StdinReader::onReadable);
}

void StdinReader::stop()
{
    if (!m_notifier)
        return;
    m_notifier->setEnabled(false);
    m_notifier->deleteLater();
    m_notifier = nullptr;
}

void StdinReader::onReadable()
{
    char chunk[64 * 1024];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        stop();
        m_atEnd = true;
        if (!m_buffer.isEmpty())
            emit lineRead(QString::fromUtf8(std::exchange(m_buffer, {})));
        emit finished();
        return;
    }
    m_buffer.append(chunk, n);
    qsizetype start = 0;
    for (qsizetype newline; (newline = m_buffer.indexOf('\n', start)) >= 0; start = newline + 1) {
        emit lineRead(QString::fromUtf8(m_buffer.constData() + start, newline - start));
        if (!m_notifier)
            return; // a listener stopped us
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > MaxLineBytes)
        emit lineRead(QString::fromUtf8(std::exchange(m_buffer, {})));
}

} // namespace Confab
