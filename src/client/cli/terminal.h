// Terminal helpers for confab-cli.
#pragma once

#include <QString>

namespace Confab {

// Asks on the controlling terminal (also when stdin is a pipe), without echo when asked.
// Returns false without a terminal or when the user ends the input (Ctrl-D) without a line.
bool promptOnTerminal(const QString &prompt, bool echo, QString *answer);
// Message text on one line, with control characters made harmless: a peer cannot send
// terminal escape sequences.
QString printable(const QString &text);
void writeStdout(const QString &line);
void writeStderr(const QString &text);

} // namespace Confab
