// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTestSupport.h"
#include "balancing/FastRandom.h"
#include "balancing/PowerOfTwoStrategy.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestPowerOfTwo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void singleBackendAlwaysWins();
    void lessLoadedOfTwoWins();
    void neverPicksTheMostLoadedWhenOthersAreIdle();
    void candidatesAreDistinctEvenWithOneHeavyBackend();
    void excludingSampleFollowsTheOtherWeights();
    void idleShareFollowsWeights();
    void emptyRotationGivesNoBackend();
};

void TestPowerOfTwo::init()
{
    // Reproducible draws; the bounds below hold for any seed.
    FastRandom::thisThread() = FastRandom(20261124);
}

void TestPowerOfTwo::singleBackendAlwaysWins()
{
    QList<Backend> backends = backendsWithWeights({1, 3});
    backends[0].state = BackendState::Maintenance;
    const BackendTable table(backends, 1, balancing(StrategyKind::PowerOfTwo));
    setInFlight(table, {0, 50});
    QCOMPARE(picks(table, 5), u"bbbbb"_s);
}

void TestPowerOfTwo::lessLoadedOfTwoWins()
{
    const BackendTable table = tableWithWeights({1, 1}, StrategyKind::PowerOfTwo);
    setInFlight(table, {5, 0});
    QCOMPARE(pickCounts(table, 1000), (std::vector<int>{0, 1000}));
    setInFlight(table, {2, 3});
    QCOMPARE(pickCounts(table, 1000), (std::vector<int>{1000, 0}));
    // Per unit of weight: 4 / 2 = 2 beats 3 / 1 = 3.
    const BackendTable weighted = tableWithWeights({2, 1}, StrategyKind::PowerOfTwo);
    setInFlight(weighted, {4, 3});
    QCOMPARE(pickCounts(weighted, 1000), (std::vector<int>{1000, 0}));
}

void TestPowerOfTwo::neverPicksTheMostLoadedWhenOthersAreIdle()
{
    // Every pair that holds a also holds an idle backend, so a can never win.
    const BackendTable table = tableWithWeights({5, 1, 1, 1}, StrategyKind::PowerOfTwo);
    setInFlight(table, {1, 0, 0, 0});
    const std::vector<int> counts = pickCounts(table, 10000);
    QCOMPARE(counts.at(0), 0);
    for (std::size_t i = 1; i < 4; ++i)
        QVERIFY2(counts.at(i) > 2000, qPrintable(u"%1: %2"_s.arg(i).arg(counts.at(i))));
}

void TestPowerOfTwo::candidatesAreDistinctEvenWithOneHeavyBackend()
{
    // a takes 1000 / 1001 of every draw; b must still be the second candidate every time.
    const BackendTable table = tableWithWeights({1000, 1}, StrategyKind::PowerOfTwo);
    setInFlight(table, {1, 0});
    QCOMPARE(pickCounts(table, 10000), (std::vector<int>{0, 10000}));
}

void TestPowerOfTwo::excludingSampleFollowsTheOtherWeights()
{
    const PowerOfTwoStrategy strategy(
        {{0, 1, nullptr, u"a"_s}, {1, 2, nullptr, u"b"_s}, {2, 3, nullptr, u"c"_s}});
    // Without b the weight line is 0 (a) and 1..3 (c): random values 0..3999 fall on it exactly
    // 1000 and 3000 times.
    std::vector<int> counts(3, 0);
    for (quint64 random = 0; random < 4000; ++random)
        ++counts[std::size_t(strategy.sampleExcluding(1, random))];
    QCOMPARE(counts, (std::vector<int>{1000, 0, 3000}));
    counts.assign(3, 0);
    for (quint64 random = 0; random < 3000; ++random)
        ++counts[std::size_t(strategy.sampleExcluding(2, random))];
    QCOMPARE(counts, (std::vector<int>{1000, 2000, 0}));
}

void TestPowerOfTwo::idleShareFollowsWeights()
{
    // With every backend idle the first candidate wins the tie, and it is drawn by weight: each pick
    // lands on backend i with probability w_i / W, independently, so its count is binomial. Five
    // standard deviations (fiveSigma) bound it for any correct implementation.
    const QList<int> weights{1, 2, 3, 4};
    const BackendTable table = tableWithWeights(weights, StrategyKind::PowerOfTwo);
    constexpr int Picks = 100000;
    const std::vector<int> counts = pickCounts(table, Picks);
    QCOMPARE(counts.size(), std::size_t(4));
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double p = weights.at(qsizetype(i)) / 10.0;
        const double expected = Picks * p;
        QVERIFY2(
            std::abs(counts[i] - expected) <= fiveSigma(Picks, p),
            qPrintable(u"backend %1: %2 picks, expected %3 ± %4"_s.arg(i).arg(counts[i]).arg(expected).arg(
                fiveSigma(Picks, p))));
    }
}

void TestPowerOfTwo::emptyRotationGivesNoBackend()
{
    QCOMPARE(picks(tableWithWeights({0, 0}, StrategyKind::PowerOfTwo), 2), u"--"_s);
}

QTEST_APPLESS_MAIN(TestPowerOfTwo)
#include "tst_poweroftwo.moc"
