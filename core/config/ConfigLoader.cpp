// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigLoader.h"

#include "ClientAddressSettings.h"
#include "ConfigValues.h"
#include "JsonFieldReader.h"
#include "ListenReader.h"
#include "OperationsReader.h"
#include "PoolReader.h"
#include "RateLimitReader.h"
#include "RouteReader.h"
#include "RoutingValidation.h"
#include "SettingsReaders.h"
#include "TlsReader.h"
#include "TransportReader.h"

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
    object->readInteger("max_client_connections"_L1, ranges::maxClientConnections,
                        limits.maxClientConnections);
    object->readInteger("max_connections_per_client"_L1, ranges::maxClientConnections,
                        limits.maxConnectionsPerClient);
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

// Without "routes", a single pool takes every request; with several, which one would be a guess.
void checkRoutesGiven(JsonObjectReader &root, const ProxyConfig &config)
{
    if (config.pools.size() < 2 || !config.routes.isEmpty())
        return;
    const QJsonValue routes = root.take("routes"_L1);
    if (routes.isUndefined())
        root.diagnostics().add(root.field("routes"_L1), routes,
                               u"is required when there is more than one pool"_s);
    else if (routes.isArray() && routes.toArray().isEmpty())
        root.diagnostics().add(root.field("routes"_L1), routes,
                               u"must list at least one route when there is more than one pool"_s);
}

// Pools and routes come after every top-level setting, which they start from.
void readRouting(JsonObjectReader &root, ProxyConfig &config, TopLevelStatus topLevel,
                 QList<BackendOverrides> &overrides)
{
    JsonDiagnostics &d = root.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    readPools(root, config, topLevel, overrides);
    if (root.contains("pools"_L1) && root.contains("backends"_L1))
        d.add(root.field("backends"_L1), QJsonValue::Undefined,
              u"must not be given with \"pools\" (put the backends in a pool; the other top-level settings "
              u"still apply to every pool)"_s);
    readRoutes(root, config);
    checkRoutesGiven(root, config);
    // A pool or route dropped for an error of its own would show up again as an unknown pool or a wrong
    // catch-all: relations are only worth checking between entries that are all valid.
    if (d.errorCount() == errorsBefore)
        d.add(validateRouting(config.effectivePools(), config.effectiveRoutes()));
}

void readRoot(JsonObjectReader &root, ProxyConfig &config, QList<BackendOverrides> &overrides)
{
    if (!readVersion(root))
        return;
    readListen(root, config.listen);
    readTrustedProxies(root, config.trustedProxies);
    root.readInteger("workers"_L1, ranges::workers, config.workers);
    BackendNames topLevelNames;
    const std::optional<QList<BackendEntry>> backends = readBackendEntries(root, QString(), topLevelNames);
    TopLevelStatus topLevel;
    topLevel.strategy = readBalancing(root, config.balancing);
    // The pool's settings may come after the backends in the file; they apply to them all the same.
    topLevel.healthCheckValid = readPoolHealthCheck(root, config.healthCheck);
    readPoolCircuitBreaker(root, config.circuitBreaker);
    readTransport(root, config.transport);
    if (backends) {
        config.backends = resolveBackends(
            root.diagnostics(), *backends,
            {config.healthCheck, topLevel.healthCheckValid, config.circuitBreaker}, overrides);
    }
    readOutlierDetection(root, config.outlierDetection);
    readRetries(root, config.retries);
    readTimeouts(root, config.timeouts);
    readLimits(root, config.limits);
    readRateLimit(root, config.rateLimit, config.pathRateLimits);
    readTls(root, config.tls);
    readParsed(root, "log_format"_L1, parseLogFormat, config.logFormat);
    readParsed(root, "log_level"_L1, parseLogLevel, config.logLevel);
    root.readBoolean("access_log"_L1, config.accessLog);
    root.readInteger("metrics_interval_ms"_L1, ranges::metricsIntervalMs, config.metricsIntervalMs);
    readOperations(root, config);
    readRouting(root, config, topLevel, overrides);
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
    result.config.applyTransports();
    return result;
}

} // namespace fulcrum
