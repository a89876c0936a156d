// Terminal input and output for confab-cli: prompts without echo, and printing peer text safely.
#include "terminal.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace Confab {

namespace {
// --- Reading a line from the terminal, optionally without echo -----------------------------

// Restores the terminal if the user interrupts a password prompt (async-signal-safe).
int g_promptFd = -1;
struct termios g_savedTerminal;

extern "C" void restoreTerminalAndDie(int signal)
{
    if (g_promptFd >= 0)
        tcsetattr(g_promptFd, TCSANOW, &g_savedTerminal);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

// Asks on the controlling terminal (also when stdin is a pipe). Returns false without a terminal
// or when the user ends the input (Ctrl-D) without a line.
} // namespace

bool promptOnTerminal(const QString &prompt, bool echo, QString *answer)
{
    int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    const bool ownFd = fd >= 0;
    if (!ownFd) {
        if (!isatty(STDIN_FILENO))
            return false;
        fd = STDIN_FILENO;
    }
    const int promptFd = ownFd ? fd : STDERR_FILENO;
    const QByteArray promptBytes = prompt.toLocal8Bit();
    [[maybe_unused]] ssize_t written = ::write(promptFd, promptBytes.constData(), size_t(promptBytes.size()));

    bool echoOff = false;
    struct sigaction oldInt = {};
    struct sigaction oldTerm = {};
    if (!echo && tcgetattr(fd, &g_savedTerminal) == 0) {
        struct termios quiet = g_savedTerminal;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        quiet.c_lflag |= ECHONL; // the Enter still moves to the next line
        g_promptFd = fd;
        struct sigaction restore = {};
        restore.sa_handler = restoreTerminalAndDie;
        sigemptyset(&restore.sa_mask);
        sigaction(SIGINT, &restore, &oldInt);
        sigaction(SIGTERM, &restore, &oldTerm);
        echoOff = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }

    QByteArray line;
    bool gotLine = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (c == '\n') {
            gotLine = true;
            break;
        }
        line.append(c);
    }

    if (echoOff)
        tcsetattr(fd, TCSANOW, &g_savedTerminal);
    if (!echo) {
        sigaction(SIGINT, &oldInt, nullptr);
        sigaction(SIGTERM, &oldTerm, nullptr);
        g_promptFd = -1;
    }
    if (ownFd)
        ::close(fd);
    if (line.endsWith('\r'))
        line.chop(1);
    *answer = QString::fromLocal8Bit(line);
    return gotLine || !line.isEmpty();
}

TerminalQuestion::TerminalQuestion(QObject *parent)
    : QObject(parent)
{
}

TerminalQuestion::~TerminalQuestion()
{
    finish();
}

bool TerminalQuestion::ask(const QString &prompt)
{
    finish();
    m_fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (m_fd < 0)
        return false;
    const QByteArray bytes = prompt.toLocal8Bit();
    [[maybe_unused]] ssize_t written = ::write(m_fd, bytes.constData(), size_t(bytes.size()));
    m_line.clear();
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &TerminalQuestion::onReadable);
    return true;
}

void TerminalQuestion::onReadable()
{
    char chunk[256];
    const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        finish();
        emit cancelled();
        return;
    }
    m_line.append(chunk, n);
    const qsizetype newline = m_line.indexOf('\n');
    if (newline < 0) {
        if (m_line.size() > 4096)
            m_line.clear(); // nobody types that much in answer to yes/no
        return;
    }
    QByteArray line = m_line.left(newline);
    if (line.endsWith('\r'))
        line.chop(1);
    finish();
    emit answered(QString::fromLocal8Bit(line));
}

void TerminalQuestion::finish()
{
    delete m_notifier;
    m_notifier = nullptr;
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

// Message text is shown on one line, and a peer cannot send terminal escape sequences.
QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c == u'\n')
            out += QChar(0x21B5); // ↵
        else if (c == u'\t')
            out += u' ';
        else if (c.category() == QChar::Other_Control)
            out += QChar::ReplacementCharacter;
        else
            out += c;
    }
    return out;
}

void writeStdout(const QString &line)
{
    const QByteArray bytes = (line + u'\n').toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void writeStderr(const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    if (!bytes.endsWith('\n'))
        std::fputc('\n', stderr);
    std::fflush(stderr);
}

} // namespace Confab
