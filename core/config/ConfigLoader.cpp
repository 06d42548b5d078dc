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

// Reads one entry of "backends"; nothing when any of its fields is invalid (each one reported).
std::optional<BackendConfig> readBackend(JsonObjectReader &object, qsizetype index)
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

    object.reportUnknown();
    if (!valid)
        return std::nullopt;
    return backend;
}

void readBackends(JsonObjectReader &root, QList<BackendConfig> &target)
{
    const QLatin1StringView key = "backends"_L1;
    const std::optional<QJsonArray> entries = root.array(key, u"objects"_s);
    if (!entries)
        return;
    JsonDiagnostics &d = root.diagnostics();
    QList<BackendConfig> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexed(root.field(key), i);
        const QJsonValue entry = entries->at(i);
        if (!entry.isObject()) {
            d.wrongType(field, entry, u"an object"_s);
            continue;
        }
        JsonObjectReader object(d, entry.toObject(), field);
        const std::optional<BackendConfig> backend = readBackend(object, i);
        if (!backend)
            continue;
        if (isDuplicateBackendName(accepted, backend->name)) {
            d.add(object.field("name"_L1), backend->name, u"duplicate backend name"_s);
            continue;
        }
        accepted.append(*backend);
    }
    target = accepted;
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

void readRoot(JsonObjectReader &root, ProxyConfig &config)
{
    if (!readVersion(root))
        return;
    readListen(root, config.listen);
    root.readInteger("workers"_L1, ranges::workers, config.workers);
    readBackends(root, config.backends);
    readBalancing(root, config.balancing);
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
    readRoot(root, result.config);
    return result;
}

} // namespace fulcrum
