// SPDX-License-Identifier: GPL-3.0-or-later
// Request routing end to end through the real fulcrumd: which route a request takes (every kind of
// match, on a normalised path and host so that another spelling of a path cannot slip past a route),
// what each action does, header and path rewriting, each pool's own balancing, a route's body limit,
// and how routing configurations are refused and reloaded.
#include "BalancingTest.h"
#include "LoadGenerator.h"
#include "ProxyTest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

using Headers = QList<std::pair<QByteArray, QByteArray>>;

constexpr int kLoadTimeoutMs = 20'000;

// One pool of a configuration: FakeBackends of these names, at these weights (1 when not given), and
// any other settings of the pool ("strategy", "hash_key", ...).
struct PoolSpec
{
    QString name;
    QStringList backends;
    QList<int> weights;
    QJsonObject settings;
};

// One pool per name with one backend of the same name, so that a response's X-Backend names the pool
// the request was routed to.
QList<PoolSpec> singleBackendPools(const QStringList &names)
{
    QList<PoolSpec> pools;
    for (const QString &name : names)
        pools.append({name, {name}, {}, {}});
    return pools;
}

// Routes are written as JSON text, as an operator writes them. Text that does not parse is a bug in this
// file, not in the product, so it stops the run rather than failing one test for the wrong reason.
QJsonArray jsonArray(QByteArrayView text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text.toByteArray(), &error);
    if (!document.isArray())
        qFatal("routes in the test are not a JSON array (%s): %s", qPrintable(error.errorString()),
               text.toByteArray().constData());
    return document.array();
}

// fulcrumd run with --config on a file of pools and routes, and the FakeBackends of those pools. The
// backends outlive reloads (a reload that names a new one starts it), so a reload can move traffic
// between backends that all stay up.
class RoutedProxy
{
public:
    // False, with error() saying why, when a backend cannot listen or fulcrumd does not start.
    bool start(const QList<PoolSpec> &pools, QByteArrayView routes, int workers = 2)
    {
        if (!writeConfig(pools, routes))
            return false;
        if (m_process.start({u"--config"_s, m_config.path()}, workers))
            return true;
        m_error = m_process.errorString();
        return false;
    }

    // Runs fulcrumd to completion on a configuration it is expected to refuse. Not FulcrumProcess::start:
    // it waits for stderr output, not for the exit, so when the exit is noticed only after the error text
    // has been read it sits out its whole 15 s start timeout.
    FulcrumProcess::Result runExpectingRefusal(const QList<PoolSpec> &pools, QByteArrayView routes)
    {
        if (!writeConfig(pools, routes))
            return {};
        return FulcrumProcess::run({u"--config"_s, m_config.path(), u"--listen"_s, u"127.0.0.1:0"_s}, 5'000);
    }

    // Rewrites the configuration file and sends SIGHUP.
    bool reload(const QList<PoolSpec> &pools, QByteArrayView routes)
    {
        return writeConfig(pools, routes) && m_process.sendSignal(SIGHUP);
    }

    FakeBackend &backend(const QString &name) { return *m_backends.at(name); }
    // Requests received completely, over every backend.
    int backendRequests() const
    {
        int total = 0;
        for (const auto &[name, backend] : m_backends)
            total += backend->requestCount();
        return total;
    }
    quint16 port() const { return m_process.port(); }
    FulcrumProcess &process() { return m_process; }
    bool isRunning() const { return m_process.isRunning(); }
    QString error() const { return m_error; }
    HttpResponse send(QByteArrayView request) { return fetch(port(), request); }

private:
    bool writeConfig(const QList<PoolSpec> &pools, QByteArrayView routes)
    {
        QJsonArray poolList;
        for (const PoolSpec &spec : pools) {
            QJsonArray backends;
            for (qsizetype i = 0; i < spec.backends.size(); ++i) {
                FakeBackend *backend = startedBackend(spec.backends.at(i));
                if (backend == nullptr)
                    return false;
                backends.append(QJsonObject{{u"name"_s, backend->name()},
                                            {u"url"_s, backend->url()},
                                            {u"weight"_s, spec.weights.value(i, 1)}});
            }
            QJsonObject pool = spec.settings;
            pool.insert(u"name"_s, spec.name);
            pool.insert(u"backends"_s, backends);
            poolList.append(pool);
        }
        const QJsonObject config{{u"version"_s, 1},
                                 {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
                                 {u"access_log"_s, false},
                                 {u"pools"_s, poolList},
                                 {u"routes"_s, jsonArray(routes)}};
        if (m_config.write(config))
            return true;
        m_error = u"cannot write %1"_s.arg(m_config.path());
        return false;
    }

    FakeBackend *startedBackend(const QString &name)
    {
        std::unique_ptr<FakeBackend> &backend = m_backends[name];
        if (!backend) {
            backend = std::make_unique<FakeBackend>(name);
            if (!backend->start()) {
                m_error = u"backend %1 cannot listen"_s.arg(name);
                return nullptr;
            }
        }
        return backend.get();
    }

    // Declared first so that fulcrumd is gone before its backends are.
    std::map<QString, std::unique_ptr<FakeBackend>> m_backends;
    ConfigFile m_config;
    FulcrumProcess m_process;
    QString m_error;
};

// Where a request went: the X-Backend of a 200 (the backend's name, here also its pool's), else what came
// back instead, so that a comparison failure shows it.
QByteArray routedTo(quint16 port, QByteArrayView request)
{
    const HttpResponse r = fetch(port, request);
    if (r.complete && r.status == 200 && r.hasHeader("x-backend"))
        return r.header("x-backend");
    return r.describe().toUtf8();
}

// For a failure message: the status expected and the whole response that came instead.
QByteArray unexpected(int status, const HttpResponse &r)
{
    return u"expected status %1, got %2"_s.arg(status).arg(r.describe()).toUtf8();
}

QByteArrayList headerValues(const HttpHeaders &headers, QByteArrayView name)
{
    QByteArrayList values;
    for (const HttpHeader &header : headers) {
        if (headerNameEquals(header.name, name))
            values.append(header.value);
    }
    return values;
}

// The value a response's Set-Cookie gives the cookie `name`; null when it sets none.
QByteArray setCookieValue(const HttpResponse &r, QByteArrayView name)
{
    const QByteArray prefix = name.toByteArray() + '=';
    for (const QByteArray &line : headerValues(r.headers, "set-cookie")) {
        if (line.startsWith(prefix)) {
            const qsizetype end = line.indexOf(';');
            return line.mid(prefix.size(), end < 0 ? -1 : end - prefix.size());
        }
    }
    return {};
}

QString describeFailures(const LoadGenerator &load)
{
    const QList<LoadSample> failures = load.failures();
    return u"%1 failed requests, the first: %2"_s.arg(failures.size())
        .arg(failures.isEmpty() ? QString() : failures.constFirst().describe());
}

// Sends `count` requests over four keep-alive connections (so both workers serve them, concurrently) and
// returns every sample; *error says what went wrong when any request failed or the run did not finish.
QList<LoadSample> runLoad(quint16 port, qint64 count, const LoadGenerator::RequestFactory &factory,
                          QString *error)
{
    LoadGenerator load(port, 4, factory);
    load.start(count, kLoadTimeoutMs);
    if (!load.waitForFinished(kLoadTimeoutMs))
        *error = u"the requests did not finish in time"_s;
    else if (!load.failures().isEmpty())
        *error = describeFailures(load);
    return load.samples();
}

QRegularExpression literal(const QString &text)
{
    return QRegularExpression(QRegularExpression::escape(text));
}

// "name: value" lines, as the data tables write expected headers.
std::pair<QByteArray, QByteArray> splitHeaderLine(const QByteArray &line)
{
    const qsizetype colon = line.indexOf(':');
    return {line.left(colon), line.mid(colon + 1).trimmed()};
}

// A route per kind of match, each to its own pool. The first two both match "api.example.com", the
// rest are ordered so that requests matching two of them show that the first one wins.
constexpr char kSelectionRoutes[] = R"([
    {"name": "host-exact", "match": {"host": "api.example.com"}, "pool": "host-exact"},
    {"name": "host-wildcard", "match": {"host": "*.example.com"}, "pool": "host-wildcard"},
    {"name": "path-exact", "match": {"path": "/exact"}, "pool": "path-exact"},
    {"name": "path-prefix", "match": {"path_prefix": "/api"}, "pool": "path-prefix"},
    {"name": "method", "match": {"method": "POST"}, "pool": "method"},
    {"name": "header-value", "match": {"header": {"name": "X-Canary", "value": "1"}}, "pool": "header-value"},
    {"name": "header-present", "match": {"header": {"name": "X-Debug", "present": true}},
     "pool": "header-present"},
    {"name": "query", "match": {"query": {"name": "v", "value": "2"}}, "pool": "query"},
    {"name": "all-of", "match": {"path_prefix": "/both",
                                 "header": [{"name": "X-A", "value": "1"}, {"name": "X-B", "present": true}]},
     "pool": "all-of"},
    {"name": "default", "pool": "default"}
])";

// An access rule in front of the application: /admin and everything under it is refused by the proxy.
constexpr char kAdminRoutes[] = R"([
    {"name": "admin", "match": {"path_prefix": "/admin"}, "respond": {"status": 403, "body": "forbidden"}},
    {"name": "app", "pool": "app"}
])";

// The locations spell "//" as JSON's "\/\/": CMake's AutoMoc scanner does not know raw strings and would
// read "//" in one as the start of a comment, and then miss this file's Q_OBJECT.
constexpr char kLocalAnswerRoutes[] = R"([
    {"match": {"path_prefix": "/old"},
     "redirect": {"status": 301, "location": "https:\/\/{host}{path}?{query}"}},
    {"match": {"path_prefix": "/moved"},
     "redirect": {"status": 308, "location": "https:\/\/new.example.com{path}"}},
    {"match": {"path": "/maintenance"},
     "respond": {"status": 503, "body": "down for maintenance", "content_type": "text/plain"},
     "response_headers": {"set": {"Cache-Control": "no-store"}}},
    {"pool": "app"}
])";

constexpr char kRewriteRoutes[] = R"([
    {"name": "api", "match": {"path_prefix": "/api"}, "pool": "app", "strip_prefix": "/api",
     "request_headers": {"add": {"X-A": "1"}, "set": {"X-B": "2"}, "remove": ["X-C"]},
     "response_headers": {"add": {"X-R-A": "1"}, "set": {"X-R-B": "2"}, "remove": ["X-R-C"]}},
    {"name": "v1", "match": {"path_prefix": "/v1"}, "pool": "app",
     "replace_prefix": {"from": "/v1", "to": "/v2"}},
    {"name": "default", "pool": "app"}
])";

// What the bad configurations of badRouting* would change if any part of them were applied: /a goes to
// web and everything else to api, and each bad one sends one of them elsewhere.
constexpr char kWebApiRoutes[] = R"([
    {"name": "a", "match": {"path_prefix": "/a"}, "pool": "web"},
    {"name": "rest", "pool": "api"}
])";

const QStringList kWebApi = {u"web"_s, u"api"_s};

} // namespace

class TestRouting : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanupTestCase();

    void routeSelection_data();
    void routeSelection();
    void unmatchedWithoutDefaultRouteIs404();
    void pathNormalisation_data();
    void pathNormalisation();
    void splitFollowsWeights();
    void splitStickyCookiePinsPool();
    void localAnswers_data();
    void localAnswers();
    void headerRules();
    void pathRewrite_data();
    void pathRewrite();
    void poolStrategies();
    void badRoutingRefusedAtStart_data();
    void badRoutingRefusedAtStart();
    void badRoutingRefusedOnReload_data();
    void badRoutingRefusedOnReload();
    void reloadMovesTrafficWithoutFailures();
    void routeBodyLimit_data();
    void routeBodyLimit();

private:
    // The proxy every row of the running test function shares, started for its first row: one
    // fulcrumd per table instead of one per row.
    RoutedProxy &sharedProxy(const QList<PoolSpec> &pools, QByteArrayView routes);
    static void addBadRoutingRows();

    std::unique_ptr<RoutedProxy> m_shared;
    QByteArray m_sharedFor; // the test function m_shared was started for
};

void TestRouting::cleanupTestCase()
{
    m_shared.reset();
}

RoutedProxy &TestRouting::sharedProxy(const QList<PoolSpec> &pools, QByteArrayView routes)
{
    const QByteArray function = QTest::currentTestFunction();
    if (!m_shared || m_sharedFor != function) {
        m_shared.reset(); // the previous table's fulcrumd and backends go first
        m_shared = std::make_unique<RoutedProxy>();
        m_sharedFor = function;
        m_shared->start(pools, routes);
    }
    return *m_shared;
}

void TestRouting::routeSelection_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("route");

    const auto host = [](QByteArray name) { return RawClient::get("/", {{"Host", std::move(name)}}); };
    const auto headers = [](const Headers &list) { return RawClient::get("/", list); };

    QTest::newRow("host exact (before the wildcard that matches it too)")
        << host("api.example.com") << "host-exact"_ba;
    QTest::newRow("host exact, mixed case") << host("API.Example.COM") << "host-exact"_ba;
    QTest::newRow("host exact, trailing dot") << host("api.example.com.") << "host-exact"_ba;
    QTest::newRow("host exact, with port") << host("api.example.com:8080") << "host-exact"_ba;
    QTest::newRow("host exact, absolute-form authority over Host")
        << "GET http://api.example.com/ HTTP/1.1\r\nHost: localhost\r\n\r\n"_ba
        << "host-exact"_ba;
    QTest::newRow("host of another domain") << host("api.example.org") << "default"_ba;
    QTest::newRow("host wildcard") << host("www.example.com") << "host-wildcard"_ba;
    QTest::newRow("host wildcard, two labels") << host("a.b.example.com") << "host-wildcard"_ba;
    QTest::newRow("host wildcard, upper case and port") << host("WWW.EXAMPLE.COM:443") << "host-wildcard"_ba;
    QTest::newRow("host wildcard, not the bare domain") << host("example.com") << "default"_ba;
    QTest::newRow("host wildcard, not a mere suffix") << host("badexample.com") << "default"_ba;

    QTest::newRow("path exact") << RawClient::get("/exact") << "path-exact"_ba;
    QTest::newRow("path exact, query ignored") << RawClient::get("/exact?x=1") << "path-exact"_ba;
    QTest::newRow("path exact, not a longer path") << RawClient::get("/exact/more") << "default"_ba;
    QTest::newRow("path exact, not with a trailing slash") << RawClient::get("/exact/") << "default"_ba;
    QTest::newRow("path exact, case-sensitive") << RawClient::get("/EXACT") << "default"_ba;
    QTest::newRow("path prefix itself") << RawClient::get("/api") << "path-prefix"_ba;
    QTest::newRow("path prefix, below it") << RawClient::get("/api/x/y") << "path-prefix"_ba;
    QTest::newRow("path prefix, trailing slash") << RawClient::get("/api/") << "path-prefix"_ba;
    QTest::newRow("path prefix, not a longer segment") << RawClient::get("/apix") << "default"_ba;
    QTest::newRow("path prefix, absolute-form")
        << RawClient::get("http://localhost/api/x") << "path-prefix"_ba;

    QTest::newRow("method") << RawClient::buildRequest("POST", "/") << "method"_ba;
    QTest::newRow("method, another one") << RawClient::buildRequest("DELETE", "/") << "default"_ba;

    QTest::newRow("header value") << headers({{"X-Canary", "1"}}) << "header-value"_ba;
    QTest::newRow("header value, name in any case") << headers({{"x-CANARY", "1"}}) << "header-value"_ba;
    QTest::newRow("header value, one of repeated headers")
        << headers({{"X-Canary", "0"}, {"X-Canary", "1"}}) << "header-value"_ba;
    QTest::newRow("header value, another value") << headers({{"X-Canary", "2"}}) << "default"_ba;
    QTest::newRow("header present") << headers({{"X-Debug", "whatever"}}) << "header-present"_ba;
    QTest::newRow("header present, empty value") << headers({{"X-Debug", ""}}) << "header-present"_ba;

    QTest::newRow("query") << RawClient::get("/?v=2") << "query"_ba;
    QTest::newRow("query, among other parameters") << RawClient::get("/search?a=1&v=2&b") << "query"_ba;
    QTest::newRow("query, percent-encoded value") << RawClient::get("/?v=%32") << "query"_ba;
    QTest::newRow("query, another value") << RawClient::get("/?v=20") << "default"_ba;
    QTest::newRow("query, name case-sensitive") << RawClient::get("/?V=2") << "default"_ba;

    QTest::newRow("every condition of a route")
        << RawClient::get("/both", {{"X-A", "1"}, {"X-B", "x"}}) << "all-of"_ba;
    QTest::newRow("all but one condition of a route")
        << RawClient::get("/both", {{"X-A", "1"}}) << "default"_ba;

    QTest::newRow("first match wins: host before path")
        << RawClient::get("/api", {{"Host", "api.example.com"}}) << "host-exact"_ba;
    QTest::newRow("first match wins: path exact before method")
        << RawClient::buildRequest("POST", "/exact") << "path-exact"_ba;
    QTest::newRow("first match wins: path prefix before query")
        << RawClient::get("/api?v=2") << "path-prefix"_ba;
    QTest::newRow("first match wins: header value before header present")
        << headers({{"X-Debug", "1"}, {"X-Canary", "1"}}) << "header-value"_ba;

    QTest::newRow("default route") << RawClient::get("/anything/else") << "default"_ba;
}

// Each request goes to the pool of the first route that matches it.
void TestRouting::routeSelection()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, route);
    RoutedProxy &proxy =
        sharedProxy(singleBackendPools({u"host-exact"_s, u"host-wildcard"_s, u"path-exact"_s,
                                        u"path-prefix"_s, u"method"_s, u"header-value"_s, u"header-present"_s,
                                        u"query"_s, u"all-of"_s, u"default"_s}),
                    kSelectionRoutes);
    QVERIFY2(proxy.isRunning(), qPrintable(proxy.error()));
    QCOMPARE(routedTo(proxy.port(), request), route);
}

// Without a default route, a request no route matches is answered 404 by the proxy itself.
void TestRouting::unmatchedWithoutDefaultRouteIs404()
{
    RoutedProxy proxy;
    QVERIFY2(
        proxy.start(singleBackendPools({u"api"_s}), R"([{"match": {"path_prefix": "/api"}, "pool": "api"}])"),
        qPrintable(proxy.error()));
    QCOMPARE(routedTo(proxy.port(), RawClient::get("/api/x")), "api"_ba);

    const HttpResponse r = proxy.send(RawClient::get("/other"));
    QVERIFY2(r.complete && r.status == 404, unexpected(404, r).constData());
    QVERIFY2(!r.hasHeader("x-backend"), qPrintable(r.describe()));
    QCOMPARE(proxy.backend(u"api"_s).requestCount(), 1);
}

void TestRouting::pathNormalisation_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status"); // 200: forwarded to the application, target unchanged

    // Every spelling of /admin that a backend would read as /admin (RFC 3986 normalisation) is refused.
    for (const char *target :
         {"/admin", "/admin/", "/admin/x", "/admin?x=1", "/%61dmin", "/%61%64%6D%69%6E/x",
          "/static/../admin/x", "/static/%2e%2e/admin", "/static/%2E%2E/admin", "/static/.%2e/admin",
          "//admin", "///admin/x", "/./admin", "/%2e/admin", "/a/b/../../admin", "/../admin", "/admin/./",
          "http://localhost/%61dmin"})
        QTest::newRow(target) << QByteArray(target) << 403;

    // Other paths go to the application exactly as the client wrote them: normalisation is only for
    // choosing the route.
    for (const char *target : {"/%61DMIN", "/adminx", "/administrator", "/static/./x%2Fy?q=1", "/static//x",
                               "/a/../b?c=%2e%2e", "/%7euser/admin"})
        QTest::newRow(target) << QByteArray(target) << 200;

    // A path that cannot be decoded cannot be routed on; nor can a target that is not origin-form (RFC 9112
    // §3.2.1 has no "#" in it): a backend that reads "#" as the start of a fragment serves /admin for
    // "/admin#x", a path the route never saw.
    for (const char *target : {"/%zz", "/admin%", "/%2", "/x/%0a", "/%00admin", "/admin#x", "/admin#/x"})
        QTest::newRow(target) << QByteArray(target) << 400;
}

// Normalising the path before matching it is what keeps an access rule from being dodged by spelling the
// path differently; the backend still receives the target as sent.
void TestRouting::pathNormalisation()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    RoutedProxy &proxy = sharedProxy(singleBackendPools({u"app"_s}), kAdminRoutes);
    QVERIFY2(proxy.isRunning(), qPrintable(proxy.error()));
    const int before = proxy.backendRequests();

    const HttpResponse r = proxy.send(RawClient::get(target));
    QVERIFY2(r.complete && r.status == status, unexpected(status, r).constData());
    if (status == 200) {
        QCOMPARE(r.header("x-backend"), "app"_ba);
        QCOMPARE(proxy.backend(u"app"_s).lastRequest().target, target);
        return;
    }
    QVERIFY2(!r.hasHeader("x-backend"), qPrintable(r.describe()));
    QCOMPARE(proxy.backendRequests(), before);
    if (status == 403)
        QCOMPARE(r.body, "forbidden"_ba);
}

// A split of 80/20 over 2,000 requests from four connections and two workers stays within 2% of its
// weights (it is a smooth weighted round robin shared by the workers, so in fact exact).
void TestRouting::splitFollowsWeights()
{
    RoutedProxy proxy;
    QVERIFY2(proxy.start(singleBackendPools(kWebApi),
                         R"([{"split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 20}]}])"),
             qPrintable(proxy.error()));
    QString error;
    const QList<LoadSample> samples = runLoad(proxy.port(), 2000, {}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QHash<QByteArray, int> counts = countByBackend(samples);
    QVERIFY2(counts.value("web") + counts.value("api") == 2000 && std::abs(counts.value("web") - 1600) <= 40,
             qPrintable(describeCounts(counts)));
}

// The split's sticky cookie: a new client is told which pool it went to, and a client that sends the
// cookie back stays there, where the 80/20 split alone would move it.
void TestRouting::splitStickyCookiePinsPool()
{
    RoutedProxy proxy;
    QVERIFY2(proxy.start(singleBackendPools(kWebApi), R"([{"name": "canary",
        "split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 20}],
        "sticky_cookie": {"name": "canary"}}])"),
             qPrintable(proxy.error()));

    // The schedule repeats every five requests, so ten new clients reach both pools.
    QHash<QByteArray, QByteArray> cookieOf; // pool -> cookie value
    for (int i = 0; i < 10; ++i) {
        const HttpResponse r = proxy.send(RawClient::get("/"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        const QByteArray value = setCookieValue(r, "canary");
        QVERIFY2(!value.isEmpty(), qPrintable(r.describe()));
        const QByteArray pool = r.header("x-backend");
        QVERIFY2(cookieOf.value(pool, value) == value, "one pool, two cookie values");
        cookieOf.insert(pool, value);
    }
    QCOMPARE(cookieOf.size(), 2);
    QVERIFY(cookieOf.value("web") != cookieOf.value("api"));

    for (auto it = cookieOf.cbegin(); it != cookieOf.cend(); ++it) {
        const QByteArray cookie = "theme=dark; canary=" + it.value() + "; lang=en";
        for (int i = 0; i < 10; ++i) {
            const HttpResponse r = proxy.send(RawClient::get("/", {{"Cookie", cookie}}));
            QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
            QCOMPARE(r.header("x-backend"), it.key());
            QVERIFY2(setCookieValue(r, "canary").isNull(), qPrintable(r.describe()));
        }
    }
}

void TestRouting::localAnswers_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArrayList>("headers"); // "Name: value" the response must have
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("local"); // answered by the proxy, no backend involved

    const Headers host = {{"Host", "www.example.com"}};
    QTest::newRow("redirect with every placeholder")
        << RawClient::get("/old/page?a=1&b=%20", host) << 301
        << QByteArrayList{"Location: https://www.example.com/old/page?a=1&b=%20"} << QByteArray() << true;
    QTest::newRow("redirect: ?{query} vanishes without a query")
        << RawClient::get("/old/page", host) << 301
        << QByteArrayList{"Location: https://www.example.com/old/page"} << QByteArray() << true;
    QTest::newRow("redirect: ?{query} vanishes with an empty query")
        << RawClient::get("/old/page?", host) << 301
        << QByteArrayList{"Location: https://www.example.com/old/page"} << QByteArray() << true;
    QTest::newRow("redirect 308 without {query}")
        << RawClient::get("/moved/a/b?x=1", host) << 308
        << QByteArrayList{"Location: https://new.example.com/moved/a/b"} << QByteArray() << true;
    QTest::newRow("respond") << RawClient::get("/maintenance") << 503
                             << QByteArrayList{"Content-Type: text/plain", "Cache-Control: no-store",
                                               "Content-Length: 20"}
                             << "down for maintenance"_ba << true;
    QTest::newRow("respond, not below its exact path")
        << RawClient::get("/maintenance/x") << 200 << QByteArrayList{"X-Backend: app"} << "hello from app"_ba
        << false;
}

// Redirects and fixed responses come from the proxy: the right status, Location, body and Content-Type.
void TestRouting::localAnswers()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArrayList, headers);
    QFETCH(QByteArray, body);
    QFETCH(bool, local);
    RoutedProxy &proxy = sharedProxy(singleBackendPools({u"app"_s}), kLocalAnswerRoutes);
    QVERIFY2(proxy.isRunning(), qPrintable(proxy.error()));
    const int before = proxy.backendRequests();

    const HttpResponse r = proxy.send(request);
    QVERIFY2(r.complete && r.status == status, unexpected(status, r).constData());
    for (const QByteArray &line : std::as_const(headers)) {
        const auto [name, value] = splitHeaderLine(line);
        QCOMPARE(headerValues(r.headers, name), QByteArrayList{value});
    }
    QCOMPARE(r.body, body);
    if (local) {
        QVERIFY2(!r.hasHeader("x-backend"), qPrintable(r.describe()));
        QCOMPARE(proxy.backendRequests(), before);
    }
}

// A route's request header rules reach the backend and its response header rules reach the client (remove,
// then set replacing every header of the name, then add); a route without rules passes headers through.
void TestRouting::headerRules()
{
    RoutedProxy proxy;
    QVERIFY2(proxy.start(singleBackendPools({u"app"_s}), kRewriteRoutes), qPrintable(proxy.error()));
    FakeBackend &app = proxy.backend(u"app"_s);
    app.setDefaultBehaviour(Behaviour::fixed()
                                .withHeader("X-R-A", "backend")
                                .withHeader("X-R-B", "backend")
                                .withHeader("X-R-C", "secret"));
    const Headers sent = {{"X-A", "client"}, {"X-B", "one"}, {"X-B", "two"}, {"X-C", "gone"}};

    HttpResponse r = proxy.send(RawClient::get("/api/x", sent));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    RecordedRequest seen = app.lastRequest();
    QCOMPARE(seen.target, "/x"_ba);
    QCOMPARE(headerValues(seen.headers, "x-a"), (QByteArrayList{"client", "1"}));
    QCOMPARE(headerValues(seen.headers, "x-b"), QByteArrayList{"2"});
    QVERIFY(!seen.hasHeader("x-c"));
    QCOMPARE(headerValues(r.headers, "x-r-a"), (QByteArrayList{"backend", "1"}));
    QCOMPARE(headerValues(r.headers, "x-r-b"), QByteArrayList{"2"});
    QVERIFY2(!r.hasHeader("x-r-c"), qPrintable(r.describe()));

    r = proxy.send(RawClient::get("/other", sent));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    seen = app.lastRequest();
    QCOMPARE(seen.target, "/other"_ba);
    QCOMPARE(headerValues(seen.headers, "x-a"), QByteArrayList{"client"});
    QCOMPARE(headerValues(seen.headers, "x-b"), (QByteArrayList{"one", "two"}));
    QCOMPARE(headerValues(seen.headers, "x-c"), QByteArrayList{"gone"});
    QCOMPARE(headerValues(r.headers, "x-r-a"), QByteArrayList{"backend"});
    QCOMPARE(headerValues(r.headers, "x-r-c"), QByteArrayList{"secret"});
}

void TestRouting::pathRewrite_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("forwarded");
    const auto row = [](const char *name, QByteArray target, QByteArray forwarded) {
        QTest::newRow(name) << target << forwarded;
    };

    row("strip: below the prefix", "/api/x", "/x");
    row("strip: the prefix itself", "/api", "/");
    row("strip: the prefix with a slash", "/api/", "/");
    row("strip: query kept", "/api/x/y?q=1&r", "/x/y?q=1&r");
    row("strip: the prefix, query kept", "/api?q=1", "/?q=1");
    row("replace: below the prefix, query kept", "/v1/users?id=7", "/v2/users?id=7");
    row("replace: the prefix itself", "/v1", "/v2");
    row("replace: the prefix with a slash", "/v1/", "/v2/");
    row("no rewrite on another route", "/apix/y?q=1", "/apix/y?q=1");
    row("no rewrite of a longer segment", "/v10", "/v10");
}

// strip_prefix and replace_prefix change the path the backend sees, segment-aware, keeping the query.
void TestRouting::pathRewrite()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, forwarded);
    RoutedProxy &proxy = sharedProxy(singleBackendPools({u"app"_s}), kRewriteRoutes);
    QVERIFY2(proxy.isRunning(), qPrintable(proxy.error()));
    QCOMPARE(routedTo(proxy.port(), RawClient::get(target)), "app"_ba);
    QCOMPARE(proxy.backend(u"app"_s).lastRequest().target, forwarded);
}

// Each pool balances with its own strategy: round robin at weights 3:1 exactly in one, consistent hashing
// on a header in the other (one user, one backend).
void TestRouting::poolStrategies()
{
    const QList<PoolSpec> pools = {
        {u"rr"_s, {u"rr1"_s, u"rr2"_s}, {3, 1}, {{u"strategy"_s, u"round-robin"_s}}},
        {u"hash"_s,
         {u"h1"_s, u"h2"_s, u"h3"_s},
         {},
         {{u"strategy"_s, u"consistent-hash"_s}, {u"hash_key"_s, u"header:X-User"_s}}},
    };
    RoutedProxy proxy;
    QVERIFY2(proxy.start(pools, R"([{"match": {"path_prefix": "/rr"}, "pool": "rr"}, {"pool": "hash"}])"),
             qPrintable(proxy.error()));

    QString error;
    const QList<LoadSample> roundRobin = runLoad(
        proxy.port(), 400,
        [](qint64 seq) { return RawClient::get(QByteArray("/rr/" + QByteArray::number(seq))); }, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QHash<QByteArray, int> counts = countByBackend(roundRobin);
    QVERIFY2(counts.size() == 2 && counts.value("rr1") == 300 && counts.value("rr2") == 100,
             qPrintable(describeCounts(counts)));

    constexpr int kUsers = 20;
    const auto userOf = [](qint64 seq) -> QByteArray { return "user-" + QByteArray::number(seq % kUsers); };
    const QList<LoadSample> hashed = runLoad(
        proxy.port(), 10 * kUsers,
        [userOf](qint64 seq) {
            return RawClient::get("/", {{"X-User", userOf(seq)}});
        },
        &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QHash<QByteArray, QSet<QByteArray>> backendsOf; // user -> backends that served it
    QSet<QByteArray> used;
    for (const LoadSample &sample : hashed) {
        backendsOf[userOf(sample.seq)].insert(sample.backend);
        used.insert(sample.backend);
    }
    for (auto it = backendsOf.cbegin(); it != backendsOf.cend(); ++it)
        QVERIFY2(it.value().size() == 1,
                 qPrintable(
                     u"%1 went to %2 backends"_s.arg(QString::fromLatin1(it.key())).arg(it.value().size())));
    // Twenty users all on one of three backends would be a one in 3^19 chance: the hash does spread them.
    QVERIFY2(used.size() > 1 && used.size() <= 3 && !used.contains("rr1") && !used.contains("rr2"),
             qPrintable(describeCounts(countByBackend(hashed))));
}

// Bad routing configurations, each changing where /a or everything else goes if it were applied. The
// error names the route by its index and says what is wrong.
void TestRouting::addBadRoutingRows()
{
    QTest::addColumn<QByteArray>("routes");
    QTest::addColumn<QString>("error");

    // Most of them start with a route that sends /a to api rather than web.
    const auto afterMovedA = [](QByteArrayView rest) -> QByteArray {
        return R"([{"match": {"path_prefix": "/a"}, "pool": "api"}, )" + rest.toByteArray() + ']';
    };
    QTest::newRow("unknown pool") << afterMovedA(R"({"pool": "nope"})")
                                  << u"routes[1].pool: \"nope\": unknown pool"_s;
    QTest::newRow("unknown pool in a split")
        << afterMovedA(R"({"split": [{"pool": "web", "weight": 1}, {"pool": "nope", "weight": 1}]})")
        << u"routes[1].split[1].pool: \"nope\": unknown pool"_s;
    QTest::newRow("unreachable after a catch-all")
        << R"([{"pool": "web"}, {"match": {"path_prefix": "/a"}, "pool": "api"}])"_ba
        << u"routes[1]: unreachable: routes[0] before it matches every request"_s;
    QTest::newRow("unreachable after the same match")
        << afterMovedA(R"({"match": {"path_prefix": "/a"}, "pool": "web"}, {"pool": "web"})")
        << u"routes[1]: unreachable: routes[0] before it has the same match"_s;
    QTest::newRow("empty split") << afterMovedA(R"({"split": []})")
                                 << u"routes[1].split: must list at least one pool"_s;
    QTest::newRow("split with every weight 0") << afterMovedA(R"({"split": [{"pool": "web", "weight": 0}]})")
                                               << u"routes[1].split: weights must not all be 0"_s;
    QTest::newRow("duplicate route names")
        << R"([{"name": "r", "match": {"path_prefix": "/a"}, "pool": "api"},
               {"name": "r", "pool": "web"}])"_ba
        << u"routes[1].name: \"r\": duplicate route name (also routes[0])"_s;
}

void TestRouting::badRoutingRefusedAtStart_data()
{
    addBadRoutingRows();
}

void TestRouting::badRoutingRefusedAtStart()
{
    QFETCH(QByteArray, routes);
    QFETCH(QString, error);
    RoutedProxy proxy;
    const FulcrumProcess::Result result = proxy.runExpectingRefusal(singleBackendPools(kWebApi), routes);
    QVERIFY2(result.finished, "fulcrumd did not exit on a bad routing configuration");
    QVERIFY(result.exitCode != 0);
    const QString log = QString::fromUtf8(result.standardError);
    QVERIFY2(log.contains(error), qPrintable(log));
}

void TestRouting::badRoutingRefusedOnReload_data()
{
    addBadRoutingRows();
}

// A bad routing configuration sent by SIGHUP is refused with the same error, and none of it is applied.
void TestRouting::badRoutingRefusedOnReload()
{
    QFETCH(QByteArray, routes);
    QFETCH(QString, error);
    RoutedProxy proxy;
    QVERIFY2(proxy.start(singleBackendPools(kWebApi), kWebApiRoutes), qPrintable(proxy.error()));
    QCOMPARE(routedTo(proxy.port(), RawClient::get("/a")), "web"_ba);
    QCOMPARE(routedTo(proxy.port(), RawClient::get("/b")), "api"_ba);

    QVERIFY(proxy.reload(singleBackendPools(kWebApi), routes));
    QVERIFY2(proxy.process().waitForError(
                 literal(u"reload refused, keeping the running configuration: "_s + error)),
             proxy.process().standardError().constData());
    QVERIFY(!proxy.process().errorContains("configuration reloaded"));
    for (int i = 0; i < 3; ++i) {
        const QByteArray n = QByteArray::number(i);
        QCOMPARE(routedTo(proxy.port(), RawClient::get(QByteArray("/a/" + n))), "web"_ba);
        QCOMPARE(routedTo(proxy.port(), RawClient::get(QByteArray("/b/" + n))), "api"_ba);
    }
    QVERIFY(proxy.isRunning());
}

// Under a steady load of /app and /x requests, a reload first sends /app to a pool it adds, then the
// default route to another existing pool; each change takes over with no request failing meanwhile.
void TestRouting::reloadMovesTrafficWithoutFailures()
{
    QList<PoolSpec> pools = singleBackendPools(kWebApi);
    RoutedProxy proxy;
    QVERIFY2(proxy.start(pools, R"([{"name": "app", "match": {"path_prefix": "/app"}, "pool": "web"},
                                    {"name": "default", "pool": "api"}])"),
             qPrintable(proxy.error()));
    // Even requests are for /app, odd ones for the default route.
    const auto isApp = [](qint64 seq) { return seq % 2 == 0; };
    LoadGenerator load(proxy.port(), 3, [isApp](qint64 seq) {
        return RawClient::get(QByteArray((isApp(seq) ? "/app/" : "/x/") + QByteArray::number(seq)));
    });
    // Far more requests than the test needs: what bounds it is stop() once it has seen enough.
    load.start(100'000, kLoadTimeoutMs);
    QVERIFY(load.waitForRange(0, 50, kLoadTimeoutMs));

    // Where requests from `from` on went: every /app request to appPool, every other to defaultPool.
    const auto verifyRouting = [&](qint64 from, const QByteArray &appPool, const QByteArray &defaultPool) {
        if (!load.waitForRange(from, from + 200, kLoadTimeoutMs))
            return u"requests %1 to %2 did not complete"_s.arg(from).arg(from + 200);
        for (const LoadSample &sample : load.samples(from, from + 200)) {
            if (sample.backend != (isApp(sample.seq) ? appPool : defaultPool))
                return sample.describe();
        }
        return QString();
    };

    pools.append(singleBackendPools({u"canary"_s}));
    QVERIFY(proxy.reload(pools, R"([{"name": "app", "match": {"path_prefix": "/app"}, "pool": "canary"},
                                    {"name": "default", "pool": "api"}])"));
    QTRY_VERIFY_WITH_TIMEOUT(proxy.backend(u"canary"_s).requestCount() > 0, 10'000);
    qint64 from = load.settle(30);
    QVERIFY(from >= 0);
    QString misrouted = verifyRouting(from, "canary", "api");
    QVERIFY2(misrouted.isEmpty(), qPrintable(misrouted));
    QVERIFY2(proxy.process().waitForError(literal(u"pool canary added"_s)),
             proxy.process().standardError().constData());

    const int webBefore = proxy.backend(u"web"_s).requestCount();
    QVERIFY(proxy.reload(pools, R"([{"name": "app", "match": {"path_prefix": "/app"}, "pool": "canary"},
                                    {"name": "default", "pool": "web"}])"));
    QTRY_VERIFY_WITH_TIMEOUT(proxy.backend(u"web"_s).requestCount() > webBefore, 10'000);
    from = load.settle(30);
    QVERIFY(from >= 0);
    misrouted = verifyRouting(from, "canary", "web");
    QVERIFY2(misrouted.isEmpty(), qPrintable(misrouted));

    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load)));
    QCOMPARE(qint64(load.samples().size()), load.issued());
    QCOMPARE(proxy.backendRequests(), int(load.issued()));
}

void TestRouting::routeBodyLimit_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("bodySize");
    QTest::addColumn<int>("status");

    const QByteArray eleven(11, 'x');
    const QByteArray ten(10, 'x');
    QTest::newRow("over the route's limit")
        << RawClient::buildRequest("POST", "/small", {}, eleven) << 11 << 413;
    QTest::newRow("at the route's limit") << RawClient::buildRequest("POST", "/small", {}, ten) << 10 << 200;
    QTest::newRow("chunked, over the route's limit")
        << chunkedRequest("POST", "/small", eleven, 4) << 11 << 413;
    QTest::newRow("chunked, at the route's limit") << chunkedRequest("POST", "/small", ten, 4) << 10 << 200;
    QTest::newRow("default route, no limit")
        << RawClient::buildRequest("POST", "/big", {}, eleven) << 11 << 200;
}

// max_body_bytes of a route applies to its requests only.
void TestRouting::routeBodyLimit()
{
    QFETCH(QByteArray, request);
    QFETCH(int, bodySize);
    QFETCH(int, status);
    RoutedProxy &proxy = sharedProxy(singleBackendPools({u"app"_s}), R"([
        {"match": {"path_prefix": "/small"}, "pool": "app", "max_body_bytes": 10},
        {"pool": "app"}])");
    QVERIFY2(proxy.isRunning(), qPrintable(proxy.error()));
    const int before = proxy.backendRequests();

    const HttpResponse r = proxy.send(request);
    QVERIFY2(r.complete && r.status == status, unexpected(status, r).constData());
    if (status == 200) {
        QCOMPARE(proxy.backend(u"app"_s).lastRequest().bodySize, qint64(bodySize));
    } else {
        QVERIFY2(!r.hasHeader("x-backend"), qPrintable(r.describe()));
        QCOMPARE(proxy.backendRequests(), before);
    }
}

QTEST_GUILESS_MAIN(TestRouting)
#include "tst_routing.moc"
