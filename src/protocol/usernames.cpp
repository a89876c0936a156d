#include "usernames.h"

#include "protocol.h"

namespace Confab {

namespace {
bool isValidName(const QString &name, const QString &what, QString *whyNot)
{
    auto fail = [whyNot](const QString &reason) {
        if (whyNot)
            *whyNot = reason;
        return false;
    };
    if (name.size() < Limits::MinUsernameLength || name.size() > Limits::MaxUsernameLength)
        return fail(QStringLiteral("a %1 has %2 to %3 characters").arg(what)
                        .arg(Limits::MinUsernameLength).arg(Limits::MaxUsernameLength));
    const QChar first = name.front();
    if (!((first >= u'a' && first <= u'z') || (first >= u'A' && first <= u'Z')))
        return fail(QStringLiteral("a %1 starts with a letter (a-z)").arg(what));
    for (const QChar c : name) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
            || c == u'_' || c == u'-' || c == u'.';
        if (!ok)
            return fail(QStringLiteral("a %1 may only hold letters a-z, digits, '_', '-' and '.'").arg(what));
    }
    return true;
}
} // namespace

bool isValidUsername(const QString &name, QString *whyNot)
{
    return isValidName(name, QStringLiteral("username"), whyNot);
}

bool isValidRoomName(const QString &name, QString *whyNot)
{
    return isValidName(name, QStringLiteral("room name"), whyNot);
}

QString canonicalUsername(const QString &name)
{
    return name.toLower();
}

} // namespace Confab
