#include "usermodel.h"

#include "usernames.h"

#include <algorithm>

namespace Confab {

UserModel::UserModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void UserModel::setSession(ClientSession *session)
{
    if (m_session == session)
        return;
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (!session)
        return;
    connect(session, &ClientSession::userListReceived, this, &UserModel::setUsers);
    connect(session, &ClientSession::userJoined, this, &UserModel::addUser);
    connect(session, &ClientSession::userLeft, this, [this](const QString &name) { removeUser(name); });
    connect(session, &ClientSession::loggedIn, this, [this](const QString &name) { setSelfName(name); });
    connect(session, &ClientSession::stateChanged, this, [this](ClientSession::State state) {
        if (state == ClientSession::State::Disconnected || state == ClientSession::State::Connecting)
            clear();
    });
    if (session->isLoggedIn())
        setSelfName(session->userName());
}

int UserModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant UserModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row.user.name;
    case SinceRole:
        return row.user.since;
    case TransportRole:
        return row.user.transport;
    case IsSelfRole:
        return !m_selfName.isEmpty() && row.key == canonicalUsername(m_selfName);
    default:
        return {};
    }
}

QHash<int, QByteArray> UserModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(SinceRole, "since");
    names.insert(TransportRole, "transport");
    names.insert(IsSelfRole, "isSelf");
    return names;
}

int UserModel::lowerBound(const QString &key) const
{
    const auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), key,
                                     [](const Row &row, const QString &k) { return row.key < k; });
    return int(it - m_rows.cbegin());
}

int UserModel::indexOf(const QString &name) const
{
    const QString key = canonicalUsername(name);
    const int row = lowerBound(key);
    return row < m_rows.size() && m_rows.at(row).key == key ? row : -1;
}

QStringList UserModel::names() const
{
    QStringList list;
    list.reserve(m_rows.size());
    for (const Row &row : m_rows)
        list.append(row.user.name);
    return list;
}

void UserModel::setSelfName(const QString &name)
{
    if (m_selfName == name)
        return;
    const int oldRow = indexOf(m_selfName);
    m_selfName = name;
    const int newRow = indexOf(name);
    for (int row : {oldRow, newRow}) {
        if (row >= 0)
            emit dataChanged(index(row), index(row), {IsSelfRole});
    }
}

void UserModel::updateRow(int row, const OnlineUser &user)
{
    Row &current = m_rows[row];
    if (current.user == user)
        return;
    current.user = user;
    emit dataChanged(index(row), index(row), {Qt::DisplayRole, NameRole, SinceRole, TransportRole});
}

void UserModel::insertUserRows(int row, const QVector<Row> &rows)
{
    if (rows.isEmpty())
        return;
    beginInsertRows(QModelIndex(), row, row + int(rows.size()) - 1);
    m_rows.insert(row, rows.size(), Row());
    std::copy(rows.cbegin(), rows.cend(), m_rows.begin() + row);
    endInsertRows();
}

void UserModel::removeRowRange(int first, int last)
{
    if (last < first)
        return;
    beginRemoveRows(QModelIndex(), first, last);
    m_rows.remove(first, last - first + 1);
    endRemoveRows();
}

void UserModel::setUsers(const QList<OnlineUser> &users)
{
    QVector<Row> incoming;
    incoming.reserve(users.size());
    for (const OnlineUser &user : users) {
        if (!user.name.isEmpty())
            incoming.append(Row{canonicalUsername(user.name), user});
    }
    std::stable_sort(incoming.begin(), incoming.end(), [](const Row &a, const Row &b) { return a.key < b.key; });
    // One row per account; the last mention wins.
    QVector<Row> unique;
    unique.reserve(incoming.size());
    for (Row &row : incoming) {
        if (!unique.isEmpty() && unique.back().key == row.key)
            unique.back() = std::move(row);
        else
            unique.append(std::move(row));
    }

    // Walk both sorted lists once: rows only here are removed, rows only there are inserted,
    // rows in both are updated in place. Consecutive rows move as one block.
    int row = 0;
    int i = 0;
    const int n = int(unique.size());
    while (i < n || row < m_rows.size()) {
        if (i == n) {
            removeRowRange(row, int(m_rows.size()) - 1);
            break;
        }
        if (row == m_rows.size()) {
            insertUserRows(row, unique.mid(i));
            break;
        }
        const QString &have = m_rows.at(row).key;
        const QString &want = unique.at(i).key;
        if (have == want) {
            updateRow(row, unique.at(i).user);
            ++row;
            ++i;
        } else if (have < want) {
            int end = row;
            while (end < m_rows.size() && m_rows.at(end).key < want)
                ++end;
            removeRowRange(row, end - 1);
        } else {
            int end = i;
            while (end < n && unique.at(end).key < have)
                ++end;
            insertUserRows(row, unique.mid(i, end - i));
            row += end - i;
            i = end;
        }
    }
}

void UserModel::addUser(const OnlineUser &user)
{
    if (user.name.isEmpty())
        return;
    const QString key = canonicalUsername(user.name);
    const int row = lowerBound(key);
    if (row < m_rows.size() && m_rows.at(row).key == key) {
        updateRow(row, user);
        return;
    }
    insertUserRows(row, {Row{key, user}});
}

bool UserModel::removeUser(const QString &name)
{
    const int row = indexOf(name);
    if (row < 0)
        return false;
    removeRowRange(row, row);
    return true;
}

void UserModel::clear()
{
    removeRowRange(0, int(m_rows.size()) - 1);
}

} // namespace Confab
