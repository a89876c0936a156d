#include "ratechart.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>
#include <QtMath>

namespace Confab {

RateChart::RateChart(QWidget *parent)
    : QWidget(parent)
    , m_unit(tr("messages / s"))
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setAccessibleName(tr("Messages per second, last minute"));
}

void RateChart::addSample(double perSecond)
{
    m_samples.push_back(qMax(0.0, perSecond));
    while (int(m_samples.size()) > SpanSeconds + 1)
        m_samples.pop_front();
    setToolTip(tr("Now %1, peak %2 in the last minute").arg(current(), 0, 'f', 1).arg(peak(), 0, 'f', 1));
    update();
}

void RateChart::clear()
{
    m_samples.clear();
    update();
}

QList<double> RateChart::samples() const
{
    return QList<double>(m_samples.cbegin(), m_samples.cend());
}

double RateChart::current() const
{
    return m_samples.empty() ? 0.0 : m_samples.back();
}

double RateChart::peak() const
{
    double top = 0.0;
    for (double v : m_samples)
        top = qMax(top, v);
    return top;
}

void RateChart::setUnit(const QString &unit)
{
    m_unit = unit;
    update();
}

QSize RateChart::sizeHint() const
{
    return {480, 180};
}

QSize RateChart::minimumSizeHint() const
{
    return {240, 120};
}

double RateChart::scaleTop() const
{
    const double top = peak();
    if (top <= 1.0)
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(top)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (top <= step * magnitude)
            return step * magnitude;
    }
    return 10.0 * magnitude;
}

void RateChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    painter.fillRect(rect(), pal.base());

    const QFontMetrics fm = fontMetrics();
    const double top = scaleTop();
    int labelWidth = 0;
    for (int i = 0; i <= 4; ++i)
        labelWidth = qMax(labelWidth, fm.horizontalAdvance(QLocale().toString(top * i / 4.0, 'g', 4)));
    const int left = labelWidth + 10;
    const QRectF plot(left, fm.height() + 8, width() - left - 10, height() - 2 * fm.height() - 16);
    if (plot.width() < 10 || plot.height() < 10)
        return;

    // Grid: four horizontal bands, labelled on the left; time marks every 15 s.
    QColor gridColor = pal.color(QPalette::Text);
    gridColor.setAlpha(40);
    painter.setPen(QPen(gridColor, 1));
    for (int i = 0; i <= 4; ++i) {
        const double y = plot.bottom() - plot.height() * i / 4.0;
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
    }
    for (int s = 0; s <= SpanSeconds; s += 15) {
        const double x = plot.left() + plot.width() * s / SpanSeconds;
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    }
    painter.setPen(pal.color(QPalette::PlaceholderText));
    for (int i = 0; i <= 4; ++i) {
        const double y = plot.bottom() - plot.height() * i / 4.0;
        painter.drawText(QRectF(0, y - fm.height() / 2.0, left - 5, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                         QLocale().toString(top * i / 4.0, 'g', 4));
    }
    const double labelY = plot.bottom() + 4;
    painter.drawText(QRectF(plot.left(), labelY, plot.width(), fm.height()), Qt::AlignLeft | Qt::AlignTop,
                     tr("%1 s ago").arg(SpanSeconds));
    painter.drawText(QRectF(plot.left(), labelY, plot.width(), fm.height()), Qt::AlignHCenter | Qt::AlignTop,
                     tr("%1 s ago").arg(SpanSeconds / 2));
    painter.drawText(QRectF(plot.left(), labelY, plot.width(), fm.height()), Qt::AlignRight | Qt::AlignTop, tr("now"));

    // Caption: unit, current value and peak.
    painter.setPen(pal.color(QPalette::Text));
    painter.drawText(QRectF(plot.left(), 2, plot.width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter, m_unit);
    painter.drawText(QRectF(plot.left(), 2, plot.width(), fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                     tr("now %1 · peak %2").arg(current(), 0, 'f', 1).arg(peak(), 0, 'f', 1));

    if (m_samples.size() < 2)
        return;
    // Newest sample on the right edge, one second per step.
    const int n = int(m_samples.size());
    auto pointAt = [&](int i) {
        const double secondsAgo = n - 1 - i;
        const double x = plot.right() - plot.width() * secondsAgo / SpanSeconds;
        const double y = plot.bottom() - plot.height() * (m_samples[size_t(i)] / top);
        return QPointF(x, y);
    };
    QPainterPath line;
    line.moveTo(pointAt(0));
    for (int i = 1; i < n; ++i)
        line.lineTo(pointAt(i));
    QPainterPath area = line;
    area.lineTo(QPointF(pointAt(n - 1).x(), plot.bottom()));
    area.lineTo(QPointF(pointAt(0).x(), plot.bottom()));
    area.closeSubpath();
    QColor fill = pal.color(QPalette::Highlight);
    fill.setAlpha(60);
    painter.fillPath(area, fill);
    painter.setPen(QPen(pal.color(QPalette::Highlight), 2));
    painter.drawPath(line);
}

} // namespace Confab
