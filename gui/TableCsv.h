// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QAbstractItemModel;

namespace fulcrum::console {

// The model as the view shows it (its rows in their order, the display text of each cell), as CSV
// (RFC 4180: a header row, fields quoted when they hold a comma, a quote or a line break, CRLF).
QString modelToCsv(const QAbstractItemModel &model);

} // namespace fulcrum::console
