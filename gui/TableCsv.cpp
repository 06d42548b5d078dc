// SPDX-License-Identifier: GPL-3.0-or-later
#include "TableCsv.h"

#include <QAbstractItemModel>
#include <QStringList>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
QString csvField(QString text)
{
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n') && !text.contains(u'\r'))
        return text;
    text.replace(u"\""_s, u"\"\""_s);
    return u'"' + text + u'"';
}

QString csvLine(const QStringList &fields)
{
    QStringList quoted;
    quoted.reserve(fields.size());
    for (const QString &field : fields)
        quoted.append(csvField(field));
    return quoted.join(u',') + u"\r\n"_s;
}
} // namespace

QString modelToCsv(const QAbstractItemModel &model)
{
    QStringList header;
    for (int column = 0; column < model.columnCount(); ++column)
        header.append(model.headerData(column, Qt::Horizontal, Qt::DisplayRole).toString());
    QString csv = csvLine(header);
    for (int row = 0; row < model.rowCount(); ++row) {
        QStringList fields;
        for (int column = 0; column < model.columnCount(); ++column)
            fields.append(model.index(row, column).data(Qt::DisplayRole).toString());
        csv += csvLine(fields);
    }
    return csv;
}

} // namespace fulcrum::console
