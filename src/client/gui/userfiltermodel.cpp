#include "userfiltermodel.h"

#include "clienticons.h"
#include "usermodel.h"
#include "usernames.h"

#include <QFont>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

namespace Confab {

UserFilterModel::UserFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setFilterRole(UserModel::NameRole);
    setDynamicSortFilter(true);
}

void UserFilterModel::setRoomContext(const QString &room, const QStringList &members, const QString &owner)
{
    QSet<QString> set;
    for (const QString &member : members)
        set.insert(canonicalUsername(member));
    if (room == m_room && set == m_members && owner == m_owner)
        return;
    m_room = room;
    m_owner = owner;
    m_members = set;
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, 0), {Qt::ForegroundRole, Qt::ToolTipRole, Qt::DisplayRole});
}

bool UserFilterModel::isMember(const QString &user) const
{
    return m_members.contains(canonicalUsername(user));
}

QVariant UserFilterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const bool self = QSortFilterProxyModel::data(index, UserModel::IsSelfRole).toBool();
    const QString name = QSortFilterProxyModel::data(index, UserModel::NameRole).toString();
    const bool owner = !m_room.isEmpty() && canonicalUsername(name) == canonicalUsername(m_owner);
    switch (role) {
    case Qt::DisplayRole: {
        QString text = self ? tr("%1 (you)").arg(name) : name;
        if (owner)
            text += QStringLiteral(" ★");
        return text;
    }
    case Qt::DecorationRole:
        return ClientIcons::online(self);
    case Qt::FontRole:
        if (self) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (!m_room.isEmpty() && !isMember(name))
            return QGuiApplication::palette().color(QPalette::PlaceholderText);
        return {};
    case Qt::ToolTipRole: {
        const QDateTime since = QSortFilterProxyModel::data(index, UserModel::SinceRole).toDateTime();
        const QString transport = QSortFilterProxyModel::data(index, UserModel::TransportRole).toString().toUpper();
        QString tip = since.isValid()
            ? tr("%1 — online since %2 over %3").arg(name, QLocale().toString(since.toLocalTime(), QLocale::ShortFormat), transport)
            : tr("%1 — online").arg(name);
        if (!m_room.isEmpty())
            tip += u'\n' + (owner ? tr("Owner of #%1").arg(m_room)
                                  : isMember(name) ? tr("In #%1").arg(m_room) : tr("Not in #%1").arg(m_room));
        return tip;
    }
    default:
        return QSortFilterProxyModel::data(index, role);
    }
}

} // namespace Confab
