// The users panel's view of the UserModel: filtered by a typed text, with presence icons, "(you)"
// on one's own row, a tooltip saying since when and over what each user is connected, and, while
// a room's tab is shown, the users outside that room greyed out.
#pragma once

#include <QSet>
#include <QSortFilterProxyModel>

namespace Confab {

class UserFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit UserFilterModel(QObject *parent = nullptr);

    // Room shown now and its members (case-insensitive); an empty room clears the context.
    void setRoomContext(const QString &room, const QStringList &members, const QString &owner);
    QString contextRoom() const { return m_room; }
    bool isMember(const QString &user) const;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QString m_room;
    QString m_owner;
    QSet<QString> m_members; // lower case
};

} // namespace Confab
