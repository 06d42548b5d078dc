// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/Backend.h"
#include "metrics/MetricsSnapshot.h"

namespace fulcrum {

// Reads one backend's counters and gauges, summed over the first workerCount workers, into `metrics`;
// names, states, health and latencies are left as they are.
void readBackendCounters(const BackendRuntime &runtime, int workerCount, BackendMetrics &metrics);

// The listener totals that are sums of backend counters, and only those.
struct ListenerSums
{
    quint64 forwardedRequests = 0;
    quint64 retries = 0;
    quint64 retryExhausted = 0;
    quint64 clientAborts = 0;
    quint64 circuitOpen = 0;

    void add(const BackendMetrics &backend);
    void add(const ListenerSums &other);
    void writeTo(MetricsSnapshot &snapshot) const;
};

} // namespace fulcrum
