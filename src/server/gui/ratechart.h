// A small live chart of one rate (messages per second) over the last minute, painted with
// QPainter: one sample per second, newest on the right, the scale rounded to a readable step.
#pragma once

#include <QWidget>

#include <deque>

namespace Confab {

class RateChart : public QWidget
{
    Q_OBJECT
public:
    static constexpr int SpanSeconds = 60;

    explicit RateChart(QWidget *parent = nullptr);

    void addSample(double perSecond);
    void clear();
    QList<double> samples() const;
    double current() const;
    double peak() const;
    // "messages / s": shown in the top-left corner.
    void setUnit(const QString &unit);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    // The top of the scale: the peak rounded up to 1, 2 or 5 × 10^n (at least 1).
    double scaleTop() const;

    std::deque<double> m_samples; // oldest first, at most SpanSeconds + 1
    QString m_unit;
};

} // namespace Confab
