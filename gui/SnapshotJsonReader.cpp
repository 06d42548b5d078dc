// SPDX-License-Identifier: GPL-3.0-or-later
#include "SnapshotJsonReader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {

quint64 unsignedOf(const QJsonValue &value)
{
    return static_cast<quint64>(std::max<qint64>(0, value.toInteger()));
}

void readClasses(const QJsonObject &object, std::array<quint64, 5> *classes)
{
    for (int i = 0; i < 5; ++i)
        (*classes)[static_cast<size_t>(i)] = unsignedOf(object.value(QString::number(i + 1) + u"xx"_s));
}

LatencyMetrics readLatency(const QJsonObject &object)
{
    LatencyMetrics latency;
    latency.count = unsignedOf(object.value(u"count"_s));
    latency.p50Us = unsignedOf(object.value(u"p50"_s));
    latency.p90Us = unsignedOf(object.value(u"p90"_s));
    latency.p99Us = unsignedOf(object.value(u"p99"_s));
    latency.p999Us = unsignedOf(object.value(u"p999"_s));
    return latency;
}

BackendMetrics readBackend(const QJsonObject &object)
{
    BackendMetrics backend;
    backend.name = object.value(u"name"_s).toString();
    backend.pool = object.value(u"pool"_s).toString();
    backend.url = object.value(u"url"_s).toString();
    backend.state = object.value(u"state"_s).toString();
    backend.healthy = object.value(u"healthy"_s).toBool(true);
    backend.healthReason = object.value(u"health_reason"_s).toString();
    backend.weight = object.value(u"weight"_s).toInt();
    backend.effectiveWeight = object.value(u"effective_weight"_s).toInt();
    backend.requests = unsignedOf(object.value(u"requests"_s));
    readClasses(object.value(u"responses"_s).toObject(), &backend.responsesByClass);
    const QJsonObject errors = object.value(u"errors"_s).toObject();
    backend.connectErrors = unsignedOf(errors.value(u"connect"_s));
    backend.timeouts = unsignedOf(errors.value(u"timeout"_s));
    backend.resets = unsignedOf(errors.value(u"reset"_s));
    backend.activeRequests = object.value(u"active_requests"_s).toInteger();
    backend.activeConnections = object.value(u"active_connections"_s).toInteger();
    backend.timesEjected = object.value(u"times_ejected"_s).toInt();
    backend.responseTime = readLatency(object.value(u"response_time_us"_s).toObject());
    backend.firstByte = readLatency(object.value(u"first_byte_us"_s).toObject());
    const QJsonObject rate = object.value(u"rate"_s).toObject();
    backend.requestRate1s = rate.value(u"1s"_s).toDouble();
    backend.requestRate10s = rate.value(u"10s"_s).toDouble();
    backend.requestRate60s = rate.value(u"60s"_s).toDouble();
    return backend;
}

} // namespace

MetricsSnapshotPtr snapshotFromJson(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (!document.isObject()) {
        *error = u"snapshot is not a JSON object: "_s + parseError.errorString();
        return nullptr;
    }
    const QJsonObject root = document.object();
    if (root.value(u"schema"_s).toString() != u"fulcrum.snapshot/1"_s) {
        *error = u"not a fulcrum.snapshot/1 document"_s;
        return nullptr;
    }
    auto snapshot = std::make_shared<MetricsSnapshot>();
    snapshot->time = QDateTime::fromString(root.value(u"time"_s).toString(), Qt::ISODateWithMs);
    snapshot->uptimeMs = root.value(u"uptime_ms"_s).toInteger();
    const QJsonObject listener = root.value(u"listener"_s).toObject();
    snapshot->connectionsAccepted = unsignedOf(listener.value(u"connections_accepted"_s));
    snapshot->openConnections = listener.value(u"open_connections"_s).toInteger();
    snapshot->requests = unsignedOf(listener.value(u"requests"_s));
    snapshot->forwardedRequests = unsignedOf(listener.value(u"forwarded_requests"_s));
    readClasses(listener.value(u"responses"_s).toObject(), &snapshot->responsesByClass);
    const QJsonObject rate = listener.value(u"rate"_s).toObject();
    snapshot->requestRate1s = rate.value(u"1s"_s).toDouble();
    snapshot->requestRate10s = rate.value(u"10s"_s).toDouble();
    snapshot->requestRate60s = rate.value(u"60s"_s).toDouble();
    const QJsonArray backends = root.value(u"backends"_s).toArray();
    for (const QJsonValue &backend : backends)
        snapshot->backends.append(readBackend(backend.toObject()));
    return snapshot;
}

} // namespace fulcrum::console
