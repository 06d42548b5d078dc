// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/SnapshotExport.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>
#include <QtNumeric>

#include <optional>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

const QString kAwkwardName = u"web \"a\""_s;
const QString kAwkwardPool = u"main,eu"_s;
const QString kBackslashName = u"C:\\back\\slash"_s;
const QString kAwkwardReason = u"probe failed: \"503\",\nthen timeout"_s;

// Three backends: every counter distinct, names, pool and reason that each format must escape.
MetricsSnapshot sampleSnapshot()
{
    MetricsSnapshot snapshot;
    snapshot.time = QDateTime(QDate(2024, 5, 6), QTime(7, 8, 9, 123), Qt::UTC);
    snapshot.uptimeMs = 3'723'456;
    snapshot.connectionsAccepted = 501;
    snapshot.openConnections = 502;
    snapshot.requests = 503;
    snapshot.clientErrors = 504;
    snapshot.noBackend = 505;
    snapshot.upstreamFailures = 506;
    snapshot.allAtLimits = 507;
    snapshot.retries = 508;
    snapshot.retriesDenied = 509;
    snapshot.forwardedRequests = 510;
    snapshot.retryExhausted = 511;
    snapshot.clientAborts = 512;
    snapshot.circuitOpen = 513;
    snapshot.bytesFromClients = 514;
    snapshot.bytesToClients = 515;
    snapshot.rateLimited = 516;
    snapshot.tunnels = 517;
    snapshot.openTunnels = 518;
    snapshot.tunnelBytesFromClients = 519;
    snapshot.tunnelBytesToClients = 520;
    snapshot.connectionsRefused = {31, 32};
    snapshot.responsesByClass = {21, 22, 23, 24, 25};
    snapshot.requestRate1s = 40;
    snapshot.requestRate10s = 1.0 / 3;
    snapshot.requestRate60s = 0.1;

    BackendMetrics a;
    a.name = kAwkwardName;
    a.pool = kAwkwardPool;
    a.url = u"http://10.0.0.1:8080"_s;
    a.weight = 5;
    a.effectiveWeight = 3;
    a.state = u"up"_s;
    a.lastProbeLatencyUs = 2'500;
    a.timesEjected = 1;
    a.ejectedForMs = 1'500;
    a.requests = 100;
    a.responsesByClass = {1, 90, 2, 3, 4};
    a.connectErrors = 5;
    a.timeouts = 6;
    a.resets = 7;
    a.invalidResponses = 8;
    a.bytesFromClient = 1'000;
    a.bytesToClient = 2'000;
    a.connectionsOpened = 12;
    a.activeRequests = 2;
    a.limitRejections = {9, 10, 11};
    a.retries = 13;
    a.activeConnections = 14;
    a.circuitOpen = 30;
    a.retryExhausted = 15;
    a.clientAborts = 16;
    a.requestRate1s = 12.5;
    a.requestRate10s = 10.0 / 3;
    a.requestRate60s = 1e-3;
    // Three answers at 800 µs and one at 20 ms; the percentiles are set apart from the histogram so the
    // exact-output checks do not depend on bucket bounds.
    LatencyRecorder recorder;
    for (const quint64 micros : {800, 800, 800, 20'000})
        recorder.record(micros);
    auto distribution = std::make_shared<LatencyDistribution>();
    distribution->add(recorder);
    a.firstByte = {distribution, 4, 801, 802, 803, 804};
    a.responseTime = {distribution, 4, 901, 902, 903, 904};

    BackendMetrics b;
    b.name = kBackslashName;
    b.pool = kAwkwardPool;
    b.url = u"http://10.0.0.2:8080/base"_s;
    b.weight = 1;
    b.effectiveWeight = 1;
    b.state = u"draining"_s;
    b.healthy = false;
    b.healthReason = kAwkwardReason;
    b.requests = 7;
    b.responsesByClass = {0, 6, 0, 0, 1};

    BackendMetrics c;
    c.name = u"spare"_s;
    c.pool = u"other"_s;
    c.url = u"http://[::1]:9000"_s;
    c.weight = 2;
    c.effectiveWeight = 2;
    c.state = u"maintenance"_s;
    c.lastProbeLatencyUs = 0;

    snapshot.backends = {a, b, c};
    return snapshot;
}

const ExportInfo kInfo{u"1.2.3"_s, 1'714'979'289};

const QStringList kTopLevelKeys{u"schema"_s,  u"time"_s,     u"uptime_ms"_s,
                                u"version"_s, u"listener"_s, u"backends"_s};
// The listener's integer totals, in the order sampleSnapshot() numbers them from 501.
const QStringList kListenerTotals{u"connections_accepted"_s, u"open_connections"_s, u"requests"_s,
                                  u"client_errors"_s,        u"no_backend"_s,       u"upstream_failures"_s,
                                  u"all_at_limits"_s,        u"retries"_s,          u"retries_denied"_s,
                                  u"forwarded_requests"_s,   u"retry_exhausted"_s,  u"client_aborts"_s,
                                  u"circuit_open"_s,         u"bytes_in"_s,         u"bytes_out"_s,
                                  u"rate_limited"_s,         u"tunnels"_s,          u"open_tunnels"_s,
                                  u"tunnel_bytes_in"_s,      u"tunnel_bytes_out"_s};
const QStringList kListenerKeys =
    kListenerTotals + QStringList{u"responses"_s, u"rate"_s, u"connections_refused"_s};
// The documented CSV columns, in their documented order; the JSON backend object has the same
// fields, with each "group_key" column nested as {"group": {"key": …}}.
const QStringList kCsvColumns{u"time"_s,
                              u"name"_s,
                              u"pool"_s,
                              u"url"_s,
                              u"state"_s,
                              u"healthy"_s,
                              u"health_reason"_s,
                              u"weight"_s,
                              u"effective_weight"_s,
                              u"requests"_s,
                              u"responses_1xx"_s,
                              u"responses_2xx"_s,
                              u"responses_3xx"_s,
                              u"responses_4xx"_s,
                              u"responses_5xx"_s,
                              u"errors_connect"_s,
                              u"errors_timeout"_s,
                              u"errors_reset"_s,
                              u"errors_invalid_response"_s,
                              u"limit_rejections_max_requests"_s,
                              u"limit_rejections_max_connections"_s,
                              u"limit_rejections_max_pending_requests"_s,
                              u"bytes_in"_s,
                              u"bytes_out"_s,
                              u"connections_opened"_s,
                              u"active_requests"_s,
                              u"retries"_s,
                              u"times_ejected"_s,
                              u"ejected_for_ms"_s,
                              u"last_probe_latency_us"_s,
                              u"first_byte_us_count"_s,
                              u"first_byte_us_p50"_s,
                              u"first_byte_us_p90"_s,
                              u"first_byte_us_p99"_s,
                              u"first_byte_us_p999"_s,
                              u"response_time_us_count"_s,
                              u"response_time_us_p50"_s,
                              u"response_time_us_p90"_s,
                              u"response_time_us_p99"_s,
                              u"response_time_us_p999"_s,
                              u"active_connections"_s,
                              u"errors_circuit_open"_s,
                              u"errors_retry_exhausted"_s,
                              u"errors_client_abort"_s,
                              u"rate_1s"_s,
                              u"rate_10s"_s,
                              u"rate_60s"_s};
const QStringList kGroups{u"responses"_s,     u"errors"_s,           u"limit_rejections"_s,
                          u"first_byte_us"_s, u"response_time_us"_s, u"rate"_s};

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

// The backend object's keys as the documented columns name them ("errors_connect" for errors.connect).
QStringList flattenedKeys(const QJsonObject &backend)
{
    QStringList keys;
    for (auto it = backend.begin(); it != backend.end(); ++it) {
        if (kGroups.contains(it.key())) {
            const QJsonObject group = it.value().toObject();
            for (const QString &key : group.keys())
                keys.append(it.key() + u'_' + key);
        } else {
            keys.append(it.key());
        }
    }
    return keys;
}

QJsonObject parseJson(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qWarning("JSON does not parse: %s", qPrintable(error.errorString()));
    return document.object();
}

// A strict RFC 4180 reader: every record ends in CRLF, quotes only around whole fields, "" inside them.
std::optional<QList<QStringList>> parseCsv(const QByteArray &csv)
{
    QList<QStringList> records;
    QStringList record;
    QByteArray field;
    bool quoted = false;
    bool wasQuoted = false;
    for (qsizetype i = 0; i < csv.size(); ++i) {
        const char c = csv[i];
        if (quoted) {
            if (c != '"')
                field += c;
            else if (i + 1 < csv.size() && csv[i + 1] == '"')
                field += csv[++i];
            else
                quoted = false;
        } else if (c == '"') {
            if (wasQuoted || !field.isEmpty())
                return std::nullopt;
            quoted = wasQuoted = true;
        } else if (c == ',' || c == '\r') {
            if (c == '\r' && (i + 1 >= csv.size() || csv[++i] != '\n'))
                return std::nullopt;
            record.append(QString::fromUtf8(field));
            field.clear();
            wasQuoted = false;
            if (c == '\r') {
                records.append(record);
                record.clear();
            }
        } else if (c == '\n' || wasQuoted) {
            return std::nullopt;
        } else {
            field += c;
        }
    }
    if (quoted || !record.isEmpty() || !field.isEmpty())
        return std::nullopt; // the last record lacks its CRLF
    return records;
}

// promtool's verdict: empty when it accepted the text without a word, else what it said.
QString promtoolComplaints(const QByteArray &text)
{
    const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
    if (promtool.isEmpty())
        return u"promtool not found: install the Debian package \"prometheus\" (./fulcrum.sh test does)"_s;
    QProcess process;
    process.start(promtool, {u"check"_s, u"metrics"_s});
    if (!process.waitForStarted())
        return u"promtool did not start: "_s + process.errorString();
    process.write(text);
    process.closeWriteChannel();
    if (!process.waitForFinished(60'000))
        return u"promtool did not finish"_s;
    const QByteArray said = process.readAllStandardOutput() + process.readAllStandardError();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0 || !said.trimmed().isEmpty())
        return u"promtool exit code %1: %2"_s.arg(process.exitCode()).arg(QString::fromUtf8(said));
    return {};
}

// Checks what promtool does not: each family once, HELP then TYPE then all its samples, counters and
// only counters ending in _total. Returns what is wrong, empty when nothing is; *families gets the
// family names in order.
QString familyLayoutError(const QByteArray &text, QStringList *families = nullptr)
{
    if (!text.endsWith('\n'))
        return u"no final newline"_s;
    QStringList seen;
    QString current;
    bool expectType = false;
    bool histogram = false;
    const QList<QByteArray> lines = text.chopped(1).split('\n');
    for (const QByteArray &bytes : lines) {
        const QString line = QString::fromUtf8(bytes);
        if (line.startsWith(u"# HELP "_s)) {
            if (expectType)
                return u"HELP without TYPE before: "_s + line;
            current = line.section(u' ', 2, 2);
            if (seen.contains(current))
                return u"family split: "_s + current;
            seen.append(current);
            expectType = true;
        } else if (line.startsWith(u"# TYPE "_s)) {
            const QString type = line.section(u' ', 3);
            if (!expectType || line.section(u' ', 2, 2) != current)
                return u"TYPE without its HELP: "_s + line;
            if (type != u"counter"_s && type != u"gauge"_s && type != u"histogram"_s)
                return u"unexpected type: "_s + line;
            histogram = type == u"histogram"_s;
            if (current.endsWith(u"_total"_s) != (type == u"counter"_s))
                return u"_total on a non-counter or missing on a counter: "_s + current;
            expectType = false;
        } else {
            // A histogram's series are its name with _bucket, _sum or _count.
            const QString series = line.section(QRegularExpression(u"[{ ]"_s), 0, 0);
            const bool belongs = series == current || (histogram && (series == current + u"_bucket"_s ||
                                                                     series == current + u"_sum"_s ||
                                                                     series == current + u"_count"_s));
            if (expectType || current.isEmpty() || !belongs)
                return u"sample outside its family "_s + current + u": "_s + line;
        }
    }
    if (families)
        *families = seen;
    return {};
}

// Every sample of a Prometheus text by its series ("name{labels}"), its value read as a double.
QHash<QString, double> prometheusSamples(const QByteArray &text)
{
    QHash<QString, double> samples;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        bool ok = false;
        const double value = line.mid(space + 1).toDouble(&ok);
        samples.insert(QString::fromUtf8(line.left(space)), ok ? value : qQNaN());
    }
    return samples;
}

QString escapedLabel(const QString &value)
{
    QString escaped = value;
    return escaped.replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s).replace(u'\n', u"\\n"_s);
}

} // namespace

class TestSnapshotExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonHasEveryDocumentedField();
    void jsonValuesRoundTrip();
    void jsonEscapesAndFormatsExactly();
    void csvHeaderIsStableAndRowsRoundTrip();
    void csvQuotesExactly();
    void prometheusExactSamples();
    void prometheusFamiliesAreGroupedAndComplete();
    void prometheusEscapesLabelValues();
    void promtoolAcceptsTheOutput();
    void prometheusAgreesWithJson();
    void emptySnapshotExportsValidly();
    void docsDescribeEveryField();
};

void TestSnapshotExport::jsonHasEveryDocumentedField()
{
    const QJsonObject root = parseJson(snapshotToJson(sampleSnapshot(), kInfo));
    QCOMPARE(sorted(root.keys()), sorted(kTopLevelKeys));
    QCOMPARE(sorted(root[u"listener"_s].toObject().keys()), sorted(kListenerKeys));
    const QJsonArray backends = root[u"backends"_s].toArray();
    QCOMPARE(backends.size(), 3);
    for (const QJsonValue &backend : backends)
        QCOMPARE(sorted(flattenedKeys(backend.toObject())), sorted(kCsvColumns.mid(1)));
}

void TestSnapshotExport::jsonValuesRoundTrip()
{
    const QJsonObject root = parseJson(snapshotToJson(sampleSnapshot(), kInfo));
    QCOMPARE(root[u"schema"_s].toString(), u"fulcrum.snapshot/1"_s);
    QCOMPARE(root[u"time"_s].toString(), u"2024-05-06T07:08:09.123Z"_s);
    QCOMPARE(root[u"uptime_ms"_s].toInteger(), 3'723'456);
    QCOMPARE(root[u"version"_s].toString(), u"1.2.3"_s);
    const QJsonObject listener = root[u"listener"_s].toObject();
    for (qsizetype i = 0; i < kListenerTotals.size(); ++i)
        QCOMPARE(listener[kListenerTotals[i]].toInteger(), 501 + i);
    QCOMPARE(listener[u"responses"_s][u"1xx"_s].toInteger(), 21);
    QCOMPARE(listener[u"responses"_s][u"5xx"_s].toInteger(), 25);
    QVERIFY(listener[u"rate"_s][u"1s"_s].toDouble() == 40);
    QVERIFY(listener[u"rate"_s][u"10s"_s].toDouble() == 1.0 / 3); // exactly: no digit lost on the way
    QVERIFY(listener[u"rate"_s][u"60s"_s].toDouble() == 0.1);
    QCOMPARE(listener[u"connections_refused"_s][u"listener_limit"_s].toInteger(), 31);
    QCOMPARE(listener[u"connections_refused"_s][u"client_limit"_s].toInteger(), 32);

    const QJsonArray backends = root[u"backends"_s].toArray();
    const QJsonObject a = backends[0].toObject();
    QCOMPARE(a[u"name"_s].toString(), kAwkwardName);
    QCOMPARE(a[u"pool"_s].toString(), kAwkwardPool);
    QCOMPARE(a[u"url"_s].toString(), u"http://10.0.0.1:8080"_s);
    QCOMPARE(a[u"state"_s].toString(), u"up"_s);
    QCOMPARE(a[u"healthy"_s].toBool(false), true);
    QCOMPARE(a[u"weight"_s].toInteger(), 5);
    QCOMPARE(a[u"effective_weight"_s].toInteger(), 3);
    QCOMPARE(a[u"requests"_s].toInteger(), 100);
    QCOMPARE(a[u"responses"_s][u"2xx"_s].toInteger(), 90);
    QCOMPARE(a[u"responses"_s][u"5xx"_s].toInteger(), 4);
    QCOMPARE(a[u"errors"_s][u"connect"_s].toInteger(), 5);
    QCOMPARE(a[u"errors"_s][u"invalid_response"_s].toInteger(), 8);
    QCOMPARE(a[u"limit_rejections"_s][u"max_requests"_s].toInteger(), 9);
    QCOMPARE(a[u"limit_rejections"_s][u"max_pending_requests"_s].toInteger(), 11);
    QCOMPARE(a[u"bytes_in"_s].toInteger(), 1'000);
    QCOMPARE(a[u"bytes_out"_s].toInteger(), 2'000);
    QCOMPARE(a[u"connections_opened"_s].toInteger(), 12);
    QCOMPARE(a[u"active_requests"_s].toInteger(), 2);
    QCOMPARE(a[u"retries"_s].toInteger(), 13);
    QCOMPARE(a[u"active_connections"_s].toInteger(), 14);
    QCOMPARE(a[u"errors"_s][u"circuit_open"_s].toInteger(), 30);
    QCOMPARE(a[u"errors"_s][u"retry_exhausted"_s].toInteger(), 15);
    QCOMPARE(a[u"errors"_s][u"client_abort"_s].toInteger(), 16);
    QVERIFY(a[u"rate"_s][u"1s"_s].toDouble() == 12.5);
    QVERIFY(a[u"rate"_s][u"10s"_s].toDouble() == 10.0 / 3);
    QVERIFY(a[u"rate"_s][u"60s"_s].toDouble() == 1e-3);
    QCOMPARE(a[u"times_ejected"_s].toInteger(), 1);
    QCOMPARE(a[u"ejected_for_ms"_s].toInteger(), 1'500);
    QCOMPARE(a[u"last_probe_latency_us"_s].toInteger(), 2'500);

    const QJsonObject b = backends[1].toObject();
    QCOMPARE(b[u"name"_s].toString(), kBackslashName);
    QCOMPARE(b[u"healthy"_s].toBool(true), false);
    QCOMPARE(b[u"health_reason"_s].toString(), kAwkwardReason);
    QVERIFY(b[u"last_probe_latency_us"_s].isNull()); // never probed
    QCOMPARE(backends[2].toObject()[u"last_probe_latency_us"_s].toInteger(-1), 0);
}

void TestSnapshotExport::jsonEscapesAndFormatsExactly()
{
    const QByteArray json = snapshotToJson(sampleSnapshot(), kInfo);
    QVERIFY(json.contains(R"("schema": "fulcrum.snapshot/1")"));
    QVERIFY(json.contains(R"("time": "2024-05-06T07:08:09.123Z")"));
    QVERIFY(json.contains(R"("name": "web \"a\"")"));
    QVERIFY(json.contains(R"("name": "C:\\back\\slash")"));
    QVERIFY(json.contains(R"("health_reason": "probe failed: \"503\",\nthen timeout")"));
    QVERIFY(json.contains(R"("last_probe_latency_us": null)"));
    // Keys in sorted order, so two exports of one snapshot are byte for byte the same.
    QVERIFY(json.indexOf(R"("backends")") < json.indexOf(R"("listener")"));
    QVERIFY(json.indexOf(R"("listener")") < json.indexOf(R"("schema")"));
    QCOMPARE(snapshotToJson(sampleSnapshot(), kInfo), json);
}

void TestSnapshotExport::csvHeaderIsStableAndRowsRoundTrip()
{
    const std::optional<QList<QStringList>> records = parseCsv(snapshotToCsv(sampleSnapshot()));
    QVERIFY2(records, "not RFC 4180");
    QCOMPARE(records->size(), 4);
    QCOMPARE(records->at(0), kCsvColumns);

    // Each row says what the JSON export says of the same backend.
    const QJsonArray backends = parseJson(snapshotToJson(sampleSnapshot(), kInfo))[u"backends"_s].toArray();
    for (qsizetype row = 1; row < records->size(); ++row) {
        const QStringList &record = records->at(row);
        QCOMPARE(record.size(), kCsvColumns.size());
        QCOMPARE(record[0], u"2024-05-06T07:08:09.123Z"_s);
        const QJsonObject backend = backends[row - 1].toObject();
        for (qsizetype column = 1; column < kCsvColumns.size(); ++column) {
            const QString &name = kCsvColumns[column];
            QJsonValue value = backend[name];
            for (const QString &group : kGroups) {
                if (name.startsWith(group + u'_'))
                    value = backend[group][name.mid(group.size() + 1)];
            }
            if (value.isDouble() && value.toDouble() != static_cast<double>(value.toInteger())) {
                // A rate: the same number, to the last bit (QCOMPARE would allow a fuzzy match).
                bool ok = false;
                const double read = record[column].toDouble(&ok);
                QVERIFY2(ok && read == value.toDouble(), qPrintable(name + u": "_s + record[column]));
                continue;
            }
            QString expected;
            if (value.isString())
                expected = value.toString();
            else if (value.isBool())
                expected = value.toBool() ? u"true"_s : u"false"_s;
            else if (value.isDouble())
                expected = QString::number(value.toInteger());
            QCOMPARE(record[column], expected);
        }
    }
    QCOMPARE(records->at(1)[1], kAwkwardName);
    QCOMPARE(records->at(2)[1], kBackslashName);
    QCOMPARE(records->at(2)[6], kAwkwardReason);
    QCOMPARE(records->at(2)[kCsvColumns.indexOf(u"last_probe_latency_us"_s)], QString());
}

void TestSnapshotExport::csvQuotesExactly()
{
    const QByteArray csv = snapshotToCsv(sampleSnapshot());
    QVERIFY(csv.startsWith("time,name,pool,url,state,healthy,health_reason,weight,effective_weight,requests,"
                           "responses_1xx,"));
    QVERIFY(csv.contains("\r\n2024-05-06T07:08:09.123Z,\"web \"\"a\"\"\",\"main,eu\",http://10.0.0.1:8080,up,"
                         "true,,5,3,100,1,90,2,3,4,5,6,7,8,9,10,11,1000,2000,12,2,13,1,1500,2500,4,801,802,"
                         "803,804,4,901,902,903,904,14,30,15,16,12.5,3.3333333333333335,0.001\r\n"));
    QVERIFY(csv.contains(R"(,C:\back\slash,"main,eu",)"));
    QVERIFY(csv.contains("\"probe failed: \"\"503\"\",\nthen timeout\""));
    QVERIFY(
        csv.endsWith(",spare,other,http://[::1]:9000,maintenance,true,,2,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                     "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\r\n"));
}

void TestSnapshotExport::prometheusExactSamples()
{
    const QByteArray text = snapshotToPrometheus(sampleSnapshot(), kInfo);
    const QByteArray a = R"(backend="web \"a\"",pool="main,eu")";
    const QByteArray b = R"(backend="C:\\back\\slash",pool="main,eu")";
    const QByteArrayList expected{
        "# HELP fulcrum_backend_requests_total Requests sent to the backend.\n"
        "# TYPE fulcrum_backend_requests_total counter\n"
        "fulcrum_backend_requests_total{" +
            a +
            "} 100\n"
            "fulcrum_backend_requests_total{" +
            b +
            "} 7\n"
            "fulcrum_backend_requests_total{backend=\"spare\",pool=\"other\"} 0\n",
        "fulcrum_build_info{version=\"1.2.3\"} 1\n",
        "\nprocess_start_time_seconds 1714979289\n",
        "\nfulcrum_uptime_seconds 3723.456\n",
        "\nfulcrum_requests_total 503\n",
        "\nfulcrum_open_connections 502\n",
        "\nfulcrum_retries_denied_total 509\n",
        "fulcrum_backend_responses_total{" + a + ",code=\"2xx\"} 90\n",
        "fulcrum_backend_errors_total{" + a + ",kind=\"invalid_response\"} 8\n",
        "fulcrum_backend_limit_rejections_total{" + a + ",limit=\"max_connections\"} 10\n",
        "fulcrum_backend_up{" + a + "} 1\n",
        // 800 µs three times and 20 ms once: cumulative buckets, sum in seconds, count.
        "fulcrum_backend_first_byte_seconds_bucket{" + a + ",le=\"0.0005\"} 0\n",
        "fulcrum_backend_first_byte_seconds_bucket{" + a + ",le=\"0.001\"} 3\n",
        "fulcrum_backend_first_byte_seconds_bucket{" + a + ",le=\"0.025\"} 4\n",
        "fulcrum_backend_first_byte_seconds_bucket{" + a + ",le=\"+Inf\"} 4\n",
        "fulcrum_backend_first_byte_seconds_sum{" + a + "} 0.0224\n",
        "fulcrum_backend_first_byte_seconds_count{" + a + "} 4\n",
        "fulcrum_backend_response_seconds_bucket{" + b + ",le=\"+Inf\"} 0\n",
        "fulcrum_backend_up{" + b + "} 0\n",
        "fulcrum_backend_state{" + b +
            ",state=\"up\"} 0\n"
            "fulcrum_backend_state{" +
            b +
            ",state=\"down\"} 0\n"
            "fulcrum_backend_state{" +
            b +
            ",state=\"draining\"} 1\n"
            "fulcrum_backend_state{" +
            b + ",state=\"maintenance\"} 0\n",
        "fulcrum_backend_healthy{" + b + "} 0\n",
        "fulcrum_backend_weight{" + a + "} 3\n",
        "fulcrum_backend_configured_weight{" + a + "} 5\n",
        "fulcrum_backend_active_requests{" + a + "} 2\n",
        "fulcrum_backend_ejections_total{" + a + "} 1\n",
        "fulcrum_backend_ejected_for_seconds{" + a + "} 1.5\n",
        "fulcrum_backend_ejected_for_seconds{" + b + "} 0\n",
        "fulcrum_backend_request_bytes_total{" + a + "} 1000\n",
        "fulcrum_backend_response_bytes_total{" + a + "} 2000\n",
        "fulcrum_backend_retries_total{" + a + "} 13\n",
        "fulcrum_backend_connections_opened_total{" + a + "} 12\n",
        "fulcrum_backend_last_probe_latency_seconds{" + a +
            "} 0.0025\n"
            "fulcrum_backend_last_probe_latency_seconds{backend=\"spare\",pool=\"other\"} 0\n",
        "fulcrum_backend_active_connections{" + a + "} 14\n",
        "fulcrum_backend_errors_total{" + a + ",kind=\"circuit_open\"} 30\n",
        "fulcrum_backend_errors_total{" + a + ",kind=\"retry_exhausted\"} 15\n",
        "fulcrum_backend_errors_total{" + a + ",kind=\"client_abort\"} 16\n",
        "fulcrum_backend_request_rate{" + a +
            ",window=\"1s\"} 12.5\n"
            "fulcrum_backend_request_rate{" +
            a +
            ",window=\"10s\"} 3.3333333333333335\n"
            "fulcrum_backend_request_rate{" +
            a + ",window=\"60s\"} 0.001\n",
        "\nfulcrum_forwarded_requests_total 510\n",
        "\nfulcrum_retry_exhausted_total 511\n",
        "\nfulcrum_client_aborts_total 512\n",
        "\nfulcrum_circuit_open_total 513\n",
        "\nfulcrum_bytes_in_total 514\n",
        "\nfulcrum_bytes_out_total 515\n",
        "\nfulcrum_tunnels_total 517\n",
        "\nfulcrum_open_tunnels 518\n",
        "\nfulcrum_tunnel_bytes_in_total 519\n",
        "\nfulcrum_tunnel_bytes_out_total 520\n",
        "\nfulcrum_responses_total{code=\"1xx\"} 21\n",
        "\nfulcrum_responses_total{code=\"5xx\"} 25\n",
        "\nfulcrum_request_rate{window=\"1s\"} 40\n"
        "fulcrum_request_rate{window=\"10s\"} 0.3333333333333333\n"
        "fulcrum_request_rate{window=\"60s\"} 0.1\n",
    };
    for (const QByteArray &fragment : expected)
        QVERIFY2(text.contains(fragment), fragment.constData());
    QVERIFY2(!text.contains(QByteArray("fulcrum_backend_last_probe_latency_seconds{" + b)),
             "never probed: no sample");
}

void TestSnapshotExport::prometheusFamiliesAreGroupedAndComplete()
{
    QStringList families;
    const QString error = familyLayoutError(snapshotToPrometheus(sampleSnapshot(), kInfo), &families);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList required{u"fulcrum_backend_requests_total"_s,
                               u"fulcrum_backend_responses_total"_s,
                               u"fulcrum_backend_errors_total"_s,
                               u"fulcrum_backend_limit_rejections_total"_s,
                               u"fulcrum_backend_up"_s,
                               u"fulcrum_backend_weight"_s,
                               u"fulcrum_backend_configured_weight"_s,
                               u"fulcrum_backend_active_requests"_s,
                               u"fulcrum_backend_state"_s,
                               u"fulcrum_backend_healthy"_s,
                               u"fulcrum_backend_ejections_total"_s,
                               u"fulcrum_backend_ejected_for_seconds"_s,
                               u"fulcrum_backend_request_bytes_total"_s,
                               u"fulcrum_backend_response_bytes_total"_s,
                               u"fulcrum_backend_retries_total"_s,
                               u"fulcrum_backend_connections_opened_total"_s,
                               u"fulcrum_backend_last_probe_latency_seconds"_s,
                               u"fulcrum_backend_first_byte_seconds"_s,
                               u"fulcrum_backend_response_seconds"_s,
                               u"fulcrum_requests_total"_s,
                               u"fulcrum_connections_accepted_total"_s,
                               u"fulcrum_open_connections"_s,
                               u"fulcrum_client_errors_total"_s,
                               u"fulcrum_no_backend_total"_s,
                               u"fulcrum_upstream_failures_total"_s,
                               u"fulcrum_all_at_limits_total"_s,
                               u"fulcrum_retries_total"_s,
                               u"fulcrum_retries_denied_total"_s,
                               u"fulcrum_forwarded_requests_total"_s,
                               u"fulcrum_retry_exhausted_total"_s,
                               u"fulcrum_client_aborts_total"_s,
                               u"fulcrum_circuit_open_total"_s,
                               u"fulcrum_bytes_in_total"_s,
                               u"fulcrum_bytes_out_total"_s,
                               u"fulcrum_responses_total"_s,
                               u"fulcrum_request_rate"_s,
                               u"fulcrum_rate_limited_total"_s,
                               u"fulcrum_connections_refused_total"_s,
                               u"fulcrum_tunnels_total"_s,
                               u"fulcrum_open_tunnels"_s,
                               u"fulcrum_tunnel_bytes_in_total"_s,
                               u"fulcrum_tunnel_bytes_out_total"_s,
                               u"fulcrum_backend_active_connections"_s,
                               u"fulcrum_backend_request_rate"_s,
                               u"fulcrum_build_info"_s,
                               u"process_start_time_seconds"_s,
                               u"fulcrum_uptime_seconds"_s};
    QCOMPARE(sorted(families), sorted(required));
}

void TestSnapshotExport::prometheusEscapesLabelValues()
{
    MetricsSnapshot snapshot = sampleSnapshot();
    snapshot.backends[2].name = u"line\nbreak"_s;
    const ExportInfo info{u"1.0 \"rc\\1\"\nbuild"_s, 0};
    const QByteArray text = snapshotToPrometheus(snapshot, info);
    QVERIFY(text.contains("fulcrum_build_info{version=\"1.0 \\\"rc\\\\1\\\"\\nbuild\"} 1"));
    QVERIFY(text.contains(R"(fulcrum_backend_up{backend="line\nbreak",pool="other"} 0)"));
    const QString layout = familyLayoutError(text); // no raw newline breaks a sample apart
    QVERIFY2(layout.isEmpty(), qPrintable(layout));
    const QString complaints = promtoolComplaints(text);
    QVERIFY2(complaints.isEmpty(), qPrintable(complaints));
}

void TestSnapshotExport::promtoolAcceptsTheOutput()
{
    const QString complaints = promtoolComplaints(snapshotToPrometheus(sampleSnapshot(), kInfo));
    QVERIFY2(complaints.isEmpty(), qPrintable(complaints));
}

// With the CSV test above (CSV rows agree with JSON), all three formats say the same of one snapshot.
void TestSnapshotExport::prometheusAgreesWithJson()
{
    const MetricsSnapshot snapshot = sampleSnapshot();
    const QJsonObject root = parseJson(snapshotToJson(snapshot, kInfo));
    const QHash<QString, double> samples = prometheusSamples(snapshotToPrometheus(snapshot, kInfo));
    // Exact comparisons: QCOMPARE on doubles is fuzzy.
    const auto agrees = [&samples](const QString &series, const QJsonValue &json) {
        const bool same = samples.contains(series) && samples.value(series) == json.toDouble();
        if (!same)
            qWarning("%s: %g in Prometheus, %s in JSON", qPrintable(series), samples.value(series, qQNaN()),
                     QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact).constData());
        return same;
    };

    const QJsonObject listener = root[u"listener"_s].toObject();
    for (const QString &key : kListenerTotals) {
        const bool gauge = key == u"open_connections"_s || key == u"open_tunnels"_s;
        const QString family = u"fulcrum_"_s + key + (gauge ? u""_s : u"_total"_s);
        QVERIFY(agrees(family, listener[key]));
    }
    for (const QString &code : listener[u"responses"_s].toObject().keys())
        QVERIFY(agrees(u"fulcrum_responses_total{code=\"%1\"}"_s.arg(code), listener[u"responses"_s][code]));
    for (const QString &window : listener[u"rate"_s].toObject().keys())
        QVERIFY(agrees(u"fulcrum_request_rate{window=\"%1\"}"_s.arg(window), listener[u"rate"_s][window]));
    QCOMPARE(listener[u"rate"_s].toObject().size(), 3);
    for (const QString &reason : listener[u"connections_refused"_s].toObject().keys())
        QVERIFY(agrees(u"fulcrum_connections_refused_total{reason=\"%1\"}"_s.arg(reason),
                       listener[u"connections_refused"_s][reason]));
    QCOMPARE(listener[u"connections_refused"_s].toObject().size(), 2);

    for (const QJsonValue &value : root[u"backends"_s].toArray()) {
        const QJsonObject backend = value.toObject();
        const QString labels = u"backend=\"%1\",pool=\"%2\""_s.arg(
            escapedLabel(backend[u"name"_s].toString()), escapedLabel(backend[u"pool"_s].toString()));
        const auto series = [&labels](const char *family, const QString &extra = {}) -> QString {
            return QString::fromLatin1(family) + u'{' + labels + extra + u'}';
        };
        QVERIFY(agrees(series("fulcrum_backend_requests_total"), backend[u"requests"_s]));
        QVERIFY(agrees(series("fulcrum_backend_retries_total"), backend[u"retries"_s]));
        QVERIFY(agrees(series("fulcrum_backend_active_connections"), backend[u"active_connections"_s]));
        QVERIFY(agrees(series("fulcrum_backend_active_requests"), backend[u"active_requests"_s]));
        const QJsonObject errors = backend[u"errors"_s].toObject();
        QCOMPARE(errors.size(), 7);
        for (const QString &kind : errors.keys())
            QVERIFY(
                agrees(series("fulcrum_backend_errors_total", u",kind=\"%1\""_s.arg(kind)), errors[kind]));
        const QJsonObject rates = backend[u"rate"_s].toObject();
        QCOMPARE(rates.size(), 3);
        for (const QString &window : rates.keys())
            QVERIFY(agrees(series("fulcrum_backend_request_rate", u",window=\"%1\""_s.arg(window)),
                           rates[window]));
    }
}

void TestSnapshotExport::emptySnapshotExportsValidly()
{
    const MetricsSnapshot empty;

    const QJsonObject root = parseJson(snapshotToJson(empty, kInfo));
    QCOMPARE(sorted(root.keys()), sorted(kTopLevelKeys));
    QVERIFY(root[u"time"_s].isNull()); // a default snapshot has no time
    QCOMPARE(root[u"backends"_s].toArray().size(), 0);
    QCOMPARE(sorted(root[u"listener"_s].toObject().keys()), sorted(kListenerKeys));

    const QByteArray csv = snapshotToCsv(empty);
    QCOMPARE(csv, kCsvColumns.join(u',').toUtf8() + "\r\n");
    QCOMPARE(parseCsv(csv).value_or(QList<QStringList>()), QList<QStringList>{kCsvColumns});

    const QByteArray text = snapshotToPrometheus(empty, kInfo);
    const QString layout = familyLayoutError(text);
    QVERIFY2(layout.isEmpty(), qPrintable(layout));
    QVERIFY(text.contains("\nfulcrum_requests_total 0\n"));
    QVERIFY(text.contains("\nfulcrum_uptime_seconds 0\n"));
    QVERIFY(!text.contains("fulcrum_backend_up{"));
    const QString complaints = promtoolComplaints(text);
    QVERIFY2(complaints.isEmpty(), qPrintable(complaints));
}

void TestSnapshotExport::docsDescribeEveryField()
{
    const QString path = QFINDTESTDATA("../../../docs/metrics.md");
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadOnly), "docs/metrics.md not found");
    const QString docs = QString::fromUtf8(file.readAll());
    QStringList families;
    QVERIFY(familyLayoutError(snapshotToPrometheus(sampleSnapshot(), kInfo), &families).isEmpty());
    const QStringList names = kTopLevelKeys + kListenerKeys + kCsvColumns + families;
    for (const QString &name : std::as_const(names))
        QVERIFY2(docs.contains(u'`' + name + u'`'), qPrintable(u"undocumented: "_s + name));
}

QTEST_APPLESS_MAIN(TestSnapshotExport)
#include "tst_snapshotexport.moc"
