// confab-cli --direct HOST:PORT --listen MYPORT: a chat with one peer and no server (seeds 000
// and 001). Each stdin line goes to the peer; each line from the peer is printed with the time.
// ":q" or the end of input ends the chat; the peer leaving ends it too.
#pragma once

#include "directchat.h"
#include "stdinreader.h"

#include <QObject>

namespace Confab {

struct DirectOptions {
    QString peerHost;
    quint16 peerPort = 0;   // 0: only listen
    quint16 listenPort = 0; // 0 with a peer: only connect
};

class DirectRunner : public QObject
{
    Q_OBJECT
public:
    // True when the arguments ask for direct mode (--direct or --listen).
    static bool wantsDirectMode(const QStringList &arguments);
    // Parses them; on false, *exitCode says how to end (help printed, or a usage error).
    static bool parseArguments(const QStringList &arguments, DirectOptions *options, int *exitCode);

    explicit DirectRunner(DirectOptions options, QObject *parent = nullptr);
    void start();

signals:
    void finished(int exitCode);

private:
    void print(const QString &text);
    void onLine(const QString &line);
    void end(int exitCode);

    DirectOptions m_options;
    DirectChat m_chat;
    StdinReader m_input;
    QString m_peer;
    bool m_ended = false;
};

} // namespace Confab
