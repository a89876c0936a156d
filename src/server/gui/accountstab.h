// Registrations: every account, live as users register, with their registration and last login
// and whether they are online. The administrator can delete an account or make its next login
// set a new password.
#pragma once

#include <QPointer>
#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QSortFilterProxyModel;
QT_END_NAMESPACE

namespace Ui {
class AccountsTab;
}

namespace Confab {

class AccountsModel;
class ChatServer;

class AccountsTab : public QWidget
{
    Q_OBJECT
public:
    explicit AccountsTab(ChatServer *server, QWidget *parent = nullptr);
    ~AccountsTab() override;

    AccountsModel *model() const { return m_model; }
    // The selected account's name, or empty.
    QString selectedAccount() const;
    void selectAccount(const QString &name);

signals:
    void statusMessage(const QString &text);

private:
    void deleteSelected();
    void requireResetOfSelected();
    void updateButtons();
    void updateCount();

    std::unique_ptr<Ui::AccountsTab> m_ui;
    QPointer<ChatServer> m_server;
    AccountsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
};

} // namespace Confab
