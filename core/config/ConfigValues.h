// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ProxyConfig.h"

#include <QString>
#include <QStringView>

#include <utility>

namespace fulcrum {

// The textual forms of configuration values, shared by the JSON loader and the command line so both
// accept exactly the same spellings and reject them with the same reasons. Reasons never repeat the
// value or the field: the caller wraps them in a ConfigError that carries both.

struct Rejection
{
    QString reason;
};
// Lets a parser `return reject(reason);` whatever value type it produces.
inline Rejection reject(QString reason)
{
    return {std::move(reason)};
}

template <typename T>
struct Parsed
{
    Parsed(T parsed) : value(std::move(parsed)) {}
    Parsed(Rejection rejection) : error(std::move(rejection.reason)) {}

    T value{};
    QString error; // why the text was rejected; empty on success

    bool ok() const { return error.isEmpty(); }
};

struct IntRange
{
    qint64 min;
    qint64 max;

    bool contains(qint64 v) const { return v >= min && v <= max; }
    QString requirement() const; // "must be an integer from 0 to 1000"
};

namespace ranges {
inline constexpr IntRange workers{0, 64};
inline constexpr IntRange snapshotEverySeconds{1, 86'400};
inline constexpr IntRange weight{0, 1000};
inline constexpr IntRange timeoutMs{1, 86'400'000};
inline constexpr IntRange maxHeaderBytes{1024, 1024 * 1024};
inline constexpr IntRange maxRequestTargetBytes{256, 1024 * 1024};
// JSON numbers are doubles: larger integers cannot be written exactly.
inline constexpr IntRange maxBodyBytes{0, (qint64(1) << 53) - 1};
inline constexpr IntRange upstreamIdlePerBackend{0, 10'000};
inline constexpr IntRange metricsIntervalMs{100, 60'000};
inline constexpr IntRange dnsIntervalMs{500, 86'400'000};
inline constexpr IntRange slowStartMs{0, 3'600'000};    // up to an hour
inline constexpr IntRange cookieMaxAgeS{0, 31'536'000}; // up to a year
inline constexpr IntRange healthIntervalMs{100, 3'600'000};
inline constexpr IntRange healthTimeoutMs{10, 3'600'000};
inline constexpr IntRange healthJitterPercent{0, 50};
inline constexpr IntRange healthThreshold{1, 100}; // rise and fall
inline constexpr IntRange circuitBreakerLimit{0, 1'000'000};
inline constexpr IntRange consecutiveFailures{1, 1000};
inline constexpr IntRange ejectionMs{100, 86'400'000};
inline constexpr IntRange percent{0, 100};
inline constexpr IntRange maxRetries{0, 10};
inline constexpr IntRange retryStatus{500, 599};
inline constexpr IntRange backoffMs{0, 10'000};
inline constexpr IntRange budgetWindowMs{1000, 3'600'000};
inline constexpr IntRange budgetMinRetries{0, 1'000'000};
inline constexpr IntRange maxBufferedBodyBytes{0, 16 * 1024 * 1024};
inline constexpr IntRange splitWeight{0, MaxSplitWeight};
inline constexpr IntRange respondStatus{200, 599};
} // namespace ranges

// Where fulcrumd listens when neither the config file nor --listen says: 127.0.0.1:8080.
ListenAddress defaultListenAddress();
// The name given to a backend that has none: "backend-<index + 1>" in the top-level list or on the command
// line, "<pool>-<index + 1>" in a pool (names are unique across pools, and each pool's differ by prefix).
QString defaultBackendName(qsizetype index, QStringView pool = {});

// Decimal integer, optional leading '-', no spaces, within range.
Parsed<qint64> parseInteger(QStringView text, IntRange range);

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" (mapped to 127.0.0.1); port 0..65535.
Parsed<ListenAddress> parseListenAddress(QStringView text);

struct BackendEndpoint
{
    QString host; // as written; an IPv6 literal without its brackets
    quint16 port = 80;
    bool srv = false;   // "srv://_service._proto.name": host is the SRV name, port unused
    bool https = false; // "https://": TLS to the backend, port 443 by default
};
// "http://host[:port][/]" or "https://host[:port][/]" with host an IPv4 literal, a bracketed IPv6 literal or
// a host name, or "srv://_service._proto.name" for a pool of the SRV record's targets.
Parsed<BackendEndpoint> parseBackendUrl(QStringView text);
// Sets where backend is: its host, port and scheme (the callers that take srv:// set its discovery).
void applyEndpoint(BackendConfig &backend, const BackendEndpoint &endpoint);

// "v1", "v2" or "off".
Parsed<SendProxy> parseSendProxy(QStringView text);
QString sendProxyName(SendProxy sendProxy);
// The name a TLS backend is asked for (SNI) and verified against: a host name (an IP address is not sent
// as SNI, so it cannot be asked for).
Parsed<QString> parseTlsServerName(QStringView text);

// Empty when name is 1..64 characters of [A-Za-z0-9._-], else the reason.
QString checkBackendName(QStringView name);

// "text" or "json".
Parsed<LogFormat> parseLogFormat(QStringView text);
// "debug", "info", "warning" or "error".
Parsed<LogLevel> parseLogLevel(QStringView text);
// Empty when backend may be discovered as it asks (a host name to resolve, a short enough name to prefix
// each address's backend name), else the reason.
QString checkDiscoveredBackend(const BackendConfig &backend);
// The DNS server for discovery: an IPv4 or IPv6 address (queried on port 53).
Parsed<QHostAddress> parseDnsServer(QStringView text);
// "json,csv,prom": each at most once, at least one.
Parsed<QList<SnapshotFormat>> parseSnapshotFormats(QStringView text);
// One of them: "json", "csv" or "prom".
Parsed<SnapshotFormat> parseSnapshotFormat(QStringView text);
// "json", "csv" or "prom": also the file name extension.
QString snapshotFormatName(SnapshotFormat format);
QString logFormatName(LogFormat format);

// "round-robin", "least-connections", "power-of-two", "random" or "consistent-hash".
Parsed<StrategyKind> parseStrategy(QStringView text);
QString strategyName(StrategyKind strategy);

// "client-ip", "path", "header:NAME" (NAME an HTTP token, RFC 9110) or "cookie:NAME" (NAME a cookie
// name, RFC 6265); NAME is kept as written.
Parsed<HashKey> parseHashKey(QStringView text);
// The spelling parseHashKey reads back.
QString hashKeyText(const HashKey &key);
// Empty when a hash key means something under strategy (only consistent-hash hashes), else the reason.
QString checkHashKeyApplies(StrategyKind strategy);

// Empty when name is a cookie name Fulcrum can set and browsers will send back, else the reason: an
// RFC 6265 token of 1..256 characters, without the __Secure- / __Host- prefixes (browsers accept those
// only with the Secure attribute, which Fulcrum does not set).
QString checkCookieName(QStringView name);

// "fail-closed" or "fail-open".
Parsed<PanicMode> parsePanicMode(QStringView text);
QString panicModeName(PanicMode mode);

// The statuses a health check accepts, both ends included.
struct StatusRange
{
    int min = 200;
    int max = 399;
    friend bool operator==(const StatusRange &, const StatusRange &) = default;
};
// "200-399", or "200" for one status: three-digit statuses from 100 to 599, the first not above the last.
Parsed<StatusRange> parseStatusRange(QStringView text);
// The spelling parseStatusRange reads back: "200" when min == max, else "200-399".
QString statusRangeText(StatusRange range);

// Empty when name is an HTTP field name (an RFC 9110 token, as for cookie names), else the reason.
QString checkHeaderName(QStringView name);
// Empty when value can be sent as an HTTP field value: no control characters but tab; else the reason.
QString checkHeaderValue(QStringView value);

// What a route's "host" matches: "example.com" exactly, "*.example.com" any subdomain of it (not
// example.com itself), or an IPv4 or bracketed IPv6 address; never a port. Comes back as routing compares
// Host headers: lower case, without a trailing dot.
Parsed<QString> parseHostPattern(QStringView text);

// Empty when method is an HTTP token (RFC 9110), kept as written since methods are case-sensitive;
// else the reason.
QString checkHttpMethod(QStringView method);
// Empty when path can be sent as a health check's request target: '/' and then visible ASCII characters
// (a query is fine, a fragment is not); else the reason.
QString checkProbePath(QStringView path);
// Empty when host is a Host header a health check can send: empty (the backend's own host:port), or
// HOST[:PORT] with HOST a host name, a dotted-quad IPv4 address or a bracketed IPv6 address and PORT
// 1..65535; else the reason.
QString checkProbeHost(QStringView host);

// Listening twice on one address cannot work; port 0 is exempt since each such socket gets its own port.
bool isDuplicateListen(const QList<ListenAddress> &accepted, const ListenAddress &candidate);
// Names identify backends in logs, metrics and the admin API, so they must be unique.
bool isDuplicateBackendName(const QList<BackendConfig> &accepted, const QString &name);

} // namespace fulcrum
