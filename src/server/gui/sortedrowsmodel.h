// Base of the admin tables that mirror a list the server hands out whole (sessions, rooms,
// limits). A refresh merges the fresh list into the rows with fine-grained signals — one insert
// per new row, one remove per run of gone rows, dataChanged only for the cells that changed — so
// views keep their selection and scroll position however often they refresh.
#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace Confab {

class SortedRowsModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

protected:
    // `rows` and `fresh` are both sorted by `compare(a, b)`, which answers < 0, 0 or > 0 like
    // strcmp on the rows' keys. `cell(row, column)` is what the view shows in that cell: rows with
    // equal keys are compared cell by cell and only the changed span is reported.
    template <typename Row, typename Compare, typename Cell>
    void mergeRows(QList<Row> &rows, const QList<Row> &fresh, Compare compare, Cell cell)
    {
        const int columns = columnCount({});
        qsizetype i = 0;
        for (const Row &row : fresh) {
            qsizetype stale = i;
            while (stale < rows.size() && compare(rows.at(stale), row) < 0)
                ++stale;
            if (stale > i) {
                beginRemoveRows({}, int(i), int(stale - 1));
                rows.remove(i, stale - i);
                endRemoveRows();
            }
            if (i < rows.size() && compare(rows.at(i), row) == 0) {
                int first = -1, last = -1;
                for (int c = 0; c < columns; ++c) {
                    if (cell(rows.at(i), c) != cell(row, c)) {
                        if (first < 0)
                            first = c;
                        last = c;
                    }
                }
                rows[i] = row;
                if (first >= 0)
                    emit dataChanged(index(int(i), first), index(int(i), last));
            } else {
                beginInsertRows({}, int(i), int(i));
                rows.insert(i, row);
                endInsertRows();
            }
            ++i;
        }
        if (i < rows.size()) {
            beginRemoveRows({}, int(i), int(rows.size() - 1));
            rows.remove(i, rows.size() - i);
            endRemoveRows();
        }
    }
};

} // namespace Confab
