// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHostAddress>
#include <QList>
#include <QString>

namespace fulcrum {

struct ListenAddress
{
    QHostAddress address;
    quint16 port = 0; // 0 asks the kernel for an ephemeral port (tests use it)

    QString toString() const;
    friend bool operator==(const ListenAddress &, const ListenAddress &) = default;
};

struct BackendConfig
{
    QString name;
    QString host; // literal address or name resolved once at start/reload
    quint16 port = 80;
    int weight = 1;       // 0..1000; 0 keeps the backend configured but out of rotation
    int slowStartMs = -1; // ramp after coming back; -1 takes the pool's BalancingConfig::slowStartMs

    QString url() const;
    friend bool operator==(const BackendConfig &, const BackendConfig &) = default;
};

enum class StrategyKind
{
    RoundRobin,       // "round-robin": smooth weighted round robin, exact across workers
    LeastConnections, // "least-connections": fewest in-flight requests per unit of weight
    PowerOfTwo,       // "power-of-two": two weighted random candidates, the less loaded one wins
    Random,           // "random": weighted random
    ConsistentHash,   // "consistent-hash": weighted Maglev over HashKey
};

// What consistent-hash hashes: "client-ip", "header:NAME", "cookie:NAME" or "path".
struct HashKey
{
    enum class Source
    {
        ClientIp,
        Header,
        Cookie,
        Path,
    };
    Source source = Source::ClientIp;
    QString name; // the header or cookie name; empty for client-ip and path
    friend bool operator==(const HashKey &, const HashKey &) = default;
};

// Cookie-based stickiness on top of any strategy; disabled while name is empty.
struct StickyCookie
{
    QString name;
    int maxAgeS = 0; // 0: a session cookie (no Max-Age attribute)
    bool enabled() const { return !name.isEmpty(); }
    friend bool operator==(const StickyCookie &, const StickyCookie &) = default;
};

struct BalancingConfig
{
    StrategyKind strategy = StrategyKind::RoundRobin;
    HashKey hashKey;
    StickyCookie stickyCookie;
    int slowStartMs = 0; // 0: a backend that comes back takes its full weight at once
    friend bool operator==(const BalancingConfig &, const BalancingConfig &) = default;
};

// Every duration in milliseconds.
struct Timeouts
{
    int clientHeaderMs = 10'000;     // whole request head must arrive within this, else 408
    int clientIdleMs = 60'000;       // idle keep-alive client connection is closed after this
    int upstreamConnectMs = 5'000;   // connect to a backend, else 502
    int upstreamResponseMs = 60'000; // between request sent and response head / between body reads, else 504
    int upstreamIdleMs = 60'000;     // idle pooled upstream connection is closed after this
    int drainMs = 30'000;            // SIGTERM: in-flight requests get this long to finish
    friend bool operator==(const Timeouts &, const Timeouts &) = default;
};

struct Limits
{
    int maxHeaderBytes = 64 * 1024;       // request line + headers, else 431
    int maxRequestTargetBytes = 8 * 1024; // request target, else 414
    qint64 maxBodyBytes = 0;              // 0: unlimited; else 413
    int upstreamIdlePerBackend = 64;      // idle pooled upstream connections per backend per worker
    friend bool operator==(const Limits &, const Limits &) = default;
};

enum class LogFormat
{
    Text,
    Json
};

struct ProxyConfig
{
    QList<ListenAddress> listen;
    int workers = 0; // 0: one per core
    QList<BackendConfig> backends;
    BalancingConfig balancing;
    Timeouts timeouts;
    Limits limits;
    LogFormat logFormat = LogFormat::Text;
    bool accessLog = true;
    int metricsIntervalMs = 1'000;

    int effectiveWorkers() const;
    friend bool operator==(const ProxyConfig &, const ProxyConfig &) = default;
};

} // namespace fulcrum
