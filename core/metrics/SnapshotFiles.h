// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigTypes.h"
#include "metrics/MetricsSnapshot.h"
#include "metrics/SnapshotExport.h"

#include <QStringList>

namespace fulcrum {

// Writes one snapshot as one file per configured format into the configured directory, named
// "fulcrum-snapshot-<UTC time to the millisecond>.<json|csv|prom>". Each file is written to a temporary
// file beside it and renamed into place, so a reader never sees half a file and a full disk leaves no
// trace. Returns the files written; on the first failure stops, with *error naming the file and why.
QStringList writeSnapshotFiles(const MetricsSnapshot &snapshot, const SnapshotFilesConfig &config,
                               const ExportInfo &info, QString *error);

} // namespace fulcrum
