#include "adminconfirm.h"

#include <QMessageBox>
#include <QPushButton>

namespace Confab {

QMessageBox *askToConfirm(QWidget *parent, const QString &objectName, const QString &title, const QString &text,
                          const QString &confirmText, std::function<void()> onConfirm)
{
    auto *box = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::NoButton, parent);
    box->setObjectName(objectName);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    QPushButton *confirm = box->addButton(confirmText, QMessageBox::AcceptRole);
    confirm->setObjectName(QStringLiteral("confirmButton"));
    QPushButton *cancel = box->addButton(QMessageBox::Cancel);
    cancel->setObjectName(QStringLiteral("cancelButton"));
    box->setDefaultButton(cancel);
    QObject::connect(box, &QMessageBox::buttonClicked, box, [confirm, onConfirm = std::move(onConfirm)](QAbstractButton *clicked) {
        if (clicked == confirm)
            onConfirm();
    });
    box->open();
    return box;
}

} // namespace Confab
