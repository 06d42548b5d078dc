// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestPrinting.h"
#include "config/BackendOverrides.h"
#include "config/ConfigLoader.h"
#include "config/RouteValues.h"
#include "config/RoutingValidation.h"

#include <QTest>

#include <functional>

using namespace Qt::StringLiterals;
using namespace fulcrum;

using RouteEdit = std::function<void(RouteConfig &)>;
Q_DECLARE_METATYPE(RouteEdit)

namespace {

// Stands for "no value shown" in the error tables.
constexpr auto kNoValue = "<none>";

QByteArray doc(const QByteArray &members)
{
    return R"({"version": 1, )" + members + '}';
}

// Two pools, "api" and "web", and the given "routes" array.
QByteArray withPools(const QByteArray &routes)
{
    // Not a raw string: moc takes the "//" of a URL in one for a comment, and would miss the test class.
    return doc("\"pools\": [{\"name\": \"api\", \"backends\": [{\"url\": \"http://10.0.0.1\"}]}, "
               "{\"name\": \"web\", \"backends\": [{\"url\": \"http://10.0.0.2\"}]}], \"routes\": " +
               routes);
}

BackendConfig backend(const QString &name, const QString &host, quint16 port, int weight = 1)
{
    BackendConfig b;
    b.name = name;
    b.host = host;
    b.port = port;
    b.weight = weight;
    return b;
}

RouteConfig forward(const QString &name, const QString &pool, std::optional<RouteMatch> match = std::nullopt)
{
    RouteConfig route;
    route.name = name;
    route.pool = pool;
    route.match = match;
    return route;
}

RouteMatch matchPath(const QString &path)
{
    RouteMatch match;
    match.path = path;
    return match;
}

RouteMatch matchPrefix(const QString &prefix)
{
    RouteMatch match;
    match.pathPrefix = prefix;
    return match;
}

PoolConfig pool(const QString &name, const QList<BackendConfig> &backends)
{
    PoolConfig p;
    p.name = name;
    p.backends = backends;
    return p;
}

QStringList fieldsOf(const QList<ConfigError> &errors)
{
    QStringList fields;
    for (const ConfigError &e : errors)
        fields.append(e.field);
    return fields;
}

} // namespace

class TestConfigRouting : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void issueExample();
    void withoutPoolsOrRoutesNothingChanges();
    void validRoute_data();
    void validRoute();
    void poolSettingsInheritance();
    void backendOverridesResolvePerPool();
    void poolBackendDefaultNames();
    void routeRetriesStartFromThePool();
    void routesWithoutPoolsUseTheDefaultPool();
    void onePoolNeedsNoRoutes();
    void invalidConfig_data();
    void invalidConfig();
    void everyRouteErrorIsReported();
    void relationsAreCheckedOnlyBetweenValidEntries();
    void validateRoutingDirectly();
    void routePathNormalForm_data();
    void routePathNormalForm();
    void shippedRoutingExampleLoads();
};

void TestConfigRouting::issueExample()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(R"({"version": 1, "listen": ["127.0.0.1:8080"],
        "pools": [{"name": "api", "backends": [{"name": "a1", "url": "http://127.0.0.1:9001"}]},
                  {"name": "web", "strategy": "least-connections",
                   "backends": [{"name": "w1", "url": "http://127.0.0.1:9002"}]}],
        "routes": [{"match": {"host": "api.example.com"}, "pool": "api"},
                   {"match": {"path_prefix": "/beta"},
                    "split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 20}]},
                   {"match": {"path": "/old"}, "redirect": {"status": 301, "location": "/new"}},
                   {"pool": "web"}]})");
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;
    const RequestPolicy defaults = ConfigLoader::defaultConfig().defaultPolicy();

    PoolConfig api = pool(u"api"_s, {backend(u"a1"_s, u"127.0.0.1"_s, 9001)});
    api.policy = defaults;
    PoolConfig web = pool(u"web"_s, {backend(u"w1"_s, u"127.0.0.1"_s, 9002)});
    web.balancing.strategy = StrategyKind::LeastConnections;
    web.policy = defaults;
    QCOMPARE(c.pools.size(), 2);
    QCOMPARE(c.pools[0], api);
    QCOMPARE(c.pools[1], web);
    QVERIFY(c.backends.isEmpty());

    RouteMatch host;
    host.host = u"api.example.com"_s;
    RouteConfig split = forward(u"route-1"_s, QString(), matchPrefix(u"/beta"_s));
    split.action = RouteActionKind::Split;
    split.split = {{u"web"_s, 80}, {u"api"_s, 20}};
    RouteConfig redirect = forward(u"route-2"_s, QString(), matchPath(u"/old"_s));
    redirect.action = RouteActionKind::Redirect;
    redirect.redirect = {301, u"/new"_s};
    QCOMPARE(c.routes.size(), 4);
    QCOMPARE(c.routes[0], forward(u"route-0"_s, u"api"_s, host));
    QCOMPARE(c.routes[1], split);
    QCOMPARE(c.routes[2], redirect);
    QCOMPARE(c.routes[3], forward(u"route-3"_s, u"web"_s));
    QCOMPARE(c.effectivePools(), c.pools);
    QCOMPARE(c.effectiveRoutes(), c.routes);
    QVERIFY(validateRouting(c.effectivePools(), c.effectiveRoutes()).isEmpty());
}

void TestConfigRouting::withoutPoolsOrRoutesNothingChanges()
{
    const ConfigLoadResult result =
        ConfigLoader::loadJson(doc(R"("backends": [{"url": "http://a"}], "strategy": "random")"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;
    QVERIFY(c.pools.isEmpty());
    QVERIFY(c.routes.isEmpty());
    QCOMPARE(c.backends, QList<BackendConfig>{backend(u"backend-1"_s, u"a"_s, 80)});

    const QList<PoolConfig> pools = c.effectivePools();
    QCOMPARE(pools.size(), 1);
    QCOMPARE(pools[0].name, u"default"_s);
    QCOMPARE(pools[0].backends, c.backends);
    QCOMPARE(pools[0].balancing.strategy, StrategyKind::Random);
    QCOMPARE(pools[0].policy, c.defaultPolicy());
    QCOMPARE(c.effectiveRoutes(), QList<RouteConfig>{forward(u"default"_s, u"default"_s)});
}

void TestConfigRouting::validRoute_data()
{
    QTest::addColumn<QByteArray>("route");
    QTest::addColumn<RouteEdit>("edit");

    const auto row = [](const char *name, const QByteArray &route, RouteEdit edit) {
        QTest::newRow(name) << route << edit;
    };
    const auto withMatch = [](std::function<void(RouteMatch &)> set) {
        return RouteEdit([set](RouteConfig &r) {
            RouteMatch match;
            set(match);
            r.match = match;
        });
    };

    row("pool only", R"({"pool": "api"})", [](RouteConfig &) {});
    row("name", R"({"name": "api.v1_x-2", "pool": "api"})", [](RouteConfig &r) { r.name = u"api.v1_x-2"_s; });
    row("empty match is a match with no condition", R"({"match": {}, "pool": "api"})",
        [](RouteConfig &r) { r.match = RouteMatch{}; });

    // host
    row("host lower-cased, trailing dot dropped", R"({"match": {"host": "API.Example.COM."}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.host = u"api.example.com"_s; }));
    row("host wildcard", R"({"match": {"host": "*.Example.com"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.host = u"*.example.com"_s; }));
    row("host ipv4", R"({"match": {"host": "10.0.0.1"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.host = u"10.0.0.1"_s; }));
    row("host ipv6 keeps its brackets", R"({"match": {"host": "[FD00::1]"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.host = u"[fd00::1]"_s; }));
    row("host with underscore", R"({"match": {"host": "my_svc.internal"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.host = u"my_svc.internal"_s; }));

    // path, path_prefix
    row("path", R"({"match": {"path": "/old"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.path = u"/old"_s; }));
    row("path keeps a trailing slash", R"({"match": {"path": "/dir/"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.path = u"/dir/"_s; }));
    row("path in normal form", R"({"match": {"path": "/a%7e%2fb%41;v=1"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.path = u"/a~%2FbA;v=1"_s; }));
    row("path_prefix without trailing slash", R"({"match": {"path_prefix": "/api/"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.pathPrefix = u"/api"_s; }));
    row("path_prefix root", R"({"match": {"path_prefix": "/"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.pathPrefix = u"/"_s; }));

    // method
    row("method upper-cased", R"({"match": {"method": "get"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.method = u"GET"_s; }));
    row("method extension", R"({"match": {"method": "PURGE"}, "pool": "api"})",
        withMatch([](RouteMatch &m) { m.method = u"PURGE"_s; }));

    // header, query
    row("header value", R"({"match": {"header": {"name": "X-Canary", "value": "1"}}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.headers = {{u"X-Canary"_s, u"1"_s, false}};
        }));
    row("header empty value", R"({"match": {"header": {"name": "X-Canary", "value": ""}}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.headers = {{u"X-Canary"_s, QString(), false}};
        }));
    row("header present",
        R"({"match": {"header": {"name": "Authorization", "present": true}}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.headers = {{u"Authorization"_s, QString(), true}};
        }));
    row("headers array",
        R"({"match": {"header": [{"name": "A", "value": "1"}, {"name": "B", "present": true}]}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.headers = {{u"A"_s, u"1"_s, false}, {u"B"_s, QString(), true}};
        }));
    row("query", R"({"match": {"query": {"name": "beta", "value": "yes please"}}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.query = {{u"beta"_s, u"yes please"_s}};
        }));
    row("query array",
        R"({"match": {"query": [{"name": "a", "value": ""}, {"name": "b", "value": "2"}]}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.query = {{u"a"_s, QString()}, {u"b"_s, u"2"_s}};
        }));
    row("every condition",
        R"({"match": {"host": "a.example", "path_prefix": "/x", "method": "POST",
                      "header": {"name": "H", "value": "v"}, "query": {"name": "q", "value": "1"}}, "pool": "api"})",
        withMatch([](RouteMatch &m) {
            m.host = u"a.example"_s;
            m.pathPrefix = u"/x"_s;
            m.method = u"POST"_s;
            m.headers = {{u"H"_s, u"v"_s, false}};
            m.query = {{u"q"_s, u"1"_s}};
        }));

    // actions
    row("split, a weight of 0 included",
        R"({"split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 0}]})", [](RouteConfig &r) {
            r.pool.clear();
            r.action = RouteActionKind::Split;
            r.split = {{u"web"_s, 80}, {u"api"_s, 0}};
        });
    row("split with sticky cookie",
        R"({"split": [{"pool": "web", "weight": 10000}], "sticky_cookie": {"name": "canary", "max_age_s": 600}})",
        [](RouteConfig &r) {
            r.pool.clear();
            r.action = RouteActionKind::Split;
            r.split = {{u"web"_s, 10000}};
            r.stickyCookie = {u"canary"_s, 600};
        });
    row("redirect defaults to 302", R"({"redirect": {"location": "https://{host}{path}?{query}"}})",
        [](RouteConfig &r) {
            r.pool.clear();
            r.action = RouteActionKind::Redirect;
            r.redirect = {302, u"https://{host}{path}?{query}"_s};
        });
    row("redirect 308", R"({"redirect": {"status": 308, "location": "/new"}})", [](RouteConfig &r) {
        r.pool.clear();
        r.action = RouteActionKind::Redirect;
        r.redirect = {308, u"/new"_s};
    });
    row("respond defaults", R"({"respond": {}})", [](RouteConfig &r) {
        r.pool.clear();
        r.action = RouteActionKind::Respond;
    });
    row("respond", R"({"respond": {"status": 503, "body": "down ✓", "content_type": "text/html"}})",
        [](RouteConfig &r) {
            r.pool.clear();
            r.action = RouteActionKind::Respond;
            r.respond = {503, u"down ✓"_s.toUtf8(), u"text/html"_s};
        });
    row("respond 204 without body", R"({"respond": {"status": 204}})", [](RouteConfig &r) {
        r.pool.clear();
        r.action = RouteActionKind::Respond;
        r.respond.status = 204;
    });

    // options
    row("request headers",
        R"({"pool": "api", "request_headers": {"add": {"X-B": "2", "X-A": "1"},
            "set": {"Host": "internal", "X-Env": ""}, "remove": ["Cookie", "x-debug"]}})",
        [](RouteConfig &r) {
            r.requestHeaders.add = {{"X-A", "1"}, {"X-B", "2"}}; // in name order
            r.requestHeaders.set = {{"Host", "internal"}, {"X-Env", ""}};
            r.requestHeaders.remove = {"Cookie", "x-debug"};
        });
    row("response headers on respond",
        R"({"respond": {}, "response_headers": {"set": {"Cache-Control": "no-store"}, "remove": ["Host"]}})",
        [](RouteConfig &r) {
            r.pool.clear();
            r.action = RouteActionKind::Respond;
            r.responseHeaders.set = {{"Cache-Control", "no-store"}};
            r.responseHeaders.remove = {"Host"};
        });
    row("strip_prefix", R"({"match": {"path_prefix": "/api"}, "pool": "api", "strip_prefix": "/api/"})",
        [](RouteConfig &r) {
            r.match = matchPrefix(u"/api"_s);
            r.rewrite = {u"/api"_s, QString()};
        });
    row("strip_prefix deeper than the match", R"({"match": {"path_prefix": "/a"}, "pool": "api",
                                                  "strip_prefix": "/a/b"})",
        [](RouteConfig &r) {
            r.match = matchPrefix(u"/a"_s);
            r.rewrite = {u"/a/b"_s, QString()};
        });
    row("replace_prefix", R"({"pool": "api", "replace_prefix": {"from": "/v1", "to": "/v2/"}})",
        [](RouteConfig &r) {
            r.rewrite = {u"/v1"_s, u"/v2"_s};
        });
    row("replace_prefix to / strips", R"({"match": {"path": "/v1/x"}, "pool": "api",
                                         "replace_prefix": {"from": "/v1", "to": "/"}})",
        [](RouteConfig &r) {
            r.match = matchPath(u"/v1/x"_s);
            r.rewrite = {u"/v1"_s, QString()};
        });
    row("overrides",
        R"({"pool": "api", "retries": {"max_retries": 0}, "timeouts": {"upstream_connect_ms": 100,
            "upstream_response_ms": 5000}, "max_body_bytes": 1024})",
        [](RouteConfig &r) {
            RetryConfig retries;
            retries.maxRetries = 0;
            r.overrides = {retries, 100, 5000, 1024};
        });
    row("max_body_bytes 0 is set, not absent", R"({"pool": "api", "max_body_bytes": 0})",
        [](RouteConfig &r) { r.overrides.maxBodyBytes = 0; });
}

void TestConfigRouting::validRoute()
{
    QFETCH(QByteArray, route);
    QFETCH(RouteEdit, edit);
    const ConfigLoadResult result = ConfigLoader::loadJson(withPools('[' + route + ']'));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    RouteConfig expected = forward(u"route-0"_s, u"api"_s);
    edit(expected);
    QCOMPARE(result.config.routes, QList<RouteConfig>{expected});
}

void TestConfigRouting::poolSettingsInheritance()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "strategy": "consistent-hash", "hash_key": "header:X-Tenant", "sticky_cookie": {"name": "srv"},
        "slow_start_ms": 5000, "panic_mode": "fail-open",
        "health_check": {"path": "/hz", "interval_ms": 5000}, "circuit_breaker": {"max_connections": 100},
        "retries": {"max_retries": 3, "retry_statuses": [502]},
        "timeouts": {"upstream_connect_ms": 1000, "upstream_response_ms": 2000, "drain_ms": 7000},
        "limits": {"max_body_bytes": 4096},
        "pools": [
            {"name": "inherits", "backends": [{"url": "http://a"}]},
            {"name": "own", "strategy": "least-connections", "panic_mode": "fail-closed", "slow_start_ms": 0,
             "sticky_cookie": {"name": "own", "max_age_s": 60}, "health_check": {"rise": 5},
             "circuit_breaker": {"max_requests": 10}, "retries": {"max_retries": 0},
             "timeouts": {"upstream_response_ms": 30000}, "max_body_bytes": 0,
             "backends": [{"name": "o1", "url": "http://b", "health_check": {"path": "/o1"},
                           "circuit_breaker": {"max_connections": 5}},
                          {"url": "http://c:81", "weight": 3, "slow_start_ms": 10}]},
            {"name": "hashed", "hash_key": "path", "backends": []}],
        "routes": [{"match": {"path_prefix": "/own"}, "pool": "own"},
                   {"match": {"path_prefix": "/h"}, "pool": "hashed"}, {"pool": "inherits"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;
    QCOMPARE(c.pools.size(), 3);
    QVERIFY(c.backends.isEmpty());

    // Top level -> pool: whatever a pool does not set.
    const BalancingConfig topBalancing{StrategyKind::ConsistentHash,
                                       {HashKey::Source::Header, u"X-Tenant"_s},
                                       {u"srv"_s, 0},
                                       5000,
                                       PanicMode::FailOpen};
    HealthCheckConfig topHealth;
    topHealth.enabled = true;
    topHealth.path = u"/hz"_s;
    topHealth.intervalMs = 5000;
    const CircuitBreakerConfig topBreaker{100, 0, 0};
    RetryConfig topRetries;
    topRetries.maxRetries = 3;
    topRetries.retryStatuses = {502};
    const RequestPolicy topPolicy{topRetries, 1000, 2000, 4096};
    QCOMPARE(c.defaultPolicy(), topPolicy);

    const PoolConfig &inherits = c.pools[0];
    QCOMPARE(inherits.balancing, topBalancing);
    QCOMPARE(inherits.healthCheck, topHealth);
    QCOMPARE(inherits.circuitBreaker, topBreaker);
    QCOMPARE(inherits.policy, topPolicy);
    BackendConfig a = backend(u"inherits-1"_s, u"a"_s, 80);
    a.healthCheck = topHealth;
    a.circuitBreaker = topBreaker;
    QCOMPARE(inherits.backends, QList<BackendConfig>{a});

    // The pool's own keys, field by field where the top level's are objects.
    const PoolConfig &own = c.pools[1];
    // Its strategy does not hash, so the top level's hash key went with the top level's strategy.
    QCOMPARE(own.balancing,
             (BalancingConfig{
                 StrategyKind::LeastConnections, HashKey{}, {u"own"_s, 60}, 0, PanicMode::FailClosed}));
    HealthCheckConfig ownHealth = topHealth;
    ownHealth.rise = 5;
    QCOMPARE(own.healthCheck, ownHealth);
    QCOMPARE(own.circuitBreaker, (CircuitBreakerConfig{100, 0, 10}));
    RetryConfig ownRetries = topRetries;
    ownRetries.maxRetries = 0;
    QCOMPARE(own.policy, (RequestPolicy{ownRetries, 1000, 30000, 0}));

    // Pool -> backend.
    QCOMPARE(own.backends.size(), 2);
    HealthCheckConfig o1Health = ownHealth;
    o1Health.path = u"/o1"_s;
    QCOMPARE(own.backends[0].healthCheck, o1Health);
    QCOMPARE(own.backends[0].circuitBreaker, (CircuitBreakerConfig{5, 0, 10}));
    BackendConfig second = backend(u"own-2"_s, u"c"_s, 81, 3);
    second.slowStartMs = 10;
    second.healthCheck = ownHealth;
    second.circuitBreaker = own.circuitBreaker;
    QCOMPARE(own.backends[1], second);

    // A key of its own on top of the inherited strategy.
    BalancingConfig hashed = topBalancing;
    hashed.hashKey = {HashKey::Source::Path, QString()};
    QCOMPARE(c.pools[2].balancing, hashed);
    QVERIFY(c.pools[2].backends.isEmpty());

    // A backend added later (admin API) gets its pool's settings.
    const BackendConfig added = c.withPoolSettings(backend(u"new"_s, u"d"_s, 80), u"own"_s);
    QCOMPARE(added.healthCheck, ownHealth);
    QCOMPARE(added.circuitBreaker, own.circuitBreaker);
}

void TestConfigRouting::backendOverridesResolvePerPool()
{
    ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "pools": [{"name": "p", "health_check": {"path": "/p"},
                   "backends": [{"name": "mine", "url": "http://a", "health_check": {"fall": 9}},
                                {"name": "plain", "url": "http://b"}]},
                  {"name": "q", "backends": [{"name": "other", "url": "http://c",
                                              "circuit_breaker": {"max_requests": 4}}]}],
        "routes": [{"match": {"path_prefix": "/q"}, "pool": "q"}, {"pool": "p"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.backendOverrides.size(), 2);
    QCOMPARE(result.backendOverrides[0].backend, u"mine"_s);
    QCOMPARE(result.backendOverrides[1].backend, u"other"_s);

    // A pool changed after loading: its backends take the change, their own settings stay on top.
    ProxyConfig &c = result.config;
    c.pools[0].healthCheck.path = u"/changed"_s;
    c.pools[1].circuitBreaker.maxConnections = 7;
    resolveBackendSettings(c, result.backendOverrides);
    HealthCheckConfig plain = c.pools[0].healthCheck;
    QCOMPARE(c.pools[0].backends[1].healthCheck, plain);
    HealthCheckConfig mine = plain;
    mine.fall = 9;
    QCOMPARE(c.pools[0].backends[0].healthCheck, mine);
    QCOMPARE(c.pools[1].backends[0].circuitBreaker, (CircuitBreakerConfig{7, 0, 4}));
    QVERIFY(!c.pools[1].backends[0].healthCheck.enabled);
}

void TestConfigRouting::poolBackendDefaultNames()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "pools": [{"name": "api", "backends": [{"url": "http://a"}, {"name": "x", "url": "http://b"},
                                               {"url": "http://c"}]},
                  {"name": "web", "backends": [{"url": "http://d"}]}],
        "routes": [{"match": {"path_prefix": "/api"}, "pool": "api"}, {"pool": "web"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.pools[0].backends,
             (QList<BackendConfig>{backend(u"api-1"_s, u"a"_s, 80), backend(u"x"_s, u"b"_s, 80),
                                   backend(u"api-3"_s, u"c"_s, 80)}));
    QCOMPARE(result.config.pools[1].backends, QList<BackendConfig>{backend(u"web-1"_s, u"d"_s, 80)});
}

void TestConfigRouting::routeRetriesStartFromThePool()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(doc(R"(
        "retries": {"retry_statuses": [502]},
        "pools": [{"name": "api", "retries": {"max_retries": 5}, "backends": [{"url": "http://a"}]},
                  {"name": "web", "backends": [{"url": "http://b"}]}],
        "routes": [{"match": {"path": "/one"}, "pool": "api", "retries": {"backoff_max_ms": 100}},
                   {"match": {"path": "/two"}, "retries": {"budget_percent": 5},
                    "split": [{"pool": "api", "weight": 1}, {"pool": "web", "weight": 1}]},
                   {"pool": "web"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    RetryConfig forwarded;
    forwarded.retryStatuses = {502};
    forwarded.maxRetries = 5;
    forwarded.backoffMaxMs = 100;
    QCOMPARE(result.config.routes[0].overrides.retries, std::optional<RetryConfig>(forwarded));
    // A split's pools may differ: its retries start from the top level's.
    RetryConfig split;
    split.retryStatuses = {502};
    split.budgetPercent = 5;
    QCOMPARE(result.config.routes[1].overrides.retries, std::optional<RetryConfig>(split));
    QVERIFY(!result.config.routes[2].overrides.retries);
    // What the route does not override is its pool's.
    QCOMPARE(result.config.routes[0].overrides.appliedTo(result.config.pools[0].policy).retries, forwarded);
}

void TestConfigRouting::routesWithoutPoolsUseTheDefaultPool()
{
    ConfigLoadResult result = ConfigLoader::loadJson(doc(R"("backends": [{"url": "http://a"}],
        "routes": [{"match": {"path": "/health"}, "respond": {"body": "ok"}}, {"pool": "default"}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QVERIFY(result.config.pools.isEmpty());
    QCOMPARE(result.config.routes.size(), 2);
    QCOMPARE(result.config.effectivePools().constFirst().backends, result.config.backends);
    // Unnamed backends keep their names.
    QCOMPARE(result.config.backends.constFirst().name, u"backend-1"_s);

    result = ConfigLoader::loadJson(doc(R"("backends": [{"url": "http://a"}], "routes": [{"pool": "api"}])"));
    const QString mismatch = mismatchOfSingleError(result.errors, u"routes[0].pool"_s, u"api"_s,
                                                   u"unknown pool (the pools are \"default\")"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestConfigRouting::onePoolNeedsNoRoutes()
{
    const ConfigLoadResult result =
        ConfigLoader::loadJson(doc(R"("pools": [{"name": "only", "backends": [{"url": "http://a"}]}])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QVERIFY(result.config.routes.isEmpty());
    QCOMPARE(result.config.effectiveRoutes(), QList<RouteConfig>{forward(u"default"_s, u"only"_s)});
}

void TestConfigRouting::invalidConfig_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("reason");

    const auto row = [](const char *name, const QByteArray &json, const char *field, const char *value,
                        const char *reason) {
        QTest::newRow(name) << json << QString::fromUtf8(field) << QString::fromUtf8(value)
                            << QString::fromUtf8(reason);
    };
    // One route, then a catch-all when the route is not one itself.
    const auto route = [&row](const char *name, const QByteArray &json, const char *field, const char *value,
                              const char *reason) {
        row(name, withPools('[' + json + ']'), field, value, reason);
    };
    // Pools of one's own, with a catch-all route to the first.
    const auto pools = [&row](const char *name, const QByteArray &json, const char *field, const char *value,
                              const char *reason) {
        row(name, doc(R"("routes": [{"pool": "p"}], "pools": )" + json), field, value, reason);
    };

    // routes
    row("routes not an array", withPools("{}"), "routes", "{}", "must be an array of objects, not an object");
    route("route not an object", "1", "routes[0]", "1", "must be an object, not a number");
    route("no action", R"({"match": {"path": "/x"}})", "routes[0]", kNoValue,
          R"(needs an action: "pool", "split", "redirect" or "respond")");
    route("two actions", R"({"pool": "api", "respond": {}})", "routes[0]", kNoValue,
          R"(has more than one action ("pool", "respond"): give exactly one)");
    route("unknown route field", R"({"pool": "api", "pools": 1})", "routes[0].pools", kNoValue,
          R"(unknown field (did you mean "pool"?))");
    route("route name", R"({"name": "a b", "pool": "api"})", "routes[0].name", "a b",
          "must be 1 to 64 characters from A-Z a-z 0-9 . _ -");
    route("pool not a string", R"({"pool": 5})", "routes[0].pool", "5", "must be a string, not a number");
    route("pool empty", R"({"pool": ""})", "routes[0].pool", "", "must be 1 to 64 characters");
    route("unknown pool", R"({"pool": "nope"})", "routes[0].pool", "nope",
          R"(unknown pool (the pools are "api", "web"))");

    // split
    route("split unknown pool", R"({"split": [{"pool": "web", "weight": 1}, {"pool": "nope", "weight": 1}]})",
          "routes[0].split[1].pool", "nope", "unknown pool");
    route("split pool repeated", R"({"split": [{"pool": "web", "weight": 1}, {"pool": "web", "weight": 2}]})",
          "routes[0].split[1].pool", "web", "pool already in this split (split[0])");
    route("split empty", R"({"split": []})", "routes[0].split", kNoValue, "must list at least one pool");
    route("split all zero", R"({"split": [{"pool": "web", "weight": 0}, {"pool": "api", "weight": 0}]})",
          "routes[0].split", kNoValue, "weights must not all be 0");
    route("split weight too big", R"({"split": [{"pool": "web", "weight": 10001}]})",
          "routes[0].split[0].weight", "10001", "must be an integer from 0 to 10000");
    route("split weight negative", R"({"split": [{"pool": "web", "weight": -1}]})",
          "routes[0].split[0].weight", "-1", "must be an integer from 0 to 10000");
    route("split weight missing", R"({"split": [{"pool": "web"}]})", "routes[0].split[0].weight", kNoValue,
          "is required");
    route("split pool missing", R"({"split": [{"weight": 1}]})", "routes[0].split[0].pool", kNoValue,
          "is required");
    route("split entry unknown field", R"({"split": [{"pool": "web", "weight": 1, "weigth": 2}]})",
          "routes[0].split[0].weigth", kNoValue, R"(unknown field (did you mean "weight"?))");
    route("split not an array", R"({"split": {"pool": "web", "weight": 1}})", "routes[0].split",
          R"({"pool":"web","weight":1})", "must be an array of objects, not an object");
    route("split entry not an object", R"({"split": ["web"]})", "routes[0].split[0]", "web",
          "must be an object, not a string");

    // redirect, respond
    route("redirect status", R"({"redirect": {"status": 300, "location": "/"}})", "routes[0].redirect.status",
          "300", "must be 301, 302, 303, 307 or 308");
    route("redirect status string", R"({"redirect": {"status": "301", "location": "/"}})",
          "routes[0].redirect.status", "301", "must be 301, 302, 303, 307 or 308");
    route("redirect without location", R"({"redirect": {"status": 301}})", "routes[0].redirect.location",
          kNoValue, "is required");
    route("redirect empty location", R"({"redirect": {"location": ""}})", "routes[0].redirect.location", "",
          "must not be empty");
    route("redirect unknown placeholder", R"({"redirect": {"location": "https://{hostname}/"}})",
          "routes[0].redirect.location", "https://{hostname}/", "unknown placeholder {hostname}");
    route("redirect stray brace", R"({"redirect": {"location": "/a}"}})", "routes[0].redirect.location",
          "/a}", "a brace must be part of {host}, {path} or {query}");
    route("redirect location with space", R"({"redirect": {"location": "/a b"}})",
          "routes[0].redirect.location", "/a b", "must be visible ASCII characters");
    route("redirect not an object", R"({"redirect": "/new"})", "routes[0].redirect", "/new",
          "must be an object, not a string");
    route("respond status too low", R"({"respond": {"status": 101}})", "routes[0].respond.status", "101",
          "must be an integer from 200 to 599");
    route("respond status too high", R"({"respond": {"status": 600}})", "routes[0].respond.status", "600",
          "must be an integer from 200 to 599");
    route("respond 204 with body", R"({"respond": {"status": 204, "body": "x"}})", "routes[0].respond.body",
          "x", "must be empty with status 204 (such a response has no body)");
    route("respond 304 with body", R"({"respond": {"status": 304, "body": "x"}})", "routes[0].respond.body",
          "x", "must be empty with status 304");
    route("respond empty content type", R"({"respond": {"content_type": ""}})",
          "routes[0].respond.content_type", "", "must not be empty");
    route("respond content type with newline", R"({"respond": {"content_type": "a\nb"}})",
          "routes[0].respond.content_type", "a\nb", "must not contain control characters");
    route("respond body not a string", R"({"respond": {"body": 5}})", "routes[0].respond.body", "5",
          "must be a string, not a number");

    // match
    route("match not an object", R"({"match": "/x", "pool": "api"})", "routes[0].match", "/x",
          "must be an object, not a string");
    route("match unknown field", R"({"match": {"pathprefix": "/x"}, "pool": "api"})",
          "routes[0].match.pathprefix", kNoValue, R"(unknown field (did you mean "path_prefix"?))");
    route("host with port", R"({"match": {"host": "example.com:8080"}, "pool": "api"})",
          "routes[0].match.host", "example.com:8080", "must not have a port");
    route("ipv6 host with port", R"({"match": {"host": "[::1]:80"}, "pool": "api"})", "routes[0].match.host",
          "[::1]:80", "must not have a port");
    route("host bare wildcard", R"({"match": {"host": "*"}, "pool": "api"})", "routes[0].match.host", "*",
          "must be a host name");
    route("host inner wildcard", R"({"match": {"host": "a.*.com"}, "pool": "api"})", "routes[0].match.host",
          "a.*.com", "must be a host name");
    route("host bad ipv4", R"({"match": {"host": "300.1.1.1"}, "pool": "api"})", "routes[0].match.host",
          "300.1.1.1", "not a valid IPv4 address");
    route("host bad ipv6", R"({"match": {"host": "[::g]"}, "pool": "api"})", "routes[0].match.host", "[::g]",
          "not a valid IPv6 address");
    route("host empty", R"({"match": {"host": ""}, "pool": "api"})", "routes[0].match.host", "",
          "must be a host name");
    route("path relative", R"({"match": {"path": "old"}, "pool": "api"})", "routes[0].match.path", "old",
          R"(must start with "/")");
    route("path with query", R"({"match": {"path": "/a?b=1"}, "pool": "api"})", "routes[0].match.path",
          "/a?b=1", "must not contain '?' (match the query with \"query\")");
    route("path with fragment", R"({"match": {"path": "/a#b"}, "pool": "api"})", "routes[0].match.path",
          "/a#b", "must not contain '#'");
    route("path dot segment", R"({"match": {"path": "/a/../b"}, "pool": "api"})", "routes[0].match.path",
          "/a/../b", R"(must not have "." or ".." segments)");
    route("path encoded dot segment", R"({"match": {"path": "/a/%2e%2E/b"}, "pool": "api"})",
          "routes[0].match.path", "/a/%2e%2E/b", R"(must not have "." or ".." segments)");
    route("path empty segment", R"({"match": {"path": "/a//b"}, "pool": "api"})", "routes[0].match.path",
          "/a//b", "must not have empty segments");
    route("path space", R"({"match": {"path": "/a b"}, "pool": "api"})", "routes[0].match.path", "/a b",
          "must not contain a space (percent-encode it, as clients send it)");
    route("path non-ascii", R"({"match": {"path": "/café"}, "pool": "api"})", "routes[0].match.path", "/café",
          "must not contain 'é'");
    route("path bad escape", R"({"match": {"path": "/%zz"}, "pool": "api"})", "routes[0].match.path", "/%zz",
          "'%' must be followed by two hex digits");
    route("path short escape", R"({"match": {"path": "/a%2"}, "pool": "api"})", "routes[0].match.path",
          "/a%2", "'%' must be followed by two hex digits");
    route("path encoded control", R"({"match": {"path": "/a%00"}, "pool": "api"})", "routes[0].match.path",
          "/a%00", "must not encode a control character");
    route("path_prefix relative", R"({"match": {"path_prefix": "api"}, "pool": "api"})",
          "routes[0].match.path_prefix", "api", R"(must start with "/")");
    route("path and path_prefix", R"({"match": {"path": "/a", "path_prefix": "/a"}, "pool": "api"})",
          "routes[0].match.path_prefix", kNoValue, R"(must not be given with "path")");
    route("method not a token", R"({"match": {"method": "GE T"}, "pool": "api"})", "routes[0].match.method",
          "GE T", "must be 1 to 256 characters from");
    route("header without name", R"({"match": {"header": {"value": "1"}}, "pool": "api"})",
          "routes[0].match.header.name", kNoValue, "is required");
    route("header bad name", R"({"match": {"header": {"name": "X Y", "value": "1"}}, "pool": "api"})",
          "routes[0].match.header.name", "X Y", "must be 1 to 256 characters");
    route("header without value or present", R"({"match": {"header": {"name": "X"}}, "pool": "api"})",
          "routes[0].match.header", kNoValue, R"(needs "value", or "present": true)");
    route("header value and present", R"({"match": {"header": {"name": "X", "value": "1", "present": true}},
                                          "pool": "api"})",
          "routes[0].match.header.present", kNoValue, R"(must not be given with "value")");
    route("header present false", R"({"match": {"header": {"name": "X", "present": false}}, "pool": "api"})",
          "routes[0].match.header.present", "false", "must be true (a header's absence cannot be matched)");
    route("header value with newline",
          R"({"match": {"header": {"name": "X", "value": "a\r\nb"}}, "pool": "api"})",
          "routes[0].match.header.value", "a\r\nb", "must not contain control characters");
    route("header entry not an object", R"({"match": {"header": [{"name": "X", "present": true}, "Y"]},
                                           "pool": "api"})",
          "routes[0].match.header[1]", "Y", "must be an object, not a string");
    route("header a string", R"({"match": {"header": "X"}, "pool": "api"})", "routes[0].match.header", "X",
          "must be an object or an array of objects, not a string");
    route("header unknown field",
          R"({"match": {"header": {"name": "X", "value": "1", "nmae": 1}}, "pool": "api"})",
          "routes[0].match.header.nmae", kNoValue, R"(unknown field (did you mean "name"?))");
    route("query without value", R"({"match": {"query": {"name": "a"}}, "pool": "api"})",
          "routes[0].match.query.value", kNoValue, "is required");
    route("query empty name", R"({"match": {"query": [{"name": "", "value": "1"}]}, "pool": "api"})",
          "routes[0].match.query[0].name", "", "must not be empty");

    // options
    route("sticky cookie on a pool route", R"({"pool": "api", "sticky_cookie": {"name": "c"}})",
          "routes[0].sticky_cookie", kNoValue, R"(only applies to a "split" route)");
    route("sticky cookie without name", R"({"split": [{"pool": "api", "weight": 1}], "sticky_cookie": {}})",
          "routes[0].sticky_cookie.name", kNoValue, "is required");
    route("request headers on a redirect", R"({"redirect": {"location": "/"}, "request_headers": {}})",
          "routes[0].request_headers", kNoValue,
          R"(only applies to a route that forwards (with "pool" or "split"))");
    route("strip_prefix on respond", R"({"respond": {}, "strip_prefix": "/a"})", "routes[0].strip_prefix",
          kNoValue, "only applies to a route that forwards");
    route("retries on respond", R"({"respond": {}, "retries": {"max_retries": 1}})", "routes[0].retries",
          kNoValue, "only applies to a route that forwards");
    route("max_body_bytes on redirect", R"({"redirect": {"location": "/"}, "max_body_bytes": 1})",
          "routes[0].max_body_bytes", kNoValue, "only applies to a route that forwards");
    route("set Content-Length", R"({"pool": "api", "request_headers": {"set": {"Content-Length": "1"}}})",
          "routes[0].request_headers.set", "Content-Length", "must not be changed: it frames the message");
    route("add Transfer-Encoding",
          R"({"respond": {}, "response_headers": {"add": {"transfer-encoding": "x"}}})",
          "routes[0].response_headers.add", "transfer-encoding",
          "must not be changed: it frames the message");
    route("remove Connection", R"({"pool": "api", "request_headers": {"remove": ["Connection"]}})",
          "routes[0].request_headers.remove[0]", "Connection", "must not be changed: a hop-by-hop header");
    route("set Upgrade", R"({"pool": "api", "response_headers": {"set": {"Upgrade": "h2c"}}})",
          "routes[0].response_headers.set", "Upgrade", "hop-by-hop");
    route("add Host", R"({"pool": "api", "request_headers": {"add": {"Host": "x"}}})",
          "routes[0].request_headers.add", "Host", "may only be replaced (\"set\")");
    route("remove Host", R"({"pool": "api", "request_headers": {"remove": ["host"]}})",
          "routes[0].request_headers.remove[0]", "host", "may only be replaced");
    route("set a header twice", R"({"pool": "api", "request_headers": {"set": {"X-A": "1", "x-a": "2"}}})",
          "routes[0].request_headers.set", "x-a", "duplicate header name");
    route("remove a header twice", R"({"pool": "api", "request_headers": {"remove": ["X-A", "x-a"]}})",
          "routes[0].request_headers.remove[1]", "x-a", "duplicate header name");
    route("header rule name", R"({"pool": "api", "request_headers": {"add": {"X Y": "1"}}})",
          "routes[0].request_headers.add", "X Y", "must be 1 to 256 characters");
    route("header rule value type", R"({"pool": "api", "request_headers": {"set": {"X-A": 5}}})",
          "routes[0].request_headers.set.X-A", "5", "must be a string, not a number");
    route("header rule value control", R"({"pool": "api", "request_headers": {"set": {"X-A": "a\u0007"}}})",
          "routes[0].request_headers.set.X-A", "a\x07", "must not contain control");
    route("header rules unknown field", R"({"pool": "api", "request_headers": {"replace": {}}})",
          "routes[0].request_headers.replace", kNoValue, "unknown field");
    route("header rules add not an object", R"({"pool": "api", "request_headers": {"add": ["X-A"]}})",
          "routes[0].request_headers.add", R"(["X-A"])", "must be an object of header names and values");
    route("header rules remove not an array", R"({"pool": "api", "request_headers": {"remove": "X-A"}})",
          "routes[0].request_headers.remove", "X-A", "must be an array of strings, not a string");
    route("strip and replace",
          R"({"pool": "api", "strip_prefix": "/a", "replace_prefix": {"from": "/a", "to": "/b"}})",
          "routes[0].replace_prefix", kNoValue, R"(must not be given with "strip_prefix")");
    route("replace_prefix without to", R"({"pool": "api", "replace_prefix": {"from": "/a"}})",
          "routes[0].replace_prefix.to", kNoValue, "is required");
    route("replace_prefix to relative", R"({"pool": "api", "replace_prefix": {"from": "/a", "to": "b"}})",
          "routes[0].replace_prefix.to", "b", R"(must start with "/")");
    route("strip_prefix relative", R"({"pool": "api", "strip_prefix": "api"})", "routes[0].strip_prefix",
          "api", R"(must start with "/")");
    route("strip_prefix outside the match", R"({"match": {"path_prefix": "/api"}, "pool": "api",
                                               "strip_prefix": "/web"})",
          "routes[0].strip_prefix", "/web", R"(never applies: this route only matches paths under "/api")");
    route("strip_prefix not on a segment", R"({"match": {"path_prefix": "/api"}, "pool": "api",
                                              "strip_prefix": "/ap"})",
          "routes[0].strip_prefix", "/ap", "never applies");
    route("replace_prefix outside the path", R"({"match": {"path": "/x"}, "pool": "api",
                                                "replace_prefix": {"from": "/y", "to": "/z"}})",
          "routes[0].replace_prefix.from", "/y", R"(never applies: this route only matches the path "/x")");
    route("route timeouts proxy-wide", R"({"pool": "api", "timeouts": {"client_idle_ms": 5}})",
          "routes[0].timeouts.client_idle_ms", "5",
          "not allowed in a route (only upstream_connect_ms and upstream_response_ms are");
    route("route timeouts unknown", R"({"pool": "api", "timeouts": {"connect_ms": 5}})",
          "routes[0].timeouts.connect_ms", kNoValue, "unknown field");
    route("route timeout range", R"({"pool": "api", "timeouts": {"upstream_connect_ms": 0}})",
          "routes[0].timeouts.upstream_connect_ms", "0", "must be an integer from 1 to 86400000");
    route("route max_body_bytes", R"({"pool": "api", "max_body_bytes": -1})", "routes[0].max_body_bytes",
          "-1", "must be an integer from 0 to 9007199254740991");
    route("route retries", R"({"pool": "api", "retries": {"max_retries": 11}})",
          "routes[0].retries.max_retries", "11", "must be an integer from 0 to 10");
    route("route retries backoff order", R"({"pool": "api", "retries": {"backoff_base_ms": 300}})",
          "routes[0].retries.backoff_base_ms", "300", "must not exceed backoff_max_ms (250)");

    // relations between routes
    row("duplicate route names",
        withPools(R"([{"name": "a", "match": {"path": "/a"}, "pool": "api"}, {"name": "a", "pool": "web"}])"),
        "routes[1].name", "a", "duplicate route name (also routes[0])");
    row("default name taken", withPools(R"([{"name": "route-1", "match": {"path": "/a"}, "pool": "api"},
                                            {"pool": "web"}])"),
        "routes[1].name", "route-1", "duplicate route name (also routes[0])");
    row("after a catch-all", withPools(R"([{"pool": "api"}, {"match": {"path": "/x"}, "pool": "web"}])"),
        "routes[1]", kNoValue, "unreachable: routes[0] before it matches every request");
    row("after an empty match", withPools(R"([{"match": {}, "pool": "api"}, {"pool": "web"}])"), "routes[1]",
        kNoValue, "unreachable: routes[0] before it matches every request");
    row("same match twice",
        withPools(R"([{"match": {"path_prefix": "/x/"}, "pool": "api"}, {"match": {"path_prefix": "/x"},
                      "respond": {}}])"),
        "routes[1]", kNoValue, "unreachable: routes[0] before it has the same match");

    // pools
    row("pools not an array", doc(R"("pools": {})"), "pools", "{}",
        "must be an array of objects, not an object");
    row("pools empty", doc(R"("pools": [])"), "pools", "[]",
        R"(must list at least one pool (leave "pools" out)");
    pools("pool not an object", R"(["p"])", "pools[0]", "p", "must be an object, not a string");
    pools("pool without name", R"([{"backends": []}])", "pools[0].name", kNoValue, "is required");
    pools("pool name", R"([{"name": "p q", "backends": []}])", "pools[0].name", "p q",
          "must be 1 to 64 characters from A-Z a-z 0-9 . _ -");
    pools("duplicate pool name", R"([{"name": "p", "backends": []}, {"name": "p", "backends": []}])",
          "pools[1].name", "p", "duplicate pool name (also pools[0])");
    pools("pool without backends", R"([{"name": "p"}])", "pools[0].backends", kNoValue, "is required");
    pools("pool backends not an array", R"([{"name": "p", "backends": {}}])", "pools[0].backends", "{}",
          "must be an array of objects, not an object");
    pools("pool backend url", R"([{"name": "p", "backends": [{"url": "https://a/x"}]}])",
          "pools[0].backends[0].url", "https://a/x", "path must be empty");
    pools(
        "duplicate backend in a pool",
        R"([{"name": "p", "backends": [{"name": "a", "url": "http://a"}, {"name": "a", "url": "http://b"}]}])",
        "pools[0].backends[1].name", "a", "duplicate backend name");
    pools("duplicate backend across pools", R"([{"name": "p", "backends": [{"name": "a", "url": "http://a"}]},
                                                {"name": "q", "backends": [{"name": "a", "url": "http://b"}]}])",
          "pools[1].backends[0].name", "a", R"(duplicate backend name (also in pool "p"; names are unique)");
    pools("explicit name takes a default one", R"([{"name": "p", "backends": [{"url": "http://a"}]},
                                                   {"name": "q", "backends": [{"name": "p-1", "url": "http://b"}]}])",
          "pools[1].backends[0].name", "p-1", R"(duplicate backend name (also in pool "p";)");
    pools("default name too long",
          "[{\"name\": \"" + QByteArray(63, 'p') + R"(", "backends": [{"url": "http://a"}]},
                                     {"name": "p", "backends": []}])",
          "pools[0].backends[0].name", kNoValue, "is required in this pool (the default name, \"ppp");
    pools("pool timeouts proxy-wide",
          R"([{"name": "p", "backends": [], "timeouts": {"client_header_ms": 5}}])",
          "pools[0].timeouts.client_header_ms", "5",
          "not allowed in a pool (only upstream_connect_ms and upstream_response_ms are; it belongs in the "
          "top-level \"timeouts\")");
    pools("pool drain_ms", R"([{"name": "p", "backends": [], "timeouts": {"drain_ms": 5}}])",
          "pools[0].timeouts.drain_ms", "5", "not allowed in a pool");
    pools("pool unknown field", R"([{"name": "p", "backends": [], "backend": []}])", "pools[0].backend",
          kNoValue, R"(unknown field (did you mean "backends"?))");
    pools("pool limits are not pool settings", R"([{"name": "p", "backends": [], "limits": {}}])",
          "pools[0].limits", kNoValue, "unknown field");
    pools("pool hash_key without hashing", R"([{"name": "p", "backends": [], "hash_key": "path"}])",
          "pools[0].hash_key", "path", "only applies to the consistent-hash strategy");
    pools("pool strategy", R"([{"name": "p", "backends": [], "strategy": "fastest"}])", "pools[0].strategy",
          "fastest", "must be \"round-robin\"");
    pools("pool sticky cookie", R"([{"name": "p", "backends": [], "sticky_cookie": {"name": "__Host-x"}}])",
          "pools[0].sticky_cookie.name", "__Host-x", "must not start with __Secure- or __Host-");
    pools("pool max_body_bytes", R"([{"name": "p", "backends": [], "max_body_bytes": "big"}])",
          "pools[0].max_body_bytes", "big", "must be an integer from 0 to 9007199254740991, not a string");
    pools("pool retries order", R"([{"name": "p", "backends": [], "retries": {"backoff_max_ms": 10}}])",
          "pools[0].retries.backoff_max_ms", "10", "must not be less than backoff_base_ms (25)");
    pools("pool health check timing",
          R"([{"name": "p", "backends": [], "health_check": {"timeout_ms": 3000}}])",
          "pools[0].health_check.timeout_ms", "3000", "must not exceed interval_ms (2000)");
    row("pool health check against the top level",
        doc(R"("health_check": {"timeout_ms": 2000, "interval_ms": 4000}, "routes": [{"pool": "p"}],
               "pools": [{"name": "p", "backends": [], "health_check": {"interval_ms": 1000}}])"),
        "pools[0].health_check.interval_ms", "1000", "must not be less than timeout_ms (2000)");
    pools("backend health check against its pool",
          R"([{"name": "p", "health_check": {"interval_ms": 1000},
               "backends": [{"url": "http://a", "health_check": {"timeout_ms": 1500}}]}])",
          "pools[0].backends[0].health_check.timeout_ms", "1500", "must not exceed interval_ms (1000)");
    pools("pool circuit breaker",
          R"([{"name": "p", "backends": [], "circuit_breaker": {"max_requests": -1}}])",
          "pools[0].circuit_breaker.max_requests", "-1", "must be an integer from 0 to 1000000");

    // pools and the rest of the file
    row("backends with pools",
        doc(R"("backends": [{"url": "http://a"}], "pools": [{"name": "p", "backends": [{"url": "http://b"}]}])"),
        "backends", kNoValue, R"(must not be given with "pools" (put the backends in a pool)");
    row("two pools without routes",
        doc(R"("pools": [{"name": "p", "backends": []}, {"name": "q", "backends": []}])"), "routes", kNoValue,
        "is required when there is more than one pool");
    row("two pools with empty routes",
        doc(R"("pools": [{"name": "p", "backends": []}, {"name": "q", "backends": []}], "routes": [])"),
        "routes", "[]", "must list at least one route when there is more than one pool");
}

void TestConfigRouting::invalidConfig()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    const bool noValue = value == QLatin1StringView(kNoValue);
    const QString mismatch = mismatchOfSingleError(result.errors, field, noValue ? QString() : value, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().value.isNull(), noValue);
}

void TestConfigRouting::everyRouteErrorIsReported()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(withPools(R"([
        {"match": {"host": "a:1", "path": "x"}, "pool": "api", "strip_prefix": "y"},
        {"split": [{"pool": "api", "weight": 99999}], "sticky_cookie": {"name": ""}},
        {"redirect": {"status": 200}, "retries": {}},
        {"respond": {"status": 1}, "unknown": 1}])"));
    QCOMPARE(fieldsOf(result.errors),
             (QStringList{u"routes[0].match.host"_s, u"routes[0].match.path"_s, u"routes[0].strip_prefix"_s,
                          u"routes[1].split[0].weight"_s, u"routes[1].sticky_cookie.name"_s,
                          u"routes[2].redirect.status"_s, u"routes[2].redirect.location"_s,
                          u"routes[2].retries"_s, u"routes[3].respond.status"_s, u"routes[3].unknown"_s}));
    QVERIFY(result.config.routes.isEmpty()); // nothing invalid leaks into the result
}

void TestConfigRouting::relationsAreCheckedOnlyBetweenValidEntries()
{
    // The second route's own error hides that the first names an unknown pool and that the last is
    // unreachable: a pool or route dropped for its own error would show up again as an unknown pool or a
    // wrong catch-all.
    const QByteArray routes =
        R"([{"match": {"path": "/n"}, "pool": "nope"}, {"match": {"path": "%1"}, "pool": "api"},
                                  {"pool": "web"}, {"pool": "web"}])";
    ConfigLoadResult result = ConfigLoader::loadJson(withPools(QByteArray(routes).replace("%1", "x")));
    QCOMPARE(fieldsOf(result.errors), QStringList{u"routes[1].match.path"_s});
    result = ConfigLoader::loadJson(withPools(QByteArray(routes).replace("%1", "/x")));
    QCOMPARE(fieldsOf(result.errors), (QStringList{u"routes[0].pool"_s, u"routes[3]"_s}));

    // A pool with an error of its own: the routes are not related to the pools either.
    result = ConfigLoader::loadJson(doc(R"("pools": [{"name": "p", "backends": [], "strategy": "x"}],
                                         "routes": [{"pool": "nope"}])"));
    QCOMPARE(fieldsOf(result.errors), QStringList{u"pools[0].strategy"_s});
}

void TestConfigRouting::validateRoutingDirectly()
{
    // As the live control API uses it: every problem, fields by index.
    const QList<PoolConfig> pools = {pool(u"api"_s, {}), pool(u"web"_s, {}), pool(u"api"_s, {}),
                                     pool(u"bad name"_s, {})};
    RouteConfig split = forward(u"canary"_s, QString(), matchPrefix(u"/beta"_s));
    split.action = RouteActionKind::Split;
    split.split = {{u"web"_s, 0}, {u"nope"_s, 0}, {u"web"_s, 20000}};
    RouteConfig redirect = forward(u"r"_s, QString(), matchPath(u"/old"_s));
    redirect.action = RouteActionKind::Redirect;
    const QList<RouteConfig> routes = {split, forward(u"canary"_s, u"gone"_s, matchPath(u"/x"_s)), redirect,
                                       forward(u"all"_s, u"api"_s),
                                       forward(u"late"_s, u"web"_s, matchPath(u"/y"_s))};
    const QList<ConfigError> errors = validateRouting(pools, routes);
    const QList<ConfigError> expected = {
        {u"pools[2].name"_s, u"api"_s, u"duplicate pool name (also pools[0])"_s},
        {u"pools[3].name"_s, u"bad name"_s, u"must be 1 to 64 characters from A-Z a-z 0-9 . _ -"_s},
        {u"routes[0].split[1].pool"_s, u"nope"_s,
         u"unknown pool (the pools are \"api\", \"web\", \"bad name\")"_s},
        {u"routes[0].split[2].pool"_s, u"web"_s, u"pool already in this split (split[0])"_s},
        {u"routes[0].split[2].weight"_s, u"20000"_s, u"must be an integer from 0 to 10000"_s},
        {u"routes[1].name"_s, u"canary"_s, u"duplicate route name (also routes[0])"_s},
        {u"routes[1].pool"_s, u"gone"_s, u"unknown pool (the pools are \"api\", \"web\", \"bad name\")"_s},
        {u"routes[4]"_s, QString(), u"unreachable: routes[3] before it matches every request"_s},
    };
    QCOMPARE(errors, expected);

    RouteConfig empty = split;
    empty.split.clear();
    QCOMPARE(validateRouting({pool(u"web"_s, {})}, {empty}),
             (QList<ConfigError>{{u"routes[0].split"_s, QString(), u"must list at least one pool"_s}}));
    RouteConfig zero = split;
    zero.split = {{u"web"_s, 0}};
    QCOMPARE(validateRouting({pool(u"web"_s, {})}, {zero}),
             (QList<ConfigError>{{u"routes[0].split"_s, QString(),
                                  u"weights must not all be 0 (no pool would get a request)"_s}}));
    QCOMPARE(validateRouting({}, {forward(u"r"_s, u"p"_s)}),
             (QList<ConfigError>{{u"routes[0].pool"_s, u"p"_s, u"unknown pool (there are no pools)"_s}}));
    zero.split = {{u"web"_s, 0}, {u"api"_s, 1}};
    QVERIFY(validateRouting({pool(u"web"_s, {}), pool(u"api"_s, {})}, {zero}).isEmpty());
}

void TestConfigRouting::routePathNormalForm_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("prefix");

    QTest::newRow("root") << u"/"_s << u"/"_s << u"/"_s;
    QTest::newRow("trailing slash") << u"/a/b/"_s << u"/a/b/"_s << u"/a/b"_s;
    QTest::newRow("unreserved escapes decoded") << u"/%41%7a%2D%2e%5f%7E"_s << u"/Az-._~"_s << u"/Az-._~"_s;
    QTest::newRow("other escapes upper-cased")
        << u"/a%2fb%3a%c3%a9"_s << u"/a%2Fb%3A%C3%A9"_s << u"/a%2Fb%3A%C3%A9"_s;
    QTest::newRow("sub-delims and : @ kept")
        << u"/a!$&'()*+,;=:@"_s << u"/a!$&'()*+,;=:@"_s << u"/a!$&'()*+,;=:@"_s;
    QTest::newRow("dots inside a segment") << u"/a.b/..c/.d"_s << u"/a.b/..c/.d"_s << u"/a.b/..c/.d"_s;
}

void TestConfigRouting::routePathNormalForm()
{
    QFETCH(QString, text);
    QFETCH(QString, path);
    QFETCH(QString, prefix);
    const Parsed<QString> parsedPath = parseRoutePath(text);
    QVERIFY2(parsedPath.ok(), qPrintable(parsedPath.error));
    QCOMPARE(parsedPath.value, path);
    const Parsed<QString> parsedPrefix = parsePathPrefix(text);
    QVERIFY2(parsedPrefix.ok(), qPrintable(parsedPrefix.error));
    QCOMPARE(parsedPrefix.value, prefix);
}

void TestConfigRouting::shippedRoutingExampleLoads()
{
    const QString path = QFINDTESTDATA("../../../resources/fulcrum-routes.json");
    QVERIFY2(!path.isEmpty(), "resources/fulcrum-routes.json not found");
    const ConfigLoadResult result = ConfigLoader::loadFile(path);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.pools.size(), 3);
    QCOMPARE(result.config.routes.size(), 5);
    const RouteConfig &api = result.config.routes.at(2);
    QCOMPARE(api.action, RouteActionKind::Split);
    QCOMPARE(api.split, (QList<SplitTarget>{{u"api"_s, 95}, {u"api-canary"_s, 5}}));
    QCOMPARE(api.rewrite.prefix, u"/api"_s);
    QVERIFY(result.config.pools.at(0).backends.at(0).healthCheck.enabled);
    QVERIFY(validateRouting(result.config.pools, result.config.routes).isEmpty());
}

QTEST_GUILESS_MAIN(TestConfigRouting)
#include "tst_configrouting.moc"
