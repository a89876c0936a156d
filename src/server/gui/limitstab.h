// Limits: the accounts and addresses currently held back, with the rule each one hit, the reason
// and the time left; the administrator can lift a block. Sources of entries are LimitSources, so
// the automatic rate limits of a later issue appear here beside the administrator's bans.
#pragma once

#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QSortFilterProxyModel;
QT_END_NAMESPACE

namespace Ui {
class LimitsTab;
}

namespace Confab {

class ChatServer;
class LimitsModel;

class LimitsTab : public QWidget
{
    Q_OBJECT
public:
    explicit LimitsTab(ChatServer *server, QWidget *parent = nullptr);
    ~LimitsTab() override;

    LimitsModel *model() const { return m_model; }
    bool selectTarget(const QString &target);

signals:
    void statusMessage(const QString &text);

private:
    int selectedRow() const; // in the model, or -1
    void liftSelected();
    void updateButtons();
    void updateCount();

    std::unique_ptr<Ui::LimitsTab> m_ui;
    LimitsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
};

} // namespace Confab
