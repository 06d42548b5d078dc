// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "AddressRange.h"
#include "ConfigTypes.h"
#include "RateLimitConfig.h"
#include "RoutingConfig.h"
#include "TlsConfig.h"

namespace fulcrum {

enum class LogFormat
{
    Text,
    Json
};

// The least severe messages logged: "debug", "info", "warning" or "error".
enum class LogLevel
{
    Debug,
    Info,
    Warning,
    Error,
};

struct ProxyConfig
{
    QList<ListenAddress> listen;
    // "trusted_proxies", --trusted-proxy: peers whose X-Forwarded-For and PROXY headers are believed.
    QList<AddressRange> trustedProxies;
    int workers = 0; // 0: one per core
    // The top-level pool: used when "pools" is empty, as one pool named "default".
    QList<BackendConfig> backends;
    BalancingConfig balancing;
    HealthCheckConfig healthCheck;       // the pool's defaults, copied into each backend
    CircuitBreakerConfig circuitBreaker; // the pool's defaults, copied into each backend
    UpstreamTransport transport;         // "tls", "send_proxy": the pool's defaults, copied into each backend
    OutlierDetectionConfig outlierDetection;
    RetryConfig retries;
    Timeouts timeouts;
    Limits limits;
    RateLimitConfig rateLimit;           // "rate_limit", --rate-limit: the per-client token bucket
    QList<PathRateLimit> pathRateLimits; // "rate_limit.paths": per-client buckets for path prefixes
    TlsConfig tls;                       // "tls", --tls-cert/--tls-key: the certificates of tls listeners
    LogFormat logFormat = LogFormat::Text;
    LogLevel logLevel = LogLevel::Info;
    bool accessLog = true;
    int metricsIntervalMs = 1'000;
    SnapshotFilesConfig snapshotFiles; // "snapshots"; --snapshot-dir, --snapshot-every, --snapshot-format
    AdminConfig admin;                 // "admin"; --admin, --admin-token-file
    DnsConfig dns;     // "dns", --dns-server, --dns-interval: how discovered backends are looked up
    QString stateFile; // "state_file", --state-file: where runtime changes are kept; empty: nowhere
    // Several pools behind the listener, and the routes that choose among them (first match wins).
    QList<PoolConfig> pools;
    QList<RouteConfig> routes;

    static constexpr QLatin1StringView DefaultPoolName{"default"};
    // The pools traffic goes to: "pools", or the top-level backends as the one pool "default".
    QList<PoolConfig> effectivePools() const;
    // The routes: "routes", or one catch-all route to the only pool.
    QList<RouteConfig> effectiveRoutes() const;
    // What a pool's requests get from the top-level retries, timeouts and limits.
    RequestPolicy defaultPolicy() const;

    int effectiveWorkers() const;
    bool hasTlsListener() const;
    // Copies each pool's transport (the top level's for the top-level backends) into its backends.
    void applyTransports();
    // backend with its pool's health check, circuit breaker and transport (the top-level pool's when pool is
    // empty), for a backend that has no settings of its own (one the admin API adds, the demo's).
    BackendConfig withPoolSettings(BackendConfig backend, const QString &pool = {}) const;
    friend bool operator==(const ProxyConfig &, const ProxyConfig &) = default;
};

} // namespace fulcrum
