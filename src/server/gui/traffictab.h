// Traffic: a live log of frames (time, direction, peer, user, transport, message type, size) that
// can be filtered by user, type and transport, paused, cleared and exported as CSV. The log is
// bounded (TrafficModel::DefaultCapacity rows) and carries no payload, so no password appears.
#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class TrafficTab;
}

namespace Confab {

class ChatServer;
class TrafficFilterModel;
class TrafficModel;

class TrafficTab : public QWidget
{
    Q_OBJECT
public:
    explicit TrafficTab(ChatServer *server, QWidget *parent = nullptr);
    ~TrafficTab() override;

    TrafficModel *model() const { return m_model; }
    TrafficFilterModel *filterModel() const { return m_filter; }
    // Writes the rows shown (filters applied) as CSV.
    bool exportTo(const QString &path, QString *error);

signals:
    void statusMessage(const QString &text);

private:
    void chooseExportFile();
    void setPaused(bool paused);
    void applyFilters();
    void followNewRows();
    void updateCount();

    std::unique_ptr<Ui::TrafficTab> m_ui;
    TrafficModel *m_model = nullptr;
    TrafficFilterModel *m_filter = nullptr;
    bool m_follow = true; // keep the newest frame in view while the view is scrolled to the bottom
};

} // namespace Confab
