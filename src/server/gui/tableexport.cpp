#include "tableexport.h"

#include <QAbstractItemModel>
#include <QCoreApplication>
#include <QSaveFile>
#include <QStringList>

namespace Confab {

namespace {
QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n'))
        && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QByteArray csvLine(const QStringList &fields)
{
    QStringList escaped;
    escaped.reserve(fields.size());
    for (const QString &field : fields)
        escaped.append(csvField(field));
    return escaped.join(QLatin1Char(',')).toUtf8() + "\r\n";
}
} // namespace

bool writeCsv(const QAbstractItemModel *model, QIODevice *device, QString *error)
{
    const int columns = model->columnCount();
    QStringList fields;
    for (int c = 0; c < columns; ++c)
        fields.append(model->headerData(c, Qt::Horizontal).toString());
    QByteArray chunk = csvLine(fields);
    const int rows = model->rowCount();
    for (int r = 0; r < rows; ++r) {
        fields.clear();
        for (int c = 0; c < columns; ++c)
            fields.append(model->index(r, c).data().toString());
        chunk += csvLine(fields);
        if (chunk.size() > 64 * 1024 || r == rows - 1) {
            if (device->write(chunk) != chunk.size()) {
                if (error)
                    *error = device->errorString();
                return false;
            }
            chunk.clear();
        }
    }
    if (!chunk.isEmpty() && device->write(chunk) != chunk.size()) {
        if (error)
            *error = device->errorString();
        return false;
    }
    return true;
}

bool writeCsvFile(const QAbstractItemModel *model, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QCoreApplication::translate("Confab::TableExport", "cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    if (!writeCsv(model, &file, error))
        return false;
    if (!file.commit()) {
        if (error)
            *error = QCoreApplication::translate("Confab::TableExport", "cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace Confab
