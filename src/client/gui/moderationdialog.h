// Confirms a kick or a ban of one room member, with an optional reason the room will see.
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class ModerationDialog;
}

namespace Confab {

class ModerationDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Action { Kick, Ban };

    ModerationDialog(Action action, const QString &room, const QString &user, QWidget *parent = nullptr);
    ~ModerationDialog() override;

    Action action() const { return m_action; }
    QString room() const { return m_room; }
    QString user() const { return m_user; }
    QString reason() const;

private:
    std::unique_ptr<Ui::ModerationDialog> m_ui;
    Action m_action;
    QString m_room;
    QString m_user;
};

} // namespace Confab
