#include "accountsmodel.h"

#include "adminformat.h"
#include "chatserver.h"
#include "usernames.h"

namespace Confab {

AccountsModel::AccountsModel(ChatServer *server, QObject *parent)
    : QAbstractTableModel(parent)
    , m_server(server)
{
    AccountStore *store = server->accounts();
    connect(store, &AccountStore::accountCreated, this, &AccountsModel::onAccountCreated);
    connect(store, &AccountStore::accountRemoved, this, &AccountsModel::onAccountRemoved);
    connect(store, &AccountStore::accountChanged, this, &AccountsModel::onAccountChanged);
    connect(server, &ChatServer::userLoggedIn, this, [this](const QString &user) { setOnline(user, true); });
    connect(server, &ChatServer::userLoggedOut, this, [this](const QString &user) { setOnline(user, false); });
    reload();
}

void AccountsModel::reload()
{
    beginResetModel();
    m_rows.clear();
    if (m_server && m_server->accounts()->isOpen()) {
        const QStringList online = m_server->onlineUsers();
        QSet<QString> onlineKeys;
        for (const QString &user : online)
            onlineKeys.insert(canonicalUsername(user));
        const QList<Account> all = m_server->accounts()->all();
        m_rows.reserve(all.size());
        for (const Account &account : all) {
            Row row;
            row.name = account.name;
            row.key = canonicalUsername(account.name);
            row.created = account.created;
            row.lastLogin = account.lastLogin;
            row.resetRequired = account.resetRequired;
            row.online = onlineKeys.contains(row.key);
            m_rows.append(row);
        }
    }
    endResetModel();
}

bool AccountsModel::readAccount(const QString &name, Row *row) const
{
    if (!m_server || !m_server->accounts()->isOpen())
        return false;
    const std::optional<Account> account = m_server->accounts()->find(name);
    if (!account)
        return false;
    row->name = account->name;
    row->key = canonicalUsername(account->name);
    row->created = account->created;
    row->lastLogin = account->lastLogin;
    row->resetRequired = account->resetRequired;
    return true;
}

int AccountsModel::rowOf(const QString &name) const
{
    const QString key = canonicalUsername(name);
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).key == key)
            return i;
    }
    return -1;
}

int AccountsModel::onlineCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &row) { return row.online; }));
}

void AccountsModel::onAccountCreated(const QString &name)
{
    if (rowOf(name) >= 0) {
        onAccountChanged(name);
        return;
    }
    Row row;
    if (!readAccount(name, &row))
        return;
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_rows.append(row);
    endInsertRows();
}

void AccountsModel::onAccountRemoved(const QString &name)
{
    const int at = rowOf(name);
    if (at < 0)
        return;
    beginRemoveRows({}, at, at);
    m_rows.removeAt(at);
    endRemoveRows();
}

void AccountsModel::onAccountChanged(const QString &name)
{
    const int at = rowOf(name);
    if (at < 0) {
        onAccountCreated(name);
        return;
    }
    Row row;
    if (!readAccount(name, &row))
        return;
    row.online = m_rows.at(at).online;
    m_rows[at] = row;
    emit dataChanged(index(at, 0), index(at, ColumnCount - 1));
}

void AccountsModel::setOnline(const QString &name, bool online)
{
    const int at = rowOf(name);
    if (at < 0 || m_rows.at(at).online == online)
        return;
    m_rows[at].online = online;
    emit dataChanged(index(at, OnlineColumn), index(at, OnlineColumn));
}

int AccountsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AccountsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AccountsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case NameRole:
        return row.name;
    case OnlineRole:
        return row.online;
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return row.name;
        case CreatedColumn:
            return AdminFormat::when(row.created);
        case LastLoginColumn:
            return row.lastLogin.isValid() ? AdminFormat::when(row.lastLogin) : tr("never");
        case OnlineColumn:
            return row.online ? tr("online") : QString();
        case PasswordColumn:
            return row.resetRequired ? tr("reset on next login") : QString();
        }
        break;
    case Qt::ToolTipRole:
        switch (index.column()) {
        case CreatedColumn:
            return AdminFormat::fullWhen(row.created);
        case LastLoginColumn:
            return AdminFormat::fullWhen(row.lastLogin);
        case PasswordColumn:
            return row.resetRequired ? tr("The next successful login sets a new password for this account.") : QVariant();
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            return row.key;
        case CreatedColumn:
            return row.created.toMSecsSinceEpoch();
        case LastLoginColumn:
            return row.lastLogin.isValid() ? row.lastLogin.toMSecsSinceEpoch() : qint64(0);
        case OnlineColumn:
            return row.online;
        case PasswordColumn:
            return row.resetRequired;
        }
        break;
    }
    return {};
}

QVariant AccountsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Account");
    case CreatedColumn:
        return tr("Registered");
    case LastLoginColumn:
        return tr("Last login");
    case OnlineColumn:
        return tr("Online");
    case PasswordColumn:
        return tr("Password");
    }
    return {};
}

} // namespace Confab
