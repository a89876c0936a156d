#include "roomitemdelegate.h"

#include "clienticons.h"
#include "roomlistmodel.h"

#include <QApplication>
#include <QPainter>

namespace Confab {

namespace {
constexpr int Margin = 6;
constexpr int IconSize = 16;
}

QSize RoomItemDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return QSize(160, 2 * Margin + 2 * fm.height() + 2);
}

void RoomItemDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    opt.icon = QIcon();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);

    const bool selected = option.state & QStyle::State_Selected;
    const bool joined = index.data(RoomListModel::JoinedRole).toBool();
    const QString name = QStringLiteral("#") + index.data(RoomListModel::NameRole).toString();
    const QString topic = index.data(RoomListModel::TopicRole).toString();
    const int members = index.data(RoomListModel::MemberCountRole).toInt();
    const QColor text = option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    const QColor muted = selected ? text : option.palette.color(QPalette::PlaceholderText);

    const QRect rect = option.rect.adjusted(Margin, Margin, -Margin, -Margin);
    const QFontMetrics fm(option.font);
    const int line = fm.height();

    painter->save();
    ClientIcons::room(joined, selected).paint(painter, QRect(rect.left(), rect.top() + (line - IconSize) / 2, IconSize, IconSize));
    const int left = rect.left() + IconSize + Margin;

    const QString count = members == 1 ? tr("1 member") : tr("%1 members").arg(members);
    const int countWidth = fm.horizontalAdvance(count);
    painter->setFont(option.font);
    painter->setPen(muted);
    painter->drawText(QRect(rect.right() - countWidth, rect.top(), countWidth, line), Qt::AlignRight | Qt::AlignVCenter, count);

    QFont nameFont = option.font;
    nameFont.setBold(joined);
    painter->setFont(nameFont);
    painter->setPen(text);
    const int nameWidth = rect.right() - countWidth - Margin - left;
    painter->drawText(QRect(left, rect.top(), nameWidth, line), Qt::AlignLeft | Qt::AlignVCenter,
                      QFontMetrics(nameFont).elidedText(name, Qt::ElideRight, nameWidth));

    painter->setFont(option.font);
    painter->setPen(muted);
    const QString second = topic.isEmpty() ? tr("no topic") : topic;
    const int width = rect.right() - left;
    // Plain text, one line: a topic is shown as typed.
    QString shown = second;
    shown.replace(u'\n', u' ');
    painter->drawText(QRect(left, rect.top() + line + 2, width, line), Qt::AlignLeft | Qt::AlignVCenter,
                      fm.elidedText(shown, Qt::ElideRight, width));
    painter->restore();
}

} // namespace Confab
