#include "usernames.h"

#include "protocol.h"

namespace Confab {

bool isValidUsername(const QString &name, QString *whyNot)
{
    auto fail = [whyNot](const QString &reason) {
        if (whyNot)
            *whyNot = reason;
        return false;
    };
    if (name.size() < Limits::MinUsernameLength || name.size() > Limits::MaxUsernameLength)
        return fail(QStringLiteral("a username has %1 to %2 characters")
                        .arg(Limits::MinUsernameLength).arg(Limits::MaxUsernameLength));
    const QChar first = name.front();
    if (!((first >= u'a' && first <= u'z') || (first >= u'A' && first <= u'Z')))
        return fail(QStringLiteral("a username starts with a letter (a-z)"));
    for (const QChar c : name) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
            || c == u'_' || c == u'-' || c == u'.';
        if (!ok)
            return fail(QStringLiteral("a username may only hold letters a-z, digits, '_', '-' and '.'"));
    }
    return true;
}

QString canonicalUsername(const QString &name)
{
    return name.toLower();
}

} // namespace Confab
