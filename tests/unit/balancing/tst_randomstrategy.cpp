// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTestSupport.h"
#include "balancing/FastRandom.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestRandomStrategy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void shareFollowsWeights_data();
    void shareFollowsWeights();
    void skipsBackendsOutOfRotation();
    void emptyRotationGivesNoBackend();
};

void TestRandomStrategy::init()
{
    // Reproducible draws; the bounds below hold for any seed.
    FastRandom::thisThread() = FastRandom(7);
}

void TestRandomStrategy::shareFollowsWeights_data()
{
    QTest::addColumn<QList<int>>("weights");
    QTest::newRow("5 1 1") << QList<int>{5, 1, 1};
    QTest::newRow("equal") << QList<int>{3, 3, 3, 3};
    QTest::newRow("1 to 1000") << QList<int>{1000, 1, 10, 100};
    QList<int> many;
    for (int i = 0; i < 64; ++i)
        many.append(1 + (i * 37) % 50);
    QTest::newRow("64 backends") << many;
}

void TestRandomStrategy::shareFollowsWeights()
{
    // Each pick lands on backend i with probability w_i / W, independently of the others, so its count
    // over the picks is binomial: five standard deviations (fiveSigma) bound it for a correct strategy.
    QFETCH(QList<int>, weights);
    const BackendTable table = tableWithWeights(weights, StrategyKind::Random);
    constexpr int Picks = 200000;
    const std::vector<int> counts = pickCounts(table, Picks);
    QCOMPARE(counts.size(), std::size_t(weights.size()));
    double total = 0;
    for (const int weight : weights)
        total += weight;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double p = weights.at(qsizetype(i)) / total;
        const double expected = Picks * p;
        QVERIFY2(
            std::abs(counts[i] - expected) <= fiveSigma(Picks, p),
            qPrintable(u"backend %1: %2 picks, expected %3 ± %4"_s.arg(i).arg(counts[i]).arg(expected).arg(
                fiveSigma(Picks, p))));
    }
}

void TestRandomStrategy::skipsBackendsOutOfRotation()
{
    QList<Backend> backends = backendsWithWeights({1, 0, 1, 1});
    backends[2].state = BackendState::Draining;
    const BackendTable table(backends, 1, balancing(StrategyKind::Random));
    const std::vector<int> counts = pickCounts(table, 2000);
    QCOMPARE(counts.at(1), 0);
    QCOMPARE(counts.at(2), 0);
    QCOMPARE(counts.at(0) + counts.at(3), 2000);
    QVERIFY(counts.at(0) > 800 && counts.at(3) > 800);
}

void TestRandomStrategy::emptyRotationGivesNoBackend()
{
    QCOMPARE(picks(tableWithWeights({0, 0}, StrategyKind::Random), 2), u"--"_s);
    QCOMPARE(picks(tableWithWeights({}, StrategyKind::Random), 2), u"--"_s);
}

QTEST_APPLESS_MAIN(TestRandomStrategy)
#include "tst_randomstrategy.moc"
