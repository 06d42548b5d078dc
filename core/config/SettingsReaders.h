// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendOverrides.h"
#include "ConfigValues.h"
#include "JsonFieldReader.h"
#include "ProxyConfig.h"

#include <QString>

#include <optional>

// Readers for the settings objects the top level, the pools and the routes share, each reading one
// member of the object it is given and reporting what is wrong with it. For ConfigLoader and its helpers.
namespace fulcrum {

enum class ReadStatus
{
    Absent,
    Valid,
    Invalid, // reported
};

// A string member spelled as parse reads it; target is set only when Valid.
template <typename T>
ReadStatus readParsed(JsonObjectReader &object, QLatin1StringView key, Parsed<T> (*parse)(QStringView),
                      T &target)
{
    const QJsonValue value = object.take(key);
    if (value.isUndefined())
        return ReadStatus::Absent;
    const QString field = object.field(key);
    const std::optional<QString> text = object.diagnostics().string(field, value);
    if (!text)
        return ReadStatus::Invalid;
    const Parsed<T> parsed = parse(*text);
    if (!parsed.ok()) {
        object.diagnostics().add(field, value, parsed.error);
        return ReadStatus::Invalid;
    }
    target = parsed.value;
    return ReadStatus::Valid;
}

// Each sets target only when key is present and its value valid; an invalid value is reported.
void readOptional(JsonObjectReader &object, QLatin1StringView key, IntRange range,
                  std::optional<int> &target);
void readOptional(JsonObjectReader &object, QLatin1StringView key, IntRange range,
                  std::optional<qint64> &target);
void readOptional(JsonObjectReader &object, QLatin1StringView key, std::optional<bool> &target);
// A string that check (when given) finds acceptable: check returns the reason it is not, else empty.
void readOptional(JsonObjectReader &object, QLatin1StringView key, QString (*check)(QStringView),
                  std::optional<QString> &target);

// False, after reporting key as required, when object lacks it.
bool requirePresent(JsonObjectReader &object, QLatin1StringView key);

// One end of two settings that must be in order, as one object leaves it.
struct Bound
{
    QLatin1StringView key;
    qint64 value; // in effect: the object's own, or the one beneath it (the pool's, the default)
    bool own;     // the object sets it
};
// Reports low above high at the bound the object sets, or at preferLow's choice when it sets both.
// Nothing when it sets neither: the values beneath were checked where they were set.
void checkOrdered(JsonDiagnostics &d, const QString &objectField, Bound low, Bound high, bool preferLow);

// The members of a "health_check" object; the caller reports unknown ones. An object asks for checks
// unless it says "enabled": false.
HealthCheckOverrides readHealthCheck(JsonObjectReader &object);
// The settings an object ends up with (merged) must make sense together; a problem is reported at a
// field the object sets itself (own), since one it inherits was checked where it was set.
void checkHealthCheckConsistency(JsonDiagnostics &d, const QString &objectField,
                                 const HealthCheckOverrides &own, const HealthCheckConfig &merged);
// The members of a "circuit_breaker" object; the caller reports unknown ones.
CircuitBreakerOverrides readCircuitBreaker(JsonObjectReader &object);

// owner's "sticky_cookie", replacing target as a whole.
void readStickyCookie(JsonObjectReader &owner, StickyCookie &target);
// owner's "strategy", "hash_key", "sticky_cookie", "slow_start_ms" and "panic_mode" over target. A
// strategy that does not hash drops an inherited hash key, which went with the inherited strategy.
// inheritedStrategy is how the strategy beneath was read, so a hash key is not blamed on a strategy
// already reported. Returns how the strategy in effect was read.
ReadStatus readBalancing(JsonObjectReader &owner, BalancingConfig &target,
                         ReadStatus inheritedStrategy = ReadStatus::Absent);
// owner's "health_check" over target, the health check of a pool's backends. False when the result has
// errors (its own, or inherited: inheritedValid false): checking backends' settings against values the
// operator did not mean would only mislead.
bool readPoolHealthCheck(JsonObjectReader &owner, HealthCheckConfig &target, bool inheritedValid = true);
// owner's "circuit_breaker" over target, the limits of a pool's backends.
void readPoolCircuitBreaker(JsonObjectReader &owner, CircuitBreakerConfig &target);
// owner's "retries" over target, field by field.
void readRetries(JsonObjectReader &owner, RetryConfig &target);
// The top-level "timeouts": every field.
void readTimeouts(JsonObjectReader &root, Timeouts &target);
// A pool's or a route's "timeouts": the upstream ones only, which depend on where a request goes; any other
// is reported as belonging to the top level. scope names the owner in that reason ("a pool").
void readUpstreamTimeouts(JsonObjectReader &owner, const QString &scope, std::optional<int> &connectMs,
                          std::optional<int> &responseMs);

} // namespace fulcrum
