// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigTypes.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

// What a request to one pool is allowed: resolved from the top level, then the pool's own settings.
// A route may override each part for its own requests.
struct RequestPolicy
{
    RetryConfig retries;
    int upstreamConnectMs = Timeouts{}.upstreamConnectMs;
    int upstreamResponseMs = Timeouts{}.upstreamResponseMs;
    qint64 maxBodyBytes = 0; // 0: unlimited; else 413
    friend bool operator==(const RequestPolicy &, const RequestPolicy &) = default;
};

// A set of interchangeable backends with its own balancing, health checks, circuit breakers, retries
// and upstream timeouts. Backend names are unique across all pools.
struct PoolConfig
{
    QString name;
    BalancingConfig balancing;
    QList<BackendConfig> backends;       // health check and circuit breaker already resolved
    HealthCheckConfig healthCheck;       // the pool's defaults, copied into each backend
    CircuitBreakerConfig circuitBreaker; // the pool's defaults, copied into each backend
    UpstreamTransport transport;         // "tls", "send_proxy": copied into each backend
    RequestPolicy policy;
    friend bool operator==(const PoolConfig &, const PoolConfig &) = default;
};

// A header the request must carry: with this exact value, or (presentOnly) with any value.
struct HeaderMatch
{
    QString name; // compared case-insensitively
    QString value;
    bool presentOnly = false;
    friend bool operator==(const HeaderMatch &, const HeaderMatch &) = default;
};

// A query parameter the request must carry with this exact value (both compared percent-decoded).
struct QueryMatch
{
    QString name;
    QString value;
    friend bool operator==(const QueryMatch &, const QueryMatch &) = default;
};

// Every condition that is set must hold; a match with nothing set matches every request.
struct RouteMatch
{
    QString host;       // lower case, no port, no trailing dot; "*.example.com" matches any subdomain
    QString path;       // exact, against the normalised path
    QString pathPrefix; // segment-aware: "/api" matches "/api" and "/api/x", not "/apix"
    QString method;     // exact, upper case as sent
    QList<HeaderMatch> headers;
    QList<QueryMatch> query;

    bool matchesEverything() const
    {
        return host.isEmpty() && path.isEmpty() && pathPrefix.isEmpty() && method.isEmpty() &&
               headers.isEmpty() && query.isEmpty();
    }
    friend bool operator==(const RouteMatch &, const RouteMatch &) = default;
};

inline constexpr int MaxSplitWeight = 10'000;

struct SplitTarget
{
    QString pool;
    int weight = 0; // 0..MaxSplitWeight; 0 keeps the pool in the split with no new traffic
    friend bool operator==(const SplitTarget &, const SplitTarget &) = default;
};

struct RedirectAction
{
    int status = 302; // 301, 302, 303, 307 or 308
    QString location; // may use {host}, {path} and {query}
    friend bool operator==(const RedirectAction &, const RedirectAction &) = default;
};

struct RespondAction
{
    int status = 200;
    QByteArray body;
    QString contentType = QStringLiteral("text/plain; charset=utf-8");
    friend bool operator==(const RespondAction &, const RespondAction &) = default;
};

enum class RouteActionKind
{
    Forward,  // "pool": to one pool
    Split,    // "split": weighted over several pools
    Redirect, // "redirect"
    Respond,  // "respond": answered by the proxy itself
};

struct HeaderValue
{
    QByteArray name;
    QByteArray value;
    friend bool operator==(const HeaderValue &, const HeaderValue &) = default;
};

// Applied in this order: remove, then set (replacing every header of that name), then add.
struct HeaderRules
{
    QList<QByteArray> remove;
    QList<HeaderValue> set;
    QList<HeaderValue> add;
    bool isEmpty() const { return remove.isEmpty() && set.isEmpty() && add.isEmpty(); }
    friend bool operator==(const HeaderRules &, const HeaderRules &) = default;
};

// Rewrites the forwarded path when it starts with `prefix` (segment-aware): "strip_prefix" replaces
// it with nothing (leaving "/" at least), "replace_prefix" with `replacement`.
struct PathRewrite
{
    QString prefix; // empty: no rewrite
    QString replacement;
    bool isEmpty() const { return prefix.isEmpty(); }
    friend bool operator==(const PathRewrite &, const PathRewrite &) = default;
};

// Each part that is set replaces the pool's for this route's requests.
struct PolicyOverrides
{
    std::optional<RetryConfig> retries;
    std::optional<int> upstreamConnectMs;
    std::optional<int> upstreamResponseMs;
    std::optional<qint64> maxBodyBytes;

    RequestPolicy appliedTo(RequestPolicy base) const;
    friend bool operator==(const PolicyOverrides &, const PolicyOverrides &) = default;
};

struct RouteConfig
{
    QString name;                    // unique; "route-<index>" when the file gives none
    std::optional<RouteMatch> match; // none: the default route, matching every request
    RouteActionKind action = RouteActionKind::Forward;
    QString pool;              // Forward
    QList<SplitTarget> split;  // Split
    StickyCookie stickyCookie; // Split: keeps a client on the pool it was first sent to
    RedirectAction redirect;   // Redirect
    RespondAction respond;     // Respond
    HeaderRules requestHeaders;
    HeaderRules responseHeaders;
    PathRewrite rewrite;
    PolicyOverrides overrides;

    bool isCatchAll() const { return !match || match->matchesEverything(); }
    // The pools this route may send a request to, in order.
    QStringList pools() const;
    friend bool operator==(const RouteConfig &, const RouteConfig &) = default;
};

// "web 80, api 20"
QString describeSplit(const QList<SplitTarget> &split);
// For logs and the console: "host api.example.com, path_prefix /beta -> split web 80, api 20".
QString describeRoute(const RouteConfig &route);

} // namespace fulcrum
