// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendState.h"
#include "config/ProxyConfig.h"
#include "metrics/Counters.h"
#include "metrics/LatencyHistogram.h"

#include <QHostAddress>

#include <atomic>
#include <memory>

namespace fulcrum {

// One worker's latency histograms for one backend.
struct BackendLatency
{
    LatencyRecorder firstByte; // request sent to the backend → its response head
    LatencyRecorder total;     // request head from the client → response complete
};

// State that outlives any one backend table: it keeps counting across reloads and weight changes
// as long as the backend keeps its name.
struct BackendRuntime
{
    BackendRuntime() = default;
    BackendRuntime(const BackendRuntime &) = delete;
    BackendRuntime &operator=(const BackendRuntime &) = delete;
    ~BackendRuntime()
    {
        for (std::atomic<BackendLatency *> &recorders : latency)
            delete recorders.load(std::memory_order_acquire);
    }

    // This worker's histograms, made on its first response from this backend: 64 KiB per worker that
    // actually uses the backend, instead of for every possible worker.
    BackendLatency &latencyOf(int worker)
    {
        std::atomic<BackendLatency *> &slot = latency[static_cast<std::size_t>(worker)];
        BackendLatency *recorders = slot.load(std::memory_order_relaxed);
        if (recorders == nullptr) {
            recorders = new BackendLatency;
            slot.store(recorders, std::memory_order_release); // the collector may read it from now on
        }
        return *recorders;
    }

    WorkerSlots<BackendCounterSlot> counters;
    // Written (once, when created) by its own worker only; read by the metrics collector.
    std::array<std::atomic<BackendLatency *>, kMaxWorkers> latency{};
    // Requests sent to this backend and not finished, over all workers: least-connections and
    // power-of-two compare it, and a draining backend is idle when it reaches zero. Alone on its
    // cache line because every worker writes it.
    alignas(64) std::atomic<int> inFlight{0};
    // Upstream failures in a row on real traffic, over all workers; a success resets it. Reaching
    // the outlier threshold asks the control thread to eject the backend.
    std::atomic<int> consecutiveFailures{0};
    // For the circuit breaker, over all workers: open upstream connections (idle ones included) and
    // requests waiting for a new connection to open.
    std::atomic<int> openConnections{0};
    std::atomic<int> pendingRequests{0};
};

struct Backend
{
    BackendConfig config;
    QHostAddress address; // resolved once when the table is built, never on the request path
    QByteArray authority; // "host:port", the Host for clients that sent none
    std::shared_ptr<BackendRuntime> runtime;
    BackendState state = BackendState::Up;
    int effectiveWeight =
        -1; // the configured weight (-1 until the table sets it), lower while slow start ramps
    QByteArray stickyValue; // the sticky cookie's value for this backend: opaque, stable across restarts

    bool inRotation() const { return state == BackendState::Up && effectiveWeight > 0; }
    // Requests pinned by a sticky cookie still reach a backend at weight 0 (a soft drain, as in
    // HAProxy), but never one that is down, draining or in maintenance.
    bool acceptsSticky() const { return state == BackendState::Up; }
};

} // namespace fulcrum
