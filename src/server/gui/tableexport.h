// Writes what a table model shows (headers and display text of every row) as CSV (RFC 4180),
// so an exported traffic log opens in any spreadsheet.
#pragma once

#include <QString>

QT_BEGIN_NAMESPACE
class QAbstractItemModel;
class QIODevice;
QT_END_NAMESPACE

namespace Confab {

bool writeCsv(const QAbstractItemModel *model, QIODevice *device, QString *error);
// Writes to a file, replacing it; on failure says why.
bool writeCsvFile(const QAbstractItemModel *model, const QString &path, QString *error);

} // namespace Confab
