// Accounts and addresses the server currently holds back, gathered from every LimitSource (today:
// administrator bans; later: automatic rate limits), each with the rule it hit and the time left.
// Re-reads its sources when they change and once a second, so expired entries leave on their own.
#pragma once

#include "limitsource.h"
#include "sortedrowsmodel.h"

#include <QTimer>

namespace Confab {

class LimitsModel : public SortedRowsModel
{
    Q_OBJECT
public:
    enum Column { KindColumn, TargetColumn, RuleColumn, ReasonColumn, SinceColumn, UntilColumn, LeftColumn, ColumnCount };
    enum Role { TargetRole = Qt::UserRole + 1, KindRole, SortRole };

    explicit LimitsModel(QObject *parent = nullptr);

    // The model takes the source over (as its QObject child).
    void addSource(LimitSource *source);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    HeldBack entryAt(int row) const;
    int rowOf(HeldBack::Kind kind, const QString &target) const;
    // Asks the entry's source to let it through.
    bool lift(int row, QString *error);
    void setRefreshInterval(int ms);
    void refresh();

private:
    struct Row {
        HeldBack entry;
        int source = 0;
    };
    static QVariant cell(const Row &row, int column);

    QList<LimitSource *> m_sources;
    QList<Row> m_rows; // by source, then kind, then target
    QTimer m_poll;
};

} // namespace Confab
