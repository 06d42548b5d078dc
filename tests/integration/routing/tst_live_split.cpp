// SPDX-License-Identifier: GPL-3.0-or-later
// A traffic split changes while requests flow: the canary slider moves 20 times under a request loop
// on two workers. No request may fail, and after each move the pools' shares must match the new
// weights within 2 %. Then a reload that leaves the split alone keeps the live weights, and one that
// changes it takes the configured ones.
#include "BalancingTest.h"
#include "RawClient.h"
#include "proxy/ProxyServer.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kConnections = 3;
// Requests after a change that may still have been routed with the previous split: the new route set
// is posted to both workers before setSplit returns, and each worker starts at most one request per
// connection per turn of its event loop. Four times that, to spare.
constexpr int kSkip = 4 * kConnections;
// The split is a smooth weighted round robin over one shared cursor, so over any stretch each pool's
// count is within about 1 of stretch × share; the window's two ends can race with the neighbouring
// windows by kConnections - 1 requests each. 2 % of 400 is 8.
constexpr int kWindow = 400;
constexpr double kTolerance = 0.02;
constexpr qint64 kMaxRequests = 40'000;
constexpr int kMaxDurationMs = 120'000;

PoolConfig poolOf(const QString &name, const FakeBackend &backend)
{
    PoolConfig pool;
    pool.name = name;
    pool.backends = {backendConfigFor(backend)};
    return pool;
}

RouteConfig canaryRoute(int stable, int canary)
{
    RouteConfig route;
    route.name = u"canary"_s;
    route.action = RouteActionKind::Split;
    route.split = {{u"stable"_s, stable}, {u"canary"_s, canary}};
    return route;
}

} // namespace

class TestLiveSplit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void sliderMovesUnderLoad();
    void reloadKeepsLiveSplitItDoesNotChange();
    void invalidSplitIsRefused();

private:
    ProxyConfig configWith(int stable, int canary) const;

    std::unique_ptr<FakeBackend> m_stable;
    std::unique_ptr<FakeBackend> m_canary;
    std::unique_ptr<ProxyServer> m_server;
};

ProxyConfig TestLiveSplit::configWith(int stable, int canary) const
{
    ProxyConfig config = inProcessConfig({});
    config.pools = {poolOf(u"stable"_s, *m_stable), poolOf(u"canary"_s, *m_canary)};
    config.routes = {canaryRoute(stable, canary)};
    return config;
}

void TestLiveSplit::init()
{
    m_stable = std::make_unique<FakeBackend>(u"stable-1"_s);
    m_canary = std::make_unique<FakeBackend>(u"canary-1"_s);
    QVERIFY(m_stable->start());
    QVERIFY(m_canary->start());
    m_server = std::make_unique<ProxyServer>();
    QString error;
    QVERIFY2(m_server->start(configWith(95, 5), &error), qPrintable(error));
}

void TestLiveSplit::cleanup()
{
    m_server.reset();
    m_stable.reset();
    m_canary.reset();
}

void TestLiveSplit::sliderMovesUnderLoad()
{
    RoutingRegistry &routing = m_server->routing();
    QSignalSpy announced(&routing, &RoutingRegistry::splitChanged);
    LoadGenerator load(m_server->boundAddresses().constFirst().port, kConnections);
    load.start(kMaxRequests, kMaxDurationMs);
    QVERIFY(load.waitForRange(0, 50, 10'000));

    const int canaryShares[] = {5, 10, 25, 50, 75, 100, 0, 50, 1, 99, 20, 80, 33, 67, 0, 100, 40, 60, 10, 5};
    for (const int canary : canaryShares) {
        QString error;
        QVERIFY2(routing.setSplit(u"canary"_s, {{u"stable"_s, 100 - canary}, {u"canary"_s, canary}},
                                  u"test"_s, &error),
                 qPrintable(error));
        const qint64 from = load.issued() + kSkip;
        QVERIFY(load.waitForRange(from, from + kWindow, 30'000));
        const QHash<QByteArray, int> counts = countByBackend(load.samples(from, from + kWindow));
        const double canaryShare = double(counts.value("canary-1")) / kWindow;
        QVERIFY2(std::abs(canaryShare - canary / 100.0) <= kTolerance,
                 qPrintable(u"canary at %1 %: %2"_s.arg(canary).arg(describeCounts(counts))));
    }
    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    // The first move is to where the split already was: nothing to announce.
    QCOMPARE(announced.size(), int(std::size(canaryShares)) - 1);
    QCOMPARE(announced.constFirst().at(1).toString(), u"stable 95, canary 5"_s);
    QCOMPARE(announced.constFirst().at(2).toString(), u"stable 90, canary 10"_s);
}

void TestLiveSplit::reloadKeepsLiveSplitItDoesNotChange()
{
    RoutingRegistry &routing = m_server->routing();
    QString error;
    QVERIFY2(routing.setSplit(u"canary"_s, {{u"stable"_s, 50}, {u"canary"_s, 50}}, u"operator"_s, &error),
             qPrintable(error));

    // The file still says 95/5: what the operator set live stays.
    QVERIFY2(m_server->applyRouting(configWith(95, 5), u"SIGHUP reload"_s, &error), qPrintable(error));
    QCOMPARE(routing.routes().constFirst().split, canaryRoute(50, 50).split);

    // The file now says 70/30: the file's change wins, and it is announced.
    QSignalSpy announced(&routing, &RoutingRegistry::splitChanged);
    QVERIFY2(m_server->applyRouting(configWith(70, 30), u"SIGHUP reload"_s, &error), qPrintable(error));
    QCOMPARE(routing.routes().constFirst().split, canaryRoute(70, 30).split);
    QCOMPARE(announced.size(), 1);
    QCOMPARE(announced.constFirst().at(2).toString(), u"stable 70, canary 30"_s);

    int canary = 0;
    for (int i = 0; i < 100; ++i) {
        const HttpResponse response =
            fetch(m_server->boundAddresses().constFirst().port, RawClient::get("/"));
        QCOMPARE(response.status, 200);
        canary += response.header("x-backend") == "canary-1" ? 1 : 0;
    }
    QCOMPARE(canary, 30);
}

void TestLiveSplit::invalidSplitIsRefused()
{
    RoutingRegistry &routing = m_server->routing();
    const QList<SplitTarget> before = routing.routes().constFirst().split;
    QString error;
    QVERIFY(!routing.setSplit(u"canary"_s, {{u"stable"_s, 0}, {u"canary"_s, 0}}, u"test"_s, &error));
    QVERIFY2(error.contains(u"routes[0]"_s), qPrintable(error));
    QVERIFY(!routing.setSplit(u"canary"_s, {{u"nowhere"_s, 10}}, u"test"_s, &error));
    QVERIFY2(error.contains(u"nowhere"_s), qPrintable(error));
    QVERIFY(!routing.setSplit(u"canary"_s, {{u"stable"_s, 10'001}}, u"test"_s, &error));
    QVERIFY(!routing.setSplit(u"missing"_s, {{u"stable"_s, 1}}, u"test"_s, &error));
    QVERIFY2(error.contains(u"unknown route"_s), qPrintable(error));
    QCOMPARE(routing.routes().constFirst().split, before);
}

QTEST_GUILESS_MAIN(TestLiveSplit)
#include "tst_live_split.moc"
