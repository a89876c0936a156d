#include "notifier.h"

#include <QApplication>
#include <QMenu>
#include <QSystemTrayIcon>
#include <QWidget>

namespace Confab {

namespace {
constexpr int NotificationMs = 8000;
constexpr int MaxNotificationChars = 200;
} // namespace

Notifier::Notifier(QWidget *window, QObject *parent)
    : QObject(parent)
    , m_window(window)
{
}

Notifier::~Notifier()
{
    delete m_trayMenu;
}

void Notifier::setTrayIcon(const QIcon &icon, const QString &toolTip)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(this);
        m_tray->setObjectName(QStringLiteral("trayIcon"));
        m_trayMenu = new QMenu;
        m_trayMenu->addAction(tr("&Show Confab"), this, &Notifier::raiseWindow);
        m_trayMenu->addSeparator();
        m_trayMenu->addAction(tr("&Quit"), this, &Notifier::quitRequested);
        m_tray->setContextMenu(m_trayMenu);
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
            raiseWindow();
            emit activated(m_lastId);
        });
        connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
            if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                raiseWindow();
        });
    }
    m_tray->setIcon(icon);
    m_tray->setToolTip(toolTip);
    m_tray->show();
}

void Notifier::setTrayToolTip(const QString &toolTip)
{
    if (m_tray)
        m_tray->setToolTip(toolTip);
}

bool Notifier::windowIsUnattended() const
{
    return !m_window || !m_window->isVisible() || m_window->isMinimized() || !m_window->isActiveWindow();
}

bool Notifier::notify(const ConversationId &id, const QString &title, const QString &text)
{
    if (!windowIsUnattended())
        return false;
    QString body = text;
    if (body.size() > MaxNotificationChars)
        body = body.left(MaxNotificationChars - 1) + QChar(0x2026);
    m_lastId = id;
    ++m_count;
    // Tray messages are plain text on every platform Qt supports.
    if (m_tray && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, body, QSystemTrayIcon::Information, NotificationMs);
    if (m_window)
        QApplication::alert(m_window->window());
    emit notified(id, title, body);
    return true;
}

void Notifier::raiseWindow()
{
    if (!m_window)
        return;
    if (m_window->isMinimized())
        m_window->setWindowState(m_window->windowState() & ~Qt::WindowMinimized);
    m_window->show();
    m_window->raise();
    m_window->activateWindow();
}

} // namespace Confab
