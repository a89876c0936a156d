// Terminal helpers for confab-cli.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Confab {

// A question on the controlling terminal answered while the event loop runs (the session's
// connections and timers keep going): the prompt is written to /dev/tty, and the answer read
// from it when a QSocketNotifier says a read will not block.
class TerminalQuestion : public QObject
{
    Q_OBJECT
public:
    explicit TerminalQuestion(QObject *parent = nullptr);
    ~TerminalQuestion() override;
    // False (and nothing asked) when there is no controlling terminal.
    bool ask(const QString &prompt);

signals:
    void answered(const QString &line);
    void cancelled(); // end of input before a line

private:
    void onReadable();
    void finish();

    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
    QByteArray m_line;
};

// Asks on the controlling terminal (also when stdin is a pipe), without echo when asked.
// Returns false without a terminal or when the user ends the input (Ctrl-D) without a line.
bool promptOnTerminal(const QString &prompt, bool echo, QString *answer);
// Message text on one line, with control characters made harmless: a peer cannot send
// terminal escape sequences.
QString printable(const QString &text);
void writeStdout(const QString &line);
void writeStderr(const QString &text);

} // namespace Confab
