// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "metrics/MetricsSnapshot.h"

namespace fulcrum {

// Sums every worker's counter slots into one snapshot. Reads are relaxed atomics, so collecting
// never stalls a worker; a snapshot may be a few requests behind, never torn within a counter.
// Mutable until published, so the caller can add what the counters do not know (health, ejections).
std::shared_ptr<MetricsSnapshot> collectMetrics(const PoolTables &tables,
                                                const WorkerSlots<ListenerCounterSlot> &listeners,
                                                int workerCount, qint64 uptimeMs);

} // namespace fulcrum
