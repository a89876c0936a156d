// Asks the administrator for the reason a user will see when removed (from the server or a room).
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class AdminKickDialog;
}

namespace Confab {

class AdminKickDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AdminKickDialog(QWidget *parent = nullptr);
    ~AdminKickDialog() override;

    void setPrompt(const QString &text);
    // The text of the confirming button ("Disconnect", "Kick", …).
    void setConfirmText(const QString &text);
    QString reason() const;

private:
    std::unique_ptr<Ui::AdminKickDialog> m_ui;
};

} // namespace Confab
