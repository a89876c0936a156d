// Why a user or room name breaks the rules of docs/PROTOCOL.md §6, in translated words for the
// dialogs (the protocol library decides validity; this only explains it).
#pragma once

#include <QCoreApplication>
#include <QString>

namespace Confab {

enum class NameKind { User, Room };

class NameProblems
{
    Q_DECLARE_TR_FUNCTIONS(Confab::NameProblems)
public:
    // Empty when the name is valid.
    static QString describe(const QString &name, NameKind kind);
};

inline QString nameProblem(const QString &name, NameKind kind)
{
    return NameProblems::describe(name, kind);
}

} // namespace Confab
