// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigLoader.h"

#include "ConfigValues.h"
#include "JsonFieldReader.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

constexpr int kSupportedVersion = 1;

QString indexed(const QString &field, qsizetype index)
{
    return field + u'[' + QString::number(index) + u']';
}

void readListen(JsonObjectReader &root, QList<ListenAddress> &target)
{
    const QLatin1StringView key = "listen"_L1;
    const std::optional<QJsonArray> entries = root.array(key, u"strings"_s);
    if (!entries)
        return;
    JsonDiagnostics &d = root.diagnostics();
    if (entries->isEmpty()) {
        d.add(root.field(key), *entries, u"must list at least one address"_s);
        return;
    }
    QList<ListenAddress> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexed(root.field(key), i);
        const QJsonValue entry = entries->at(i);
        const std::optional<QString> text = d.string(field, entry);
        if (!text)
            continue;
        const Parsed<ListenAddress> parsed = parseListenAddress(*text);
        if (!parsed.ok())
            d.add(field, entry, parsed.error);
        else if (isDuplicateListen(accepted, parsed.value))
            d.add(field, entry, u"duplicate listen address"_s);
        else
            accepted.append(parsed.value);
    }
    target = accepted;
}

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
void readOptional(JsonObjectReader &object, QLatin1StringView key, IntRange range, std::optional<int> &target)
{
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    if (const std::optional<qint64> n = object.diagnostics().integer(object.field(key), json, range))
        target = static_cast<int>(*n); // every int field's range fits in int
}

void readOptional(JsonObjectReader &object, QLatin1StringView key, std::optional<bool> &target)
{
    const QJsonValue json = object.take(key);
    if (json.isUndefined())
        return;
    if (const std::optional<bool> b = object.diagnostics().boolean(object.field(key), json))
        target = *b;
}

// A string that check (when given) finds acceptable: check returns the reason it is not, else empty.
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

// One end of two settings that must be in order, as one object leaves it.
struct Bound
{
    QLatin1StringView key;
    qint64 value; // in effect: the object's own, or the one beneath it (the pool's, the default)
    bool own;     // the object sets it
};

// Reports low above high at the bound the object sets, or at preferLow's choice when it sets both.
// Nothing when it sets neither: the values beneath were checked where they were set.
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

// The members of a "health_check" object; the caller reports unknown ones. An object asks for checks
// unless it says "enabled": false.
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

// The settings an object ends up with (merged) must make sense together; a problem is reported at a
// field the object sets itself (own), since one it inherits was checked where it was set.
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

// The members of a "circuit_breaker" object; the caller reports unknown ones.
CircuitBreakerOverrides readCircuitBreaker(JsonObjectReader &object)
{
    CircuitBreakerOverrides read;
    readOptional(object, "max_connections"_L1, ranges::circuitBreakerLimit, read.maxConnections);
    readOptional(object, "max_pending_requests"_L1, ranges::circuitBreakerLimit, read.maxPendingRequests);
    readOptional(object, "max_requests"_L1, ranges::circuitBreakerLimit, read.maxRequests);
    return read;
}

// One accepted entry of "backends".
struct BackendEntry
{
    BackendConfig config; // its healthCheck and circuitBreaker not resolved yet
    BackendOverrides overrides;
    QString field; // "backends[2]"
};

// Reads one entry of "backends"; nothing when any of its fields is invalid (each one reported).
std::optional<BackendEntry> readBackend(JsonObjectReader &object, qsizetype index)
{
    JsonDiagnostics &d = object.diagnostics();
    BackendConfig backend;
    bool valid = true;

    const QString urlField = object.field("url"_L1);
    const QJsonValue url = object.take("url"_L1);
    if (url.isUndefined()) {
        d.add(urlField, url, u"is required"_s);
        valid = false;
    } else if (const std::optional<QString> text = d.string(urlField, url)) {
        const Parsed<BackendEndpoint> endpoint = parseBackendUrl(*text);
        if (endpoint.ok()) {
            backend.host = endpoint.value.host;
            backend.port = endpoint.value.port;
        } else {
            d.add(urlField, url, endpoint.error);
            valid = false;
        }
    } else {
        valid = false;
    }

    backend.name = defaultBackendName(index);
    const QString nameField = object.field("name"_L1);
    const QJsonValue name = object.take("name"_L1);
    if (!name.isUndefined()) {
        if (const std::optional<QString> text = d.string(nameField, name)) {
            const QString problem = checkBackendName(*text);
            if (problem.isEmpty())
                backend.name = *text;
            else
                d.add(nameField, name, problem);
            valid = valid && problem.isEmpty();
        } else {
            valid = false;
        }
    }

    const QJsonValue weight = object.take("weight"_L1);
    if (!weight.isUndefined()) {
        const std::optional<qint64> n = d.integer(object.field("weight"_L1), weight, ranges::weight);
        if (n)
            backend.weight = static_cast<int>(*n);
        valid = valid && n.has_value();
    }

    const QJsonValue slowStart = object.take("slow_start_ms"_L1);
    if (!slowStart.isUndefined()) {
        const std::optional<qint64> n =
            d.integer(object.field("slow_start_ms"_L1), slowStart, ranges::slowStartMs);
        if (n)
            backend.slowStartMs = static_cast<int>(*n);
        valid = valid && n.has_value();
    }

    BackendOverrides overrides;
    const qsizetype errorsBefore = d.errorCount();
    if (std::optional<JsonObjectReader> healthCheck = object.object("health_check"_L1)) {
        overrides.healthCheck = readHealthCheck(*healthCheck);
        healthCheck->reportUnknown();
    }
    if (std::optional<JsonObjectReader> circuitBreaker = object.object("circuit_breaker"_L1)) {
        overrides.circuitBreaker = readCircuitBreaker(*circuitBreaker);
        circuitBreaker->reportUnknown();
    }
    valid = valid && d.errorCount() == errorsBefore;

    object.reportUnknown();
    if (!valid)
        return std::nullopt;
    overrides.backend = backend.name;
    return BackendEntry{backend, overrides, QString()};
}

// Nothing when "backends" is absent or not an array (then reported).
std::optional<QList<BackendEntry>> readBackends(JsonObjectReader &root)
{
    const QLatin1StringView key = "backends"_L1;
    const std::optional<QJsonArray> entries = root.array(key, u"objects"_s);
    if (!entries)
        return std::nullopt;
    JsonDiagnostics &d = root.diagnostics();
    QList<BackendEntry> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexed(root.field(key), i);
        const QJsonValue entry = entries->at(i);
        if (!entry.isObject()) {
            d.wrongType(field, entry, u"an object"_s);
            continue;
        }
        JsonObjectReader object(d, entry.toObject(), field);
        std::optional<BackendEntry> backend = readBackend(object, i);
        if (!backend)
            continue;
        const bool duplicate =
            std::any_of(accepted.cbegin(), accepted.cend(),
                        [&backend](const BackendEntry &e) { return e.config.name == backend->config.name; });
        if (duplicate) {
            d.add(object.field("name"_L1), backend->config.name, u"duplicate backend name"_s);
            continue;
        }
        backend->field = field;
        accepted.append(*backend);
    }
    return accepted;
}

void readStickyCookie(JsonObjectReader &root, StickyCookie &target)
{
    std::optional<JsonObjectReader> object = root.object("sticky_cookie"_L1);
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

// "strategy", "hash_key", "sticky_cookie" and "slow_start_ms" sit at the top level.
void readBalancing(JsonObjectReader &root, BalancingConfig &target)
{
    const ReadStatus strategy = readParsed(root, "strategy"_L1, parseStrategy, target.strategy);
    HashKey hashKey;
    if (readParsed(root, "hash_key"_L1, parseHashKey, hashKey) == ReadStatus::Valid) {
        // An operator who names a key expects hashing; a key the strategy ignores would mislead. Nothing
        // to add when the strategy itself is wrong (already reported).
        const QString problem = checkHashKeyApplies(target.strategy);
        if (problem.isEmpty())
            target.hashKey = hashKey;
        else if (strategy != ReadStatus::Invalid)
            root.diagnostics().add(root.field("hash_key"_L1), hashKeyText(hashKey), problem);
    }
    readStickyCookie(root, target.stickyCookie);
    root.readInteger("slow_start_ms"_L1, ranges::slowStartMs, target.slowStartMs);
    readParsed(root, "panic_mode"_L1, parsePanicMode, target.panicMode);
}

// The top-level "health_check": the pool's settings. False when it has errors: checking backends'
// settings against values the operator did not mean would only mislead.
bool readPoolHealthCheck(JsonObjectReader &root, HealthCheckConfig &target)
{
    JsonDiagnostics &d = root.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    std::optional<JsonObjectReader> object = root.object("health_check"_L1);
    if (!object)
        return d.errorCount() == errorsBefore;
    const HealthCheckOverrides own = readHealthCheck(*object);
    object->reportUnknown();
    const HealthCheckConfig merged = own.appliedTo(target);
    if (d.errorCount() == errorsBefore)
        checkHealthCheckConsistency(d, root.field("health_check"_L1), own, merged);
    target = merged;
    return d.errorCount() == errorsBefore;
}

void readPoolCircuitBreaker(JsonObjectReader &root, CircuitBreakerConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("circuit_breaker"_L1);
    if (!object)
        return;
    target = readCircuitBreaker(*object).appliedTo(target);
    object->reportUnknown();
}

void readOutlierDetection(JsonObjectReader &root, OutlierDetectionConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("outlier_detection"_L1);
    if (!object)
        return;
    JsonDiagnostics &d = object->diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    OutlierDetectionConfig read = target;
    object->readBoolean("enabled"_L1, read.enabled);
    object->readInteger("consecutive_failures"_L1, ranges::consecutiveFailures, read.consecutiveFailures);
    object->readBoolean("count_5xx"_L1, read.count5xx);
    std::optional<int> baseMs;
    std::optional<int> maxMs;
    readOptional(*object, "base_ejection_ms"_L1, ranges::ejectionMs, baseMs);
    readOptional(*object, "max_ejection_ms"_L1, ranges::ejectionMs, maxMs);
    read.baseEjectionMs = baseMs.value_or(read.baseEjectionMs);
    read.maxEjectionMs = maxMs.value_or(read.maxEjectionMs);
    object->readInteger("max_ejection_percent"_L1, ranges::percent, read.maxEjectionPercent);
    object->reportUnknown();
    if (d.errorCount() == errorsBefore) {
        checkOrdered(d, root.field("outlier_detection"_L1),
                     {"base_ejection_ms"_L1, read.baseEjectionMs, baseMs.has_value()},
                     {"max_ejection_ms"_L1, read.maxEjectionMs, maxMs.has_value()}, false);
    }
    target = read;
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
        const QString field = indexed(object.field(key), i);
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

void readRetries(JsonObjectReader &root, RetryConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("retries"_L1);
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
        checkOrdered(d, root.field("retries"_L1),
                     {"backoff_base_ms"_L1, read.backoffBaseMs, baseMs.has_value()},
                     {"backoff_max_ms"_L1, read.backoffMaxMs, maxMs.has_value()}, false);
    }
    target = read;
}

// Gives every backend the pool's health check and circuit breaker with its own settings on top, and
// checks the health check each backend ends up with where the backend itself set it.
void resolveBackends(JsonDiagnostics &d, const QList<BackendEntry> &entries, bool poolHealthCheckValid,
                     ProxyConfig &config, QList<BackendOverrides> &overrides)
{
    config.backends.clear();
    overrides.clear();
    for (const BackendEntry &entry : entries) {
        config.backends.append(entry.config);
        const BackendOverrides &own = entry.overrides;
        if (own.healthCheck != HealthCheckOverrides{} || own.circuitBreaker != CircuitBreakerOverrides{})
            overrides.append(own);
        if (poolHealthCheckValid) {
            checkHealthCheckConsistency(d, entry.field + u".health_check", own.healthCheck,
                                        own.healthCheck.appliedTo(config.healthCheck));
        }
    }
    resolveBackendSettings(config, overrides);
}

void readTimeouts(JsonObjectReader &root, Timeouts &timeouts)
{
    std::optional<JsonObjectReader> object = root.object("timeouts"_L1);
    if (!object)
        return;
    object->readInteger("client_header_ms"_L1, ranges::timeoutMs, timeouts.clientHeaderMs);
    object->readInteger("client_idle_ms"_L1, ranges::timeoutMs, timeouts.clientIdleMs);
    object->readInteger("upstream_connect_ms"_L1, ranges::timeoutMs, timeouts.upstreamConnectMs);
    object->readInteger("upstream_response_ms"_L1, ranges::timeoutMs, timeouts.upstreamResponseMs);
    object->readInteger("upstream_idle_ms"_L1, ranges::timeoutMs, timeouts.upstreamIdleMs);
    object->readInteger("drain_ms"_L1, ranges::timeoutMs, timeouts.drainMs);
    object->reportUnknown();
}

void readLimits(JsonObjectReader &root, Limits &limits)
{
    std::optional<JsonObjectReader> object = root.object("limits"_L1);
    if (!object)
        return;
    object->readInteger("max_header_bytes"_L1, ranges::maxHeaderBytes, limits.maxHeaderBytes);
    object->readInteger("max_request_target_bytes"_L1, ranges::maxRequestTargetBytes,
                        limits.maxRequestTargetBytes);
    object->readInteger("max_body_bytes"_L1, ranges::maxBodyBytes, limits.maxBodyBytes);
    object->readInteger("upstream_idle_per_backend"_L1, ranges::upstreamIdlePerBackend,
                        limits.upstreamIdlePerBackend);
    object->reportUnknown();
}

// False when the document is of a version this build does not read: its fields would mean something
// else, so reporting them would only mislead.
bool readVersion(JsonObjectReader &root)
{
    const QJsonValue value = root.take("version"_L1);
    const QString field = root.field("version"_L1);
    const QString supported = u"this build reads version %1"_s.arg(kSupportedVersion);
    if (value.isUndefined()) {
        root.diagnostics().add(field, value, u"is required (" + supported + u')');
        return true;
    }
    if (!value.isDouble()) {
        root.diagnostics().wrongType(field, value, u"an integer"_s);
        return true;
    }
    if (value.toDouble() != kSupportedVersion) {
        root.diagnostics().add(field, value, u"unsupported version (" + supported + u')');
        return false;
    }
    return true;
}

void readRoot(JsonObjectReader &root, ProxyConfig &config, QList<BackendOverrides> &overrides)
{
    if (!readVersion(root))
        return;
    readListen(root, config.listen);
    root.readInteger("workers"_L1, ranges::workers, config.workers);
    const std::optional<QList<BackendEntry>> backends = readBackends(root);
    readBalancing(root, config.balancing);
    // The pool's settings may come after the backends in the file; they apply to them all the same.
    const bool poolHealthCheckValid = readPoolHealthCheck(root, config.healthCheck);
    readPoolCircuitBreaker(root, config.circuitBreaker);
    if (backends)
        resolveBackends(root.diagnostics(), *backends, poolHealthCheckValid, config, overrides);
    readOutlierDetection(root, config.outlierDetection);
    readRetries(root, config.retries);
    readTimeouts(root, config.timeouts);
    readLimits(root, config.limits);
    readParsed(root, "log_format"_L1, parseLogFormat, config.logFormat);
    root.readBoolean("access_log"_L1, config.accessLog);
    root.readInteger("metrics_interval_ms"_L1, ranges::metricsIntervalMs, config.metricsIntervalMs);
    root.reportUnknown();
}

// Line and column make the byte offset usable in an editor.
QString describePosition(const QByteArray &json, qsizetype offset)
{
    const QByteArray before = json.first(std::clamp<qsizetype>(offset, 0, json.size()));
    const qsizetype line = before.count('\n') + 1;
    const qsizetype column = before.size() - (before.lastIndexOf('\n') + 1) + 1;
    return u"byte %1 (line %2, column %3)"_s.arg(offset).arg(line).arg(column);
}

} // namespace

ProxyConfig ConfigLoader::defaultConfig()
{
    ProxyConfig config;
    config.listen = {defaultListenAddress()};
    return config;
}

ConfigLoadResult ConfigLoader::loadFile(const QString &path)
{
    ConfigLoadResult result;
    result.config = defaultConfig();
    if (QFileInfo(path).isDir()) {
        result.errors.append({path, QString(), u"cannot read: is a directory"_s});
        return result;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        result.errors.append({path, QString(), u"cannot open: "_s + file.errorString()});
        return result;
    }
    const QByteArray json = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        result.errors.append({path, QString(), u"cannot read: "_s + file.errorString()});
        return result;
    }
    return loadJson(json, path);
}

ConfigLoadResult ConfigLoader::loadJson(const QByteArray &json, const QString &source)
{
    ConfigLoadResult result;
    result.config = defaultConfig();

    // Qt would call this "illegal value" at byte 0, which hides the likelier cause: a truncated file.
    if (json.trimmed().isEmpty()) {
        result.errors.append(
            {source, QString(), u"empty document (expected a JSON object with \"version\": 1)"_s});
        return result;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        result.errors.append({source, QString(),
                              u"JSON syntax error at "_s + describePosition(json, parseError.offset) + u": " +
                                  parseError.errorString()});
        return result;
    }
    if (!document.isObject()) {
        result.errors.append({source, QString(), u"the top level must be a JSON object"_s});
        return result;
    }

    JsonDiagnostics diagnostics(result.errors);
    JsonObjectReader root(diagnostics, document.object(), QString());
    readRoot(root, result.config, result.backendOverrides);
    return result;
}

} // namespace fulcrum
