// SPDX-License-Identifier: GPL-3.0-or-later
// What routing one request costs: routeRequest() from a parsed head to the chosen route and target, for
// the configurations an operator writes, on one thread.
//
//   ./build/release/bench/bench_route_request [-iterations N] [routeRequest:catch-all]
//
// Qt's RESULT lines give msecs per iteration; an iteration routes RequestsPerIteration requests, so
// msecs × 1e6 / RequestsPerIteration is nanoseconds per request.

#include "routing/Router.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

constexpr int RequestsPerIteration = 1000;

RouteConfig prefixRoute(const QString &prefix, const QString &pool)
{
    RouteConfig route;
    route.name = prefix;
    route.pool = pool;
    route.match = RouteMatch{};
    route.match->pathPrefix = prefix;
    return route;
}

RequestHead head(QByteArray target, QByteArray host = "shop.example.com")
{
    RequestHead request;
    request.method = "GET";
    request.target = std::move(target);
    request.host = std::move(host);
    request.headers.append("User-Agent", "bench");
    request.headers.append("Accept", "*/*");
    return request;
}

QList<PoolConfig> pools(const QStringList &names)
{
    QList<PoolConfig> list;
    for (const QString &name : names) {
        PoolConfig pool;
        pool.name = name;
        list.append(pool);
    }
    return list;
}

} // namespace

class BenchRouteRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void routeRequest_data();
    void routeRequest();
};

void BenchRouteRequest::routeRequest_data()
{
    QTest::addColumn<std::shared_ptr<const RouteSet>>("routes");
    QTest::addColumn<QByteArray>("target");

    RouteConfig catchAll;
    catchAll.name = u"default"_s;
    catchAll.pool = u"web"_s;
    const QList<PoolConfig> webApi = pools({u"web"_s, u"api"_s});
    QTest::newRow("catch-all") << std::make_shared<const RouteSet>(QList<RouteConfig>{catchAll}, webApi)
                               << "/products/42?ref=home"_ba;

    QList<RouteConfig> tenPrefixes;
    for (int i = 0; i < 9; ++i)
        tenPrefixes.append(prefixRoute(u"/section%1"_s.arg(i), u"api"_s));
    tenPrefixes.append(catchAll);
    const auto tenRoutes = std::make_shared<const RouteSet>(tenPrefixes, webApi);
    QTest::newRow("10 prefixes, default taken") << tenRoutes << "/products/42?ref=home"_ba;
    QTest::newRow("10 prefixes, non-normal path") << tenRoutes << "/static/../products/%34%32?ref=home"_ba;

    RouteConfig canary;
    canary.name = u"canary"_s;
    canary.action = RouteActionKind::Split;
    canary.split = {{u"web"_s, 95}, {u"api"_s, 5}};
    canary.stickyCookie.name = u"lane"_s;
    QTest::newRow("sticky split") << std::make_shared<const RouteSet>(QList<RouteConfig>{canary}, webApi)
                                  << "/products/42"_ba;
}

void BenchRouteRequest::routeRequest()
{
    QFETCH(std::shared_ptr<const RouteSet>, routes);
    QFETCH(QByteArray, target);
    const RoutingTable routing(routes, {});
    const RequestHead request = head(target);
    qsizetype chosen = 0;
    QBENCHMARK
    {
        for (int i = 0; i < RequestsPerIteration; ++i)
            chosen += fulcrum::routeRequest(routing, request).target;
    }
    QVERIFY(chosen >= 0);
}

QTEST_GUILESS_MAIN(BenchRouteRequest)
#include "bench_route_request.moc"
