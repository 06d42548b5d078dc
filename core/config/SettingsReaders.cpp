// SPDX-License-Identifier: GPL-3.0-or-later
#include "SettingsReaders.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

void readExpectStatus(JsonObjectReader &object, std::optional<StatusRange> &target)
{
    const QLatin1StringView key = "expect_status"_L1;
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    JsonDiagnostics &d = object.diagnostics();
    // 200 would read naturally as a number, but a range cannot be one: a string serves both.
    if (!json.isString()) {
        d.wrongType(object.field(key), json, u"a string such as \"200\" or \"200-399\""_s);
        return;
    }
    const Parsed<StatusRange> parsed = parseStatusRange(json.toString());
    if (parsed.ok())
        target = parsed.value;
    else
        d.add(object.field(key), json, parsed.error);
}

void readRetryStatuses(JsonObjectReader &object, QList<int> &target)
{
    const QLatin1StringView key = "retry_statuses"_L1;
    const std::optional<QJsonArray> entries = object.array(key, u"integers"_s);
    if (!entries)
        return;
    JsonDiagnostics &d = object.diagnostics();
    QList<int> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = object.field(key) + u'[' + QString::number(i) + u']';
        const QJsonValue entry = entries->at(i);
        const std::optional<qint64> status = d.integer(field, entry, ranges::retryStatus);
        if (!status)
            continue;
        if (accepted.contains(static_cast<int>(*status)))
            d.add(field, entry, u"duplicate status"_s);
        else
            accepted.append(static_cast<int>(*status));
    }
    target = accepted;
}

struct TimeoutField
{
    QLatin1StringView key;
    int Timeouts::*member;
    // Concerns the listener, idle connections or the whole process, whatever pool a request goes to.
    bool proxyWide;
};

constexpr TimeoutField kTimeoutFields[] = {
    {"client_header_ms"_L1, &Timeouts::clientHeaderMs, true},
    {"client_idle_ms"_L1, &Timeouts::clientIdleMs, true},
    {"upstream_connect_ms"_L1, &Timeouts::upstreamConnectMs, false},
    {"upstream_response_ms"_L1, &Timeouts::upstreamResponseMs, false},
    {"upstream_idle_ms"_L1, &Timeouts::upstreamIdleMs, true},
    {"drain_ms"_L1, &Timeouts::drainMs, true},
    {"tunnel_idle_ms"_L1, &Timeouts::tunnelIdleMs, true},
};

} // namespace

void readOptional(JsonObjectReader &object, QLatin1StringView key, IntRange range,
                  std::optional<qint64> &target)
{
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    if (const std::optional<qint64> n = object.diagnostics().integer(object.field(key), json, range))
        target = *n;
}

void readOptional(JsonObjectReader &object, QLatin1StringView key, IntRange range, std::optional<int> &target)
{
    std::optional<qint64> wide;
    readOptional(object, key, range, wide);
    if (wide)
        target = static_cast<int>(*wide); // every int field's range fits in int
}

void readOptional(JsonObjectReader &object, QLatin1StringView key, std::optional<bool> &target)
{
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    if (const std::optional<bool> b = object.diagnostics().boolean(object.field(key), json))
        target = *b;
}

void readOptional(JsonObjectReader &object, QLatin1StringView key, QString (*check)(QStringView),
                  std::optional<QString> &target)
{
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    const QString field = object.field(key);
    const std::optional<QString> text = object.diagnostics().string(field, json);
    if (!text)
        return;
    const QString problem = check ? check(*text) : QString();
    if (problem.isEmpty())
        target = *text;
    else
        object.diagnostics().add(field, json, problem);
}

bool requirePresent(JsonObjectReader &object, QLatin1StringView key)
{
    // Taken, so a misspelling of key is reported with key as the suggestion.
    if (!object.take(key).isUndefined())
        return true;
    object.diagnostics().add(object.field(key), QJsonValue::Undefined, u"is required"_s);
    return false;
}

void checkOrdered(JsonDiagnostics &d, const QString &objectField, Bound low, Bound high, bool preferLow)
{
    if (low.value <= high.value || (!low.own && !high.own))
        return;
    if (low.own && (preferLow || !high.own))
        d.add(objectField + u'.' + low.key, low.value,
              u"must not exceed "_s + high.key + u" (" + QString::number(high.value) + u')');
    else
        d.add(objectField + u'.' + high.key, high.value,
              u"must not be less than "_s + low.key + u" (" + QString::number(low.value) + u')');
}

HealthCheckOverrides readHealthCheck(JsonObjectReader &object)
{
    HealthCheckOverrides read;
    readOptional(object, "enabled"_L1, read.enabled);
    readOptional(object, "method"_L1, checkHttpMethod, read.method);
    readOptional(object, "path"_L1, checkProbePath, read.path);
    readExpectStatus(object, read.expectStatus);
    readOptional(object, "expect_body"_L1, nullptr, read.expectBody);
    readOptional(object, "host"_L1, checkProbeHost, read.host);
    readOptional(object, "interval_ms"_L1, ranges::healthIntervalMs, read.intervalMs);
    readOptional(object, "timeout_ms"_L1, ranges::healthTimeoutMs, read.timeoutMs);
    readOptional(object, "jitter_percent"_L1, ranges::healthJitterPercent, read.jitterPercent);
    readOptional(object, "rise"_L1, ranges::healthThreshold, read.rise);
    readOptional(object, "fall"_L1, ranges::healthThreshold, read.fall);
    if (!read.enabled)
        read.enabled = true;
    return read;
}

void checkHealthCheckConsistency(JsonDiagnostics &d, const QString &objectField,
                                 const HealthCheckOverrides &own, const HealthCheckConfig &merged)
{
    // A probe must be over before the next one is due.
    checkOrdered(d, objectField, {"timeout_ms"_L1, merged.timeoutMs, own.timeoutMs.has_value()},
                 {"interval_ms"_L1, merged.intervalMs, own.intervalMs.has_value()}, true);
    // Such a probe could never pass.
    if (merged.method == u"HEAD" && !merged.expectBody.isEmpty()) {
        if (own.expectBody)
            d.add(objectField + u".expect_body", *own.expectBody,
                  u"must be empty when method is HEAD (a response to HEAD has no body)"_s);
        else if (own.method)
            d.add(objectField + u".method", *own.method,
                  u"must not be HEAD while expect_body is set (a response to HEAD has no body)"_s);
    }
}

CircuitBreakerOverrides readCircuitBreaker(JsonObjectReader &object)
{
    CircuitBreakerOverrides read;
    readOptional(object, "max_connections"_L1, ranges::circuitBreakerLimit, read.maxConnections);
    readOptional(object, "max_pending_requests"_L1, ranges::circuitBreakerLimit, read.maxPendingRequests);
    readOptional(object, "max_requests"_L1, ranges::circuitBreakerLimit, read.maxRequests);
    return read;
}

void readStickyCookie(JsonObjectReader &owner, StickyCookie &target)
{
    std::optional<JsonObjectReader> object = owner.object("sticky_cookie"_L1);
    if (!object)
        return;
    JsonDiagnostics &d = object->diagnostics();
    StickyCookie cookie;
    const QString nameField = object->field("name"_L1);
    const QJsonValue name = object->take("name"_L1);
    if (name.isUndefined()) {
        d.add(nameField, name, u"is required"_s);
    } else if (const std::optional<QString> text = d.string(nameField, name)) {
        const QString problem = checkCookieName(*text);
        if (problem.isEmpty())
            cookie.name = *text;
        else
            d.add(nameField, name, problem);
    }
    object->readInteger("max_age_s"_L1, ranges::cookieMaxAgeS, cookie.maxAgeS);
    object->reportUnknown();
    if (cookie.enabled())
        target = cookie;
}

ReadStatus readBalancing(JsonObjectReader &owner, BalancingConfig &target, ReadStatus inheritedStrategy)
{
    ReadStatus strategy = readParsed(owner, "strategy"_L1, parseStrategy, target.strategy);
    if (strategy == ReadStatus::Valid && !checkHashKeyApplies(target.strategy).isEmpty())
        target.hashKey = HashKey{};
    if (strategy == ReadStatus::Absent)
        strategy = inheritedStrategy;
    HashKey hashKey;
    if (readParsed(owner, "hash_key"_L1, parseHashKey, hashKey) == ReadStatus::Valid) {
        // An operator who names a key expects hashing; a key the strategy ignores would mislead. Nothing
        // to add when the strategy itself is wrong (already reported).
        const QString problem = checkHashKeyApplies(target.strategy);
        if (problem.isEmpty())
            target.hashKey = hashKey;
        else if (strategy != ReadStatus::Invalid)
            owner.diagnostics().add(owner.field("hash_key"_L1), hashKeyText(hashKey), problem);
    }
    readStickyCookie(owner, target.stickyCookie);
    owner.readInteger("slow_start_ms"_L1, ranges::slowStartMs, target.slowStartMs);
    readParsed(owner, "panic_mode"_L1, parsePanicMode, target.panicMode);
    return strategy;
}

bool readPoolHealthCheck(JsonObjectReader &owner, HealthCheckConfig &target, bool inheritedValid)
{
    JsonDiagnostics &d = owner.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    std::optional<JsonObjectReader> object = owner.object("health_check"_L1);
    if (!object)
        return inheritedValid && d.errorCount() == errorsBefore;
    const HealthCheckOverrides own = readHealthCheck(*object);
    object->reportUnknown();
    const HealthCheckConfig merged = own.appliedTo(target);
    if (inheritedValid && d.errorCount() == errorsBefore)
        checkHealthCheckConsistency(d, owner.field("health_check"_L1), own, merged);
    target = merged;
    return inheritedValid && d.errorCount() == errorsBefore;
}

void readPoolCircuitBreaker(JsonObjectReader &owner, CircuitBreakerConfig &target)
{
    std::optional<JsonObjectReader> object = owner.object("circuit_breaker"_L1);
    if (!object)
        return;
    target = readCircuitBreaker(*object).appliedTo(target);
    object->reportUnknown();
}

void readRetries(JsonObjectReader &owner, RetryConfig &target)
{
    std::optional<JsonObjectReader> object = owner.object("retries"_L1);
    if (!object)
        return;
    JsonDiagnostics &d = object->diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    RetryConfig read = target;
    object->readInteger("max_retries"_L1, ranges::maxRetries, read.maxRetries);
    readRetryStatuses(*object, read.retryStatuses);
    std::optional<int> baseMs;
    std::optional<int> maxMs;
    readOptional(*object, "backoff_base_ms"_L1, ranges::backoffMs, baseMs);
    readOptional(*object, "backoff_max_ms"_L1, ranges::backoffMs, maxMs);
    read.backoffBaseMs = baseMs.value_or(read.backoffBaseMs);
    read.backoffMaxMs = maxMs.value_or(read.backoffMaxMs);
    object->readInteger("budget_percent"_L1, ranges::percent, read.budgetPercent);
    object->readInteger("budget_window_ms"_L1, ranges::budgetWindowMs, read.budgetWindowMs);
    object->readInteger("budget_min_retries"_L1, ranges::budgetMinRetries, read.budgetMinRetries);
    object->readInteger("max_buffered_body_bytes"_L1, ranges::maxBufferedBodyBytes,
                        read.maxBufferedBodyBytes);
    object->reportUnknown();
    if (d.errorCount() == errorsBefore) {
        checkOrdered(d, owner.field("retries"_L1),
                     {"backoff_base_ms"_L1, read.backoffBaseMs, baseMs.has_value()},
                     {"backoff_max_ms"_L1, read.backoffMaxMs, maxMs.has_value()}, false);
    }
    target = read;
}

void readTimeouts(JsonObjectReader &root, Timeouts &target)
{
    std::optional<JsonObjectReader> object = root.object("timeouts"_L1);
    if (!object)
        return;
    for (const TimeoutField &field : kTimeoutFields)
        object->readInteger(field.key, ranges::timeoutMs, target.*field.member);
    object->reportUnknown();
}

void readUpstreamTimeouts(JsonObjectReader &owner, const QString &scope, std::optional<int> &connectMs,
                          std::optional<int> &responseMs)
{
    std::optional<JsonObjectReader> object = owner.object("timeouts"_L1);
    if (!object)
        return;
    for (const TimeoutField &field : kTimeoutFields) {
        if (!field.proxyWide) {
            const bool connect = field.member == &Timeouts::upstreamConnectMs;
            readOptional(*object, field.key, ranges::timeoutMs, connect ? connectMs : responseMs);
            continue;
        }
        const QJsonValue value = object->take(field.key);
        if (!value.isUndefined())
            object->diagnostics().add(
                object->field(field.key), value,
                u"not allowed in "_s + scope +
                    u" (only upstream_connect_ms and upstream_response_ms are; it belongs "
                    u"in the top-level \"timeouts\")");
    }
    object->reportUnknown();
}

} // namespace fulcrum
