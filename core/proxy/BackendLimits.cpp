// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendLimits.h"

namespace fulcrum {

namespace {
bool atLimit(const std::atomic<int> &count, int limit)
{
    return limit > 0 && count.load(std::memory_order_relaxed) >= limit;
}
} // namespace

std::optional<LimitKind> exceededLimit(const Backend &backend, bool hasIdleConnection)
{
    const CircuitBreakerConfig &limits = backend.config.circuitBreaker;
    const BackendRuntime &runtime = *backend.runtime;
    if (atLimit(runtime.inFlight, limits.maxRequests))
        return LimitKind::MaxRequests;
    if (hasIdleConnection)
        return std::nullopt;
    if (atLimit(runtime.openConnections, limits.maxConnections))
        return LimitKind::MaxConnections;
    if (atLimit(runtime.pendingRequests, limits.maxPendingRequests))
        return LimitKind::MaxPendingRequests;
    return std::nullopt;
}

QByteArray limitName(LimitKind kind)
{
    switch (kind) {
    case LimitKind::MaxRequests:
        return "max_requests";
    case LimitKind::MaxConnections:
        return "max_connections";
    case LimitKind::MaxPendingRequests:
        return "max_pending_requests";
    }
    return {};
}

} // namespace fulcrum
