// Paints one row of a conversation: the sender, the time and, for one's own messages, whether
// it is still sending, was delivered (to how many) or failed; below, the text, wrapped.
// Notice rows (empty sender) are one grey, italic line with the time.
//
// All text is drawn as plain text with QTextLayout: markup a peer sends is shown as typed.
//
// Row heights are cached so a view of 100,000 rows lays out fast: each row's one-line width is
// measured once (it does not depend on the view's width), so after a resize only rows wider than
// the view are laid out again. The view calls setContentWidth() on resize and the invalidate
// functions when rows change.
#pragma once

#include "conversationid.h"

#include <QStyledItemDelegate>
#include <QVector>

QT_BEGIN_NAMESPACE
class QTextLayout;
QT_END_NAMESPACE

namespace Confab {

class MessageDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit MessageDelegate(QObject *parent = nullptr);

    // The kind of conversation shown (it words the delivery state: "Delivered" for a DM).
    void setConversationKind(ConversationKind kind) { m_kind = kind; }
    // The width rows are laid out for (the view's viewport width).
    void setContentWidth(int width);
    int contentWidth() const { return m_width; }

    void invalidateAll();
    void invalidateRows(int first, int last);
    void rowsAppended(int first, int last);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool helpEvent(QHelpEvent *event, QAbstractItemView *view, const QStyleOptionViewItem &option,
                   const QModelIndex &index) override;

    // The text shown for a row's delivery state ("Sending…", "✓ Delivered to 3", "✗ Not sent: …").
    QString deliveryText(const QModelIndex &index) const;
    // The time as shown in a row.
    static QString timeText(const QDateTime &time);
    // A readable colour for a sender name, stable for that name.
    static QColor senderColor(const QString &name, const QPalette &palette);

private:
    struct Metrics {
        qreal naturalWidth = -1; // the text on one line; -1: not measured
        bool hasBreaks = false;  // contains line breaks, always laid out
        int layoutWidth = -1;    // the width `height` was computed for
        int height = 0;
    };

    int rowHeight(const QModelIndex &index, const QFont &font) const;
    int textHeight(const QString &text, const QFont &font, int width) const;
    int textWidth() const;
    bool isNotice(const QModelIndex &index) const;
    void layoutText(QTextLayout &layout, int width) const;

    ConversationKind m_kind = ConversationKind::Lobby;
    int m_width = 400;
    mutable QVector<Metrics> m_metrics; // by row
};

} // namespace Confab
