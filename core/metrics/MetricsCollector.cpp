// SPDX-License-Identifier: GPL-3.0-or-later
#include "MetricsCollector.h"

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
} // namespace

std::shared_ptr<MetricsSnapshot> collectMetrics(const PoolTables &tables,
                                                const WorkerSlots<ListenerCounterSlot> &listeners,
                                                int workerCount, qint64 uptimeMs)
{
    auto snapshot = std::make_shared<MetricsSnapshot>();
    snapshot->time = QDateTime::currentDateTimeUtc();
    snapshot->uptimeMs = uptimeMs;
    for (int w = 0; w < workerCount; ++w) {
        const ListenerCounterSlot &slot = listeners.slot(w);
        snapshot->connectionsAccepted += slot.connectionsAccepted.value();
        snapshot->openConnections += slot.openConnections.value();
        snapshot->requests += slot.requests.value();
        snapshot->clientErrors += slot.clientErrors.value();
        snapshot->noBackend += slot.noBackend.value();
        snapshot->upstreamFailures += slot.upstreamFailures.value();
        snapshot->allAtLimits += slot.allAtLimits.value();
        snapshot->retries += slot.retries.value();
        snapshot->retriesDenied += slot.retriesDenied.value();
    }
    for (const PoolTable &pool : tables) {
        for (const Backend &backend : pool.table->backends()) {
            BackendMetrics metrics;
            metrics.name = backend.config.name;
            metrics.pool = pool.name;
            metrics.url = backend.config.url();
            metrics.weight = backend.config.weight;
            metrics.effectiveWeight = backend.effectiveWeight;
            metrics.state = backendStateName(backend.state);
            for (int w = 0; w < workerCount; ++w) {
                const BackendCounterSlot &slot = backend.runtime->counters.slot(w);
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
            }
            auto firstByte = std::make_shared<LatencyDistribution>();
            auto total = std::make_shared<LatencyDistribution>();
            for (int w = 0; w < workerCount; ++w) {
                const BackendLatency *recorders =
                    backend.runtime->latency[static_cast<std::size_t>(w)].load(std::memory_order_acquire);
                if (recorders == nullptr)
                    continue;
                firstByte->add(recorders->firstByte);
                total->add(recorders->total);
            }
            metrics.firstByte = latencyMetricsOf(std::move(firstByte));
            metrics.responseTime = latencyMetricsOf(std::move(total));
            snapshot->backends.append(metrics);
        }
    }
    return snapshot;
}

} // namespace fulcrum
