// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigValues.h"
#include "ProxyConfig.h"

#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

// What one "health_check" object says, field by field: a field left unset takes the value beneath it
// (the pool's for a backend, the default for the pool).
struct HealthCheckOverrides
{
    std::optional<bool> enabled;
    std::optional<QString> method;
    std::optional<QString> path;
    std::optional<StatusRange> expectStatus;
    std::optional<QString> expectBody;
    std::optional<QString> host;
    std::optional<int> intervalMs;
    std::optional<int> timeoutMs;
    std::optional<int> jitterPercent;
    std::optional<int> rise;
    std::optional<int> fall;

    HealthCheckConfig appliedTo(HealthCheckConfig base) const;
    friend bool operator==(const HealthCheckOverrides &, const HealthCheckOverrides &) = default;
};

// What one "circuit_breaker" object says, field by field.
struct CircuitBreakerOverrides
{
    std::optional<int> maxConnections;
    std::optional<int> maxPendingRequests;
    std::optional<int> maxRequests;

    CircuitBreakerConfig appliedTo(CircuitBreakerConfig base) const;
    friend bool operator==(const CircuitBreakerOverrides &, const CircuitBreakerOverrides &) = default;
};

// A backend's own settings from the config file, kept apart from its resolved BackendConfig so they can
// be applied again over a pool the command line changed.
struct BackendOverrides
{
    QString backend; // the backend's name
    HealthCheckOverrides healthCheck;
    CircuitBreakerOverrides circuitBreaker;
    friend bool operator==(const BackendOverrides &, const BackendOverrides &) = default;
};

// Sets each of backends' healthCheck and circuitBreaker to the pool's (healthCheck, circuitBreaker) with
// that backend's own overrides, found by name, on top. Names are unique across all pools, so one list of
// overrides serves every pool.
void resolveBackendSettings(QList<BackendConfig> &backends, const HealthCheckConfig &healthCheck,
                            const CircuitBreakerConfig &circuitBreaker,
                            const QList<BackendOverrides> &overrides);
// The same for every pool of config: the top-level backends with the top-level settings (config.healthCheck,
// config.circuitBreaker), and each of config.pools with its own.
void resolveBackendSettings(ProxyConfig &config, const QList<BackendOverrides> &overrides);

} // namespace fulcrum
