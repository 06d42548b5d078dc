// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTestSupport.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestLeastConnections : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void choosesFewestInFlight();
    void loadIsPerUnitOfWeight_data();
    void loadIsPerUnitOfWeight();
    void tiesRotate();
    void onlyTheLeastLoadedShareTurns();
    void skipsBackendsOutOfRotation();
    void emptyRotationGivesNoBackend();
};

void TestLeastConnections::choosesFewestInFlight()
{
    const BackendTable table = tableWithWeights({1, 1, 1, 1}, StrategyKind::LeastConnections);
    setInFlight(table, {3, 2, 1, 4});
    QCOMPARE(picks(table, 6), u"cccccc"_s);
    setInFlight(table, {3, 2, 5, 4});
    QCOMPARE(picks(table, 3), u"bbb"_s);
}

void TestLeastConnections::loadIsPerUnitOfWeight_data()
{
    QTest::addColumn<QList<int>>("weights");
    QTest::addColumn<QList<int>>("inFlight");
    QTest::addColumn<QString>("expected");
    // 4 / 2 = 2 beats 3 / 1 = 3, though 4 > 3.
    QTest::newRow("4@2 vs 3@1") << QList<int>{2, 1} << QList<int>{4, 3} << u"aaaa"_s;
    QTest::newRow("4@2 vs 1@1") << QList<int>{2, 1} << QList<int>{4, 1} << u"bbbb"_s;
    // 2 / 2 = 1 / 1 exactly: a tie, served in turn.
    QTest::newRow("exact tie across weights") << QList<int>{2, 1} << QList<int>{2, 1} << u"abab"_s;
    QTest::newRow("weights 3 5 7") << QList<int>{3, 5, 7} << QList<int>{2, 3, 4} << u"cccc"_s;
    // The least common multiple of these weights is beyond 2^31: the cross-multiplying scan.
    // 997 / 997, 990 / 991, 983 / 983, 977 / 977: only b is below one.
    QTest::newRow("large coprime weights")
        << QList<int>{997, 991, 983, 977} << QList<int>{997, 990, 983, 977} << u"bbbb"_s;
    QTest::newRow("large coprime weights, idle")
        << QList<int>{997, 991, 983, 977} << QList<int>{0, 0, 0, 0} << u"abcdabcd"_s;
    QTest::newRow("large coprime weights, tie")
        << QList<int>{997, 991, 983, 977} << QList<int>{997, 1000, 983, 977} << u"accdac"_s;
}

void TestLeastConnections::loadIsPerUnitOfWeight()
{
    QFETCH(QList<int>, weights);
    QFETCH(QList<int>, inFlight);
    QFETCH(QString, expected);
    const BackendTable table = tableWithWeights(weights, StrategyKind::LeastConnections);
    setInFlight(table, inFlight);
    QCOMPARE(picks(table, int(expected.size())), expected);
}

void TestLeastConnections::tiesRotate()
{
    const BackendTable table = tableWithWeights({1, 1, 1}, StrategyKind::LeastConnections);
    QCOMPARE(picks(table, 7), u"abcabca"_s);
    const BackendTable weighted = tableWithWeights({1, 5, 2}, StrategyKind::LeastConnections);
    QCOMPARE(picks(weighted, 6), u"abcabc"_s);
}

void TestLeastConnections::onlyTheLeastLoadedShareTurns()
{
    // The scan starts one backend further on each pick and the first least loaded backend from
    // there wins: b wins the scans starting at a, b and e, d those starting at c and d.
    const BackendTable table = tableWithWeights({1, 1, 1, 1, 1}, StrategyKind::LeastConnections);
    setInFlight(table, {1, 0, 1, 0, 2});
    QCOMPARE(picks(table, 10), u"bbddbbbddb"_s);
    QCOMPARE(pickCounts(table, 1000), (std::vector<int>{0, 600, 0, 400, 0}));
}

void TestLeastConnections::skipsBackendsOutOfRotation()
{
    QList<Backend> backends = backendsWithWeights({1, 0, 1, 1});
    backends[2].state = BackendState::Down;
    const BackendTable table(backends, 1, balancing(StrategyKind::LeastConnections));
    setInFlight(table, {5, 0, 0, 6});
    QCOMPARE(picks(table, 3), u"aaa"_s);
}

void TestLeastConnections::emptyRotationGivesNoBackend()
{
    QCOMPARE(picks(tableWithWeights({0}, StrategyKind::LeastConnections), 2), u"--"_s);
    QCOMPARE(picks(tableWithWeights({}, StrategyKind::LeastConnections), 2), u"--"_s);
    const BackendTable single = tableWithWeights({4}, StrategyKind::LeastConnections);
    setInFlight(single, {100});
    QCOMPARE(picks(single, 2), u"aa"_s);
}

QTEST_APPLESS_MAIN(TestLeastConnections)
#include "tst_leastconnections.moc"
