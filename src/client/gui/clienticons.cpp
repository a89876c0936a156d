#include "clienticons.h"

#include <QGuiApplication>
#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>

void confabInitClientResources()
{
    Q_INIT_RESOURCE(confab_client);
}

namespace Confab::ClientIcons {

namespace {

constexpr int Size = 32; // drawn large, scaled down crisply by QIcon

template<typename Draw>
QIcon drawn(const QString &key, Draw draw)
{
    static QHash<QString, QIcon> cache;
    const auto it = cache.constFind(key);
    if (it != cache.cend())
        return *it;
    QPixmap pixmap(Size, Size);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    draw(painter);
    painter.end();
    const QIcon icon(pixmap);
    cache.insert(key, icon);
    return icon;
}

QColor accent()
{
    return QColor(0x2f, 0x80, 0xc8);
}

} // namespace

QIcon application()
{
    return QIcon(QStringLiteral(":/icons/confab.svg"));
}

QIcon online(bool self)
{
    return drawn(self ? QStringLiteral("self") : QStringLiteral("online"), [self](QPainter &p) {
        p.setPen(Qt::NoPen);
        if (self) {
            p.setBrush(accent());
            p.drawEllipse(QRectF(6, 6, 20, 20));
        }
        p.setBrush(QColor(0x3c, 0xb3, 0x71));
        p.drawEllipse(QRectF(10, 10, 12, 12));
    });
}

QIcon lobby()
{
    return drawn(QStringLiteral("lobby"), [](QPainter &p) {
        QPainterPath bubble;
        bubble.addRoundedRect(QRectF(3, 5, 26, 17), 5, 5);
        bubble.moveTo(9, 21);
        bubble.lineTo(7, 28);
        bubble.lineTo(15, 21);
        p.setPen(Qt::NoPen);
        p.setBrush(accent());
        p.drawPath(bubble.simplified());
        p.setBrush(Qt::white);
        for (int i = 0; i < 3; ++i)
            p.drawEllipse(QPointF(10 + 6 * i, 13.5), 2, 2);
    });
}

QIcon room(bool joined, bool onHighlight)
{
    const QString key = QStringLiteral("room-%1-%2").arg(joined).arg(onHighlight);
    return drawn(key, [joined, onHighlight](QPainter &p) {
        const QColor color = onHighlight ? QColor(Qt::white) : joined ? accent() : QColor(0x90, 0x98, 0xa0);
        QPen pen(color, 3.2, Qt::SolidLine, Qt::RoundCap);
        p.setPen(pen);
        p.drawLine(QPointF(12, 5), QPointF(9, 27));
        p.drawLine(QPointF(22, 5), QPointF(19, 27));
        p.drawLine(QPointF(5, 12), QPointF(27, 12));
        p.drawLine(QPointF(4, 20), QPointF(26, 20));
    });
}

QIcon dm()
{
    return drawn(QStringLiteral("dm"), [](QPainter &p) {
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x7b, 0x5c, 0xc4));
        p.drawEllipse(QRectF(10, 3, 12, 12));
        QPainterPath body;
        body.moveTo(4, 29);
        body.cubicTo(4, 17, 28, 17, 28, 29);
        body.closeSubpath();
        p.drawPath(body);
    });
}

QIcon peer()
{
    // Two ends joined by one line: a chat that goes straight from one computer to the other.
    return drawn(QStringLiteral("peer"), [](QPainter &p) {
        const QColor teal(0x00, 0x89, 0x7b);
        p.setPen(QPen(teal, 3.5, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(QPointF(9, 16), QPointF(23, 16));
        p.setPen(Qt::NoPen);
        p.setBrush(teal);
        p.drawEllipse(QRectF(1, 9, 14, 14));
        p.drawEllipse(QRectF(17, 9, 14, 14));
        p.setBrush(Qt::white);
        p.drawEllipse(QRectF(5.5, 13.5, 5, 5));
        p.drawEllipse(QRectF(21.5, 13.5, 5, 5));
    });
}

} // namespace Confab::ClientIcons
