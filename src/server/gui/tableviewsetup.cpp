#include "tableviewsetup.h"

#include <QHeaderView>
#include <QTableView>

namespace Confab {

void setUpAdminTable(QTableView *view, LastColumn last)
{
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    QHeaderView *header = view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setResizeContentsPrecision(500);
    header->setStretchLastSection(last == LastColumn::Stretch);
}

} // namespace Confab
