// A yes/no question that does not block: the box opens window-modal and `onConfirm` runs only if
// the administrator picks the confirming button. The server keeps serving while it is open.
#pragma once

#include <QString>

#include <functional>

QT_BEGIN_NAMESPACE
class QMessageBox;
class QWidget;
QT_END_NAMESPACE

namespace Confab {

// The box is named `objectName` and its confirming button "confirmButton", so tests can find
// and press them. Returns the box, which deletes itself when closed.
QMessageBox *askToConfirm(QWidget *parent, const QString &objectName, const QString &title, const QString &text,
                          const QString &confirmText, std::function<void()> onConfirm);

} // namespace Confab
