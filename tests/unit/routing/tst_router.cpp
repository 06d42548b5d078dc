// SPDX-License-Identifier: GPL-3.0-or-later
// The routing decision on its own: which route a request takes, where a split sends it, what a rewrite
// or redirect makes of its target, what header rules do.
#include "routing/HeaderRewrite.h"
#include "routing/Router.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

RequestHead request(QByteArray target, QByteArray host = "example.com", QByteArray method = "GET",
                    const QList<HttpHeader> &headers = {})
{
    RequestHead head;
    head.method = std::move(method);
    head.target = std::move(target);
    head.host = std::move(host);
    for (const HttpHeader &header : headers)
        head.headers.append(header.name, header.value);
    return head;
}

PoolConfig pool(const QString &name)
{
    PoolConfig config;
    config.name = name;
    return config;
}

RouteConfig toPool(const QString &name, const QString &poolName,
                   std::optional<RouteMatch> match = std::nullopt)
{
    RouteConfig route;
    route.name = name;
    route.pool = poolName;
    route.match = std::move(match);
    return route;
}

RouteMatch hostMatch(const QString &host)
{
    RouteMatch match;
    match.host = host;
    return match;
}

RouteMatch prefixMatch(const QString &prefix)
{
    RouteMatch match;
    match.pathPrefix = prefix;
    return match;
}

RouteConfig split(const QString &name, const QList<SplitTarget> &targets)
{
    RouteConfig route;
    route.name = name;
    route.action = RouteActionKind::Split;
    route.split = targets;
    return route;
}

RoutingTable routingOver(const QList<RouteConfig> &routes)
{
    const QList<PoolConfig> pools{pool(u"api"_s), pool(u"web"_s), pool(u"static"_s)};
    return RoutingTable(std::make_shared<const RouteSet>(routes, pools), {});
}

// The name of the route the request takes, or "<status>" when it takes none.
QString routeNameFor(const RoutingTable &routing, const RequestHead &head)
{
    const RouteDecision decision = routeRequest(routing, head);
    return decision.route != nullptr ? decision.route->config().name : QString::number(decision.status);
}

} // namespace

class RouterTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void selection_data();
    void selection();
    void firstMatchWins();
    void noDefaultRouteGives404();
    void malformedPathGives400();
    void splitFollowsWeightsExactly();
    void splitWithOnlyZeroWeightsHasNoTarget();
    void stickySplitKeepsClientOnItsPool();
    void stickySplitLeavesPoolWithoutWeight();
    void prefixRewrite_data();
    void prefixRewrite();
    void originalTargetKeptWithoutRewrite();
    void redirectPlaceholders_data();
    void redirectPlaceholders();
    void headerRules();
    void routeOverridesPoolPolicy();
};

void RouterTest::selection_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QList<HttpHeader>>("headers");
    QTest::addColumn<QString>("route");

    const QList<HttpHeader> none;
    QTest::newRow("host exact") << "/"_ba
                                << "api.example.com"_ba
                                << "GET"_ba << none << u"by-host"_s;
    QTest::newRow("host mixed case, port, trailing dot") << "/"_ba
                                                         << "API.Example.COM.:8080"_ba
                                                         << "GET"_ba << none << u"by-host"_s;
    QTest::newRow("wildcard subdomain") << "/"_ba
                                        << "a.b.shop.example"_ba
                                        << "GET"_ba << none << u"wildcard"_s;
    QTest::newRow("wildcard not the bare domain") << "/"_ba
                                                  << "shop.example"_ba
                                                  << "GET"_ba << none << u"default"_s;
    QTest::newRow("path exact") << "/health"_ba
                                << "x"_ba
                                << "GET"_ba << none << u"exact-path"_s;
    QTest::newRow("path exact is not a prefix") << "/health/x"_ba
                                                << "x"_ba
                                                << "GET"_ba << none << u"default"_s;
    QTest::newRow("prefix itself") << "/api"_ba
                                   << "x"_ba
                                   << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("prefix segment") << "/api/v1?x=1"_ba
                                    << "x"_ba
                                    << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("prefix not mid-segment") << "/apix"_ba
                                            << "x"_ba
                                            << "GET"_ba << none << u"default"_s;
    QTest::newRow("prefix encoded") << "/%61pi/x"_ba
                                    << "x"_ba
                                    << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("prefix via dot segments") << "/static/../api/x"_ba
                                             << "x"_ba
                                             << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("prefix via encoded dots") << "/static/%2e%2E/api"_ba
                                             << "x"_ba
                                             << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("prefix via doubled slashes") << "//api//x"_ba
                                                << "x"_ba
                                                << "GET"_ba << none << u"api-prefix"_s;
    QTest::newRow("encoded slash is no boundary") << "/api%2Fx"_ba
                                                  << "x"_ba
                                                  << "GET"_ba << none << u"default"_s;
    QTest::newRow("method") << "/upload"_ba
                            << "x"_ba
                            << "PUT"_ba << none << u"by-method"_s;
    QTest::newRow("method other") << "/upload"_ba
                                  << "x"_ba
                                  << "GET"_ba << none << u"default"_s;
    QTest::newRow("header value") << "/"_ba
                                  << "x"_ba
                                  << "GET"_ba << QList<HttpHeader>{{"x-canary", "1"}} << u"by-header"_s;
    QTest::newRow("header other value") << "/"_ba
                                        << "x"_ba
                                        << "GET"_ba << QList<HttpHeader>{{"X-Canary", "0"}} << u"default"_s;
    QTest::newRow("header present") << "/"_ba
                                    << "x"_ba
                                    << "GET"_ba << QList<HttpHeader>{{"X-Debug", ""}} << u"by-presence"_s;
    QTest::newRow("query") << "/search?q=a&v=2"_ba
                           << "x"_ba
                           << "GET"_ba << none << u"by-query"_s;
    QTest::newRow("query encoded") << "/search?v=%32"_ba
                                   << "x"_ba
                                   << "GET"_ba << none << u"by-query"_s;
    QTest::newRow("query other") << "/search?v=3"_ba
                                 << "x"_ba
                                 << "GET"_ba << none << u"default"_s;
    QTest::newRow("all of host and prefix") << "/admin/x"_ba
                                            << "ops.example.com"_ba
                                            << "GET"_ba << none << u"ops-admin"_s;
    QTest::newRow("only one of host and prefix") << "/admin/x"_ba
                                                 << "x"_ba
                                                 << "GET"_ba << none << u"default"_s;
}

void RouterTest::selection()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, host);
    QFETCH(QByteArray, method);
    QFETCH(QList<HttpHeader>, headers);
    QFETCH(QString, route);

    RouteMatch exactPath;
    exactPath.path = u"/health"_s;
    RouteMatch byMethod;
    byMethod.method = u"PUT"_s;
    byMethod.path = u"/upload"_s;
    RouteMatch byHeader;
    byHeader.headers.append({u"X-Canary"_s, u"1"_s, false});
    RouteMatch byPresence;
    byPresence.headers.append({u"x-debug"_s, QString(), true});
    RouteMatch byQuery;
    byQuery.query.append({u"v"_s, u"2"_s});
    RouteMatch opsAdmin = hostMatch(u"ops.example.com"_s);
    opsAdmin.pathPrefix = u"/admin"_s;
    const RoutingTable routing = routingOver({
        toPool(u"by-host"_s, u"api"_s, hostMatch(u"api.example.com"_s)),
        toPool(u"wildcard"_s, u"web"_s, hostMatch(u"*.shop.example"_s)),
        toPool(u"exact-path"_s, u"web"_s, exactPath),
        toPool(u"api-prefix"_s, u"api"_s, prefixMatch(u"/api"_s)),
        toPool(u"by-method"_s, u"web"_s, byMethod),
        toPool(u"by-header"_s, u"web"_s, byHeader),
        toPool(u"by-presence"_s, u"web"_s, byPresence),
        toPool(u"by-query"_s, u"web"_s, byQuery),
        toPool(u"ops-admin"_s, u"static"_s, opsAdmin),
        toPool(u"default"_s, u"static"_s),
    });
    QCOMPARE(routeNameFor(routing, request(target, host, method, headers)), route);
}

void RouterTest::firstMatchWins()
{
    const RoutingTable routing = routingOver({
        toPool(u"narrow"_s, u"api"_s, prefixMatch(u"/api/v2"_s)),
        toPool(u"broad"_s, u"web"_s, prefixMatch(u"/api"_s)),
        toPool(u"default"_s, u"static"_s),
    });
    QCOMPARE(routeNameFor(routing, request("/api/v2/x")), u"narrow"_s);
    QCOMPARE(routeNameFor(routing, request("/api/v1/x")), u"broad"_s);
    QCOMPARE(routeNameFor(routing, request("/other")), u"default"_s);
    const RouteDecision decision = routeRequest(routing, request("/api/v1/x"));
    QCOMPARE(decision.route->target(decision.target).poolName, u"web"_s);
    QCOMPARE(routing.routes().poolNames().at(decision.route->target(decision.target).pool), u"web"_s);
}

void RouterTest::noDefaultRouteGives404()
{
    const RoutingTable routing = routingOver({toPool(u"api"_s, u"api"_s, prefixMatch(u"/api"_s))});
    const RouteDecision decision = routeRequest(routing, request("/other"));
    QVERIFY(decision.route == nullptr);
    QCOMPARE(decision.status, 404);
}

void RouterTest::malformedPathGives400()
{
    const RoutingTable routing = routingOver({toPool(u"api"_s, u"api"_s, prefixMatch(u"/api"_s))});
    const RouteDecision decision = routeRequest(routing, request("/api/%zz"));
    QVERIFY(decision.route == nullptr);
    QCOMPARE(decision.status, 400);
    QVERIFY(!decision.reason.isEmpty());
}

void RouterTest::splitFollowsWeightsExactly()
{
    const RoutingTable routing = routingOver({split(u"canary"_s, {{u"web"_s, 80}, {u"api"_s, 20}})});
    QHash<QString, int> counts;
    for (int i = 0; i < 2000; ++i) {
        const RouteDecision decision = routeRequest(routing, request("/"));
        QVERIFY(decision.target >= 0);
        ++counts[decision.route->target(decision.target).poolName];
    }
    QCOMPARE(counts.value(u"web"_s), 1600);
    QCOMPARE(counts.value(u"api"_s), 400);
}

void RouterTest::splitWithOnlyZeroWeightsHasNoTarget()
{
    const RoutingTable routing = routingOver({split(u"off"_s, {{u"web"_s, 0}, {u"api"_s, 0}})});
    QCOMPARE(routeRequest(routing, request("/")).target, -1);
}

void RouterTest::stickySplitKeepsClientOnItsPool()
{
    RouteConfig route = split(u"canary"_s, {{u"web"_s, 50}, {u"api"_s, 50}});
    route.stickyCookie.name = u"lane"_s;
    const RoutingTable routing = routingOver({route});

    const RouteDecision first = routeRequest(routing, request("/"));
    QVERIFY(first.setCookie.startsWith("lane="));
    const QByteArray pair = first.setCookie.left(first.setCookie.indexOf(';'));
    const QString pinnedPool = first.route->target(first.target).poolName;
    for (int i = 0; i < 20; ++i) {
        const RouteDecision next =
            routeRequest(routing, request("/", "x", "GET", {{"Cookie", "a=b; " + pair}}));
        QCOMPARE(next.route->target(next.target).poolName, pinnedPool);
        QVERIFY(next.setCookie.isEmpty());
    }
}

void RouterTest::stickySplitLeavesPoolWithoutWeight()
{
    RouteConfig route = split(u"canary"_s, {{u"web"_s, 1}, {u"api"_s, 0}});
    route.stickyCookie.name = u"lane"_s;
    RouteConfig toApi = split(u"canary"_s, {{u"api"_s, 1}});
    toApi.stickyCookie.name = u"lane"_s;
    // A decision points into its routing table, which must outlive it.
    const RoutingTable allOnApi = routingOver({toApi});
    const RouteDecision onApi = routeRequest(allOnApi, request("/"));
    const QByteArray pair = onApi.setCookie.left(onApi.setCookie.indexOf(';'));

    const RoutingTable apiAtZero = routingOver({route});
    const RouteDecision rolledBack = routeRequest(apiAtZero, request("/", "x", "GET", {{"Cookie", pair}}));
    QCOMPARE(rolledBack.route->target(rolledBack.target).poolName, u"web"_s);
    QVERIFY(rolledBack.setCookie.startsWith("lane="));
    QVERIFY(!rolledBack.setCookie.startsWith(pair));
}

void RouterTest::prefixRewrite_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QString>("replacement");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("forwarded");

    QTest::newRow("strip") << u"/api"_s << QString() << "/api/users?id=7"_ba
                           << "/users?id=7"_ba;
    QTest::newRow("strip to root") << u"/api"_s << QString() << "/api"_ba
                                   << "/"_ba;
    QTest::newRow("replace") << u"/v1"_s << u"/v2"_s << "/v1/items"_ba
                             << "/v2/items"_ba;
    QTest::newRow("rewrite works on the normalised path") << u"/api"_s << QString() << "/%61pi/./x%2fy"_ba
                                                          << "/x%2Fy"_ba;
    QTest::newRow("not under the prefix: as sent") << u"/v1"_s << u"/v2"_s << "/v10/x"_ba << QByteArray();
}

void RouterTest::prefixRewrite()
{
    QFETCH(QString, prefix);
    QFETCH(QString, replacement);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, forwarded);
    RouteConfig route = toPool(u"rewrite"_s, u"api"_s);
    route.rewrite.prefix = prefix;
    route.rewrite.replacement = replacement;
    QCOMPARE(routeRequest(routingOver({route}), request(target)).forwardTarget, forwarded);
}

void RouterTest::originalTargetKeptWithoutRewrite()
{
    const RoutingTable routing = routingOver({toPool(u"api"_s, u"api"_s, prefixMatch(u"/api"_s))});
    const RouteDecision decision = routeRequest(routing, request("/api/./a%2fb?x=%41"));
    QVERIFY(decision.route != nullptr);
    QVERIFY(decision.forwardTarget.isNull());
}

void RouterTest::redirectPlaceholders_data()
{
    QTest::addColumn<QString>("location");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("all three") << u"https://{host}{path}?{query}"_s << "/a/b?x=1&y=2"_ba
                               << "https://shop.example.com/a/b?x=1&y=2"_ba;
    QTest::newRow("no query drops ?{query}") << u"https://{host}{path}?{query}"_s << "/a/b"_ba
                                             << "https://shop.example.com/a/b"_ba;
    QTest::newRow("empty query drops ?{query}") << u"https://{host}{path}?{query}"_s << "/a?"_ba
                                                << "https://shop.example.com/a"_ba;
    QTest::newRow("fixed") << u"/new"_s << "/old?x=1"_ba
                           << "/new"_ba;
}

void RouterTest::redirectPlaceholders()
{
    QFETCH(QString, location);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, expected);
    RedirectAction redirect;
    redirect.location = location;
    QCOMPARE(redirectLocation(redirect, request(target, "Shop.Example.com:8080")), expected);
}

void RouterTest::headerRules()
{
    HttpHeaders headers;
    headers.append("X-Keep", "1");
    headers.append("X-Drop", "a");
    headers.append("x-drop", "b");
    headers.append("X-Set", "old");
    headers.append("X-Add", "first");
    HeaderRules rules;
    rules.remove = {"X-DROP"};
    rules.set = {{"x-set", "new"}};
    rules.add = {{"X-Add", "second"}};
    applyHeaderRules(headers, rules);
    QCOMPARE(headers.value("x-keep"), "1"_ba);
    QCOMPARE(headers.count("x-drop"), 0);
    QCOMPARE(headers.count("x-set"), 1);
    QCOMPARE(headers.value("x-set"), "new"_ba);
    QCOMPARE(headers.count("x-add"), 2);
    QCOMPARE(headers.at(headers.size() - 1).value, "second"_ba);
}

void RouterTest::routeOverridesPoolPolicy()
{
    PoolConfig api = pool(u"api"_s);
    api.policy.upstreamResponseMs = 7'000;
    api.policy.maxBodyBytes = 100;
    RouteConfig uploads = toPool(u"uploads"_s, u"api"_s, prefixMatch(u"/upload"_s));
    uploads.overrides.maxBodyBytes = 1'000'000;
    const RoutingTable routing(
        std::make_shared<const RouteSet>(QList<RouteConfig>{uploads, toPool(u"rest"_s, u"api"_s)},
                                         QList<PoolConfig>{api}),
        {});
    const RouteDecision upload = routeRequest(routing, request("/upload/x"));
    QCOMPARE(upload.route->target(upload.target).policy.maxBodyBytes, 1'000'000);
    QCOMPARE(upload.route->target(upload.target).policy.upstreamResponseMs, 7'000);
    const RouteDecision other = routeRequest(routing, request("/x"));
    QCOMPARE(other.route->target(other.target).policy.maxBodyBytes, 100);
}

QTEST_GUILESS_MAIN(RouterTest)
#include "tst_router.moc"
