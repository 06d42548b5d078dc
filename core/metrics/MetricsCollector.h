// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "metrics/MetricsSnapshot.h"
#include "metrics/RemovedBackends.h"
#include "metrics/RequestRates.h"

namespace fulcrum {

// Sums every worker's counter slots into snapshots, on the control thread. Reads are relaxed atomics,
// so collecting never stalls a worker; a snapshot may be a few requests behind, never torn within a
// counter. The listener totals that are sums of backend counters are summed from the very values the
// snapshot's backends carry, so within a snapshot the two always agree. The collector remembers what
// one collection cannot know: the counts of removed backends and the history the rates come from.
class MetricsCollector
{
public:
    // Mutable until published, so the caller can add what the counters do not know (health, ejections).
    std::shared_ptr<MetricsSnapshot> collect(const PoolTables &tables,
                                             const WorkerSlots<ListenerCounterSlot> &listeners,
                                             int workerCount, qint64 uptimeMs);

private:
    RemovedBackends m_removed;
    RequestRates m_rates;
};

} // namespace fulcrum
