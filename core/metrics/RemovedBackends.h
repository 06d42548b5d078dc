// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "metrics/BackendCounts.h"

#include <memory>
#include <vector>

namespace fulcrum {

// What backends no longer in any table have counted, so that the listener totals summed over backends
// never go down when one is removed. A removed backend may still count for a while (requests in flight
// on it finish or fail, clients abort), so its counters are read on every collection until nothing but
// this holds its runtime any more; then its final counts are kept and the runtime let go.
class RemovedBackends
{
public:
    // The tables now: a runtime seen in an earlier call and missing from these counts as removed.
    void update(const PoolTables &tables);
    // Adds what every backend removed so far has counted.
    void addTo(ListenerSums &sums, int workerCount);

private:
    std::vector<std::shared_ptr<BackendRuntime>> m_present;
    std::vector<std::shared_ptr<BackendRuntime>> m_removed; // still referenced elsewhere
    ListenerSums m_released;                                // final counts of the ones let go
};

} // namespace fulcrum
