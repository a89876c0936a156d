// The messages of one conversation (the lobby, one DM partner, later one room), oldest first.
//
// Rows are only ever appended (or all cleared), so a row number stays valid for the model's life
// and the request id → row index is a plain hash. Own messages start as Sending and become
// Delivered(count) or Failed(reason) when the server answers (ClientSession::delivered /
// requestFailed); each change is one dataChanged on that row. The storage is a flat vector of
// small structs: 100,000 rows cost a few tens of MB and every operation is O(1).
#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QHash>
#include <QVector>

namespace Confab {

class ConversationModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum class DeliveryState {
        Received,  // someone else's message
        Sending,   // own, waiting for the server
        Delivered, // own, the server relayed it (DeliveredCountRole says to how many)
        Failed,    // own, refused or lost (FailureReasonRole says why)
        Sent,      // own, written to a direct (peer-to-peer) chat, where nobody confirms delivery
    };
    Q_ENUM(DeliveryState)

    enum Role {
        SenderRole = Qt::UserRole + 1, // QString
        TextRole,                      // QString (also Qt::DisplayRole)
        TimestampRole,                 // QDateTime: the server's time once known, else the local one
        IsOwnRole,                     // bool
        DeliveryStateRole,             // DeliveryState
        DeliveredCountRole,            // int, recipients once Delivered
        FailureReasonRole,             // QString, once Failed
        RequestIdRole,                 // quint64, own messages only
    };
    Q_ENUM(Role)

    struct Entry {
        QString sender;
        QString text;
        QDateTime timestamp;
        bool own = false;
        DeliveryState state = DeliveryState::Received;
        int deliveredCount = 0;
        QString failureReason;
        quint64 requestId = 0;
    };

    explicit ConversationModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const Entry &entry(int row) const { return m_entries.at(row); }

    // Someone else's message; returns its row.
    int appendReceived(const QString &sender, const QString &text, const QDateTime &timestamp);
    // An own message just handed to the session under requestId (non-zero); it shows as Sending.
    int appendOwn(quint64 requestId, const QString &sender, const QString &text,
                  const QDateTime &timestamp = QDateTime::currentDateTime());
    // An own message written to a direct chat; it shows as Sent.
    int appendSent(const QString &sender, const QString &text,
                   const QDateTime &timestamp = QDateTime::currentDateTime());
    // Appends many rows with one insert (history, tests).
    void appendEntries(const QVector<Entry> &entries);

    // The server confirmed the request; timestamp (if valid) replaces the local one.
    // Returns false when no Sending row has that id.
    bool markDelivered(quint64 requestId, int count, const QDateTime &timestamp = QDateTime());
    bool markFailed(quint64 requestId, const QString &reason);

    // The row of the own message with this id while it is Sending, or -1.
    int rowForRequest(quint64 requestId) const { return m_rowByRequest.value(requestId, -1); }
    int sendingCount() const { return int(m_rowByRequest.size()); }

    void clear();

private:
    int appendOne(const QString &sender, const QString &text, const QDateTime &timestamp, DeliveryState state,
                  quint64 requestId);
    bool finish(quint64 requestId, DeliveryState state, int count, const QString &reason,
                const QDateTime &timestamp);

    QVector<Entry> m_entries;
    QHash<quint64, int> m_rowByRequest; // Sending rows only
};

} // namespace Confab
