// Sessions: who is connected, from which address, over which transport, since when, with bytes
// and frames each way and the round-trip time. The administrator can disconnect a session with a
// reason the user sees, or ban its account or address for a chosen time.
#pragma once

#include <QPointer>
#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QSortFilterProxyModel;
QT_END_NAMESPACE

namespace Ui {
class SessionsTab;
}

namespace Confab {

class ChatServer;
class SessionsModel;

class SessionsTab : public QWidget
{
    Q_OBJECT
public:
    explicit SessionsTab(ChatServer *server, QWidget *parent = nullptr);
    ~SessionsTab() override;

    SessionsModel *model() const { return m_model; }
    // Selects the session of a logged-in user; false if they are not online.
    bool selectUser(const QString &user);

signals:
    void statusMessage(const QString &text);

private:
    struct Selected {
        QString user;    // empty before login
        QString address;
    };
    Selected selected() const;
    void kickSelected();
    void banSelected();
    void updateButtons();
    void updateCount();

    std::unique_ptr<Ui::SessionsTab> m_ui;
    QPointer<ChatServer> m_server;
    SessionsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
};

} // namespace Confab
