// How the admin window writes times, sizes and durations, so every tab says them the same way.
#pragma once

#include <QDateTime>
#include <QHostAddress>
#include <QString>

namespace Confab::AdminFormat {

// Local time: "14:03:22" for today, "2024-05-01 14:03" for other days; "—" when invalid.
QString when(const QDateTime &time);
// Local date and time in full, for tool tips.
QString fullWhen(const QDateTime &time);
// "14:03:22.517", local time of a ms-since-epoch stamp (traffic log).
QString clockTime(qint64 msSinceEpoch);
// "1.5 MiB"
QString bytes(quint64 count);
// "12,345"
QString number(quint64 count);
// "3 d 04:05:06", "04:05:06", "05:06"
QString duration(qint64 ms);
// "58 min", "3 h 12 min", "2 d 4 h", "45 s"
QString roughDuration(qint64 ms);
// "127.0.0.1:50412", "[::1]:50412"
QString endpoint(const QHostAddress &address, quint16 port);
// The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut between characters
// (reasons the protocol bounds in bytes, typed in a field bounded in characters).
QString clipUtf8(const QString &text, int maxBytes);

} // namespace Confab::AdminFormat
