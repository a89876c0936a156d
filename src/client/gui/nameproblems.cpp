#include "nameproblems.h"

#include "protocol.h"
#include "usernames.h"

namespace Confab {

namespace {
bool isAsciiLetter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}
} // namespace

QString NameProblems::describe(const QString &name, NameKind kind)
{
    const bool user = kind == NameKind::User;
    if (user ? isValidUsername(name) : isValidRoomName(name))
        return {};
    if (name.size() < Limits::MinUsernameLength || name.size() > Limits::MaxUsernameLength) {
        return (user ? tr("a username has %1 to %2 characters") : tr("a room name has %1 to %2 characters"))
            .arg(Limits::MinUsernameLength).arg(Limits::MaxUsernameLength);
    }
    if (!isAsciiLetter(name.front()))
        return user ? tr("a username starts with a letter (a–z)") : tr("a room name starts with a letter (a–z)");
    return user ? tr("a username may only hold the letters a–z, digits, “_”, “-” and “.”")
                : tr("a room name may only hold the letters a–z, digits, “_”, “-” and “.”");
}

} // namespace Confab
