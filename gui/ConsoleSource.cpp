// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConsoleSource.h"

using namespace Qt::StringLiterals;

namespace fulcrum::console {

bool exportFormatForFile(const QString &fileName, ExportFormat *format)
{
    if (fileName.endsWith(u".json"_s, Qt::CaseInsensitive))
        *format = ExportFormat::Json;
    else if (fileName.endsWith(u".csv"_s, Qt::CaseInsensitive))
        *format = ExportFormat::Csv;
    else if (fileName.endsWith(u".prom"_s, Qt::CaseInsensitive))
        *format = ExportFormat::Prometheus;
    else
        return false;
    return true;
}

} // namespace fulcrum::console
