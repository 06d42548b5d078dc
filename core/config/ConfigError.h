// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

namespace fulcrum {

// One problem found in a configuration source (JSON file or command line), precise enough for an
// operator to fix it without reading the code.
struct ConfigError
{
    QString field;  // "backends[1].weight", "--backend", a file path; empty when nothing narrower applies
    QString value;  // the offending value as written; null (not merely empty) when there is none to show
    QString reason; // "must be an integer from 0 to 1000"

    // field: "value": reason -- the field and value parts are left out when they are empty / null.
    QString toString() const;
    friend bool operator==(const ConfigError &, const ConfigError &) = default;
};

// One line per error, for printing.
QString formatConfigErrors(const QList<ConfigError> &errors);
// All on one line, "; " between them: for a log line or a reply.
QString joinConfigErrors(const QList<ConfigError> &errors);

} // namespace fulcrum
