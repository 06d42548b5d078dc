// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "MetricsSnapshot.h"

#include <QByteArray>
#include <QString>

namespace fulcrum {

// What the exports describe that a snapshot does not carry: the build and the process around it.
struct ExportInfo
{
    QString version;                       // JSON "version", fulcrum_build_info{version}
    qint64 processStartSecsSinceEpoch = 0; // process_start_time_seconds
};

// One snapshot in three formats. Every field, column and family, with its unit, is documented in
// docs/metrics.md: keep that file in step with any change here, since dashboards and scripts read it.

// UTF-8 JSON, "schema": "fulcrum.snapshot/1"; keys of every object in sorted order.
QByteArray snapshotToJson(const MetricsSnapshot &snapshot, const ExportInfo &info);
// RFC 4180 CSV: a header row, then one row per backend, each with the snapshot's time.
QByteArray snapshotToCsv(const MetricsSnapshot &snapshot);
// Prometheus text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4).
QByteArray snapshotToPrometheus(const MetricsSnapshot &snapshot, const ExportInfo &info);

} // namespace fulcrum
