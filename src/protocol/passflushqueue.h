// One list per thread of objects with output waiting, flushed once control is back in the event
// loop: one queued call per pass, not one per write or per object (docs/PERFORMANCE.md). Used by
// NativeTcpConnection (frames to a TCP peer) and UdpChannelDriver (payloads to a UDP channel).
//
// T calls add() once when it first has output (and remembers that it did), remove() if it goes
// away before the pass, and acquire()/release() for its lifetime: the queue is shared by the
// thread's objects and deleted with the last of them. At the pass, each listed object's
// flushFromQueue() runs (it must forget that it is listed, then write); it must not delete
// other objects of the batch.
#pragma once

#include <QObject>

#include <algorithm>
#include <vector>

namespace Confab {

template<typename T>
class PassFlushQueue : public QObject
{
public:
    static PassFlushQueue *acquire()
    {
        if (!t_current)
            t_current = new PassFlushQueue;
        ++t_current->m_users;
        return t_current;
    }
    void release()
    {
        if (--m_users == 0) {
            if (t_current == this)
                t_current = nullptr;
            delete this;
        }
    }
    // This thread's queue, if any object of T lives here.
    static PassFlushQueue *current() { return t_current; }

    void add(T *item)
    {
        m_pending.push_back(item);
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, [this] { flush(); }, Qt::QueuedConnection);
        }
    }
    void remove(T *item) { m_pending.erase(std::remove(m_pending.begin(), m_pending.end(), item), m_pending.end()); }
    void flush()
    {
        m_scheduled = false;
        std::vector<T *> batch;
        batch.swap(m_pending);
        for (T *item : batch)
            item->flushFromQueue();
        if (m_pending.empty() && m_pending.capacity() < batch.capacity()) {
            batch.clear();
            m_pending.swap(batch); // keep the capacity for the next pass
        }
    }

private:
    static inline thread_local PassFlushQueue *t_current = nullptr;
    std::vector<T *> m_pending;
    int m_users = 0;
    bool m_scheduled = false;
};

} // namespace Confab
