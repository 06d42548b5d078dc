// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QSslCertificate>
#include <QString>

#include <optional>

// The parts a configuration is made of; ProxyConfig.h puts them together.
namespace fulcrum {

struct ListenAddress
{
    QHostAddress address;
    quint16 port = 0; // 0 asks the kernel for an ephemeral port (tests use it)
    // ",proxy-protocol": every connection starts with a PROXY header from one of trusted_proxies.
    bool proxyProtocol = false;
    bool tls = false; // ",tls": connections are TLS, with the certificates of "tls"
    // ",redirect-https[=PORT]": every request is answered with a redirect to https on PORT; 0: no redirect.
    quint16 redirectHttpsPort = 0;

    QString toString() const;
    // toString() with the options, as a "listen" entry spells them.
    QString entryText() const;
    friend bool operator==(const ListenAddress &, const ListenAddress &) = default;
};

// Active health checking of one backend: a probe every interval (± jitter) that must answer within
// the timeout with a status in range (and, when set, a body containing expectBody).
struct HealthCheckConfig
{
    bool enabled = false;
    QString method = QStringLiteral("GET");
    QString path = QStringLiteral("/");
    int expectStatusMin = 200;
    int expectStatusMax = 399;
    QString expectBody; // empty: the body is not checked
    QString host;       // the probe's Host header; empty: the backend's own host:port
    int intervalMs = 2'000;
    int timeoutMs = 1'000;
    int jitterPercent = 10; // each interval is drawn uniformly within ± this share of intervalMs
    int rise = 2;           // consecutive passes that bring a down backend up
    int fall = 3;           // consecutive failures that take an up backend down
    friend bool operator==(const HealthCheckConfig &, const HealthCheckConfig &) = default;
};

// Per-backend limits; 0 means unlimited. A backend at a limit is skipped for another one.
struct CircuitBreakerConfig
{
    int maxConnections = 0;     // open upstream connections, idle ones included
    int maxPendingRequests = 0; // requests waiting for a new connection to open
    int maxRequests = 0;        // requests in flight
    friend bool operator==(const CircuitBreakerConfig &, const CircuitBreakerConfig &) = default;
};

// Where a backend's addresses come from.
enum class BackendDiscovery
{
    None,    // host is an address, or a name resolved once at start and on each reload
    Resolve, // ",resolve" / "resolve": true: one backend per A/AAAA address of host, kept up to date
    Srv,     // "srv://NAME": one backend per address of each SRV target of NAME, with its port and weight
};

// What a new connection to a backend starts with: nothing, or a PROXY protocol header naming the client
// ("send_proxy": "v1" or "v2", --send-proxy).
enum class SendProxy
{
    Off,
    V1,
    V2,
};

// How https:// backends are verified: a pool's "tls" object; --backend-ca, --backend-tls-no-verify and
// --backend-sni for the top-level pool.
struct BackendTlsConfig
{
    QString caFile; // empty: the system's CA store
    // Read from caFile by the loader, so no connection touches the file system; empty with no caFile.
    QList<QSslCertificate> caCertificates;
    bool verify = true;
    QString serverName; // sent as SNI and verified; empty: the URL's host when it is a name
    friend bool operator==(const BackendTlsConfig &, const BackendTlsConfig &) = default;
};

// A pool's settings for the connections to its backends, copied into each backend.
struct UpstreamTransport
{
    BackendTlsConfig tls; // applies to the pool's https:// backends only
    SendProxy sendProxy = SendProxy::Off;
    friend bool operator==(const UpstreamTransport &, const UpstreamTransport &) = default;
};

struct BackendConfig
{
    QString name;
    QString host;      // literal address or host name; the SRV name with BackendDiscovery::Srv
    quint16 port = 80; // unused with BackendDiscovery::Srv, whose records give the ports
    BackendDiscovery discovery = BackendDiscovery::None;
    bool https = false;   // "https://": the connection speaks TLS (transport.tls)
    int weight = 1;       // 0..1000; 0 keeps the backend configured but out of rotation
    int slowStartMs = -1; // ramp after coming back; -1 takes the pool's BalancingConfig::slowStartMs
    // Filled in by the loader from the pool's settings and this backend's overrides.
    HealthCheckConfig healthCheck;
    CircuitBreakerConfig circuitBreaker;
    UpstreamTransport transport;

    QString url() const;
    friend bool operator==(const BackendConfig &, const BackendConfig &) = default;
};

// What happens when no backend is usable (all down, ejected or at their limits).
enum class PanicMode
{
    FailClosed, // "fail-closed": 503 with Retry-After
    FailOpen,   // "fail-open": balance over every backend that is not in maintenance or draining
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
    PanicMode panicMode = PanicMode::FailClosed;
    friend bool operator==(const BalancingConfig &, const BalancingConfig &) = default;
};

// Passive health: failures seen on real traffic eject a backend for a while (Envoy's outlier detection).
struct OutlierDetectionConfig
{
    bool enabled = true;
    int consecutiveFailures = 5; // connect errors, resets and timeouts in a row (and 5xx when counted)
    bool count5xx = false;
    int baseEjectionMs = 30'000; // the n-th ejection of a backend lasts n × this, up to maxEjectionMs
    int maxEjectionMs = 300'000;
    int maxEjectionPercent = 50; // never eject more than this share of the backends
    friend bool operator==(const OutlierDetectionConfig &, const OutlierDetectionConfig &) = default;
};

struct RetryConfig
{
    int maxRetries = 2;       // attempts after the first, each on another backend when there is one
    QList<int> retryStatuses; // e.g. 502, 503: retried for idempotent methods (empty: none)
    int backoffBaseMs = 25;   // before retry n: a random wait up to base × 2^(n-1), capped at backoffMaxMs
    int backoffMaxMs = 250;
    int budgetPercent = 20; // retries may add at most this share of the requests of the last window
    int budgetWindowMs = 10'000;
    int budgetMinRetries = 3;             // always allowed per window, so a quiet proxy can still retry
    int maxBufferedBodyBytes = 64 * 1024; // a request body up to this size is kept for a retry
    friend bool operator==(const RetryConfig &, const RetryConfig &) = default;
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
    int tunnelIdleMs = 3'600'000;    // a tunnel (an upgraded connection) with no byte either way is closed
    friend bool operator==(const Timeouts &, const Timeouts &) = default;
};

struct Limits
{
    int maxHeaderBytes = 64 * 1024;       // request line + headers, else 431
    int maxRequestTargetBytes = 8 * 1024; // request target, else 414
    qint64 maxBodyBytes = 0;              // 0: unlimited; else 413
    int upstreamIdlePerBackend = 256;     // idle pooled upstream connections per backend per worker
    int maxClientConnections = 0;         // open client connections per listener; 0: unlimited
    int maxConnectionsPerClient = 0;      // open connections per client address (IPv6: /64); 0: unlimited
    friend bool operator==(const Limits &, const Limits &) = default;
};

enum class SnapshotFormat
{
    Json,       // "json"
    Csv,        // "csv"
    Prometheus, // "prom"
};

// Metrics snapshots written to files: every everySeconds (0: only on SIGUSR1), one file per format.
struct SnapshotFilesConfig
{
    QString dir; // empty: no files
    int everySeconds = 0;
    QList<SnapshotFormat> formats{SnapshotFormat::Json};
    bool enabled() const { return !dir.isEmpty(); }
    friend bool operator==(const SnapshotFilesConfig &, const SnapshotFilesConfig &) = default;
};

// How discovered backends (BackendDiscovery) are looked up: "dns", --dns-server, --dns-interval.
struct DnsConfig
{
    QHostAddress server;     // null: the system's resolvers (/etc/resolv.conf)
    int intervalMs = 30'000; // names are looked up again after this, or sooner when a record's TTL ends
    friend bool operator==(const DnsConfig &, const DnsConfig &) = default;
};

// The admin API's listener, apart from the traffic: off while listen is unset.
struct AdminConfig
{
    std::optional<ListenAddress> listen;
    QString tokenFile; // empty: the token comes from FULCRUM_ADMIN_TOKEN, if set
    // Resolved from the token file or the environment (only while the admin API is on); empty: none.
    QByteArray token;
    bool generatedToken = false; // made up for --demo, so the demo can be steered; worth logging
    bool enabled() const { return listen.has_value(); }
    friend bool operator==(const AdminConfig &, const AdminConfig &) = default;
};

} // namespace fulcrum
