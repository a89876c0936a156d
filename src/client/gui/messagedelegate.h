// Paints one row of a conversation: the sender, the time and, for one's own messages, whether
// it is still sending, was delivered (to how many) or failed; below, the text, wrapped.
// Notice rows (empty sender) are one grey, italic line with the time.
//
// All text is drawn as plain text with QTextLayout: markup a peer sends is shown as typed.
//
// A view of 100,000 rows must open at once, so sizeHint() only estimates a row's height from
// its length and the font's average character width; paint() lays the row out exactly and, when
// the estimate was wrong, caches the exact height and emits sizeHintChanged() so the view moves
// the rows below. Only rows that have been on screen are ever laid out. Heights are cached per
// row for the current width; the view calls setContentWidth() on resize and the invalidate
// functions when rows change.
#pragma once

#include "conversationid.h"

#include <QFont>
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
        int viewWidth = -1; // the content width `height` holds for; -1: nothing cached
        int height = 0;
        bool exact = false; // laid out (true) or estimated (false)
    };

    // What rows need to know of the view's font, measured once per font (making a QFontMetrics
    // looks the font up, too slow to do for each of 100,000 rows).
    struct FontSizes {
        QFont font;
        int line = 0;            // one line of text
        int noticeLine = 0;      // one line of a notice's italic text
        int header = 0;          // the bold sender line with the gap below it
        int noticeColumn = 0;    // the time column of a notice
        qreal averageChar = 1;
        qreal noticeAverageChar = 1;
    };
    const FontSizes &fontSizes(const QFont &font) const;

    enum class Precision { Estimate, Exact };
    // The row's height, from the cache when it holds one at least as precise as asked for.
    int rowHeight(const QModelIndex &index, const QFont &font, Precision precision) const;
    int textHeight(const QString &text, const QFont &font, int width) const;
    int textWidth() const;
    bool isNotice(const QModelIndex &index) const;
    void layoutText(QTextLayout &layout, int width) const;

    ConversationKind m_kind = ConversationKind::Lobby;
    int m_width = 400;
    mutable QVector<Metrics> m_metrics; // by row
    mutable FontSizes m_fontSizes;
};

} // namespace Confab
