// Tells the user about a direct message or a mention while the window is not in front: a desktop
// notification from the system tray icon (where the desktop has a tray) and the taskbar alert
// (QApplication::alert). Nothing happens while the window is the active one.
#pragma once

#include "conversationid.h"

#include <QIcon>
#include <QObject>
#include <QPointer>

QT_BEGIN_NAMESPACE
class QMenu;
class QSystemTrayIcon;
class QWidget;
QT_END_NAMESPACE

namespace Confab {

class Notifier : public QObject
{
    Q_OBJECT
public:
    explicit Notifier(QWidget *window, QObject *parent = nullptr);
    ~Notifier() override;

    // Shows the tray icon (if the desktop has a tray) with this icon and tooltip.
    void setTrayIcon(const QIcon &icon, const QString &toolTip);
    void setTrayToolTip(const QString &toolTip);
    QSystemTrayIcon *trayIcon() const { return m_tray; }

    // Whether the window is out of the user's sight (not the active window, or hidden).
    bool windowIsUnattended() const;

    // Notifies when the window is unattended; returns whether it did.
    bool notify(const ConversationId &id, const QString &title, const QString &text);

    int notificationCount() const { return m_count; }

signals:
    // A notification was raised (also where no tray exists: the taskbar alert still is).
    void notified(const Confab::ConversationId &id, const QString &title, const QString &text);
    // The user clicked the notification or the tray icon: show that conversation.
    void activated(const Confab::ConversationId &id);
    void quitRequested();

private:
    void raiseWindow();

    QPointer<QWidget> m_window;
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_trayMenu = nullptr;
    ConversationId m_lastId;
    int m_count = 0;
};

} // namespace Confab
