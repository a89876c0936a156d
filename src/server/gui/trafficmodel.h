// A live log of the frames the server sends and receives: time, direction, peer, user, transport,
// message type and size. Fed by ChatServer's traffic tap, which carries no payload, so no
// password or message text can reach it. Bounded: beyond capacity() the oldest rows are dropped,
// so a busy server cannot make it grow without limit. Frames are added in batches (every 100 ms)
// with one insert and at most one remove, so a flood does not flood the views.
#pragma once

#include "chatserver.h"

#include <QAbstractTableModel>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <vector>

namespace Confab {

class TrafficModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, DirectionColumn, PeerColumn, UserColumn, TransportColumn, TypeColumn, SizeColumn, ColumnCount };
    enum Role {
        TypeRole = Qt::UserRole + 1, // int, the MessageType number
        UserNameRole,                // empty before login
        TransportRole,               // "tcp", "udp"
        DirectionRole,               // int, TrafficEvent::Direction
        BytesRole,                   // int
        SortRole,
    };
    static constexpr int DefaultCapacity = 50000;

    // With a server, turns its traffic tap on while recording; without one, rows come from append().
    explicit TrafficModel(ChatServer *server, QObject *parent = nullptr);
    ~TrafficModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    int capacity() const { return m_capacity; }
    void setCapacity(int rows);
    // Recording on: the server's tap is on and frames are logged. Off: the tap is off (a busy
    // server pays nothing for it) and nothing is logged.
    bool isRecording() const { return m_recording; }
    void setRecording(bool recording);
    // Frames logged since the start or the last clear(), including those dropped for capacity.
    quint64 totalLogged() const { return m_totalLogged; }

    void append(const TrafficEvent &event);
    // Adds the frames waiting for the next batch now.
    void flush();
    void clear();

signals:
    void recordingChanged(bool recording);
    void totalLoggedChanged(quint64 total);

private:
    void dropOldest(int count);

    QPointer<ChatServer> m_server;
    std::deque<TrafficEvent> m_rows;
    std::vector<TrafficEvent> m_pending;
    QTimer m_batch;
    int m_capacity = DefaultCapacity;
    bool m_recording = false;
    quint64 m_totalLogged = 0;
};

} // namespace Confab
