// SPDX-License-Identifier: GPL-3.0-or-later
// How each balancing strategy spreads real requests over real backends: exact counts where the
// strategy promises them (round robin, also across workers and in the fulcrumd process), statistical
// bounds where it is random, and load-awareness where it looks at requests in flight.
#include "BalancingTest.h"
#include "ProxyTest.h"
#include "proxy/ProxyServer.h"

#include <QHash>
#include <QSet>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kLoadTimeoutMs = 60'000;

// Three FakeBackends "a", "b", "c" behind an in-process ProxyServer with two workers.
struct Pool
{
    FakeBackend a{u"a"_s};
    FakeBackend b{u"b"_s};
    FakeBackend c{u"c"_s};
    ProxyServer server;
    QString error;

    bool start(const QList<int> &weights, const BalancingConfig &balancing)
    {
        if (!a.start() || !b.start() || !c.start()) {
            error = u"a FakeBackend did not start"_s;
            return false;
        }
        return server.start(
            inProcessConfig({backendConfigFor(a, weights.at(0)), backendConfigFor(b, weights.at(1)),
                             backendConfigFor(c, weights.at(2))},
                            balancing),
            &error);
    }
    quint16 port() const { return server.boundAddresses().constFirst().port; }
};

BalancingConfig strategy(StrategyKind kind)
{
    BalancingConfig balancing;
    balancing.strategy = kind;
    return balancing;
}

// Runs `total` requests over `connections` concurrent connections and waits for all of them.
#define RUN_LOAD(load, total)                                                                                \
    do {                                                                                                     \
        (load).start((total), kLoadTimeoutMs);                                                               \
        QVERIFY((load).waitForFinished(kLoadTimeoutMs + 10'000));                                            \
        QCOMPARE((load).completedCount(), qint64(total));                                                    \
        QVERIFY2((load).failures().isEmpty(), qPrintable(describeFailures((load).failures())));              \
    } while (false)

} // namespace

class TestStrategyDistribution : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundRobinIsExactAcrossWorkersAndConnections();
    void loadAwareStrategiesAvoidSlowBackend_data();
    void loadAwareStrategiesAvoidSlowBackend();
    void randomSharesFollowWeights_data();
    void randomSharesFollowWeights();
    void consistentHashKeepsKeysOnTheirBackend();
    void fulcrumdRoundRobinIsExactAcrossWorkers();
};

// Smooth weighted round robin runs one schedule with one cursor for all workers: 5, 1, 1 over 700
// requests from six concurrent connections (spread by the kernel over both workers) is exactly
// 500, 100, 100, whatever the interleaving.
void TestStrategyDistribution::roundRobinIsExactAcrossWorkersAndConnections()
{
    Pool pool;
    QVERIFY2(pool.start({5, 1, 1}, strategy(StrategyKind::RoundRobin)), qPrintable(pool.error));
    QCOMPARE(pool.server.workerCount(), 2);

    LoadGenerator load(pool.port(), 6);
    RUN_LOAD(load, 700);
    const QList<LoadSample> samples = load.samples();
    const QHash<QByteArray, int> counts = countByBackend(samples);
    QVERIFY2(counts.value("a") == 500 && counts.value("b") == 100 && counts.value("c") == 100,
             qPrintable(describeCounts(counts)));
    QCOMPARE(pool.a.requestCount(), 500);
    QCOMPARE(pool.b.requestCount(), 100);
    QCOMPARE(pool.c.requestCount(), 100);
    // The connections really ran side by side: every one of them carried a share.
    QSet<int> connections;
    for (const LoadSample &sample : samples)
        connections.insert(sample.connection);
    QCOMPARE(connections.size(), 6);
}

// Least connections sends to the fewest in-flight requests (ties rotate). With four concurrent
// connections and "c" answering after 100 ms, c can hold at most two requests at a time (a third
// would need a and b at two each, which takes more than the four connections) while a and b answer
// in well under a millisecond. So c serves a small fraction: the bound asserted is an eighth of
// the requests (50 of 400), where round robin or random would give it a third (~133).
// Power of two: of two weighted random candidates the less loaded one wins, so while c holds a
// request it wins only against a candidate at least as loaded: the same bound holds.
void TestStrategyDistribution::loadAwareStrategiesAvoidSlowBackend_data()
{
    QTest::addColumn<StrategyKind>("kind");
    QTest::newRow("least-connections") << StrategyKind::LeastConnections;
    QTest::newRow("power-of-two") << StrategyKind::PowerOfTwo;
}

void TestStrategyDistribution::loadAwareStrategiesAvoidSlowBackend()
{
    QFETCH(StrategyKind, kind);
    Pool pool;
    pool.c.setDefaultBehaviour(Behaviour::fixed().withDelay(100));
    QVERIFY2(pool.start({1, 1, 1}, strategy(kind)), qPrintable(pool.error));

    constexpr int kTotal = 400;
    LoadGenerator load(pool.port(), 4);
    RUN_LOAD(load, kTotal);
    const QHash<QByteArray, int> counts = countByBackend(load.samples());
    QVERIFY2(counts.value("c") >= 1 && counts.value("c") <= kTotal / 8, qPrintable(describeCounts(counts)));
    QVERIFY2(counts.value("a") >= kTotal / 3 && counts.value("b") >= kTotal / 3,
             qPrintable(describeCounts(counts)));
}

void TestStrategyDistribution::randomSharesFollowWeights_data()
{
    QTest::addColumn<StrategyKind>("kind");
    QTest::addColumn<int>("connections");
    // Random ignores load, so concurrent connections change nothing.
    QTest::newRow("random") << StrategyKind::Random << 4;
    // Power of two with one connection: no other request is in flight when one is picked, so the
    // first weighted candidate always wins and the shares are the weights' exactly (in expectation).
    QTest::newRow("power-of-two, one connection") << StrategyKind::PowerOfTwo << 1;
}

// Weights 3, 2, 1 over 1200 requests: each count is binomial with p = 1/2, 1/3, 1/6 and must lie
// within 5 standard deviations of its mean (600 ± 87, 400 ± 82, 200 ± 65); a correct strategy
// fails this about once in a million runs, a strategy ignoring the weights (400 each) always does.
void TestStrategyDistribution::randomSharesFollowWeights()
{
    QFETCH(StrategyKind, kind);
    QFETCH(int, connections);
    Pool pool;
    QVERIFY2(pool.start({3, 2, 1}, strategy(kind)), qPrintable(pool.error));

    constexpr int kTotal = 1200;
    LoadGenerator load(pool.port(), connections);
    RUN_LOAD(load, kTotal);
    const QHash<QByteArray, int> counts = countByBackend(load.samples());
    QCOMPARE(counts.value("a") + counts.value("b") + counts.value("c"), kTotal);
    const QString missA = binomialMiss(counts.value("a"), kTotal, 3.0 / 6, 5);
    const QString missB = binomialMiss(counts.value("b"), kTotal, 2.0 / 6, 5);
    const QString missC = binomialMiss(counts.value("c"), kTotal, 1.0 / 6, 5);
    QVERIFY2(missA.isEmpty(), qPrintable(u"a: "_s + missA));
    QVERIFY2(missB.isEmpty(), qPrintable(u"b: "_s + missB));
    QVERIFY2(missC.isEmpty(), qPrintable(u"c: "_s + missC));
}

// Consistent hashing on X-User: every key stays on one backend whichever connection (and so
// whichever worker) carries it; 300 keys spread over all three backends by weight (3, 2, 1: the
// number of keys on each within 5 σ of binomial(300, 1/2, 1/3, 1/6), i.e. 150 ± 43, 100 ± 41,
// 50 ± 32); requests without the header still succeed, by weighted round robin (exactly 30, 20, 10
// of 60).
void TestStrategyDistribution::consistentHashKeepsKeysOnTheirBackend()
{
    BalancingConfig balancing = strategy(StrategyKind::ConsistentHash);
    balancing.hashKey = {HashKey::Source::Header, u"X-User"_s};
    Pool pool;
    QVERIFY2(pool.start({3, 2, 1}, balancing), qPrintable(pool.error));

    constexpr int kKeys = 300;
    constexpr int kRounds = 3;
    const auto keyOf = [](qint64 seq) { return QByteArray("user-" + QByteArray::number(seq % kKeys)); };
    LoadGenerator load(pool.port(), 3, [&keyOf](qint64 seq) {
        return RawClient::get("/profile", {{"X-User", keyOf(seq)}});
    });
    RUN_LOAD(load, kKeys * kRounds);

    QHash<QByteArray, QByteArray> backendOfKey;
    QHash<QByteArray, QSet<int>> connectionsOfKey;
    for (const LoadSample &sample : load.samples()) {
        const QByteArray key = keyOf(sample.seq);
        connectionsOfKey[key].insert(sample.connection);
        const auto known = backendOfKey.constFind(key);
        if (known == backendOfKey.cend())
            backendOfKey.insert(key, sample.backend);
        else
            QVERIFY2(*known == sample.backend, qPrintable(u"%1 went to %2, then to %3"_s.arg(
                                                   QString::fromLatin1(key), QString::fromLatin1(*known),
                                                   QString::fromLatin1(sample.backend))));
    }
    QCOMPARE(backendOfKey.size(), kKeys);
    int keysOnSeveralConnections = 0;
    for (const QSet<int> &connections : std::as_const(connectionsOfKey))
        keysOnSeveralConnections += connections.size() > 1 ? 1 : 0;
    QVERIFY2(keysOnSeveralConnections > kKeys / 4, qPrintable(QString::number(keysOnSeveralConnections)));

    QHash<QByteArray, int> keysPerBackend;
    for (const QByteArray &backend : std::as_const(backendOfKey))
        ++keysPerBackend[backend];
    const QString missA = binomialMiss(keysPerBackend.value("a"), kKeys, 3.0 / 6, 5);
    const QString missB = binomialMiss(keysPerBackend.value("b"), kKeys, 2.0 / 6, 5);
    const QString missC = binomialMiss(keysPerBackend.value("c"), kKeys, 1.0 / 6, 5);
    QVERIFY2(missA.isEmpty(), qPrintable(u"a: "_s + missA + u" ("_s + describeCounts(keysPerBackend) + u')'));
    QVERIFY2(missB.isEmpty(), qPrintable(u"b: "_s + missB + u" ("_s + describeCounts(keysPerBackend) + u')'));
    QVERIFY2(missC.isEmpty(), qPrintable(u"c: "_s + missC + u" ("_s + describeCounts(keysPerBackend) + u')'));

    // No key: the round robin fallback, which hashed requests never advance.
    LoadGenerator keyless(pool.port(), 3);
    RUN_LOAD(keyless, 60);
    const QHash<QByteArray, int> counts = countByBackend(keyless.samples());
    QVERIFY2(counts.value("a") == 30 && counts.value("b") == 20 && counts.value("c") == 10,
             qPrintable(describeCounts(counts)));
}

// The real process with two worker threads: weights 3, 1 hold exactly over 400 requests from four
// concurrent connections, because both workers share one schedule.
void TestStrategyDistribution::fulcrumdRoundRobinIsExactAcrossWorkers()
{
    FakeBackend a(u"a"_s), b(u"b"_s);
    QVERIFY(a.start() && b.start());
    FulcrumProcess proxy;
    QStringList args = backendArgs({&a, &b}, {3, 1});
    args << u"--strategy"_s << u"round-robin"_s << u"--access-log"_s << u"off"_s;
    QVERIFY2(proxy.start(args, 2), qPrintable(proxy.errorString()));

    LoadGenerator load(proxy.port(), 4);
    RUN_LOAD(load, 400);
    const QHash<QByteArray, int> counts = countByBackend(load.samples());
    QVERIFY2(counts.value("a") == 300 && counts.value("b") == 100, qPrintable(describeCounts(counts)));
    QCOMPARE(a.requestCount(), 300);
    QCOMPARE(b.requestCount(), 100);
    QVERIFY(proxy.isRunning());
}

QTEST_GUILESS_MAIN(TestStrategyDistribution)
#include "tst_strategy_distribution.moc"
