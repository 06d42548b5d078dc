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
inline constexpr IntRange weight{0, 1000};
inline constexpr IntRange timeoutMs{1, 86'400'000};
inline constexpr IntRange maxHeaderBytes{1024, 1024 * 1024};
inline constexpr IntRange maxRequestTargetBytes{256, 1024 * 1024};
// JSON numbers are doubles: larger integers cannot be written exactly.
inline constexpr IntRange maxBodyBytes{0, (qint64(1) << 53) - 1};
inline constexpr IntRange upstreamIdlePerBackend{0, 10'000};
inline constexpr IntRange metricsIntervalMs{100, 60'000};
} // namespace ranges

// Where fulcrumd listens when neither the config file nor --listen says: 127.0.0.1:8080.
ListenAddress defaultListenAddress();
// The name given to a backend that has none: "backend-<index + 1>".
QString defaultBackendName(qsizetype index);

// Decimal integer, optional leading '-', no spaces, within range.
Parsed<qint64> parseInteger(QStringView text, IntRange range);

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" (mapped to 127.0.0.1); port 0..65535.
Parsed<ListenAddress> parseListenAddress(QStringView text);

struct BackendEndpoint
{
    QString host; // as written; an IPv6 literal without its brackets
    quint16 port = 80;
};
// "http://host[:port][/]" with host an IPv4 literal, a bracketed IPv6 literal or a host name.
Parsed<BackendEndpoint> parseBackendUrl(QStringView text);

// Empty when name is 1..64 characters of [A-Za-z0-9._-], else the reason.
QString checkBackendName(QStringView name);

// "text" or "json".
Parsed<LogFormat> parseLogFormat(QStringView text);
QString logFormatName(LogFormat format);

// Listening twice on one address cannot work; port 0 is exempt since each such socket gets its own port.
bool isDuplicateListen(const QList<ListenAddress> &accepted, const ListenAddress &candidate);
// Names identify backends in logs, metrics and the admin API, so they must be unique.
bool isDuplicateBackendName(const QList<BackendConfig> &accepted, const QString &name);

} // namespace fulcrum
