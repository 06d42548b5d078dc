// SPDX-License-Identifier: GPL-3.0-or-later
#include "SnapshotExport.h"

#include "balancing/BackendState.h"
#include "proxy/BackendLimits.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QMap>

#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// A counter broken down by one dimension. The same names are the nested JSON keys, the suffixes of
// the CSV columns and the values of the Prometheus label, so the three formats cannot disagree.
using Breakdown = QList<std::pair<QByteArray, quint64>>;
// Request rates by window, the same way.
using Rates = QList<std::pair<QByteArray, double>>;

// For a backend (responses it sent) and for the listener (responses clients got).
template <typename Metrics>
Breakdown responsesByClass(const Metrics &metrics)
{
    Breakdown result;
    for (std::size_t c = 0; c < metrics.responsesByClass.size(); ++c)
        result.append({QByteArray::number(c + 1) + "xx", metrics.responsesByClass[c]});
    return result;
}

// New client connections closed at once, by the limit they hit.
Breakdown connectionsRefusedByReason(const MetricsSnapshot &snapshot)
{
    return {{"listener_limit", snapshot.connectionsRefused[0]},
            {"client_limit", snapshot.connectionsRefused[1]}};
}

// Why one attempt on the backend failed.
Breakdown attemptErrorsByKind(const BackendMetrics &backend)
{
    return {{"connect", backend.connectErrors},
            {"timeout", backend.timeouts},
            {"reset", backend.resets},
            {"invalid_response", backend.invalidResponses}};
}

// How a request fared with the backend beyond a single attempt.
Breakdown requestErrorsByKind(const BackendMetrics &backend)
{
    return {{"circuit_open", backend.circuitOpen},
            {"retry_exhausted", backend.retryExhausted},
            {"client_abort", backend.clientAborts}};
}

Breakdown errorsByKind(const BackendMetrics &backend)
{
    return attemptErrorsByKind(backend) + requestErrorsByKind(backend);
}

template <typename Metrics>
Rates requestRates(const Metrics &metrics)
{
    return {{"1s", metrics.requestRate1s}, {"10s", metrics.requestRate10s}, {"60s", metrics.requestRate60s}};
}

// The shortest text that reads back as exactly the same double, as Qt's JSON writer writes one.
QByteArray decimal(double value)
{
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

Breakdown limitRejectionsByLimit(const BackendMetrics &backend)
{
    Breakdown result;
    for (std::size_t k = 0; k < backend.limitRejections.size(); ++k)
        result.append({limitName(static_cast<LimitKind>(k)), backend.limitRejections[k]});
    return result;
}

// JSON integers are exact only up to 2^63 in Qt (and 2^53 in many readers); counters get nowhere near.
QJsonValue count(quint64 value)
{
    return QJsonValue(static_cast<qint64>(value));
}

// ---- JSON and CSV share one flat list of backend fields: CSV columns are "group_key". ----

struct Field
{
    QString group; // empty: a top-level key of the backend object
    QString key;
    QJsonValue value;
};

QList<Field> backendFields(const BackendMetrics &backend)
{
    QList<Field> fields{
        {{}, u"name"_s, backend.name},
        {{}, u"pool"_s, backend.pool},
        {{}, u"url"_s, backend.url},
        {{}, u"state"_s, backend.state},
        {{}, u"healthy"_s, backend.healthy},
        {{}, u"health_reason"_s, backend.healthReason},
        {{}, u"weight"_s, backend.weight},
        {{}, u"effective_weight"_s, backend.effectiveWeight},
        {{}, u"requests"_s, count(backend.requests)},
    };
    const std::pair<QString, Breakdown> breakdowns[] = {
        {u"responses"_s, responsesByClass(backend)},
        {u"errors"_s, attemptErrorsByKind(backend)},
        {u"limit_rejections"_s, limitRejectionsByLimit(backend)},
    };
    for (const auto &[group, breakdown] : breakdowns) {
        for (const auto &[key, value] : breakdown)
            fields.append({group, QString::fromLatin1(key), count(value)});
    }
    fields += QList<Field>{
        {{}, u"bytes_in"_s, count(backend.bytesFromClient)},
        {{}, u"bytes_out"_s, count(backend.bytesToClient)},
        {{}, u"connections_opened"_s, count(backend.connectionsOpened)},
        {{}, u"active_requests"_s, backend.activeRequests},
        {{}, u"retries"_s, count(backend.retries)},
        {{}, u"times_ejected"_s, backend.timesEjected},
        {{}, u"ejected_for_ms"_s, backend.ejectedForMs},
        // null rather than the snapshot's -1, so that no reader mistakes it for a latency.
        {{},
         u"last_probe_latency_us"_s,
         backend.lastProbeLatencyUs < 0 ? QJsonValue() : QJsonValue(backend.lastProbeLatencyUs)},
    };
    const std::pair<QString, const LatencyMetrics *> latencies[] = {
        {u"first_byte_us"_s, &backend.firstByte},
        {u"response_time_us"_s, &backend.responseTime},
    };
    for (const auto &[group, latency] : latencies) {
        fields += QList<Field>{{group, u"count"_s, count(latency->count)},
                               {group, u"p50"_s, count(latency->p50Us)},
                               {group, u"p90"_s, count(latency->p90Us)},
                               {group, u"p99"_s, count(latency->p99Us)},
                               {group, u"p999"_s, count(latency->p999Us)}};
    }
    // Later additions: CSV columns are only ever appended, so these come last whatever their JSON group.
    fields.append({{}, u"active_connections"_s, backend.activeConnections});
    for (const auto &[key, value] : requestErrorsByKind(backend))
        fields.append({u"errors"_s, QString::fromLatin1(key), count(value)});
    for (const auto &[window, rate] : requestRates(backend))
        fields.append({u"rate"_s, QString::fromLatin1(window), rate});
    return fields;
}

QJsonValue snapshotTime(const MetricsSnapshot &snapshot)
{
    if (!snapshot.time.isValid())
        return {};
    return snapshot.time.toUTC().toString(Qt::ISODateWithMs);
}

// ---- Listener totals: one table for the JSON keys and the Prometheus families. ----

struct ListenerTotal
{
    const char *key; // JSON key; the family is fulcrum_<key>, with _total for counters
    bool counter;
    const char *help;
    qint64 (*value)(const MetricsSnapshot &);
};

template <auto Member>
qint64 total(const MetricsSnapshot &snapshot)
{
    return static_cast<qint64>(snapshot.*Member);
}

// Totals summed over backends say so in their help, since readers may rely on the equality.
constexpr ListenerTotal kListenerTotals[] = {
    {"connections_accepted", true, "Client connections accepted.",
     total<&MetricsSnapshot::connectionsAccepted>},
    {"open_connections", false, "Client connections open now.", total<&MetricsSnapshot::openConnections>},
    {"requests", true, "Requests received from clients.", total<&MetricsSnapshot::requests>},
    {"client_errors", true, "Requests the proxy answered itself with an error (parsing, limits).",
     total<&MetricsSnapshot::clientErrors>},
    {"no_backend", true, "Requests answered 503 because no backend was in rotation.",
     total<&MetricsSnapshot::noBackend>},
    {"upstream_failures", true, "Requests answered 502 or 504 by the proxy after upstream failures.",
     total<&MetricsSnapshot::upstreamFailures>},
    {"all_at_limits", true,
     "Requests answered 503 because every usable backend was at a circuit-breaker limit.",
     total<&MetricsSnapshot::allAtLimits>},
    {"retries", true, "Attempts that retried a failed one; the sum over backends.",
     total<&MetricsSnapshot::retries>},
    {"retries_denied", true, "Retries the retry budget refused.", total<&MetricsSnapshot::retriesDenied>},
    {"rate_limited", true, "Requests answered 429 by the per-client rate limit.",
     total<&MetricsSnapshot::rateLimited>},
    {"forwarded_requests", true, "Requests sent to backends, retries included; the sum over backends.",
     total<&MetricsSnapshot::forwardedRequests>},
    {"retry_exhausted", true,
     "Requests whose last attempt failed with no retry left or allowed; the sum over backends.",
     total<&MetricsSnapshot::retryExhausted>},
    {"client_aborts", true, "Clients gone before their response was complete; the sum over backends.",
     total<&MetricsSnapshot::clientAborts>},
    {"circuit_open", true,
     "Times a backend was passed over at a circuit-breaker limit; the sum over backends.",
     total<&MetricsSnapshot::circuitOpen>},
    {"bytes_in", true, "Bytes read from client connections.", total<&MetricsSnapshot::bytesFromClients>},
    {"bytes_out", true, "Bytes written to client connections.", total<&MetricsSnapshot::bytesToClients>},
    {"tunnels", true, "Client connections a backend's 101 turned into tunnels.",
     total<&MetricsSnapshot::tunnels>},
    {"open_tunnels", false, "Tunnels open now.", total<&MetricsSnapshot::openTunnels>},
    {"tunnel_bytes_in", true, "Bytes relayed through tunnels from clients to backends; part of bytes_in.",
     total<&MetricsSnapshot::tunnelBytesFromClients>},
    {"tunnel_bytes_out", true, "Bytes relayed through tunnels from backends to clients; part of bytes_out.",
     total<&MetricsSnapshot::tunnelBytesToClients>},
};

// ---- CSV ----

QByteArray csvField(const QByteArray &text)
{
    if (!text.contains(',') && !text.contains('"') && !text.contains('\r') && !text.contains('\n'))
        return text;
    QByteArray quoted = text;
    quoted.replace('"', "\"\"");
    return '"' + quoted + '"';
}

QByteArray csvText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString().toUtf8();
    case QJsonValue::Bool:
        return value.toBool() ? "true" : "false";
    case QJsonValue::Double: {
        // Counters and gauges are whole; rates are not, and read back exactly from the shortest text.
        const qint64 whole = value.toInteger();
        return static_cast<double>(whole) == value.toDouble() ? QByteArray::number(whole)
                                                              : decimal(value.toDouble());
    }
    default:
        return {};
    }
}

void appendCsvRow(QByteArray &out, const QByteArrayList &fields)
{
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            out += ',';
        out += csvField(fields[i]);
    }
    out += "\r\n";
}

// ---- Prometheus ----

// Label values escape backslash, double quote and newline; nothing else.
QByteArray labelValue(const QString &value)
{
    QByteArray escaped;
    for (const char c : value.toUtf8()) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

// Base units: milliseconds and microseconds become seconds, written exactly with no trailing zeros.
QByteArray decimalSeconds(qint64 units, int decimals, double perSecond)
{
    QByteArray text = QByteArray::number(static_cast<double>(units) / perSecond, 'f', decimals);
    while (text.endsWith('0'))
        text.chop(1);
    if (text.endsWith('.'))
        text.chop(1);
    return text;
}

QByteArray flag(bool on)
{
    return on ? "1" : "0";
}

// (value of the family's extra label, sample value); the label value is unused without an extra label.
using Samples = QList<std::pair<QByteArray, QByteArray>>;

Samples one(const QByteArray &value)
{
    return {{QByteArray(), value}};
}

Samples samplesOf(const Breakdown &breakdown)
{
    Samples samples;
    for (const auto &[label, value] : breakdown)
        samples.append({label, QByteArray::number(value)});
    return samples;
}

Samples samplesOf(const Rates &rates)
{
    Samples samples;
    for (const auto &[label, value] : rates)
        samples.append({label, decimal(value)});
    return samples;
}

struct BackendFamily
{
    const char *name;
    const char *type;
    const char *help;
    const char *extraLabel; // nullptr: backend and pool only
    Samples (*samples)(const BackendMetrics &);
};

const BackendFamily kBackendFamilies[] = {
    {"fulcrum_backend_up", "gauge", "1 when the backend is in rotation (state up), else 0.", nullptr,
     [](const BackendMetrics &b) { return one(flag(b.state == u"up"_s)); }},
    {"fulcrum_backend_state", "gauge", "1 for the backend's current state, 0 for the others.", "state",
     [](const BackendMetrics &b) {
         Samples samples;
         // BackendState's enumerators run from Up to Maintenance without gaps.
         for (int s = 0; s <= static_cast<int>(BackendState::Maintenance); ++s) {
             const QString name = backendStateName(static_cast<BackendState>(s));
             samples.append({name.toUtf8(), flag(b.state == name)});
         }
         return samples;
     }},
    {"fulcrum_backend_healthy", "gauge", "1 when the active health checks pass (or there are none), else 0.",
     nullptr, [](const BackendMetrics &b) { return one(flag(b.healthy)); }},
    {"fulcrum_backend_weight", "gauge",
     "Weight balancing uses now: below the configured one during slow start.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.effectiveWeight)); }},
    {"fulcrum_backend_configured_weight", "gauge", "Weight as configured or last set by an operator.",
     nullptr, [](const BackendMetrics &b) { return one(QByteArray::number(b.weight)); }},
    {"fulcrum_backend_requests_total", "counter", "Requests sent to the backend.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.requests)); }},
    {"fulcrum_backend_responses_total", "counter", "Responses from the backend by status class.", "code",
     [](const BackendMetrics &b) { return samplesOf(responsesByClass(b)); }},
    {"fulcrum_backend_errors_total", "counter",
     "Failed attempts by kind (connect, timeout, reset, invalid_response) and requests that fared badly "
     "(circuit_open, retry_exhausted, client_abort).",
     "kind", [](const BackendMetrics &b) { return samplesOf(errorsByKind(b)); }},
    {"fulcrum_backend_limit_rejections_total", "counter",
     "Requests sent elsewhere because the backend was at a circuit-breaker limit.", "limit",
     [](const BackendMetrics &b) { return samplesOf(limitRejectionsByLimit(b)); }},
    {"fulcrum_backend_retries_total", "counter", "Attempts on the backend that retried a failed one.",
     nullptr, [](const BackendMetrics &b) { return one(QByteArray::number(b.retries)); }},
    {"fulcrum_backend_request_bytes_total", "counter", "Request bytes sent to the backend.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.bytesFromClient)); }},
    {"fulcrum_backend_response_bytes_total", "counter", "Response bytes received from the backend.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.bytesToClient)); }},
    {"fulcrum_backend_connections_opened_total", "counter", "Connections opened to the backend.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.connectionsOpened)); }},
    {"fulcrum_backend_active_requests", "gauge", "Requests in flight on the backend now.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.activeRequests)); }},
    {"fulcrum_backend_active_connections", "gauge",
     "Connections open to the backend now, idle ones included.", nullptr,
     [](const BackendMetrics &b) { return one(QByteArray::number(b.activeConnections)); }},
    {"fulcrum_backend_request_rate", "gauge", "Requests sent to the backend per second over the window.",
     "window", [](const BackendMetrics &b) { return samplesOf(requestRates(b)); }},
    {"fulcrum_backend_ejections_total", "counter", "Ejections by outlier detection (passive health).",
     nullptr, [](const BackendMetrics &b) { return one(QByteArray::number(b.timesEjected)); }},
    {"fulcrum_backend_ejected_for_seconds", "gauge", "Time left of the current ejection; 0 when not ejected.",
     nullptr, [](const BackendMetrics &b) { return one(decimalSeconds(b.ejectedForMs, 3, 1e3)); }},
    {"fulcrum_backend_last_probe_latency_seconds", "gauge",
     "Latency of the last active health probe; no sample before the first probe.", nullptr,
     [](const BackendMetrics &b) {
         return b.lastProbeLatencyUs < 0 ? Samples() : one(decimalSeconds(b.lastProbeLatencyUs, 6, 1e6));
     }},
};

// Upper bounds of the exported latency buckets, in microseconds: the internal histogram has 4096
// buckets, far more than a scrape should carry, so they are summed into these.
constexpr quint64 kLatencyBoundsUs[] = {500,       1'000,     2'500,     5'000,     10'000,
                                        25'000,    50'000,    100'000,   250'000,   500'000,
                                        1'000'000, 2'500'000, 5'000'000, 10'000'000};

// Listener families with one label: the JSON groups "responses" and "rate" of the listener object, from the
// same breakdowns.
struct ListenerFamily
{
    const char *name;
    const char *type;
    const char *help;
    const char *label;
    Samples (*samples)(const MetricsSnapshot &);
};

const ListenerFamily kListenerFamilies[] = {
    {"fulcrum_responses_total", "counter",
     "Final responses clients got, by status class, the proxy's own answers included.", "code",
     [](const MetricsSnapshot &s) { return samplesOf(responsesByClass(s)); }},
    {"fulcrum_request_rate", "gauge", "Requests received from clients per second over the window.", "window",
     [](const MetricsSnapshot &s) { return samplesOf(requestRates(s)); }},
    {"fulcrum_connections_refused_total", "counter",
     "New client connections closed at once at a connection limit, by the limit.", "reason",
     [](const MetricsSnapshot &s) { return samplesOf(connectionsRefusedByReason(s)); }},
};

struct LatencyFamily
{
    const char *name;
    const char *help;
    const LatencyMetrics BackendMetrics::*metrics;
};

const LatencyFamily kLatencyFamilies[] = {
    {"fulcrum_backend_first_byte_seconds", "Time from sending a request to the backend to its response head.",
     &BackendMetrics::firstByte},
    {"fulcrum_backend_response_seconds",
     "Time from a request head from the client to the end of the backend's response.",
     &BackendMetrics::responseTime},
};

class PrometheusText
{
public:
    // A family's header; every sample written until the next call belongs to it.
    void family(const QByteArray &name, const char *type, const char *help)
    {
        m_name = name;
        m_out += "# HELP " + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
    }

    // labels: name="escaped value" pairs already joined with commas; empty for none. suffix: "_bucket",
    // "_sum" or "_count" for a histogram's series.
    void sample(const QByteArray &labels, const QByteArray &value, const char *suffix = "")
    {
        m_out += m_name + suffix;
        if (!labels.isEmpty())
            m_out += '{' + labels + '}';
        m_out += ' ' + value + '\n';
    }

    QByteArray text() const { return m_out; }

private:
    QByteArray m_out;
    QByteArray m_name;
};

} // namespace

QByteArray snapshotToJson(const MetricsSnapshot &snapshot, const ExportInfo &info)
{
    QJsonObject listener;
    for (const ListenerTotal &total : kListenerTotals)
        listener.insert(QLatin1StringView(total.key), total.value(snapshot));
    QJsonObject responses;
    for (const auto &[code, value] : responsesByClass(snapshot))
        responses.insert(QString::fromLatin1(code), count(value));
    listener.insert(u"responses"_s, responses);
    QJsonObject rates;
    for (const auto &[window, rate] : requestRates(snapshot))
        rates.insert(QString::fromLatin1(window), rate);
    listener.insert(u"rate"_s, rates);
    QJsonObject refused;
    for (const auto &[reason, value] : connectionsRefusedByReason(snapshot))
        refused.insert(QString::fromLatin1(reason), count(value));
    listener.insert(u"connections_refused"_s, refused);

    QJsonArray backends;
    for (const BackendMetrics &backend : snapshot.backends) {
        QJsonObject object;
        QMap<QString, QJsonObject> groups;
        for (const Field &field : backendFields(backend)) {
            if (field.group.isEmpty())
                object.insert(field.key, field.value);
            else
                groups[field.group].insert(field.key, field.value);
        }
        for (auto it = groups.cbegin(); it != groups.cend(); ++it)
            object.insert(it.key(), it.value());
        backends.append(object);
    }

    const QJsonObject root{
        {u"schema"_s, u"fulcrum.snapshot/1"_s},
        {u"time"_s, snapshotTime(snapshot)},
        {u"uptime_ms"_s, snapshot.uptimeMs},
        {u"version"_s, info.version},
        {u"listener"_s, listener},
        {u"backends"_s, backends},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray snapshotToCsv(const MetricsSnapshot &snapshot)
{
    QByteArray out;
    // The header comes from the same field list as the rows, so the two cannot drift apart.
    QByteArrayList header{"time"};
    for (const Field &field : backendFields(BackendMetrics()))
        header.append((field.group.isEmpty() ? field.key : field.group + u'_' + field.key).toUtf8());
    appendCsvRow(out, header);

    const QByteArray time = csvText(snapshotTime(snapshot));
    for (const BackendMetrics &backend : snapshot.backends) {
        QByteArrayList row{time};
        for (const Field &field : backendFields(backend))
            row.append(csvText(field.value));
        appendCsvRow(out, row);
    }
    return out;
}

QByteArray snapshotToPrometheus(const MetricsSnapshot &snapshot, const ExportInfo &info)
{
    PrometheusText text;
    text.family("fulcrum_build_info", "gauge", "Always 1; the version is in the label.");
    text.sample("version=\"" + labelValue(info.version) + '"', "1");
    text.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
    text.sample({}, QByteArray::number(info.processStartSecsSinceEpoch));
    text.family("fulcrum_uptime_seconds", "gauge", "Time since the proxy started serving.");
    text.sample({}, decimalSeconds(snapshot.uptimeMs, 3, 1e3));

    for (const ListenerTotal &total : kListenerTotals) {
        text.family(QByteArray("fulcrum_") + total.key + (total.counter ? "_total" : ""),
                    total.counter ? "counter" : "gauge", total.help);
        text.sample({}, QByteArray::number(total.value(snapshot)));
    }
    for (const ListenerFamily &family : kListenerFamilies) {
        text.family(family.name, family.type, family.help);
        for (const auto &[label, value] : family.samples(snapshot))
            text.sample(QByteArray(family.label) + "=\"" + label + '"', value);
    }

    for (const BackendFamily &family : kBackendFamilies) {
        text.family(family.name, family.type, family.help);
        for (const BackendMetrics &backend : snapshot.backends) {
            const QByteArray labels =
                "backend=\"" + labelValue(backend.name) + "\",pool=\"" + labelValue(backend.pool) + '"';
            for (const auto &[extra, value] : family.samples(backend)) {
                if (family.extraLabel)
                    text.sample(labels + ',' + family.extraLabel + "=\"" + extra + '"', value);
                else
                    text.sample(labels, value);
            }
        }
    }

    for (const LatencyFamily &family : kLatencyFamilies) {
        text.family(family.name, "histogram", family.help);
        for (const BackendMetrics &backend : snapshot.backends) {
            const QByteArray labels =
                "backend=\"" + labelValue(backend.name) + "\",pool=\"" + labelValue(backend.pool) + '"';
            const LatencyMetrics &latency = backend.*family.metrics;
            const LatencyDistribution empty;
            const LatencyDistribution &distribution = latency.distribution ? *latency.distribution : empty;
            for (const quint64 bound : kLatencyBoundsUs)
                text.sample(labels + ",le=\"" + decimalSeconds(qint64(bound), 6, 1e6) + '"',
                            QByteArray::number(distribution.countAtOrBelow(bound)), "_bucket");
            text.sample(labels + ",le=\"+Inf\"", QByteArray::number(distribution.count()), "_bucket");
            text.sample(labels, decimalSeconds(qint64(distribution.sumMicros()), 6, 1e6), "_sum");
            text.sample(labels, QByteArray::number(distribution.count()), "_count");
        }
    }
    return text.text();
}

} // namespace fulcrum
