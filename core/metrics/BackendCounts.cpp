// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendCounts.h"

#include <numeric>

namespace fulcrum {

void readBackendCounters(const BackendRuntime &runtime, int workerCount, BackendMetrics &metrics)
{
    for (int w = 0; w < workerCount; ++w) {
        const BackendCounterSlot &slot = runtime.counters.slot(w);
        metrics.requests += slot.requests.value();
        for (std::size_t c = 0; c < metrics.responsesByClass.size(); ++c)
            metrics.responsesByClass[c] += slot.responsesByClass[c].value();
        metrics.connectErrors += slot.connectErrors.value();
        metrics.timeouts += slot.timeouts.value();
        metrics.resets += slot.resets.value();
        metrics.invalidResponses += slot.invalidResponses.value();
        metrics.bytesFromClient += slot.bytesFromClient.value();
        metrics.bytesToClient += slot.bytesToClient.value();
        metrics.connectionsOpened += slot.connectionsOpened.value();
        metrics.activeRequests += slot.activeRequests.value();
        for (std::size_t k = 0; k < metrics.limitRejections.size(); ++k)
            metrics.limitRejections[k] += slot.limitRejections[k].value();
        metrics.retries += slot.retries.value();
        metrics.retryExhausted += slot.retryExhausted.value();
        metrics.clientAborts += slot.clientAborts.value();
    }
    // From the very values exported per limit, so that the two can never disagree.
    metrics.circuitOpen =
        std::accumulate(metrics.limitRejections.cbegin(), metrics.limitRejections.cend(), quint64(0));
    metrics.activeConnections = runtime.openConnections.load(std::memory_order_relaxed);
}

void ListenerSums::add(const BackendMetrics &backend)
{
    forwardedRequests += backend.requests;
    retries += backend.retries;
    retryExhausted += backend.retryExhausted;
    clientAborts += backend.clientAborts;
    circuitOpen += backend.circuitOpen;
}

void ListenerSums::add(const ListenerSums &other)
{
    forwardedRequests += other.forwardedRequests;
    retries += other.retries;
    retryExhausted += other.retryExhausted;
    clientAborts += other.clientAborts;
    circuitOpen += other.circuitOpen;
}

void ListenerSums::writeTo(MetricsSnapshot &snapshot) const
{
    snapshot.forwardedRequests = forwardedRequests;
    snapshot.retries = retries;
    snapshot.retryExhausted = retryExhausted;
    snapshot.clientAborts = clientAborts;
    snapshot.circuitOpen = circuitOpen;
}

} // namespace fulcrum
