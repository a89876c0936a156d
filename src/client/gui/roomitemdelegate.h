// A row of the rooms panel: the room's icon and name (bold when joined) with its member count on
// the right, and its topic, elided, on a second grey line.
#pragma once

#include <QStyledItemDelegate>

namespace Confab {

class RoomItemDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace Confab
