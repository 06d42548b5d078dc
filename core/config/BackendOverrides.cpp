// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendOverrides.h"

#include <algorithm>

namespace fulcrum {

namespace {

template <typename T>
void applyIfSet(const std::optional<T> &value, T &target)
{
    if (value)
        target = *value;
}

} // namespace

HealthCheckConfig HealthCheckOverrides::appliedTo(HealthCheckConfig base) const
{
    applyIfSet(enabled, base.enabled);
    applyIfSet(method, base.method);
    applyIfSet(path, base.path);
    if (expectStatus) {
        base.expectStatusMin = expectStatus->min;
        base.expectStatusMax = expectStatus->max;
    }
    applyIfSet(expectBody, base.expectBody);
    applyIfSet(host, base.host);
    applyIfSet(intervalMs, base.intervalMs);
    applyIfSet(timeoutMs, base.timeoutMs);
    applyIfSet(jitterPercent, base.jitterPercent);
    applyIfSet(rise, base.rise);
    applyIfSet(fall, base.fall);
    return base;
}

CircuitBreakerConfig CircuitBreakerOverrides::appliedTo(CircuitBreakerConfig base) const
{
    applyIfSet(maxConnections, base.maxConnections);
    applyIfSet(maxPendingRequests, base.maxPendingRequests);
    applyIfSet(maxRequests, base.maxRequests);
    return base;
}

void resolveBackendSettings(QList<BackendConfig> &backends, const HealthCheckConfig &healthCheck,
                            const CircuitBreakerConfig &circuitBreaker,
                            const QList<BackendOverrides> &overrides)
{
    for (BackendConfig &backend : backends) {
        backend.healthCheck = healthCheck;
        backend.circuitBreaker = circuitBreaker;
        const auto own =
            std::find_if(overrides.cbegin(), overrides.cend(),
                         [&backend](const BackendOverrides &o) { return o.backend == backend.name; });
        if (own == overrides.cend())
            continue;
        backend.healthCheck = own->healthCheck.appliedTo(backend.healthCheck);
        backend.circuitBreaker = own->circuitBreaker.appliedTo(backend.circuitBreaker);
    }
}

void resolveBackendSettings(ProxyConfig &config, const QList<BackendOverrides> &overrides)
{
    resolveBackendSettings(config.backends, config.healthCheck, config.circuitBreaker, overrides);
    for (PoolConfig &pool : config.pools)
        resolveBackendSettings(pool.backends, pool.healthCheck, pool.circuitBreaker, overrides);
}

} // namespace fulcrum
