#include "messagedelegate.h"

#include "conversationmodel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QHelpEvent>
#include <QLocale>
#include <QPainter>
#include <QTextLayout>
#include <QToolTip>
#include <QtMath>

namespace Confab {

namespace {

constexpr int HMargin = 8;
constexpr int VMargin = 4;
constexpr int HeaderGap = 2;
constexpr int ColumnGap = 8;

using State = ConversationModel::DeliveryState;

QString displayable(QString text)
{
    // QTextLayout breaks lines at U+2028 only; a peer's "\n" and "\r\n" become that.
    text.replace(QLatin1String("\r\n"), QString(QChar::LineSeparator));
    text.replace(u'\n', QChar::LineSeparator);
    text.replace(u'\r', QChar::LineSeparator);
    text.replace(u'\t', u' ');
    return text;
}

int noticeTimeColumn(const QFont &font)
{
    const QFontMetrics fm(font);
    return fm.horizontalAdvance(QLocale().toString(QTime(23, 59), QLocale::ShortFormat)) + ColumnGap;
}

QColor mutedColor(const QPalette &palette)
{
    return palette.color(QPalette::PlaceholderText);
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

} // namespace

MessageDelegate::MessageDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

void MessageDelegate::setContentWidth(int width)
{
    m_width = qMax(64, width);
}

void MessageDelegate::invalidateAll()
{
    m_metrics.clear();
}

void MessageDelegate::invalidateRows(int first, int last)
{
    for (int row = qMax(0, first); row <= last && row < m_metrics.size(); ++row)
        m_metrics[row] = Metrics();
}

void MessageDelegate::rowsAppended(int first, int last)
{
    Q_UNUSED(first)
    if (m_metrics.size() < last + 1)
        m_metrics.reserve(last + 1);
}

bool MessageDelegate::isNotice(const QModelIndex &index) const
{
    return index.data(ConversationModel::SenderRole).toString().isEmpty();
}

int MessageDelegate::textWidth() const
{
    return m_width - 2 * HMargin;
}

void MessageDelegate::layoutText(QTextLayout &layout, int width) const
{
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.setCacheEnabled(true);
    layout.beginLayout();
    qreal y = 0;
    for (;;) {
        QTextLine line = layout.createLine();
        if (!line.isValid())
            break;
        line.setLineWidth(width);
        line.setPosition(QPointF(0, y));
        y += line.height();
    }
    layout.endLayout();
}

int MessageDelegate::textHeight(const QString &text, const QFont &font, int width) const
{
    QTextLayout layout(displayable(text), font);
    layoutText(layout, width);
    return qCeil(layout.boundingRect().height());
}

const MessageDelegate::FontSizes &MessageDelegate::fontSizes(const QFont &font) const
{
    if (m_fontSizes.line > 0 && m_fontSizes.font == font)
        return m_fontSizes;
    QFont italic = font;
    italic.setItalic(true);
    QFont bold = font;
    bold.setBold(true);
    const QFontMetricsF metrics(font);
    const QFontMetricsF italicMetrics(italic);
    m_fontSizes.font = font;
    m_fontSizes.line = qCeil(metrics.height());
    m_fontSizes.noticeLine = qCeil(italicMetrics.height());
    m_fontSizes.header = qCeil(QFontMetricsF(bold).height()) + HeaderGap;
    m_fontSizes.noticeColumn = noticeTimeColumn(font);
    m_fontSizes.averageChar = qMax<qreal>(1, metrics.averageCharWidth());
    m_fontSizes.noticeAverageChar = qMax<qreal>(1, italicMetrics.averageCharWidth());
    return m_fontSizes;
}

int MessageDelegate::rowHeight(const QModelIndex &index, const QFont &font, Precision precision) const
{
    const int row = index.row();
    if (m_metrics.size() <= row)
        m_metrics.resize(row + 1);
    Metrics &m = m_metrics[row];
    if (m.viewWidth == m_width && (m.exact || precision == Precision::Estimate))
        return m.height;

    const FontSizes &sizes = fontSizes(font);
    const bool notice = isNotice(index);
    const int available = qMax(16, notice ? textWidth() - sizes.noticeColumn : textWidth());
    const int oneLine = notice ? sizes.noticeLine : sizes.line;
    const QString text = index.data(ConversationModel::TextRole).toString();

    int body = oneLine;
    if (precision == Precision::Exact) {
        QFont textFont = font;
        textFont.setItalic(notice);
        const bool hasBreaks = text.contains(u'\n') || text.contains(u'\r');
        if (hasBreaks || QFontMetricsF(textFont).horizontalAdvance(text) > available)
            body = qMax(oneLine, textHeight(text, textFont, available));
    } else {
        // Each paragraph takes its length in average characters, wrapped; paint() corrects it.
        const qreal perLine = qMax<qreal>(1, available / (notice ? sizes.noticeAverageChar : sizes.averageChar));
        int lines = 0;
        for (const QStringView paragraph : QStringView(text).split(u'\n'))
            lines += qMax(1, qCeil(paragraph.size() / perLine));
        body = lines * oneLine;
    }
    const int height = 2 * VMargin + body + (notice ? 0 : sizes.header);
    m.viewWidth = m_width;
    m.height = height;
    m.exact = precision == Precision::Exact;
    return height;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (!index.isValid())
        return {};
    return QSize(m_width, rowHeight(index, option.font, Precision::Estimate));
}

QString MessageDelegate::timeText(const QDateTime &time)
{
    const QDateTime local = time.toLocalTime();
    const QLocale locale;
    if (local.date() == QDate::currentDate())
        return locale.toString(local.time(), QLocale::ShortFormat);
    return locale.toString(local, QLocale::ShortFormat);
}

QColor MessageDelegate::senderColor(const QString &name, const QPalette &palette)
{
    // A hue per name, the same in every run (FNV-1a; qHash is seeded per process); lightness
    // chosen to read well on the view's background.
    quint32 hash = 2166136261u;
    for (const QChar c : name.toLower()) {
        hash ^= c.unicode();
        hash *= 16777619u;
    }
    const int hue = int(hash % 360u);
    return isDark(palette) ? QColor::fromHsl(hue, 170, 170) : QColor::fromHsl(hue, 200, 80);
}

QString MessageDelegate::deliveryText(const QModelIndex &index) const
{
    if (!index.data(ConversationModel::IsOwnRole).toBool())
        return {};
    switch (index.data(ConversationModel::DeliveryStateRole).value<State>()) {
    case State::Received:
        return {};
    case State::Sending:
        return tr("Sending…");
    case State::Delivered: {
        const int count = index.data(ConversationModel::DeliveredCountRole).toInt();
        if (m_kind == ConversationKind::Dm)
            return tr("✓ Delivered");
        if (count == 0)
            return tr("✓ Sent — no one else is here");
        return tr("✓ Delivered to %n", nullptr, count);
    }
    case State::Failed:
        return tr("✗ Not sent: %1").arg(index.data(ConversationModel::FailureReasonRole).toString());
    case State::Sent:
        return tr("Sent directly"); // no server to confirm it, so no tick
    }
    return {};
}

void MessageDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // The row is on screen: make its height exact, and have the view move the rows below if the
    // estimate it was laid out with was wrong. Once exact the cached height no longer changes, so
    // this settles after one more layout.
    const int row = index.row();
    const bool wasExact = row < m_metrics.size() && m_metrics.at(row).viewWidth == m_width && m_metrics.at(row).exact;
    if (!wasExact && rowHeight(index, option.font, Precision::Exact) != option.rect.height())
        emit const_cast<MessageDelegate *>(this)->sizeHintChanged(index);

    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);

    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &palette = option.palette;
    const QColor textColor = palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    const QColor muted = selected ? textColor : mutedColor(palette);
    const QRect rect = option.rect.adjusted(HMargin, VMargin, -HMargin, -VMargin);
    const QString text = displayable(index.data(ConversationModel::TextRole).toString());
    const QString time = timeText(index.data(ConversationModel::TimestampRole).toDateTime());

    painter->save();
    painter->setClipRect(option.rect);
    if (isNotice(index)) {
        const int column = noticeTimeColumn(option.font);
        painter->setFont(option.font);
        painter->setPen(muted);
        painter->drawText(QRect(rect.left(), rect.top(), column, rect.height()), Qt::AlignLeft | Qt::AlignTop, time);
        QFont italic = option.font;
        italic.setItalic(true);
        QTextLayout layout(text, italic);
        layoutText(layout, rect.width() - column);
        layout.draw(painter, QPointF(rect.left() + column, rect.top()));
        painter->restore();
        return;
    }

    // Header: sender, time, delivery state (right-aligned, elided).
    QFont bold = option.font;
    bold.setBold(true);
    const QFontMetrics boldMetrics(bold);
    const QFontMetrics metrics(option.font);
    const int headerHeight = qCeil(QFontMetricsF(bold).height());
    const QString sender = index.data(ConversationModel::SenderRole).toString();
    int x = rect.left();
    const int senderWidth = qMin(qCeil(QFontMetricsF(bold).horizontalAdvance(sender)) + 1, rect.width() / 2);
    painter->setFont(bold);
    painter->setPen(selected ? textColor : senderColor(sender, palette));
    painter->drawText(QRect(x, rect.top(), senderWidth, headerHeight), Qt::AlignLeft | Qt::AlignVCenter,
                      boldMetrics.elidedText(sender, Qt::ElideRight, senderWidth));
    x += senderWidth + ColumnGap;
    painter->setFont(option.font);
    painter->setPen(muted);
    const int timeWidth = metrics.horizontalAdvance(time);
    painter->drawText(QRect(x, rect.top(), timeWidth, headerHeight), Qt::AlignLeft | Qt::AlignVCenter, time);
    x += timeWidth + 2 * ColumnGap;

    const QString delivery = deliveryText(index);
    if (!delivery.isEmpty() && rect.right() > x) {
        const auto state = index.data(ConversationModel::DeliveryStateRole).value<State>();
        QColor color = muted;
        if (!selected && state == State::Delivered)
            color = isDark(palette) ? QColor(0x81, 0xc7, 0x84) : QColor(0x2e, 0x7d, 0x32);
        else if (!selected && state == State::Failed)
            color = isDark(palette) ? QColor(0xef, 0x9a, 0x9a) : QColor(0xc6, 0x28, 0x28);
        painter->setPen(color);
        const int width = rect.right() - x;
        painter->drawText(QRect(x, rect.top(), width, headerHeight), Qt::AlignRight | Qt::AlignVCenter,
                          metrics.elidedText(delivery, Qt::ElideRight, width));
    }

    // The text, as plain text.
    painter->setPen(textColor);
    QTextLayout layout(text, option.font);
    layoutText(layout, rect.width());
    layout.draw(painter, QPointF(rect.left(), rect.top() + headerHeight + HeaderGap));
    painter->restore();
}

bool MessageDelegate::helpEvent(QHelpEvent *event, QAbstractItemView *view, const QStyleOptionViewItem &option,
                                const QModelIndex &index)
{
    if (!event || !view || event->type() != QEvent::ToolTip || !index.isValid())
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    const QDateTime time = index.data(ConversationModel::TimestampRole).toDateTime().toLocalTime();
    QStringList lines;
    const QString sender = index.data(ConversationModel::SenderRole).toString();
    if (!sender.isEmpty())
        lines << sender;
    lines << QLocale().toString(time, QLocale::LongFormat);
    const QString delivery = deliveryText(index);
    if (!delivery.isEmpty())
        lines << delivery;
    // Escaped: a tooltip would otherwise guess at rich text.
    QToolTip::showText(event->globalPos(),
                       QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(lines.join(u'\n').toHtmlEscaped()),
                       view, option.rect);
    return true;
}

} // namespace Confab
