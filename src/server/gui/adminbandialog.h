// Asks how to keep someone out: their account or their address, for how long, and why.
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class AdminBanDialog;
}

namespace Confab {

class AdminBanDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Target { Account, Address };

    explicit AdminBanDialog(QWidget *parent = nullptr);
    ~AdminBanDialog() override;

    // An empty user leaves only the address to ban (a connection that has not logged in).
    void setSubject(const QString &user, const QString &address);
    Target target() const;
    // 0 means for good.
    qint64 durationMs() const;
    QString reason() const;

private:
    std::unique_ptr<Ui::AdminBanDialog> m_ui;
};

} // namespace Confab
