#include "adminformat.h"

#include <QCoreApplication>
#include <QLocale>

namespace Confab::AdminFormat {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("Confab::AdminFormat", text);
}
} // namespace

QString when(const QDateTime &time)
{
    if (!time.isValid())
        return QStringLiteral("—");
    const QDateTime local = time.toLocalTime();
    if (local.date() == QDate::currentDate())
        return local.toString(QStringLiteral("HH:mm:ss"));
    return local.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString fullWhen(const QDateTime &time)
{
    if (!time.isValid())
        return tr("never");
    return QLocale().toString(time.toLocalTime(), QLocale::LongFormat);
}

QString clockTime(qint64 msSinceEpoch)
{
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch).toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString bytes(quint64 count)
{
    return QLocale().formattedDataSize(qint64(count), 1, QLocale::DataSizeTraditionalFormat);
}

QString number(quint64 count)
{
    return QLocale().toString(count);
}

QString duration(qint64 ms)
{
    const qint64 totalSeconds = qMax<qint64>(0, ms / 1000);
    const qint64 days = totalSeconds / 86400;
    const int hours = int(totalSeconds / 3600 % 24);
    const int minutes = int(totalSeconds / 60 % 60);
    const int seconds = int(totalSeconds % 60);
    const QString clock = QStringLiteral("%1:%2:%3")
                              .arg(hours, 2, 10, QLatin1Char('0'))
                              .arg(minutes, 2, 10, QLatin1Char('0'))
                              .arg(seconds, 2, 10, QLatin1Char('0'));
    if (days > 0)
        return tr("%1 d %2").arg(days).arg(clock);
    return clock;
}

QString roughDuration(qint64 ms)
{
    const qint64 s = qMax<qint64>(0, (ms + 999) / 1000);
    if (s < 120)
        return tr("%1 s").arg(s);
    const qint64 m = s / 60;
    if (m < 60)
        return tr("%1 min").arg(m);
    const qint64 h = m / 60;
    if (h < 48)
        return tr("%1 h %2 min").arg(h).arg(m % 60);
    return tr("%1 d %2 h").arg(h / 24).arg(h % 24);
}

QString endpoint(const QHostAddress &address, quint16 port)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QStringLiteral("[%1]:%2").arg(address.toString()).arg(port);
    return QStringLiteral("%1:%2").arg(address.toString()).arg(port);
}

QString clipUtf8(const QString &text, int maxBytes)
{
    if (text.toUtf8().size() <= maxBytes)
        return text;
    QString clipped;
    int bytes = 0;
    for (qsizetype i = 0; i < text.size();) {
        // One code point at a time, surrogate pairs kept whole.
        const qsizetype length = text.at(i).isHighSurrogate() && i + 1 < text.size() ? 2 : 1;
        const QString point = text.mid(i, length);
        bytes += int(point.toUtf8().size());
        if (bytes > maxBytes)
            break;
        clipped += point;
        i += length;
    }
    return clipped;
}

} // namespace Confab::AdminFormat
