// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/LatencyHistogram.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <array>
#include <memory>

namespace fulcrum {

// A latency histogram merged over the workers, and the percentiles operators read off it.
struct LatencyMetrics
{
    std::shared_ptr<const LatencyDistribution> distribution; // never null in a published snapshot
    quint64 count = 0;
    quint64 p50Us = 0;
    quint64 p90Us = 0;
    quint64 p99Us = 0;
    quint64 p999Us = 0;
};

struct BackendMetrics
{
    QString name;
    QString pool;
    QString url;
    int weight = 0;          // as configured or last set
    int effectiveWeight = 0; // what balancing uses now: lower while slow start ramps
    QString state;           // "up", "down", "draining", "maintenance"

    // Health, from the registry: `state` above is what it makes of these and of the operator's state.
    bool healthy = true;            // the active checks' verdict (true when there are none)
    QString healthReason;           // why the checks last changed their verdict
    qint64 lastProbeLatencyUs = -1; // -1: never probed
    int timesEjected = 0;           // passive health (outlier detection) ejections so far
    qint64 ejectedForMs = 0;        // time left of the current ejection; 0 when not ejected

    quint64 requests = 0;
    std::array<quint64, 5> responsesByClass{}; // 1xx..5xx
    quint64 connectErrors = 0;
    quint64 timeouts = 0;
    quint64 resets = 0;
    quint64 invalidResponses = 0;
    quint64 bytesFromClient = 0;
    quint64 bytesToClient = 0;
    quint64 connectionsOpened = 0;
    qint64 activeRequests = 0;
    // Requests sent elsewhere because this backend was at a circuit-breaker limit: max_requests,
    // max_connections, max_pending_requests (in LimitKind's order).
    std::array<quint64, 3> limitRejections{};
    quint64 retries = 0;         // attempts on this backend that were retries of a failed one
    LatencyMetrics firstByte;    // request sent → response head from the backend
    LatencyMetrics responseTime; // request head received → response complete

    qint64 activeConnections = 0; // upstream connections open now, idle pooled ones included
    quint64 circuitOpen = 0;      // the sum of limitRejections: refusals by any circuit-breaker limit
    quint64 retryExhausted = 0;   // requests whose last attempt failed here with no retry left or allowed
    quint64 clientAborts = 0;     // clients gone mid-exchange while their request was here

    // Requests per second (of `requests`), from the history of collected snapshots (RequestRates.h).
    double requestRate1s = 0;
    double requestRate10s = 0;
    double requestRate60s = 0;
};

// Totals over every worker at one moment; immutable once published.
struct MetricsSnapshot
{
    QDateTime time;
    qint64 uptimeMs = 0;
    quint64 connectionsAccepted = 0;
    qint64 openConnections = 0;
    quint64 requests = 0;
    quint64 clientErrors = 0;
    quint64 noBackend = 0;
    quint64 upstreamFailures = 0;
    quint64 allAtLimits = 0;   // 503s because every usable backend was at a circuit-breaker limit
    quint64 retriesDenied = 0; // retries the retry budget refused
    quint64 rateLimited = 0;   // 429s from the per-client rate limit
    // New connections closed at once at max_client_connections, max_connections_per_client.
    std::array<quint64, 2> connectionsRefused{};
    std::array<quint64, 5> responsesByClass{}; // final responses clients got, 1xx..5xx, proxy's own included
    quint64 bytesFromClients = 0;
    quint64 bytesToClients = 0;
    quint64 tunnels = 0; // connections a 101 turned into tunnels
    qint64 openTunnels = 0;
    quint64 tunnelBytesFromClients = 0; // included in bytesFromClients
    quint64 tunnelBytesToClients = 0;   // included in bytesToClients

    // Sums of the backends' counters of the same name, taken from the very values in `backends`, plus
    // what backends removed since the start had counted (so that they never go down).
    quint64 forwardedRequests = 0; // BackendMetrics::requests
    quint64 retries = 0;
    quint64 retryExhausted = 0;
    quint64 clientAborts = 0;
    quint64 circuitOpen = 0;

    // Requests per second (of `requests`), as for each backend.
    double requestRate1s = 0;
    double requestRate10s = 0;
    double requestRate60s = 0;

    QList<BackendMetrics> backends;
};

using MetricsSnapshotPtr = std::shared_ptr<const MetricsSnapshot>;

} // namespace fulcrum
