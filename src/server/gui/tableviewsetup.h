// The look every admin table shares: no row numbers, compact fixed-height rows, columns sized to
// their contents (measuring at most the first rows, so big tables stay fast).
#pragma once

#include <QtGlobal>

QT_BEGIN_NAMESPACE
class QTableView;
QT_END_NAMESPACE

namespace Confab {

enum class LastColumn { Stretch, Natural };
void setUpAdminTable(QTableView *view, LastColumn last);

} // namespace Confab
