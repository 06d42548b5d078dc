// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QByteArray>
#include <QString>

namespace fulcrum::console {

// A fulcrum.snapshot/1 JSON document (docs/metrics.md) back into the core's MetricsSnapshot, for the
// fields the console shows; nullptr with *error set when it is not one.
MetricsSnapshotPtr snapshotFromJson(const QByteArray &json, QString *error);

} // namespace fulcrum::console
