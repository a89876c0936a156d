#include "unreadtabbar.h"

#include <QPainter>
#include <QProxyStyle>
#include <QStyleOptionTab>

namespace Confab {

namespace {

// Draws the labels of marked tabs in bold; everything else as the application's style does.
class MarkedTabStyle : public QProxyStyle
{
public:
    using QProxyStyle::QProxyStyle;

    void drawControl(ControlElement element, const QStyleOption *option, QPainter *painter,
                     const QWidget *widget) const override
    {
        const auto *bar = qobject_cast<const UnreadTabBar *>(widget);
        const auto *tab = qstyleoption_cast<const QStyleOptionTab *>(option);
        if (element == CE_TabBarTabLabel && bar && tab && bar->isTabMarked(tab->tabIndex)) {
            painter->save();
            QFont bold = painter->font();
            bold.setBold(true);
            painter->setFont(bold);
            QProxyStyle::drawControl(element, option, painter, widget);
            painter->restore();
            return;
        }
        QProxyStyle::drawControl(element, option, painter, widget);
    }
};

} // namespace

UnreadTabBar::UnreadTabBar(QWidget *parent)
    : QTabBar(parent)
{
    auto *style = new MarkedTabStyle;
    style->setParent(this);
    setStyle(style);
}

void UnreadTabBar::setTabMarked(int index, bool marked)
{
    const QString key = keyAt(index);
    if (index < 0 || index >= count() || key.isEmpty() || m_marked.contains(key) == marked)
        return;
    if (marked)
        m_marked.insert(key);
    else
        m_marked.remove(key);
    // The label gets wider or narrower: let the bar lay out its tabs again.
    setTabText(index, tabText(index));
    update();
}

bool UnreadTabBar::isTabMarked(int index) const
{
    return index >= 0 && index < count() && m_marked.contains(keyAt(index));
}

QSize UnreadTabBar::tabSizeHint(int index) const
{
    QSize size = QTabBar::tabSizeHint(index);
    if (isTabMarked(index)) {
        QFont bold = font();
        bold.setBold(true);
        const QString text = tabText(index);
        size.rwidth() += QFontMetrics(bold).horizontalAdvance(text) - fontMetrics().horizontalAdvance(text);
    }
    return size;
}

} // namespace Confab
