// Asks where to reach the other side of a direct chat (seeds 000/001: no server): the peer's
// host and port, and our own port to wait on if nobody answers. Remembers the last answers.
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class DirectChatDialog;
}

namespace Confab {

class DirectChatDialog : public QDialog
{
    Q_OBJECT
public:
    explicit DirectChatDialog(QWidget *parent = nullptr);
    ~DirectChatDialog() override;

    QString peerHost() const;
    quint16 peerPort() const;
    // 0: do not wait for a call.
    quint16 listenPort() const;

    void accept() override;

private:
    void validate();

    std::unique_ptr<Ui::DirectChatDialog> m_ui;
};

} // namespace Confab
