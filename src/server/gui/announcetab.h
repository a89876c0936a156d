// Announce: sends a server notice (Notice frame) to everyone online, and lists what was sent
// while this window is open.
#pragma once

#include <QPointer>
#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QStringListModel;
QT_END_NAMESPACE

namespace Ui {
class AnnounceTab;
}

namespace Confab {

class ChatServer;

class AnnounceTab : public QWidget
{
    Q_OBJECT
public:
    explicit AnnounceTab(ChatServer *server, QWidget *parent = nullptr);
    ~AnnounceTab() override;

    QStringListModel *history() const { return m_history; }

signals:
    void statusMessage(const QString &text);

private:
    void send();
    void updateButton();

    std::unique_ptr<Ui::AnnounceTab> m_ui;
    QPointer<ChatServer> m_server;
    QStringListModel *m_history = nullptr; // newest first
    bool m_lengthWarning = false;
};

} // namespace Confab
