// A tab bar whose tabs can be marked: a marked tab's title is drawn bold (unread messages), and
// sized for it. Tabs are identified by the key in their tabData(), so marks follow moved tabs.
#pragma once

#include <QSet>
#include <QTabBar>

namespace Confab {

class UnreadTabBar : public QTabBar
{
    Q_OBJECT
public:
    explicit UnreadTabBar(QWidget *parent = nullptr);

    void setTabMarked(int index, bool marked);
    bool isTabMarked(int index) const;

protected:
    QSize tabSizeHint(int index) const override;

private:
    QString keyAt(int index) const { return tabData(index).toString(); }

    QSet<QString> m_marked;
};

} // namespace Confab
