// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestPrinting.h"
#include "config/ConfigLoader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <utility>

using namespace Qt::StringLiterals;
using namespace fulcrum;

using ConfigEdit = std::function<void(ProxyConfig &)>;
Q_DECLARE_METATYPE(ConfigEdit)

namespace {

// A version-1 document with the given members after "version".
QByteArray doc(const char *members)
{
    return QByteArray(R"({"version": 1, )") + members + '}';
}

BackendConfig backend(const QString &name, const QString &host, quint16 port, int weight = 1,
                      int slowStartMs = -1)
{
    BackendConfig b;
    b.name = name;
    b.host = host;
    b.port = port;
    b.weight = weight;
    b.slowStartMs = slowStartMs;
    return b;
}

ListenAddress listenOn(const QString &address, quint16 port)
{
    return {QHostAddress(address), port};
}

} // namespace

class TestConfigLoader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void validFields_data();
    void validFields();
    void invalidFields_data();
    void invalidFields();
    void multipleErrorsAreCollected();
    void everyBackendFieldIsReported();
    void hashKeyWithBrokenStrategyReportsOnlyTheStrategy();
    void everyBalancingFieldIsReported();
    void missingVersion();
    void unsupportedVersionStopsReading();
    void syntaxErrorNamesOffset_data();
    void syntaxErrorNamesOffset();
    void emptyDocument();
    void topLevelMustBeObject_data();
    void topLevelMustBeObject();
    void loadFileReadsFile();
    void missingFileNamesPathAndReason();
    void directoryIsRejected();
    void unreadableFileNamesReason();
    void shippedDefaultConfigLoads();

    void resilienceDefaults();
    void poolSettingsResolveIntoBackends();
    void backendHealthCheckWithoutPool();
    void backendOverridesAreKept();
    void crossFieldChecksSkipObjectsWithErrors();
    void backendTimingIsCheckedAgainstThePool();
    void everyResilienceFieldIsReported();
};

void TestConfigLoader::defaults()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(R"({"version": 1})");
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config, ConfigLoader::defaultConfig());

    const ProxyConfig &c = result.config;
    QCOMPARE(c.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 8080)});
    QCOMPARE(c.workers, 0);
    QVERIFY(c.backends.isEmpty());
    QCOMPARE(c.timeouts.clientHeaderMs, 10'000);
    QCOMPARE(c.timeouts.clientIdleMs, 60'000);
    QCOMPARE(c.timeouts.upstreamConnectMs, 5'000);
    QCOMPARE(c.timeouts.upstreamResponseMs, 60'000);
    QCOMPARE(c.timeouts.upstreamIdleMs, 60'000);
    QCOMPARE(c.timeouts.drainMs, 30'000);
    QCOMPARE(c.timeouts.tunnelIdleMs, 3'600'000);
    QCOMPARE(c.limits.maxHeaderBytes, 64 * 1024);
    QCOMPARE(c.limits.maxRequestTargetBytes, 8 * 1024);
    QCOMPARE(c.limits.maxBodyBytes, 0);
    QCOMPARE(c.limits.upstreamIdlePerBackend, 256);
    QCOMPARE(c.logFormat, LogFormat::Text);
    QCOMPARE(c.accessLog, true);
    QCOMPARE(c.metricsIntervalMs, 1'000);
    QCOMPARE(c.balancing.strategy, StrategyKind::RoundRobin);
    QCOMPARE(c.balancing.hashKey, (HashKey{HashKey::Source::ClientIp, QString()}));
    QVERIFY(!c.balancing.stickyCookie.enabled());
    QCOMPARE(c.balancing.slowStartMs, 0);

    const ConfigLoadResult withBackend = ConfigLoader::loadJson(doc(R"("backends": [{"url": "http://a"}])"));
    QVERIFY2(withBackend.ok(), qPrintable(formatConfigErrors(withBackend.errors)));
    QCOMPARE(withBackend.config.backends.constFirst().slowStartMs, -1); // the pool's slow_start_ms
}

void TestConfigLoader::validFields_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ConfigEdit>("edit");

    // listen
    QTest::newRow("listen ipv4") << doc(R"("listen": ["10.1.2.3:80"])") << ConfigEdit([](ProxyConfig &c) {
        c.listen = {listenOn(u"10.1.2.3"_s, 80)};
    });
    QTest::newRow("listen ipv6") << doc(R"("listen": ["[::1]:8443"])")
                                 << ConfigEdit([](ProxyConfig &c) { c.listen = {listenOn(u"::1"_s, 8443)}; });
    QTest::newRow("listen any v4 and v6")
        << doc(R"("listen": ["0.0.0.0:80", "[::]:80"])") << ConfigEdit([](ProxyConfig &c) {
               c.listen = {listenOn(u"0.0.0.0"_s, 80), listenOn(u"::"_s, 80)};
           });
    QTest::newRow("listen localhost")
        << doc(R"("listen": ["localhost:9000"])")
        << ConfigEdit([](ProxyConfig &c) { c.listen = {listenOn(u"127.0.0.1"_s, 9000)}; });
    QTest::newRow("listen port 0 and 65535")
        << doc(R"("listen": ["127.0.0.1:0", "127.0.0.1:65535"])") << ConfigEdit([](ProxyConfig &c) {
               c.listen = {listenOn(u"127.0.0.1"_s, 0), listenOn(u"127.0.0.1"_s, 65535)};
           });
    QTest::newRow("listen port 0 twice is not a duplicate")
        << doc(R"("listen": ["127.0.0.1:0", "127.0.0.1:0"])") << ConfigEdit([](ProxyConfig &c) {
               c.listen = {listenOn(u"127.0.0.1"_s, 0), listenOn(u"127.0.0.1"_s, 0)};
           });
    QTest::newRow("listen same port on two addresses")
        << doc(R"("listen": ["127.0.0.1:80", "127.0.0.2:80"])") << ConfigEdit([](ProxyConfig &c) {
               c.listen = {listenOn(u"127.0.0.1"_s, 80), listenOn(u"127.0.0.2"_s, 80)};
           });

    // workers
    QTest::newRow("workers 0") << doc(R"("workers": 0)") << ConfigEdit([](ProxyConfig &c) { c.workers = 0; });
    QTest::newRow("workers 64") << doc(R"("workers": 64)")
                                << ConfigEdit([](ProxyConfig &c) { c.workers = 64; });
    QTest::newRow("workers 2.0") << doc(R"("workers": 2.0)")
                                 << ConfigEdit([](ProxyConfig &c) { c.workers = 2; });

    // backends
    QTest::newRow("backend full")
        << doc(R"("backends": [{"name": "b1", "url": "http://127.0.0.1:9001", "weight": 5}])")
        << ConfigEdit([](ProxyConfig &c) { c.backends = {backend(u"b1"_s, u"127.0.0.1"_s, 9001, 5)}; });
    QTest::newRow("backend defaults: name, weight, port")
        << doc(R"("backends": [{"url": "http://10.0.0.1"}, {"url": "http://10.0.0.2/"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"10.0.0.1"_s, 80),
                             backend(u"backend-2"_s, u"10.0.0.2"_s, 80)};
           });
    QTest::newRow("backend ipv6 stored without brackets")
        << doc(R"("backends": [{"url": "http://[fd00::5]:8080"}])")
        << ConfigEdit([](ProxyConfig &c) { c.backends = {backend(u"backend-1"_s, u"fd00::5"_s, 8080)}; });
    QTest::newRow("backend host name kept as given")
        << doc(R"("backends": [{"url": "HTTP://App-1.Internal.example:81"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"App-1.Internal.example"_s, 81)};
           });
    QTest::newRow("backend weight 0 and 1000")
        << doc(R"("backends": [{"url": "http://a", "weight": 0}, {"url": "http://b", "weight": 1000}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80, 0),
                             backend(u"backend-2"_s, u"b"_s, 80, 1000)};
           });
    QTest::newRow("backend port 1 and 65535")
        << doc(R"("backends": [{"url": "http://a:1"}, {"url": "http://b:65535"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"a"_s, 1), backend(u"backend-2"_s, u"b"_s, 65535)};
           });
    QTest::newRow("backend name charset and length 64")
        << doc(R"("backends": [{"name": "a.B_c-9", "url": "http://a"},
                               {"name": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "url": "http://b"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"a.B_c-9"_s, u"a"_s, 80), backend(QString(64, u'x'), u"b"_s, 80)};
           });
    QTest::newRow("backends same endpoint, different names")
        << doc(R"("backends": [{"url": "http://a"}, {"url": "http://a"}])") << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80), backend(u"backend-2"_s, u"a"_s, 80)};
           });
    QTest::newRow("backends empty list") << doc(R"("backends": [])") << ConfigEdit([](ProxyConfig &) {});
    QTest::newRow("backend slow_start_ms 0 and 3600000")
        << doc(R"("backends": [{"url": "http://a", "slow_start_ms": 0},
                               {"url": "http://b", "slow_start_ms": 3600000}, {"url": "http://c"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80, 1, 0),
                             backend(u"backend-2"_s, u"b"_s, 80, 1, 3'600'000),
                             backend(u"backend-3"_s, u"c"_s, 80)};
           });

    // strategy, hash_key
    for (const auto &[name, strategy] :
         {std::pair{"round-robin", StrategyKind::RoundRobin},
          std::pair{"least-connections", StrategyKind::LeastConnections},
          std::pair{"power-of-two", StrategyKind::PowerOfTwo}, std::pair{"random", StrategyKind::Random},
          std::pair{"consistent-hash", StrategyKind::ConsistentHash}}) {
        const QByteArray rowName = "strategy " + QByteArray(name);
        const QByteArray members = R"("strategy": ")" + QByteArray(name) + '"';
        QTest::newRow(rowName.constData())
            << doc(members.constData())
            << ConfigEdit([strategy](ProxyConfig &c) { c.balancing.strategy = strategy; });
    }
    for (const auto &[text, key] :
         {std::pair{"client-ip", HashKey{HashKey::Source::ClientIp, QString()}},
          std::pair{"path", HashKey{HashKey::Source::Path, QString()}},
          std::pair{"header:X-Tenant-Id", HashKey{HashKey::Source::Header, u"X-Tenant-Id"_s}},
          std::pair{"cookie:session", HashKey{HashKey::Source::Cookie, u"session"_s}}}) {
        const QByteArray rowName = "hash_key " + QByteArray(text);
        const QByteArray members = R"("strategy": "consistent-hash", "hash_key": ")" + QByteArray(text) + '"';
        QTest::newRow(rowName.constData()) << doc(members.constData()) << ConfigEdit([key](ProxyConfig &c) {
            c.balancing.strategy = StrategyKind::ConsistentHash;
            c.balancing.hashKey = key;
        });
    }
    QTest::newRow("hash_key before strategy")
        << doc(R"("hash_key": "path", "strategy": "consistent-hash")") << ConfigEdit([](ProxyConfig &c) {
               c.balancing.strategy = StrategyKind::ConsistentHash;
               c.balancing.hashKey = {HashKey::Source::Path, {}};
           });

    // sticky_cookie, slow_start_ms
    QTest::newRow("sticky_cookie name only")
        << doc(R"("sticky_cookie": {"name": "SERVERID"})") << ConfigEdit([](ProxyConfig &c) {
               c.balancing.stickyCookie = {u"SERVERID"_s, 0};
           });
    QTest::newRow("sticky_cookie max_age_s 0")
        << doc(R"("sticky_cookie": {"name": "srv", "max_age_s": 0})") << ConfigEdit([](ProxyConfig &c) {
               c.balancing.stickyCookie = {u"srv"_s, 0};
           });
    QTest::newRow("sticky_cookie max_age_s one year")
        << doc(R"("sticky_cookie": {"max_age_s": 31536000, "name": "srv"})")
        << ConfigEdit([](ProxyConfig &c) {
               c.balancing.stickyCookie = {u"srv"_s, 31'536'000};
           });
    QTest::newRow("sticky_cookie with consistent-hash")
        << doc(R"("strategy": "consistent-hash", "hash_key": "cookie:sid", "sticky_cookie": {"name": "srv"})")
        << ConfigEdit([](ProxyConfig &c) {
               c.balancing.strategy = StrategyKind::ConsistentHash;
               c.balancing.hashKey = {HashKey::Source::Cookie, u"sid"_s};
               c.balancing.stickyCookie = {u"srv"_s, 0};
           });
    QTest::newRow("slow_start_ms 0") << doc(R"("slow_start_ms": 0)")
                                     << ConfigEdit([](ProxyConfig &c) { c.balancing.slowStartMs = 0; });
    QTest::newRow("slow_start_ms 3600000")
        << doc(R"("slow_start_ms": 3600000)")
        << ConfigEdit([](ProxyConfig &c) { c.balancing.slowStartMs = 3'600'000; });
    QTest::newRow("slow_start_ms pool and backend")
        << doc(R"("slow_start_ms": 30000, "backends": [{"url": "http://a", "slow_start_ms": 0}, {"url": "http://b"}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.balancing.slowStartMs = 30'000;
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80, 1, 0), backend(u"backend-2"_s, u"b"_s, 80)};
           });

    // timeouts: each at both ends of 1..86400000
    QTest::newRow("timeouts min")
        << doc(R"("timeouts": {"client_header_ms": 1, "client_idle_ms": 1, "upstream_connect_ms": 1,
                               "upstream_response_ms": 1, "upstream_idle_ms": 1, "drain_ms": 1,
                               "tunnel_idle_ms": 1})")
        << ConfigEdit([](ProxyConfig &c) { c.timeouts = {1, 1, 1, 1, 1, 1, 1}; });
    QTest::newRow("timeouts max")
        << doc(R"("timeouts": {"client_header_ms": 86400000, "client_idle_ms": 86400000,
                               "upstream_connect_ms": 86400000, "upstream_response_ms": 86400000,
                               "upstream_idle_ms": 86400000, "drain_ms": 86400000, "tunnel_idle_ms": 86400000})")
        << ConfigEdit([](ProxyConfig &c) {
               constexpr int day = 86'400'000;
               c.timeouts = {day, day, day, day, day, day, day};
           });
    QTest::newRow("timeouts partial") << doc(R"("timeouts": {"drain_ms": 5})")
                                      << ConfigEdit([](ProxyConfig &c) { c.timeouts.drainMs = 5; });

    // limits
    QTest::newRow("limits min")
        << doc(R"("limits": {"max_header_bytes": 1024, "max_request_target_bytes": 256, "max_body_bytes": 0,
                             "upstream_idle_per_backend": 0})")
        << ConfigEdit([](ProxyConfig &c) {
               c.limits = {1024, 256, 0, 0};
           });
    QTest::newRow("limits max")
        << doc(R"("limits": {"max_header_bytes": 1048576, "max_request_target_bytes": 1048576,
                             "max_body_bytes": 9007199254740991, "upstream_idle_per_backend": 10000})")
        << ConfigEdit([](ProxyConfig &c) {
               c.limits = {1048576, 1048576, 9007199254740991, 10000};
           });
    QTest::newRow("limits body 10 GiB")
        << doc(R"("limits": {"max_body_bytes": 10737418240})")
        << ConfigEdit([](ProxyConfig &c) { c.limits.maxBodyBytes = 10737418240; });
    QTest::newRow("limits connections")
        << doc(R"("limits": {"max_client_connections": 5000, "max_connections_per_client": 20})")
        << ConfigEdit([](ProxyConfig &c) {
               c.limits.maxClientConnections = 5000;
               c.limits.maxConnectionsPerClient = 20;
           });

    // rate_limit
    QTest::newRow("rate_limit per second with burst")
        << doc(R"("rate_limit": {"rate": 100, "per": "second", "burst": 200})")
        << ConfigEdit([](ProxyConfig &c) {
               c.rateLimit = {100, 1000, 200};
           });
    QTest::newRow("rate_limit per minute")
        << doc(R"("rate_limit": {"rate": 30, "per": "minute"})") << ConfigEdit([](ProxyConfig &c) {
               c.rateLimit = {30, 60'000, 0};
           });
    QTest::newRow("rate_limit path rules")
        << doc(R"("rate_limit": {"rate": 100, "paths": [{"prefix": "/login", "rate": 5, "per": "minute", "burst": 2},
                                                        {"prefix": "/api/", "rate": 50}]})")
        << ConfigEdit([](ProxyConfig &c) {
               c.rateLimit = {100, 1000, 0};
               c.pathRateLimits = {{u"/login"_s, {5, 60'000, 2}}, {u"/api/"_s, {50, 1000, 0}}};
           });
    QTest::newRow("rate_limit path rules alone")
        << doc(R"("rate_limit": {"paths": [{"prefix": "/login", "rate": 5}]})")
        << ConfigEdit([](ProxyConfig &c) {
               c.pathRateLimits = {{u"/login"_s, {5, 1000, 0}}};
           });
    QTest::newRow("rate_limit per second by default")
        << doc(R"("rate_limit": {"rate": 7})") << ConfigEdit([](ProxyConfig &c) {
               c.rateLimit = {7, 1000, 0};
           });

    // log_format, access_log, metrics_interval_ms
    QTest::newRow("log_format json") << doc(R"("log_format": "json")")
                                     << ConfigEdit([](ProxyConfig &c) { c.logFormat = LogFormat::Json; });
    QTest::newRow("log_format text") << doc(R"("log_format": "text")")
                                     << ConfigEdit([](ProxyConfig &c) { c.logFormat = LogFormat::Text; });
    QTest::newRow("access_log false")
        << doc(R"("access_log": false)") << ConfigEdit([](ProxyConfig &c) { c.accessLog = false; });
    QTest::newRow("access_log true") << doc(R"("access_log": true)")
                                     << ConfigEdit([](ProxyConfig &c) { c.accessLog = true; });
    QTest::newRow("metrics_interval_ms 100") << doc(R"("metrics_interval_ms": 100)")
                                             << ConfigEdit([](ProxyConfig &c) { c.metricsIntervalMs = 100; });
    QTest::newRow("metrics_interval_ms 60000")
        << doc(R"("metrics_interval_ms": 60000)")
        << ConfigEdit([](ProxyConfig &c) { c.metricsIntervalMs = 60'000; });

    // health_check: an object turns checks on unless it says otherwise
    QTest::newRow("health_check empty object enables")
        << doc(R"("health_check": {})") << ConfigEdit([](ProxyConfig &c) { c.healthCheck.enabled = true; });
    QTest::newRow("health_check enabled true")
        << doc(R"("health_check": {"enabled": true})")
        << ConfigEdit([](ProxyConfig &c) { c.healthCheck.enabled = true; });
    QTest::newRow("health_check enabled false keeps the rest")
        << doc(R"("health_check": {"enabled": false, "path": "/healthz"})")
        << ConfigEdit([](ProxyConfig &c) { c.healthCheck.path = u"/healthz"_s; });
    QTest::newRow("health_check every field")
        << doc(R"("health_check": {"enabled": true, "method": "OPTIONS", "path": "/health?full=1",
                                   "expect_status": "200-204", "expect_body": "OK", "host": "app.internal:8443",
                                   "interval_ms": 5000, "timeout_ms": 5000, "jitter_percent": 25,
                                   "rise": 3, "fall": 4})")
        << ConfigEdit([](ProxyConfig &c) {
               HealthCheckConfig &h = c.healthCheck;
               h.enabled = true;
               h.method = u"OPTIONS"_s;
               h.path = u"/health?full=1"_s;
               h.expectStatusMin = 200;
               h.expectStatusMax = 204;
               h.expectBody = u"OK"_s;
               h.host = u"app.internal:8443"_s;
               h.intervalMs = 5'000;
               h.timeoutMs = 5'000;
               h.jitterPercent = 25;
               h.rise = 3;
               h.fall = 4;
           });
    QTest::newRow("health_check lowest values")
        << doc(R"("health_check": {"interval_ms": 100, "timeout_ms": 10, "jitter_percent": 0, "rise": 1,
                                   "fall": 1, "expect_status": "100-100", "expect_body": "", "host": ""})")
        << ConfigEdit([](ProxyConfig &c) {
               HealthCheckConfig &h = c.healthCheck;
               h.enabled = true;
               h.intervalMs = 100;
               h.timeoutMs = 10;
               h.jitterPercent = 0;
               h.rise = 1;
               h.fall = 1;
               h.expectStatusMin = 100;
               h.expectStatusMax = 100;
           });
    QTest::newRow("health_check highest values")
        << doc(R"("health_check": {"interval_ms": 3600000, "timeout_ms": 3600000, "jitter_percent": 50,
                                   "rise": 100, "fall": 100, "expect_status": "599"})")
        << ConfigEdit([](ProxyConfig &c) {
               HealthCheckConfig &h = c.healthCheck;
               h.enabled = true;
               h.intervalMs = 3'600'000;
               h.timeoutMs = 3'600'000;
               h.jitterPercent = 50;
               h.rise = 100;
               h.fall = 100;
               h.expectStatusMin = 599;
               h.expectStatusMax = 599;
           });
    QTest::newRow("health_check any token as method")
        << doc(R"("health_check": {"method": "PROPFIND"})") << ConfigEdit([](ProxyConfig &c) {
               c.healthCheck.enabled = true;
               c.healthCheck.method = u"PROPFIND"_s;
           });
    QTest::newRow("health_check host ipv6 literal")
        << doc(R"("health_check": {"host": "[fd00::5]:8080"})") << ConfigEdit([](ProxyConfig &c) {
               c.healthCheck.enabled = true;
               c.healthCheck.host = u"[fd00::5]:8080"_s;
           });
    QTest::newRow("health_check resolves into backends")
        << doc(R"("health_check": {"path": "/healthz", "interval_ms": 3000},
                  "backends": [{"url": "http://a"},
                               {"url": "http://b", "health_check": {"path": "/b", "rise": 5}},
                               {"url": "http://c", "health_check": {"enabled": false}}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.healthCheck.enabled = true;
               c.healthCheck.path = u"/healthz"_s;
               c.healthCheck.intervalMs = 3'000;
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80), backend(u"backend-2"_s, u"b"_s, 80),
                             backend(u"backend-3"_s, u"c"_s, 80)};
               for (BackendConfig &b : c.backends)
                   b.healthCheck = c.healthCheck;
               c.backends[1].healthCheck.path = u"/b"_s;
               c.backends[1].healthCheck.rise = 5;
               c.backends[2].healthCheck.enabled = false;
           });
    QTest::newRow("health_check on one backend only")
        << doc(R"("backends": [{"url": "http://a"}, {"url": "http://b", "health_check": {"timeout_ms": 2000}}])")
        << ConfigEdit([](ProxyConfig &c) {
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80), backend(u"backend-2"_s, u"b"_s, 80)};
               c.backends[1].healthCheck.enabled = true;
               c.backends[1].healthCheck.timeoutMs = 2'000; // the pool's interval is 2000
           });

    // circuit_breaker
    QTest::newRow("circuit_breaker limits")
        << doc(R"("circuit_breaker": {"max_connections": 0, "max_pending_requests": 1, "max_requests": 1000000})")
        << ConfigEdit([](ProxyConfig &c) {
               c.circuitBreaker = {0, 1, 1'000'000};
           });
    QTest::newRow("circuit_breaker resolves into backends")
        << doc(R"("backends": [{"url": "http://a", "circuit_breaker": {"max_requests": 10}}, {"url": "http://b"}],
                  "circuit_breaker": {"max_connections": 100, "max_requests": 50})")
        << ConfigEdit([](ProxyConfig &c) {
               c.circuitBreaker = {100, 0, 50};
               c.backends = {backend(u"backend-1"_s, u"a"_s, 80), backend(u"backend-2"_s, u"b"_s, 80)};
               c.backends[0].circuitBreaker = {100, 0, 10};
               c.backends[1].circuitBreaker = {100, 0, 50};
           });

    // outlier_detection
    QTest::newRow("outlier_detection every field")
        << doc(R"("outlier_detection": {"enabled": false, "consecutive_failures": 1000, "count_5xx": true,
                                        "base_ejection_ms": 100, "max_ejection_ms": 86400000,
                                        "max_ejection_percent": 0})")
        << ConfigEdit([](ProxyConfig &c) { c.outlierDetection = {false, 1000, true, 100, 86'400'000, 0}; });
    QTest::newRow("outlier_detection base equals max")
        << doc(R"("outlier_detection": {"consecutive_failures": 1, "base_ejection_ms": 86400000,
                                        "max_ejection_ms": 86400000, "max_ejection_percent": 100})")
        << ConfigEdit([](ProxyConfig &c) {
               c.outlierDetection.consecutiveFailures = 1;
               c.outlierDetection.baseEjectionMs = 86'400'000;
               c.outlierDetection.maxEjectionMs = 86'400'000;
               c.outlierDetection.maxEjectionPercent = 100;
           });
    QTest::newRow("outlier_detection empty object changes nothing")
        << doc(R"("outlier_detection": {})") << ConfigEdit([](ProxyConfig &) {});

    // panic_mode
    QTest::newRow("panic_mode fail-open")
        << doc(R"("panic_mode": "fail-open")")
        << ConfigEdit([](ProxyConfig &c) { c.balancing.panicMode = PanicMode::FailOpen; });
    QTest::newRow("panic_mode fail-closed")
        << doc(R"("panic_mode": "fail-closed")")
        << ConfigEdit([](ProxyConfig &c) { c.balancing.panicMode = PanicMode::FailClosed; });

    // retries
    QTest::newRow("retries every field")
        << doc(R"("retries": {"max_retries": 10, "retry_statuses": [502, 503, 504], "backoff_base_ms": 10,
                              "backoff_max_ms": 10000, "budget_percent": 100, "budget_window_ms": 3600000,
                              "budget_min_retries": 1000000, "max_buffered_body_bytes": 16777216})")
        << ConfigEdit([](ProxyConfig &c) {
               c.retries = {10, {502, 503, 504}, 10, 10'000, 100, 3'600'000, 1'000'000, 16 * 1024 * 1024};
           });
    QTest::newRow("retries lowest values")
        << doc(R"("retries": {"max_retries": 0, "retry_statuses": [500, 599], "backoff_base_ms": 0,
                              "backoff_max_ms": 0, "budget_percent": 0, "budget_window_ms": 1000,
                              "budget_min_retries": 0, "max_buffered_body_bytes": 0})")
        << ConfigEdit([](ProxyConfig &c) {
               c.retries = {0, {500, 599}, 0, 0, 0, 1'000, 0, 0};
           });
    QTest::newRow("retries no statuses")
        << doc(R"("retries": {"retry_statuses": []})") << ConfigEdit([](ProxyConfig &) {});
}

void TestConfigLoader::validFields()
{
    QFETCH(QByteArray, json);
    QFETCH(ConfigEdit, edit);

    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    ProxyConfig expected = ConfigLoader::defaultConfig();
    edit(expected);
    QCOMPARE(result.config, expected);
}

void TestConfigLoader::invalidFields_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("reason");

    const auto row = [](const QByteArray &name, const QByteArray &members, const QByteArray &field,
                        const QByteArray &value, const QByteArray &reason) {
        QTest::newRow(name.constData()) << doc(members.constData()) << QString::fromUtf8(field)
                                        << QString::fromUtf8(value) << QString::fromUtf8(reason);
    };
    const auto listenRow = [&row](const char *name, const QByteArray &address, const char *reason) {
        row(name, R"("listen": [")" + address + R"("])", "listen[0]", address, reason);
    };
    const auto urlRow = [&row](const char *name, const QByteArray &url, const char *reason) {
        row(name, R"("backends": [{"url": ")" + url + R"("}])", "backends[0].url", url, reason);
    };

    // version
    row("version as string", R"("version": "1")", "version", "1", "must be an integer, not a string");

    // unknown fields, with a suggestion when the name is close
    row("unknown top-level", R"("frobnicate": 1)", "frobnicate", "", "unknown field");
    row("unknown near workers", R"("worker": 1)", "worker", "", R"(unknown field (did you mean "workers"?))");
    row("unknown wrong case", R"("Log_Format": "json")", "Log_Format", "", R"(did you mean "log_format"?)");

    // listen
    row("listen not array", R"("listen": "127.0.0.1:80")", "listen", "127.0.0.1:80",
        "must be an array of strings, not a string");
    row("listen empty", R"("listen": [])", "listen", "[]", "must list at least one address");
    row("listen entry not string", R"("listen": [8080])", "listen[0]", "8080",
        "must be a string, not a number");
    listenRow("listen no port", "127.0.0.1", "missing port");
    listenRow("listen empty port", "127.0.0.1:", "port must be 0..65535");
    listenRow("listen port too big", "127.0.0.1:65536", "port must be 0..65535");
    listenRow("listen port negative", "127.0.0.1:-1", "port must be 0..65535");
    listenRow("listen port not numeric", "127.0.0.1:http", "port must be 0..65535");
    listenRow("listen port with space", "127.0.0.1: 80", "port must be 0..65535");
    listenRow("listen no address", ":8080", "missing address");
    listenRow("listen host name", "example.com:80", "must be an IP address or localhost");
    listenRow("listen ipv4 out of range", "256.0.0.1:80", "not a valid IPv4 address");
    listenRow("listen ipv4 short form", "127.1:80", "not a valid IPv4 address");
    listenRow("listen ipv4 leading zero", "010.0.0.1:80", "not a valid IPv4 address");
    listenRow("listen ipv6 unbracketed", "::1:80", "IPv6 addresses must be in brackets");
    listenRow("listen ipv6 unclosed", "[::1:80", "missing ']'");
    listenRow("listen ipv6 no colon", "[::1]80", "expected ':'");
    listenRow("listen ipv6 no port", "[::1]", "missing port");
    listenRow("listen ipv6 invalid", "[fe80::zz]:80", "not a valid IPv6 address");
    listenRow("listen ipv4 in brackets", "[127.0.0.1]:80", "not a valid IPv6 address");
    row("listen duplicate", R"("listen": ["127.0.0.1:80", "127.0.0.1:80"])", "listen[1]", "127.0.0.1:80",
        "duplicate listen address");
    row("listen duplicate ipv6 spelling", R"("listen": ["[::1]:80", "[0:0::1]:80"])", "listen[1]",
        "[0:0::1]:80", "duplicate listen address");
    row("listen duplicate via localhost", R"("listen": ["127.0.0.1:80", "localhost:80"])", "listen[1]",
        "localhost:80", "duplicate listen address");

    // workers
    row("workers negative", R"("workers": -1)", "workers", "-1", "must be an integer from 0 to 64");
    row("workers too many", R"("workers": 65)", "workers", "65", "must be an integer from 0 to 64");
    row("workers fraction", R"("workers": 1.5)", "workers", "1.5", "must be an integer from 0 to 64");
    row("workers huge", R"("workers": 1e300)", "workers", "1e+300", "must be an integer from 0 to 64");
    row("workers string", R"("workers": "2")", "workers", "2",
        "must be an integer from 0 to 64, not a string");
    row("workers bool", R"("workers": true)", "workers", "true", "not a boolean");
    row("workers null", R"("workers": null)", "workers", "null", "not null");

    // backends
    row("backends not array", R"("backends": {"url": "http://a"})", "backends", R"({"url":"http://a"})",
        "must be an array of objects, not an object");
    row("backend not object", R"("backends": ["http://a"])", "backends[0]", "http://a",
        "must be an object, not a string");
    row("backend url missing", R"("backends": [{"name": "a"}])", "backends[0].url", "", "is required");
    row("backend url not string", R"("backends": [{"url": 80}])", "backends[0].url", "80",
        "must be a string, not a number");
    urlRow("url without scheme", "127.0.0.1:9001", "must start with http://");
    urlRow("url https port 0", "https://a:0", "port must be 1..65535");
    urlRow("url other scheme", "ftp://a", "scheme must be http://");
    urlRow("url empty host", "http://", "missing host");
    urlRow("url empty host with port", "http://:80", "missing host");
    urlRow("url port 0", "http://a:0", "port must be 1..65535");
    urlRow("url port too big", "http://a:65536", "port must be 1..65535");
    urlRow("url port empty", "http://a:", "port must be 1..65535");
    urlRow("url port not numeric", "http://a:http", "port must be 1..65535");
    urlRow("url path", "http://a/api", R"(path must be empty or "/")");
    urlRow("url query", "http://a/?x=1", "a query is not allowed");
    urlRow("url query without path", "http://a?x", "a query is not allowed");
    urlRow("url fragment", "http://a#top", "a fragment is not allowed");
    urlRow("url user info", "http://user:pw@a", "user info is not allowed");
    urlRow("url ipv6 unbracketed", "http://::1", "IPv6 addresses must be in brackets");
    urlRow("url ipv6 unclosed", "http://[::1", "missing ']'");
    urlRow("url ipv6 invalid", "http://[::g]:80", "not a valid IPv6 address");
    urlRow("url ipv4 invalid", "http://300.1.1.1", "not a valid IPv4 address");
    urlRow("url host bad char", "http://bad!host", "host must be an IP address or a host name");
    urlRow("url host leading hyphen", "http://-a.example", "host must be an IP address or a host name");
    urlRow("url host empty label", "http://a..example", "host must be an IP address or a host name");
    urlRow("url host percent", "http://a%2eb", "host must be an IP address or a host name");
    row("backend name empty", R"("backends": [{"url": "http://a", "name": ""}])", "backends[0].name", "",
        "must be 1 to 64 characters");
    row("backend name space", R"("backends": [{"url": "http://a", "name": "my app"}])", "backends[0].name",
        "my app", "must be 1 to 64 characters");
    row("backend name slash", R"("backends": [{"url": "http://a", "name": "a/b"}])", "backends[0].name",
        "a/b", "must be 1 to 64 characters");
    row("backend name too long",
        R"("backends": [{"url": "http://a", "name": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}])",
        "backends[0].name", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...",
        "must be 1 to 64 characters");
    row("backend name not string", R"("backends": [{"url": "http://a", "name": 7}])", "backends[0].name", "7",
        "must be a string, not a number");
    row("backend names duplicate",
        R"("backends": [{"url": "http://a", "name": "x"}, {"url": "http://b", "name": "x"}])",
        "backends[1].name", "x", "duplicate backend name");
    row("backend name clashes with default",
        R"("backends": [{"url": "http://a"}, {"url": "http://b", "name": "backend-1"}])", "backends[1].name",
        "backend-1", "duplicate backend name");
    row("backend weight too big", R"("backends": [{"url": "http://a"}, {"url": "http://b", "weight": 5000}])",
        "backends[1].weight", "5000", "must be an integer from 0 to 1000");
    row("backend weight negative", R"("backends": [{"url": "http://a", "weight": -1}])", "backends[0].weight",
        "-1", "must be an integer from 0 to 1000");
    row("backend weight fraction", R"("backends": [{"url": "http://a", "weight": 2.5}])",
        "backends[0].weight", "2.5", "must be an integer from 0 to 1000");
    row("backend weight string", R"("backends": [{"url": "http://a", "weight": "5"}])", "backends[0].weight",
        "5", "must be an integer from 0 to 1000, not a string");
    row("backend unknown field", R"("backends": [{"url": "http://a", "wieght": 5}])", "backends[0].wieght",
        "", R"(unknown field (did you mean "weight"?))");
    row("backend unknown field far", R"("backends": [{"url": "http://a", "health": {}}])",
        "backends[0].health", "", "unknown field");
    row("backend slow_start_ms negative",
        R"("backends": [{"url": "http://a"}, {"url": "http://b", "slow_start_ms": -1}])",
        "backends[1].slow_start_ms", "-1", "must be an integer from 0 to 3600000");
    row("backend slow_start_ms too big", R"("backends": [{"url": "http://a", "slow_start_ms": 3600001}])",
        "backends[0].slow_start_ms", "3600001", "must be an integer from 0 to 3600000");
    row("backend slow_start_ms string", R"("backends": [{"url": "http://a", "slow_start_ms": "10s"}])",
        "backends[0].slow_start_ms", "10s", "must be an integer from 0 to 3600000, not a string");
    row("backend slow_start_ms fraction", R"("backends": [{"url": "http://a", "slow_start_ms": 0.5}])",
        "backends[0].slow_start_ms", "0.5", "must be an integer from 0 to 3600000");
    row("backend slow_start unknown", R"("backends": [{"url": "http://a", "slow_start": 5}])",
        "backends[0].slow_start", "", R"(unknown field (did you mean "slow_start_ms"?))");

    // strategy
    const char *strategies =
        R"(must be "round-robin", "least-connections", "power-of-two", "random" or "consistent-hash")";
    row("strategy unknown", R"("strategy": "weighted")", "strategy", "weighted", strategies);
    row("strategy wrong case", R"("strategy": "Round-Robin")", "strategy", "Round-Robin", strategies);
    row("strategy underscore", R"("strategy": "least_connections")", "strategy", "least_connections",
        strategies);
    row("strategy empty", R"("strategy": "")", "strategy", "", strategies);
    row("strategy not string", R"("strategy": 1)", "strategy", "1", "must be a string, not a number");
    row("strategy null", R"("strategy": null)", "strategy", "null", "must be a string, not null");
    row("strategy unknown field", R"("stratgy": "random")", "stratgy", "", R"(did you mean "strategy"?)");

    // hash_key
    const char *hashKeys = R"(must be "client-ip", "path", "header:NAME" or "cookie:NAME")";
    const char *tokenRule = "must be 1 to 256 characters from A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~";
    const auto hashKeyRow = [&row](const char *name, const QByteArray &key, const QByteArray &reason) {
        row(name, R"("strategy": "consistent-hash", "hash_key": ")" + key + '"', "hash_key", key, reason);
    };
    hashKeyRow("hash_key unknown source", "query:id", hashKeys);
    hashKeyRow("hash_key wrong case", "Client-IP", hashKeys);
    hashKeyRow("hash_key header without name", "header", hashKeys);
    hashKeyRow("hash_key header empty name", "header:", "header name " + QByteArray(tokenRule));
    hashKeyRow("hash_key header name with space", "header:X Id", "header name " + QByteArray(tokenRule));
    hashKeyRow("hash_key cookie empty name", "cookie:", "cookie name " + QByteArray(tokenRule));
    hashKeyRow("hash_key cookie name with =", "cookie:a=b", "cookie name " + QByteArray(tokenRule));
    row("hash_key not string", R"("strategy": "consistent-hash", "hash_key": ["path"])", "hash_key",
        R"(["path"])", "must be a string, not an array");
    row("hash_key without strategy", R"("hash_key": "path")", "hash_key", "path",
        R"(only applies to the consistent-hash strategy (the strategy is "round-robin"))");
    row("hash_key client-ip without strategy", R"("hash_key": "client-ip")", "hash_key", "client-ip",
        R"(only applies to the consistent-hash strategy (the strategy is "round-robin"))");
    row("hash_key with random", R"("strategy": "random", "hash_key": "header:X-Id")", "hash_key",
        "header:X-Id", R"(only applies to the consistent-hash strategy (the strategy is "random"))");
    row("hash_key with least-connections", R"("hash_key": "cookie:sid", "strategy": "least-connections")",
        "hash_key", "cookie:sid", R"((the strategy is "least-connections"))");

    // sticky_cookie
    row("sticky_cookie not object", R"("sticky_cookie": "srv")", "sticky_cookie", "srv",
        "must be an object, not a string");
    row("sticky_cookie true", R"("sticky_cookie": true)", "sticky_cookie", "true",
        "must be an object, not a boolean");
    row("sticky_cookie name missing", R"("sticky_cookie": {})", "sticky_cookie.name", "", "is required");
    row("sticky_cookie name missing with max_age_s", R"("sticky_cookie": {"max_age_s": 60})",
        "sticky_cookie.name", "", "is required");
    row("sticky_cookie name empty", R"("sticky_cookie": {"name": ""})", "sticky_cookie.name", "", tokenRule);
    row("sticky_cookie name with space", R"("sticky_cookie": {"name": "my srv"})", "sticky_cookie.name",
        "my srv", tokenRule);
    row("sticky_cookie name with ;", R"("sticky_cookie": {"name": "a;b"})", "sticky_cookie.name", "a;b",
        tokenRule);
    row("sticky_cookie name too long", R"("sticky_cookie": {"name": ")" + QByteArray(257, 'c') + R"("})",
        "sticky_cookie.name", QByteArray(60, 'c') + "...", tokenRule);
    row("sticky_cookie name __Host-", R"("sticky_cookie": {"name": "__Host-srv"})", "sticky_cookie.name",
        "__Host-srv", "must not start with __Secure- or __Host-");
    row("sticky_cookie name __Secure-", R"("sticky_cookie": {"name": "__secure-srv"})", "sticky_cookie.name",
        "__secure-srv", "which Fulcrum does not set");
    row("sticky_cookie name not string", R"("sticky_cookie": {"name": 1})", "sticky_cookie.name", "1",
        "must be a string, not a number");
    row("sticky_cookie max_age_s negative", R"("sticky_cookie": {"name": "srv", "max_age_s": -1})",
        "sticky_cookie.max_age_s", "-1", "must be an integer from 0 to 31536000");
    row("sticky_cookie max_age_s too big", R"("sticky_cookie": {"name": "srv", "max_age_s": 31536001})",
        "sticky_cookie.max_age_s", "31536001", "must be an integer from 0 to 31536000");
    row("sticky_cookie max_age_s string", R"("sticky_cookie": {"name": "srv", "max_age_s": "1h"})",
        "sticky_cookie.max_age_s", "1h", "must be an integer from 0 to 31536000, not a string");
    row("sticky_cookie max_age unknown", R"("sticky_cookie": {"name": "srv", "max_age": 60})",
        "sticky_cookie.max_age", "", R"(unknown field (did you mean "max_age_s"?))");
    row("sticky_cookie unknown field", R"("sticky_cookie": {"name": "srv", "secure": true})",
        "sticky_cookie.secure", "", "unknown field");

    // slow_start_ms
    row("slow_start_ms negative", R"("slow_start_ms": -1)", "slow_start_ms", "-1",
        "must be an integer from 0 to 3600000");
    row("slow_start_ms too big", R"("slow_start_ms": 3600001)", "slow_start_ms", "3600001",
        "must be an integer from 0 to 3600000");
    row("slow_start_ms fraction", R"("slow_start_ms": 1.5)", "slow_start_ms", "1.5",
        "must be an integer from 0 to 3600000");
    row("slow_start_ms string", R"("slow_start_ms": "30s")", "slow_start_ms", "30s",
        "must be an integer from 0 to 3600000, not a string");
    row("slow_start unknown", R"("slow_start": 100)", "slow_start", "", R"(did you mean "slow_start_ms"?)");

    // timeouts
    row("timeouts not object", R"("timeouts": 5)", "timeouts", "5", "must be an object, not a number");
    row("timeouts unknown", R"("timeouts": {"client_header": 5})", "timeouts.client_header", "",
        R"(did you mean "client_header_ms"?)");
    for (const char *key : {"client_header_ms", "client_idle_ms", "upstream_connect_ms",
                            "upstream_response_ms", "upstream_idle_ms", "drain_ms", "tunnel_idle_ms"}) {
        const QByteArray field = "timeouts." + QByteArray(key);
        const QByteArray prefix = R"("timeouts": {")" + QByteArray(key) + R"(": )";
        row(field + " zero", prefix + "0}", field, "0", "must be an integer from 1 to 86400000");
        row(field + " too big", prefix + "86400001}", field, "86400001",
            "must be an integer from 1 to 86400000");
        row(field + " string", prefix + R"("10s"})", field, "10s", "not a string");
    }

    // limits
    row("limits not object", R"("limits": [])", "limits", "[]", "must be an object, not an array");
    row("limits unknown", R"("limits": {"max_headers": 5})", "limits.max_headers", "", "unknown field");
    row("max_header_bytes too small", R"("limits": {"max_header_bytes": 1023})", "limits.max_header_bytes",
        "1023", "must be an integer from 1024 to 1048576");
    row("max_header_bytes too big", R"("limits": {"max_header_bytes": 1048577})", "limits.max_header_bytes",
        "1048577", "must be an integer from 1024 to 1048576");
    row("max_request_target_bytes too small", R"("limits": {"max_request_target_bytes": 255})",
        "limits.max_request_target_bytes", "255", "must be an integer from 256 to 1048576");
    row("max_request_target_bytes too big", R"("limits": {"max_request_target_bytes": 1048577})",
        "limits.max_request_target_bytes", "1048577", "must be an integer from 256 to 1048576");
    row("max_body_bytes negative", R"("limits": {"max_body_bytes": -1})", "limits.max_body_bytes", "-1",
        "must be an integer from 0 to 9007199254740991");
    row("max_body_bytes beyond exact doubles", R"("limits": {"max_body_bytes": 9007199254740992})",
        "limits.max_body_bytes", "9007199254740992", "must be an integer from 0 to 9007199254740991");
    row("max_body_bytes string", R"("limits": {"max_body_bytes": "1M"})", "limits.max_body_bytes", "1M",
        "not a string");
    row("upstream_idle_per_backend negative", R"("limits": {"upstream_idle_per_backend": -1})",
        "limits.upstream_idle_per_backend", "-1", "must be an integer from 0 to 10000");
    row("upstream_idle_per_backend too big", R"("limits": {"upstream_idle_per_backend": 10001})",
        "limits.upstream_idle_per_backend", "10001", "must be an integer from 0 to 10000");
    row("max_client_connections negative", R"("limits": {"max_client_connections": -1})",
        "limits.max_client_connections", "-1", "must be an integer from 0 to 10000000");
    row("max_connections_per_client too big", R"("limits": {"max_connections_per_client": 10000001})",
        "limits.max_connections_per_client", "10000001", "must be an integer from 0 to 10000000");
    row("rate_limit per hour", R"("rate_limit": {"rate": 10, "per": "hour"})", "rate_limit.per", "hour",
        R"(must be "second" or "minute")");
    row("rate_limit without rate", R"("rate_limit": {"burst": 10})", "rate_limit.rate", "", "is required");
    row("rate_limit rate zero", R"("rate_limit": {"rate": 0})", "rate_limit.rate", "0",
        "must be an integer from 1 to 1000000");
    row("rate_limit burst zero", R"("rate_limit": {"rate": 1, "burst": 0})", "rate_limit.burst", "0",
        "must be an integer from 1 to 10000000");
    row("rate_limit path prefix without slash",
        R"("rate_limit": {"paths": [{"prefix": "login", "rate": 1}]})", "rate_limit.paths[0].prefix", "login",
        R"(must start with "/")");
    row("rate_limit path without rate", R"("rate_limit": {"paths": [{"prefix": "/login"}]})",
        "rate_limit.paths[0].rate", "", "is required");

    // log_format, access_log, metrics_interval_ms
    row("log_format unknown", R"("log_format": "xml")", "log_format", "xml", R"(must be "text" or "json")");
    row("log_format wrong case", R"("log_format": "JSON")", "log_format", "JSON",
        R"(must be "text" or "json")");
    row("log_format not string", R"("log_format": 1)", "log_format", "1", "must be a string, not a number");
    row("access_log string", R"("access_log": "yes")", "access_log", "yes",
        "must be true or false, not a string");
    row("access_log number", R"("access_log": 1)", "access_log", "1", "must be true or false, not a number");
    row("metrics_interval_ms too small", R"("metrics_interval_ms": 99)", "metrics_interval_ms", "99",
        "must be an integer from 100 to 60000");
    row("metrics_interval_ms too big", R"("metrics_interval_ms": 60001)", "metrics_interval_ms", "60001",
        "must be an integer from 100 to 60000");
    row("metrics_interval_ms string", R"("metrics_interval_ms": "1s")", "metrics_interval_ms", "1s",
        "not a string");

    // health_check, at the top level and in a backend: the same reader
    for (const QByteArray &where : {QByteArray("health_check"), QByteArray("backends[0].health_check")}) {
        const bool inBackend = where.startsWith("backends");
        const auto healthRow = [&row, &where, inBackend](const QByteArray &name, const QByteArray &members,
                                                         const QByteArray &key, const QByteArray &value,
                                                         const QByteArray &reason) {
            const QByteArray object = R"("health_check": {)" + members + '}';
            const QByteArray json =
                inBackend ? R"("backends": [{"url": "http://a", )" + object + "}]" : object;
            row(where + ' ' + name, json, key.isEmpty() ? where : where + '.' + key, value, reason);
        };
        healthRow("unknown field", R"("interval": 5)", "interval", "", R"(did you mean "interval_ms"?)");
        healthRow("enabled string", R"("enabled": "yes")", "enabled", "yes",
                  "must be true or false, not a string");
        healthRow("method empty", R"("method": "")", "method", "", "must be 1 to 256 characters from");
        healthRow("method with space", R"("method": "GET /")", "method", "GET /",
                  "must be 1 to 256 characters from");
        healthRow("method not string", R"("method": 1)", "method", "1", "must be a string, not a number");
        healthRow("path relative", R"("path": "healthz")", "path", "healthz", R"(must start with "/")");
        healthRow("path empty", R"("path": "")", "path", "", R"(must start with "/")");
        healthRow("path absolute URL", R"("path": "http://a/healthz")", "path", "http://a/healthz",
                  R"(must start with "/")");
        healthRow("path with space", R"("path": "/health z")", "path", "/health z",
                  "must be visible ASCII characters");
        healthRow("path with control character", R"("path": "/health\r\n")", "path", "/health\r\n",
                  "must be visible ASCII characters");
        healthRow("path non-ASCII", R"("path": "/caf\u00e9")", "path", "/caf\xc3\xa9",
                  "must be visible ASCII characters");
        healthRow("path fragment", R"("path": "/health#top")", "path", "/health#top",
                  "a fragment is not allowed");
        const char *statusRule = R"(must be a status from 100 to 599 ("200") or a range of them ("200-399"))";
        healthRow("expect_status number", R"("expect_status": 200)", "expect_status", "200",
                  R"(must be a string such as "200" or "200-399", not a number)");
        healthRow("expect_status too low", R"("expect_status": "99")", "expect_status", "99", statusRule);
        healthRow("expect_status too high", R"("expect_status": "200-600")", "expect_status", "200-600",
                  statusRule);
        healthRow("expect_status class", R"("expect_status": "2xx")", "expect_status", "2xx", statusRule);
        healthRow("expect_status open range", R"("expect_status": "200-")", "expect_status", "200-",
                  statusRule);
        healthRow("expect_status spaces", R"("expect_status": "200 - 399")", "expect_status", "200 - 399",
                  statusRule);
        healthRow("expect_status list", R"("expect_status": "200,204")", "expect_status", "200,204",
                  statusRule);
        healthRow("expect_status reversed", R"("expect_status": "399-200")", "expect_status", "399-200",
                  "the range's first status must not be above its last");
        healthRow("expect_body not string", R"("expect_body": ["OK"])", "expect_body", R"(["OK"])",
                  "must be a string, not an array");
        healthRow("host with path", R"("host": "a/b")", "host", "a/b",
                  "host must be an IP address or a host name");
        healthRow("host with space", R"("host": "my host")", "host", "my host",
                  "host must be an IP address or a host name");
        healthRow("host port 0", R"("host": "a:0")", "host", "a:0", "port must be 1..65535");
        healthRow("host port too big", R"("host": "a:65536")", "host", "a:65536", "port must be 1..65535");
        healthRow("host ipv6 unbracketed", R"("host": "::1")", "host", "::1",
                  "IPv6 addresses must be in brackets");
        healthRow("host ipv6 zone", R"("host": "[fe80::1%eth0]")", "host", "[fe80::1%eth0]",
                  "an IPv6 zone is not allowed");
        healthRow("host bad ipv4", R"("host": "10.0.0.300")", "host", "10.0.0.300",
                  "not a valid IPv4 address");
        healthRow("host port only", R"("host": ":80")", "host", ":80", "missing host");
        healthRow("interval_ms too small", R"("interval_ms": 99)", "interval_ms", "99",
                  "must be an integer from 100 to 3600000");
        healthRow("interval_ms too big", R"("interval_ms": 3600001)", "interval_ms", "3600001",
                  "must be an integer from 100 to 3600000");
        healthRow("timeout_ms too small", R"("timeout_ms": 9)", "timeout_ms", "9",
                  "must be an integer from 10 to 3600000");
        healthRow("timeout_ms string", R"("timeout_ms": "1s")", "timeout_ms", "1s",
                  "must be an integer from 10 to 3600000, not a string");
        healthRow("jitter_percent too big", R"("jitter_percent": 51)", "jitter_percent", "51",
                  "must be an integer from 0 to 50");
        healthRow("jitter_percent negative", R"("jitter_percent": -1)", "jitter_percent", "-1",
                  "must be an integer from 0 to 50");
        healthRow("rise 0", R"("rise": 0)", "rise", "0", "must be an integer from 1 to 100");
        healthRow("rise too big", R"("rise": 101)", "rise", "101", "must be an integer from 1 to 100");
        healthRow("fall 0", R"("fall": 0)", "fall", "0", "must be an integer from 1 to 100");
        healthRow("fall fraction", R"("fall": 1.5)", "fall", "1.5", "must be an integer from 1 to 100");
        healthRow("timeout above interval", R"("interval_ms": 1000, "timeout_ms": 1001)", "timeout_ms",
                  "1001", "must not exceed interval_ms (1000)");
        healthRow("timeout above default interval", R"("timeout_ms": 2001)", "timeout_ms", "2001",
                  "must not exceed interval_ms (2000)");
        healthRow("interval below default timeout", R"("interval_ms": 999)", "interval_ms", "999",
                  "must not be less than timeout_ms (1000)");
        healthRow("HEAD with expect_body", R"("method": "HEAD", "expect_body": "OK")", "expect_body", "OK",
                  "must be empty when method is HEAD (a response to HEAD has no body)");
    }
    row("health_check not object", R"("health_check": true)", "health_check", "true",
        "must be an object, not a boolean");
    row("backend health_check not object", R"("backends": [{"url": "http://a", "health_check": "/healthz"}])",
        "backends[0].health_check", "/healthz", "must be an object, not a string");
    row("health_check unknown top-level", R"("healthcheck": {})", "healthcheck", "",
        R"(unknown field (did you mean "health_check"?))");

    // circuit_breaker
    for (const char *key : {"max_connections", "max_pending_requests", "max_requests"}) {
        const QByteArray field = "circuit_breaker." + QByteArray(key);
        const QByteArray prefix = R"("circuit_breaker": {")" + QByteArray(key) + R"(": )";
        row(field + " negative", prefix + "-1}", field, "-1", "must be an integer from 0 to 1000000");
        row(field + " too big", prefix + "1000001}", field, "1000001",
            "must be an integer from 0 to 1000000");
        row(field + " string", prefix + R"("10"})", field, "10", "not a string");
        const QByteArray backendField = "backends[0]." + field;
        row(backendField + " too big", R"("backends": [{"url": "http://a", )" + prefix + "1000001}}]",
            backendField, "1000001", "must be an integer from 0 to 1000000");
    }
    row("circuit_breaker not object", R"("circuit_breaker": 5)", "circuit_breaker", "5",
        "must be an object, not a number");
    row("circuit_breaker unknown", R"("circuit_breaker": {"max_connection": 5})",
        "circuit_breaker.max_connection", "", R"(did you mean "max_connections"?)");
    row("backend circuit_breaker unknown",
        R"("backends": [{"url": "http://a", "circuit_breaker": {"max": 5}}])",
        "backends[0].circuit_breaker.max", "", "unknown field");

    // outlier_detection
    row("outlier_detection not object", R"("outlier_detection": false)", "outlier_detection", "false",
        "must be an object, not a boolean");
    row("outlier_detection unknown", R"("outlier_detection": {"interval_ms": 10})",
        "outlier_detection.interval_ms", "", "unknown field");
    row("outlier enabled number", R"("outlier_detection": {"enabled": 0})", "outlier_detection.enabled", "0",
        "must be true or false, not a number");
    row("outlier consecutive_failures 0", R"("outlier_detection": {"consecutive_failures": 0})",
        "outlier_detection.consecutive_failures", "0", "must be an integer from 1 to 1000");
    row("outlier consecutive_failures too big", R"("outlier_detection": {"consecutive_failures": 1001})",
        "outlier_detection.consecutive_failures", "1001", "must be an integer from 1 to 1000");
    row("outlier count_5xx string", R"("outlier_detection": {"count_5xx": "true"})",
        "outlier_detection.count_5xx", "true", "must be true or false, not a string");
    row("outlier base_ejection_ms too small", R"("outlier_detection": {"base_ejection_ms": 99})",
        "outlier_detection.base_ejection_ms", "99", "must be an integer from 100 to 86400000");
    row("outlier max_ejection_ms too big", R"("outlier_detection": {"max_ejection_ms": 86400001})",
        "outlier_detection.max_ejection_ms", "86400001", "must be an integer from 100 to 86400000");
    row("outlier max_ejection_percent too big", R"("outlier_detection": {"max_ejection_percent": 101})",
        "outlier_detection.max_ejection_percent", "101", "must be an integer from 0 to 100");
    row("outlier max below base",
        R"("outlier_detection": {"base_ejection_ms": 5000, "max_ejection_ms": 4999})",
        "outlier_detection.max_ejection_ms", "4999", "must not be less than base_ejection_ms (5000)");
    row("outlier max below default base", R"("outlier_detection": {"max_ejection_ms": 1000})",
        "outlier_detection.max_ejection_ms", "1000", "must not be less than base_ejection_ms (30000)");
    row("outlier base above default max", R"("outlier_detection": {"base_ejection_ms": 300001})",
        "outlier_detection.base_ejection_ms", "300001", "must not exceed max_ejection_ms (300000)");

    // panic_mode
    const char *panicModes = R"(must be "fail-closed" or "fail-open")";
    row("panic_mode unknown", R"("panic_mode": "open")", "panic_mode", "open", panicModes);
    row("panic_mode wrong case", R"("panic_mode": "Fail-Open")", "panic_mode", "Fail-Open", panicModes);
    row("panic_mode underscore", R"("panic_mode": "fail_open")", "panic_mode", "fail_open", panicModes);
    row("panic_mode boolean", R"("panic_mode": true)", "panic_mode", "true",
        "must be a string, not a boolean");

    // retries
    row("retries not object", R"("retries": 2)", "retries", "2", "must be an object, not a number");
    row("retries unknown", R"("retries": {"max_retires": 2})", "retries.max_retires", "",
        R"(did you mean "max_retries"?)");
    row("max_retries too big", R"("retries": {"max_retries": 11})", "retries.max_retries", "11",
        "must be an integer from 0 to 10");
    row("max_retries negative", R"("retries": {"max_retries": -1})", "retries.max_retries", "-1",
        "must be an integer from 0 to 10");
    row("retry_statuses not array", R"("retries": {"retry_statuses": 503})", "retries.retry_statuses", "503",
        "must be an array of integers, not a number");
    row("retry_statuses 4xx", R"("retries": {"retry_statuses": [503, 429]})", "retries.retry_statuses[1]",
        "429", "must be an integer from 500 to 599");
    row("retry_statuses 600", R"("retries": {"retry_statuses": [600]})", "retries.retry_statuses[0]", "600",
        "must be an integer from 500 to 599");
    row("retry_statuses string", R"("retries": {"retry_statuses": ["503"]})", "retries.retry_statuses[0]",
        "503", "must be an integer from 500 to 599, not a string");
    row("retry_statuses duplicate", R"("retries": {"retry_statuses": [502, 503, 502]})",
        "retries.retry_statuses[2]", "502", "duplicate status");
    row("backoff_base_ms too big", R"("retries": {"backoff_base_ms": 10001})", "retries.backoff_base_ms",
        "10001", "must be an integer from 0 to 10000");
    row("backoff_max_ms negative", R"("retries": {"backoff_max_ms": -1})", "retries.backoff_max_ms", "-1",
        "must be an integer from 0 to 10000");
    row("backoff max below base", R"("retries": {"backoff_base_ms": 100, "backoff_max_ms": 50})",
        "retries.backoff_max_ms", "50", "must not be less than backoff_base_ms (100)");
    row("backoff max below default base", R"("retries": {"backoff_max_ms": 10})", "retries.backoff_max_ms",
        "10", "must not be less than backoff_base_ms (25)");
    row("backoff base above default max", R"("retries": {"backoff_base_ms": 251})", "retries.backoff_base_ms",
        "251", "must not exceed backoff_max_ms (250)");
    row("budget_percent too big", R"("retries": {"budget_percent": 101})", "retries.budget_percent", "101",
        "must be an integer from 0 to 100");
    row("budget_window_ms too small", R"("retries": {"budget_window_ms": 999})", "retries.budget_window_ms",
        "999", "must be an integer from 1000 to 3600000");
    row("budget_window_ms too big", R"("retries": {"budget_window_ms": 3600001})", "retries.budget_window_ms",
        "3600001", "must be an integer from 1000 to 3600000");
    row("budget_min_retries too big", R"("retries": {"budget_min_retries": 1000001})",
        "retries.budget_min_retries", "1000001", "must be an integer from 0 to 1000000");
    row("max_buffered_body_bytes too big", R"("retries": {"max_buffered_body_bytes": 16777217})",
        "retries.max_buffered_body_bytes", "16777217", "must be an integer from 0 to 16777216");
}

void TestConfigLoader::invalidFields()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    // An empty expected value stands for "no value shown" (unknown or missing fields) -- except for
    // rows whose offending value really is the empty string, whose reason says what it must be.
    const bool noValueShown = value.isEmpty() && !reason.startsWith(u"must ");
    const QString expectedValue = noValueShown ? QString() : value;
    const QString mismatch = mismatchOfSingleError(result.errors, field, expectedValue, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().value.isNull(), noValueShown);
}

void TestConfigLoader::multipleErrorsAreCollected()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "listen": ["127.0.0.1:80", "nonsense"],
        "workers": 99,
        "backends": [{"url": "http://ok"}, {"url": "ftp://bad"}, {"url": "http://ok2", "weight": 5000},
                     {"url": "http://ok3", "slow_start_ms": -5}],
        "strategy": "fastest",
        "sticky_cookie": {"name": "a b"},
        "slow_start_ms": 1e9,
        "timeouts": {"drain_ms": 0},
        "limits": {"max_header_bytes": 1},
        "log_format": "yaml",
        "access_log": "on",
        "metrics_interval_ms": 5,
        "extra": true)"));

    QStringList fields;
    for (const ConfigError &e : result.errors)
        fields.append(e.field);
    QCOMPARE(fields, (QStringList{u"listen[1]"_s, u"workers"_s, u"backends[1].url"_s, u"backends[2].weight"_s,
                                  u"backends[3].slow_start_ms"_s, u"strategy"_s, u"sticky_cookie.name"_s,
                                  u"slow_start_ms"_s, u"timeouts.drain_ms"_s, u"limits.max_header_bytes"_s,
                                  u"log_format"_s, u"access_log"_s, u"metrics_interval_ms"_s, u"extra"_s}));
}

void TestConfigLoader::everyBackendFieldIsReported()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(
        R"("backends": [{"url": "http://a/x", "name": "a b", "weight": 1001, "slow_start_ms": -1, "w": 1}])"));
    QStringList fields;
    for (const ConfigError &e : result.errors)
        fields.append(e.field);
    QCOMPARE(fields, (QStringList{u"backends[0].url"_s, u"backends[0].name"_s, u"backends[0].weight"_s,
                                  u"backends[0].slow_start_ms"_s, u"backends[0].w"_s}));
}

void TestConfigLoader::hashKeyWithBrokenStrategyReportsOnlyTheStrategy()
{
    // Whether the key applies depends on the strategy the operator meant; only the strategy is wrong.
    ConfigLoadResult result =
        ConfigLoader::loadJson(doc(R"("strategy": "consistent_hash", "hash_key": "path")"));
    QString mismatch = mismatchOfSingleError(result.errors, u"strategy"_s, u"consistent_hash"_s,
                                             u"must be \"round-robin\""_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    result = ConfigLoader::loadJson(doc(R"("strategy": 5, "hash_key": "path")"));
    mismatch = mismatchOfSingleError(result.errors, u"strategy"_s, u"5"_s, u"must be a string"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    // Both wrong: both reported.
    result = ConfigLoader::loadJson(doc(R"("strategy": "hash", "hash_key": "ip")"));
    QCOMPARE(result.errors.size(), 2);
    QCOMPARE(result.errors.at(0).field, u"strategy"_s);
    QCOMPARE(result.errors.at(1).field, u"hash_key"_s);
    QVERIFY(result.errors.at(1).reason.startsWith(u"must be \"client-ip\""));
}

void TestConfigLoader::everyBalancingFieldIsReported()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "strategy": "round-robin", "hash_key": "header:",
        "sticky_cookie": {"name": "__Host-x", "max_age_s": -1, "path": "/"},
        "slow_start_ms": -1)"));
    QStringList fields;
    for (const ConfigError &e : result.errors)
        fields.append(e.field);
    QCOMPARE(fields, (QStringList{u"hash_key"_s, u"sticky_cookie.name"_s, u"sticky_cookie.max_age_s"_s,
                                  u"sticky_cookie.path"_s, u"slow_start_ms"_s}));
    // An unparsable key is reported as such, not as one that does not apply.
    QVERIFY(result.errors.constFirst().reason.startsWith(u"header name must be"));
    // Nothing invalid leaks into the result.
    QCOMPARE(result.config.balancing, BalancingConfig{});
}

void TestConfigLoader::missingVersion()
{
    ConfigLoadResult result = ConfigLoader::loadJson(R"({"workers": 2})");
    QString mismatch = mismatchOfSingleError(result.errors, u"version"_s, QString(), u"is required"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY(result.errors.constFirst().reason.contains(u"version 1"));

    // The rest of the document is still checked.
    result = ConfigLoader::loadJson(R"({"workers": 200})");
    QCOMPARE(result.errors.size(), 2);
    QCOMPARE(result.errors.at(1).field, u"workers"_s);
}

void TestConfigLoader::unsupportedVersionStopsReading()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(R"({"version": 2, "workers": 200, "routes": []})");
    const QString mismatch = mismatchOfSingleError(result.errors, u"version"_s, u"2"_s,
                                                   u"unsupported version (this build reads version 1)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigLoader::syntaxErrorNamesOffset_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("position");

    QTest::newRow("double comma") << QByteArray("{\n  \"version\": 1,,\n}") << u"(line 2, column"_s;
    QTest::newRow("unterminated") << QByteArray(R"({"version": 1)") << u"(line 1, column"_s;
    QTest::newRow("trailing garbage") << QByteArray(R"({"version": 1} x)") << u"(line 1, column"_s;
    QTest::newRow("single quotes") << QByteArray("{'version': 1}") << u"(line 1, column"_s;
}

void TestConfigLoader::syntaxErrorNamesOffset()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, position);

    QJsonParseError qtError;
    QJsonDocument::fromJson(json, &qtError);
    QVERIFY(qtError.error != QJsonParseError::NoError);

    const ConfigLoadResult result = ConfigLoader::loadJson(json, u"test.json"_s);
    const QString expected = u"JSON syntax error at byte "_s + QString::number(qtError.offset);
    QString mismatch = mismatchOfSingleError(result.errors, u"test.json"_s, QString(), expected);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY(result.errors.constFirst().value.isNull());
    QVERIFY2(result.errors.constFirst().reason.contains(position),
             qPrintable(result.errors.constFirst().reason));
    QVERIFY(result.errors.constFirst().reason.endsWith(u": "_s + qtError.errorString()));
}

void TestConfigLoader::emptyDocument()
{
    for (const QByteArray &json : {QByteArray(), QByteArray(" \n\t")}) {
        const ConfigLoadResult result = ConfigLoader::loadJson(json);
        const QString mismatch =
            mismatchOfSingleError(result.errors, QString(), QString(), u"empty document"_s);
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    }
}

void TestConfigLoader::topLevelMustBeObject_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("array") << QByteArray("[1, 2]");
    QTest::newRow("empty array") << QByteArray("[]");
}

void TestConfigLoader::topLevelMustBeObject()
{
    QFETCH(QByteArray, json);
    const ConfigLoadResult result = ConfigLoader::loadJson(json, u"x.json"_s);
    const QString mismatch = mismatchOfSingleError(result.errors, u"x.json"_s, QString(),
                                                   u"the top level must be a JSON object"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigLoader::loadFileReadsFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"fulcrum.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(doc(R"("workers": 3, "backends": [{"url": "http://127.0.0.1:9001"}])"));
    file.close();

    const ConfigLoadResult result = ConfigLoader::loadFile(path);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.workers, 3);
    QCOMPARE(result.config.backends.size(), 1);

    // Field errors keep their JSON names; only errors about the file as a whole carry the path.
    file.open(QIODevice::WriteOnly | QIODevice::Truncate);
    file.write(doc(R"("workers": 300, "backends": [{"url": "http://127.0.0.1:9001"}])"));
    file.close();
    const ConfigLoadResult bad = ConfigLoader::loadFile(path);
    QCOMPARE(bad.errors.size(), 1);
    QCOMPARE(bad.errors.constFirst().field, u"workers"_s);
}

void TestConfigLoader::missingFileNamesPathAndReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"absent.json"_s);
    const ConfigLoadResult result = ConfigLoader::loadFile(path);
    const QString mismatch =
        mismatchOfSingleError(result.errors, path, QString(), u"No such file or directory"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().toString(),
             QString(path + u": cannot open: No such file or directory"_s));
}

void TestConfigLoader::directoryIsRejected()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const ConfigLoadResult result = ConfigLoader::loadFile(dir.path());
    const QString mismatch = mismatchOfSingleError(result.errors, dir.path(), QString(), u"is a directory"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigLoader::unreadableFileNamesReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"secret.json"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(doc(""));
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::WriteOwner));
    if (file.open(QIODevice::ReadOnly))
        QSKIP("running with privileges that read any file (root)");

    const ConfigLoadResult result = ConfigLoader::loadFile(path);
    const QString mismatch = mismatchOfSingleError(result.errors, path, QString(), u"Permission denied"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigLoader::shippedDefaultConfigLoads()
{
    const QString path = QFINDTESTDATA("../../../resources/fulcrum.json");
    QVERIFY2(!path.isEmpty(), "resources/fulcrum.json not found");

    const ConfigLoadResult result = ConfigLoader::loadFile(path);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 8080)});
    QCOMPARE(result.config.backends, (QList<BackendConfig>{backend(u"app-1"_s, u"127.0.0.1"_s, 9001),
                                                           backend(u"app-2"_s, u"127.0.0.1"_s, 9002),
                                                           backend(u"app-3"_s, u"127.0.0.1"_s, 9003)}));
    // The shipped file spells out the built-in defaults, so it documents them without changing them.
    ProxyConfig expected = ConfigLoader::defaultConfig();
    expected.backends = result.config.backends;
    QCOMPARE(result.config, expected);
    QCOMPARE(result.config.balancing, BalancingConfig{});

    // It spells out the balancing keys too, so operators find them.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(root.value("strategy"_L1).toString(), u"round-robin"_s);
    QCOMPARE(root.value("slow_start_ms"_L1).toInt(-1), 0);
    QCOMPARE(root.value("panic_mode"_L1).toString(), u"fail-closed"_s);
    // And the resilience settings, health checks switched off as by default (the object's presence
    // alone would switch them on).
    for (const QLatin1StringView key :
         {"health_check"_L1, "circuit_breaker"_L1, "outlier_detection"_L1, "retries"_L1})
        QVERIFY2(root.value(key).isObject(), key.data());
    QCOMPARE(root.value("health_check"_L1).toObject().value("enabled"_L1), QJsonValue(false));
    QVERIFY(!result.config.healthCheck.enabled);
}

void TestConfigLoader::resilienceDefaults()
{
    const ConfigLoadResult result =
        ConfigLoader::loadJson(doc(R"("backends": [{"url": "http://a"}, {"url": "http://b"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;

    QCOMPARE(c.healthCheck.enabled, false);
    QCOMPARE(c.healthCheck.method, u"GET"_s);
    QCOMPARE(c.healthCheck.path, u"/"_s);
    QCOMPARE(c.healthCheck.expectStatusMin, 200);
    QCOMPARE(c.healthCheck.expectStatusMax, 399);
    QCOMPARE(c.healthCheck.expectBody, QString());
    QCOMPARE(c.healthCheck.host, QString());
    QCOMPARE(c.healthCheck.intervalMs, 2'000);
    QCOMPARE(c.healthCheck.timeoutMs, 1'000);
    QCOMPARE(c.healthCheck.jitterPercent, 10);
    QCOMPARE(c.healthCheck.rise, 2);
    QCOMPARE(c.healthCheck.fall, 3);
    QCOMPARE(c.circuitBreaker, (CircuitBreakerConfig{0, 0, 0}));
    QCOMPARE(c.outlierDetection, (OutlierDetectionConfig{true, 5, false, 30'000, 300'000, 50}));
    QCOMPARE(c.balancing.panicMode, PanicMode::FailClosed);
    QCOMPARE(c.retries, (RetryConfig{2, {}, 25, 250, 20, 10'000, 3, 64 * 1024}));
    for (const BackendConfig &b : c.backends) {
        QCOMPARE(b.healthCheck, c.healthCheck);
        QCOMPARE(b.circuitBreaker, c.circuitBreaker);
    }
    QVERIFY(result.backendOverrides.isEmpty());
}

void TestConfigLoader::poolSettingsResolveIntoBackends()
{
    // The pool's objects come after the backends here: order in the file does not matter.
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "backends": [
            {"name": "plain", "url": "http://a"},
            {"name": "own-path", "url": "http://b", "health_check": {"path": "/b", "expect_status": "204"}},
            {"name": "unchecked", "url": "http://c", "health_check": {"enabled": false},
             "circuit_breaker": {"max_requests": 0}},
            {"name": "slow", "url": "http://d", "health_check": {"interval_ms": 10000, "timeout_ms": 5000},
             "circuit_breaker": {"max_connections": 5}}
        ],
        "health_check": {"method": "HEAD", "path": "/healthz", "host": "app.example", "rise": 1},
        "circuit_breaker": {"max_connections": 100, "max_requests": 20})"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;

    HealthCheckConfig pool;
    pool.enabled = true;
    pool.method = u"HEAD"_s;
    pool.path = u"/healthz"_s;
    pool.host = u"app.example"_s;
    pool.rise = 1;
    QCOMPARE(c.healthCheck, pool);
    QCOMPARE(c.circuitBreaker, (CircuitBreakerConfig{100, 0, 20}));
    QCOMPARE(c.backends.size(), 4);

    QCOMPARE(c.backends[0].healthCheck, pool);
    QCOMPARE(c.backends[0].circuitBreaker, c.circuitBreaker);

    // Field by field: what a backend does not say comes from the pool.
    HealthCheckConfig ownPath = pool;
    ownPath.path = u"/b"_s;
    ownPath.expectStatusMin = 204;
    ownPath.expectStatusMax = 204;
    QCOMPARE(c.backends[1].healthCheck, ownPath);
    QCOMPARE(c.backends[1].circuitBreaker, c.circuitBreaker);

    HealthCheckConfig unchecked = pool;
    unchecked.enabled = false;
    QCOMPARE(c.backends[2].healthCheck, unchecked);
    QCOMPARE(c.backends[2].circuitBreaker, (CircuitBreakerConfig{100, 0, 0})); // 0: unlimited for this one

    HealthCheckConfig slow = pool;
    slow.intervalMs = 10'000;
    slow.timeoutMs = 5'000;
    QCOMPARE(c.backends[3].healthCheck, slow);
    QCOMPARE(c.backends[3].circuitBreaker, (CircuitBreakerConfig{5, 0, 20}));
}

void TestConfigLoader::backendHealthCheckWithoutPool()
{
    // A backend's own object turns checks on for that backend alone, over the default settings; and it
    // does so even when the pool's object switches them off.
    for (const char *pool : {"", R"(, "health_check": {"enabled": false})"}) {
        const QByteArray members =
            R"("backends": [{"url": "http://a"}, {"url": "http://b", "health_check": {"path": "/up"}}])" +
            QByteArray(pool);
        const ConfigLoadResult result = ConfigLoader::loadJson(doc(members.constData()));
        QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
        QVERIFY(!result.config.healthCheck.enabled);
        QVERIFY(!result.config.backends[0].healthCheck.enabled);
        HealthCheckConfig expected;
        expected.enabled = true;
        expected.path = u"/up"_s;
        QCOMPARE(result.config.backends[1].healthCheck, expected);
    }
}

void TestConfigLoader::backendOverridesAreKept()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"("backends": [
        {"name": "a", "url": "http://a"},
        {"name": "b", "url": "http://b", "health_check": {"fall": 9}},
        {"name": "c", "url": "http://c", "circuit_breaker": {"max_pending_requests": 7}},
        {"name": "d", "url": "http://d", "health_check": {"enabled": false, "expect_body": ""}}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    BackendOverrides b{u"b"_s, {}, {}};
    b.healthCheck.enabled = true; // the object's presence
    b.healthCheck.fall = 9;
    BackendOverrides c{u"c"_s, {}, {}};
    c.circuitBreaker.maxPendingRequests = 7;
    BackendOverrides d{u"d"_s, {}, {}};
    d.healthCheck.enabled = false;
    d.healthCheck.expectBody = QString(); // set, to empty: not the same as unset
    // Only backends that say something of their own, in order.
    QCOMPARE(result.backendOverrides.size(), 3);
    QVERIFY(result.backendOverrides.at(0) == b);
    QVERIFY(result.backendOverrides.at(1) == c);
    QVERIFY(result.backendOverrides.at(2) == d);
}

void TestConfigLoader::crossFieldChecksSkipObjectsWithErrors()
{
    // timeout_ms above interval_ms is not worth a word while the object has another error: the operator
    // may have meant something else altogether.
    ConfigLoadResult result =
        ConfigLoader::loadJson(doc(R"("health_check": {"timeout_ms": 3000, "rise": 0})"));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().field, u"health_check.rise"_s);

    result = ConfigLoader::loadJson(doc(R"("health_check": {"timeout_ms": 3000, "interval": 5000})"));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().field, u"health_check.interval"_s);

    // An invalid value is not compared with the other one.
    result = ConfigLoader::loadJson(doc(R"("health_check": {"interval_ms": 50, "timeout_ms": 1000})"));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().field, u"health_check.interval_ms"_s);

    result = ConfigLoader::loadJson(
        doc(R"("outlier_detection": {"base_ejection_ms": 50000, "max_ejection_ms": 10, "enabled": 1})"));
    QCOMPARE(result.errors.size(), 2);
    QCOMPARE(result.errors.at(0).field, u"outlier_detection.enabled"_s);
    QCOMPARE(result.errors.at(1).field, u"outlier_detection.max_ejection_ms"_s);
    QVERIFY(result.errors.at(1).reason.startsWith(u"must be an integer"));

    result = ConfigLoader::loadJson(
        doc(R"("retries": {"backoff_base_ms": 500, "backoff_max_ms": 100, "retry_statuses": [404]})"));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().field, u"retries.retry_statuses[0]"_s);

    // Both set: the dependent one is blamed.
    result = ConfigLoader::loadJson(doc(R"("retries": {"backoff_base_ms": 500, "backoff_max_ms": 100})"));
    QString mismatch = mismatchOfSingleError(result.errors, u"retries.backoff_max_ms"_s, u"100"_s,
                                             u"must not be less than backoff_base_ms (500)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    result = ConfigLoader::loadJson(doc(R"("health_check": {"interval_ms": 500, "timeout_ms": 600})"));
    mismatch = mismatchOfSingleError(result.errors, u"health_check.timeout_ms"_s, u"600"_s,
                                     u"must not exceed interval_ms (500)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigLoader::backendTimingIsCheckedAgainstThePool()
{
    // The backend's interval is below the pool's timeout: the backend's own field is blamed.
    ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "health_check": {"interval_ms": 10000, "timeout_ms": 4000},
        "backends": [{"url": "http://a"}, {"url": "http://b", "health_check": {"interval_ms": 3000}}])"));
    QString mismatch = mismatchOfSingleError(result.errors, u"backends[1].health_check.interval_ms"_s,
                                             u"3000"_s, u"must not be less than timeout_ms (4000)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    // A pool that is wrong on its own is reported once, not again for every backend that inherits it.
    result = ConfigLoader::loadJson(doc(R"(
        "health_check": {"interval_ms": 1000, "timeout_ms": 4000},
        "backends": [{"url": "http://a"}, {"url": "http://b", "health_check": {"path": "/b"}}])"));
    mismatch = mismatchOfSingleError(result.errors, u"health_check.timeout_ms"_s, u"4000"_s,
                                     u"must not exceed interval_ms (1000)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    // Nor is a backend checked against a pool with errors of its own.
    result = ConfigLoader::loadJson(doc(R"(
        "health_check": {"interval_ms": 5},
        "backends": [{"url": "http://b", "health_check": {"timeout_ms": 1500}}])"));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().field, u"health_check.interval_ms"_s);

    // A backend asking for HEAD where the pool expects a body: the backend's own field is blamed.
    result = ConfigLoader::loadJson(doc(R"(
        "health_check": {"expect_body": "OK"},
        "backends": [{"url": "http://a", "health_check": {"method": "HEAD"}},
                     {"url": "http://b", "health_check": {"method": "HEAD", "expect_body": ""}}])"));
    mismatch = mismatchOfSingleError(result.errors, u"backends[0].health_check.method"_s, u"HEAD"_s,
                                     u"must not be HEAD while expect_body is set"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    // A backend may fix what would be wrong with the pool's timing for it.
    result = ConfigLoader::loadJson(doc(R"(
        "health_check": {"interval_ms": 500, "timeout_ms": 400},
        "backends": [{"url": "http://b", "health_check": {"timeout_ms": 900, "interval_ms": 1000}}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
}

void TestConfigLoader::everyResilienceFieldIsReported()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "backends": [{"url": "http://a", "health_check": {"rise": 0, "path": "x"},
                      "circuit_breaker": {"max_requests": -1}}],
        "panic_mode": "open",
        "health_check": {"method": "", "expect_status": "600", "fall": 0, "x": 1},
        "circuit_breaker": {"max_connections": "many"},
        "outlier_detection": {"consecutive_failures": 0, "max_ejection_percent": 200},
        "retries": {"max_retries": 99, "retry_statuses": [200], "budget_window_ms": 0})"));
    QStringList fields;
    for (const ConfigError &e : result.errors)
        fields.append(e.field);
    QCOMPARE(
        fields,
        (QStringList{u"backends[0].health_check.path"_s, u"backends[0].health_check.rise"_s,
                     u"backends[0].circuit_breaker.max_requests"_s, u"panic_mode"_s, u"health_check.method"_s,
                     u"health_check.expect_status"_s, u"health_check.fall"_s, u"health_check.x"_s,
                     u"circuit_breaker.max_connections"_s, u"outlier_detection.consecutive_failures"_s,
                     u"outlier_detection.max_ejection_percent"_s, u"retries.max_retries"_s,
                     u"retries.retry_statuses[0]"_s, u"retries.budget_window_ms"_s}));
    // Nothing invalid leaks into the result.
    HealthCheckConfig switchedOn; // by the object's presence
    switchedOn.enabled = true;
    QCOMPARE(result.config.healthCheck, switchedOn);
    QCOMPARE(result.config.circuitBreaker, CircuitBreakerConfig{});
    QCOMPARE(result.config.outlierDetection, OutlierDetectionConfig{});
    QCOMPARE(result.config.retries.maxRetries, RetryConfig{}.maxRetries);
    QVERIFY(result.config.retries.retryStatuses.isEmpty());
}

QTEST_GUILESS_MAIN(TestConfigLoader)
#include "tst_configloader.moc"
