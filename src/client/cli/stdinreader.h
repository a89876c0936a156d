// Reads standard input line by line without ever blocking the event loop: a QSocketNotifier says
// when a read will not block (terminals, pipes and files alike).
#pragma once

#include <QByteArray>
#include <QObject>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Confab {

class StdinReader : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxLineBytes = 1024 * 1024; // a longer "line" is cut here

    explicit StdinReader(QObject *parent = nullptr);
    void start();
    void stop();
    bool isAtEnd() const { return m_atEnd; }

signals:
    void lineRead(const QString &line);
    void finished(); // end of input

private:
    void onReadable();

    QSocketNotifier *m_notifier = nullptr;
    QByteArray m_buffer;
    bool m_atEnd = false;
};

} // namespace Confab
