#include "limitsmodel.h"

#include "adminformat.h"

namespace Confab {

namespace {
int compareRows(int sourceA, const HeldBack &a, int sourceB, const HeldBack &b)
{
    if (sourceA != sourceB)
        return sourceA < sourceB ? -1 : 1;
    if (a.kind != b.kind)
        return a.kind == HeldBack::Kind::Account ? -1 : 1;
    if (const int byTarget = a.target.compare(b.target))
        return byTarget;
    return a.rule.compare(b.rule); // one target may be held back under several rules
}
} // namespace

LimitsModel::LimitsModel(QObject *parent)
    : SortedRowsModel(parent)
{
    connect(&m_poll, &QTimer::timeout, this, &LimitsModel::refresh);
    setRefreshInterval(1000);
}

void LimitsModel::addSource(LimitSource *source)
{
    source->setParent(this);
    m_sources.append(source);
    connect(source, &LimitSource::changed, this, &LimitsModel::refresh);
    refresh();
}

void LimitsModel::setRefreshInterval(int ms)
{
    if (ms <= 0)
        m_poll.stop();
    else
        m_poll.start(ms);
}

void LimitsModel::refresh()
{
    QList<Row> fresh;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int s = 0; s < m_sources.size(); ++s) {
        const QList<HeldBack> entries = m_sources.at(s)->heldBack();
        for (const HeldBack &entry : entries) {
            if (!entry.until.isValid() || entry.until > now)
                fresh.append({entry, s});
        }
    }
    std::sort(fresh.begin(), fresh.end(),
              [](const Row &a, const Row &b) { return compareRows(a.source, a.entry, b.source, b.entry) < 0; });
    mergeRows(m_rows, fresh,
              [](const Row &a, const Row &b) { return compareRows(a.source, a.entry, b.source, b.entry); },
              &LimitsModel::cell);
}

HeldBack LimitsModel::entryAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).entry : HeldBack();
}

int LimitsModel::rowOf(HeldBack::Kind kind, const QString &target) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).entry.kind == kind && m_rows.at(i).entry.target.compare(target, Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

bool LimitsModel::lift(int row, QString *error)
{
    if (row < 0 || row >= m_rows.size()) {
        if (error)
            *error = tr("nothing selected");
        return false;
    }
    const Row chosen = m_rows.at(row);
    const bool lifted = m_sources.at(chosen.source)->lift(chosen.entry, error);
    refresh();
    return lifted;
}

QVariant LimitsModel::cell(const Row &row, int column)
{
    const HeldBack &e = row.entry;
    switch (column) {
    case KindColumn:
        return e.kind == HeldBack::Kind::Account ? tr("account") : tr("address");
    case TargetColumn:
        return e.target;
    case RuleColumn:
        return e.rule;
    case ReasonColumn:
        return e.reason;
    case SinceColumn:
        return AdminFormat::when(e.since);
    case UntilColumn:
        return e.until.isValid() ? AdminFormat::when(e.until) : tr("until lifted");
    case LeftColumn:
        return e.until.isValid() ? AdminFormat::roughDuration(QDateTime::currentDateTimeUtc().msecsTo(e.until)) : tr("for good");
    }
    return {};
}

int LimitsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LimitsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LimitsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return cell(row, index.column());
    case Qt::ToolTipRole:
        if (index.column() == SinceColumn)
            return AdminFormat::fullWhen(row.entry.since);
        if (index.column() == UntilColumn && row.entry.until.isValid())
            return AdminFormat::fullWhen(row.entry.until);
        if (index.column() == ReasonColumn && !row.entry.reason.isEmpty())
            return row.entry.reason;
        break;
    case TargetRole:
        return row.entry.target;
    case KindRole:
        return int(row.entry.kind);
    case SortRole:
        switch (index.column()) {
        case SinceColumn:
            return row.entry.since.toMSecsSinceEpoch();
        case UntilColumn:
        case LeftColumn:
            return row.entry.until.isValid() ? row.entry.until.toMSecsSinceEpoch() : std::numeric_limits<qint64>::max();
        default:
            return cell(row, index.column());
        }
    }
    return {};
}

QVariant LimitsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return SortedRowsModel::headerData(section, orientation, role);
    switch (section) {
    case KindColumn:
        return tr("Held back");
    case TargetColumn:
        return tr("Account or address");
    case RuleColumn:
        return tr("Rule");
    case ReasonColumn:
        return tr("Reason");
    case SinceColumn:
        return tr("Since");
    case UntilColumn:
        return tr("Until");
    case LeftColumn:
        return tr("Time left");
    }
    return {};
}

} // namespace Confab
