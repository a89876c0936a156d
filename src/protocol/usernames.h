// Username rules, shared by the server (which enforces them) and clients (which warn early).
#pragma once

#include <QString>

namespace Confab {

// 2–32 characters from A–Z a–z 0–9 _ - . ; the first one a letter. Case is kept for display but
// ignored for uniqueness: "Alice" and "alice" are the same account.
bool isValidUsername(const QString &name, QString *whyNot = nullptr);
// The key under which an account is unique.
QString canonicalUsername(const QString &name);

// Room names follow the same rules (clients may show them as "#name"; the "#" is not part of it).
bool isValidRoomName(const QString &name, QString *whyNot = nullptr);
inline QString canonicalRoomName(const QString &name) { return name.toLower(); }

} // namespace Confab
