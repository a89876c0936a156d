// Turns POSIX signals (SIGINT/SIGTERM: shut down; SIGHUP: reload the TLS certificate) into a Qt signal (self-pipe trick), so shutdown runs on the event loop.
#pragma once

#include <QObject>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

    // Starts watching the given POSIX signal numbers.
    void watch(std::initializer_list<int> signalNumbers);

signals:
    void unixSignal(int signalNumber);

private:
    static void handler(int signalNumber);
    void onReadable();

    QSocketNotifier *m_notifier = nullptr;
};
