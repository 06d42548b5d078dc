// SPDX-License-Identifier: GPL-3.0-or-later
#include "MetricsCollector.h"

#include "metrics/BackendCounts.h"

namespace fulcrum {

namespace {
LatencyMetrics latencyMetricsOf(std::shared_ptr<LatencyDistribution> distribution)
{
    LatencyMetrics metrics;
    metrics.count = distribution->count();
    metrics.p50Us = distribution->valueAtPercentile(50);
    metrics.p90Us = distribution->valueAtPercentile(90);
    metrics.p99Us = distribution->valueAtPercentile(99);
    metrics.p999Us = distribution->valueAtPercentile(99.9);
    metrics.distribution = std::move(distribution);
    return metrics;
}

void readListenerCounters(const WorkerSlots<ListenerCounterSlot> &listeners, int workerCount,
                          MetricsSnapshot &snapshot)
{
    for (int w = 0; w < workerCount; ++w) {
        const ListenerCounterSlot &slot = listeners.slot(w);
        snapshot.connectionsAccepted += slot.connectionsAccepted.value();
        snapshot.openConnections += slot.openConnections.value();
        snapshot.requests += slot.requests.value();
        snapshot.clientErrors += slot.clientErrors.value();
        snapshot.noBackend += slot.noBackend.value();
        snapshot.upstreamFailures += slot.upstreamFailures.value();
        snapshot.allAtLimits += slot.allAtLimits.value();
        snapshot.retriesDenied += slot.retriesDenied.value();
        snapshot.rateLimited += slot.rateLimited.value();
        for (std::size_t r = 0; r < snapshot.connectionsRefused.size(); ++r)
            snapshot.connectionsRefused[r] += slot.connectionsRefused[r].value();
        for (std::size_t c = 0; c < snapshot.responsesByClass.size(); ++c)
            snapshot.responsesByClass[c] += slot.responsesByClass[c].value();
        snapshot.bytesFromClients += slot.bytesFromClients.value();
        snapshot.bytesToClients += slot.bytesToClients.value();
        snapshot.tunnels += slot.tunnels.value();
        snapshot.openTunnels += slot.openTunnels.value();
        snapshot.tunnelBytesFromClients += slot.tunnelBytesFromClients.value();
        snapshot.tunnelBytesToClients += slot.tunnelBytesToClients.value();
    }
}

void readLatencies(const BackendRuntime &runtime, int workerCount, BackendMetrics &metrics)
{
    auto firstByte = std::make_shared<LatencyDistribution>();
    auto total = std::make_shared<LatencyDistribution>();
    for (int w = 0; w < workerCount; ++w) {
        const BackendLatency *recorders =
            runtime.latency[static_cast<std::size_t>(w)].load(std::memory_order_acquire);
        if (recorders == nullptr)
            continue;
        firstByte->add(recorders->firstByte);
        total->add(recorders->total);
    }
    metrics.firstByte = latencyMetricsOf(std::move(firstByte));
    metrics.responseTime = latencyMetricsOf(std::move(total));
}
} // namespace

std::shared_ptr<MetricsSnapshot> MetricsCollector::collect(const PoolTables &tables,
                                                           const WorkerSlots<ListenerCounterSlot> &listeners,
                                                           int workerCount, qint64 uptimeMs)
{
    auto snapshot = std::make_shared<MetricsSnapshot>();
    snapshot->time = QDateTime::currentDateTimeUtc();
    snapshot->uptimeMs = uptimeMs;
    readListenerCounters(listeners, workerCount, *snapshot);
    ListenerSums sums;
    for (const PoolTable &pool : tables) {
        for (const Backend &backend : pool.table->backends()) {
            BackendMetrics metrics;
            metrics.name = backend.config.name;
            metrics.pool = pool.name;
            metrics.url = backend.config.url();
            metrics.weight = backend.config.weight;
            metrics.effectiveWeight = backend.effectiveWeight;
            metrics.state = backendStateName(backend.state);
            readBackendCounters(*backend.runtime, workerCount, metrics);
            readLatencies(*backend.runtime, workerCount, metrics);
            sums.add(metrics);
            snapshot->backends.append(metrics);
        }
    }
    m_removed.update(tables);
    m_removed.addTo(sums, workerCount);
    sums.writeTo(*snapshot);
    m_rates.apply(*snapshot);
    return snapshot;
}

} // namespace fulcrum
