// Asks for a new room's name and topic, or for a new topic of an existing room. The name is
// checked as it is typed, with the reason shown under the fields.
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class RoomDialog;
}

namespace Confab {

class RoomDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { Create, EditTopic };

    explicit RoomDialog(Mode mode, QWidget *parent = nullptr);
    ~RoomDialog() override;

    Mode mode() const { return m_mode; }
    void setRoomName(const QString &name);
    QString roomName() const;
    void setTopic(const QString &topic);
    QString topic() const;

private:
    void validate();

    std::unique_ptr<Ui::RoomDialog> m_ui;
    Mode m_mode;
};

} // namespace Confab
