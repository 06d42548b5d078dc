// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTestSupport.h"
#include "balancing/RoundRobinStrategy.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestRoundRobin : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void interleavesWeights();
    void equalWeightsRotate();
    void commonDivisorShortensPeriod();
    void skipsZeroWeightAndUnavailable();
    void emptyRotationGivesNoBackend();
    void largeWeightsAreScaledDown();
    void exactAcrossThreads();
};

void TestRoundRobin::interleavesWeights()
{
    const BackendTable table = tableWithWeights({5, 1, 1}, StrategyKind::RoundRobin);
    QCOMPARE(picks(table, 14), u"aabacaaaabacaa"_s);
    const BackendTable twoToOne = tableWithWeights({1, 2}, StrategyKind::RoundRobin);
    QCOMPARE(picks(twoToOne, 6), u"babbab"_s);
}

void TestRoundRobin::equalWeightsRotate()
{
    QCOMPARE(picks(tableWithWeights({1, 1, 1}, StrategyKind::RoundRobin), 7), u"abcabca"_s);
    QCOMPARE(picks(tableWithWeights({7, 7, 7, 7}, StrategyKind::RoundRobin), 8), u"abcdabcd"_s);
}

void TestRoundRobin::commonDivisorShortensPeriod()
{
    QCOMPARE(smoothWeightedSchedule({10, 2, 2}, 1 << 20, 1 << 28),
             (std::vector<qint32>{0, 0, 1, 0, 2, 0, 0}));
    const RoundRobinStrategy strategy({{0, 400, nullptr, u"a"_s}, {1, 600, nullptr, u"b"_s}});
    QCOMPARE(strategy.schedule(), (std::vector<qint32>{1, 0, 1, 0, 1}));
}

void TestRoundRobin::skipsZeroWeightAndUnavailable()
{
    QList<Backend> backends = backendsWithWeights({1, 0, 1, 1, 1, 1});
    backends[3].state = BackendState::Down;
    backends[4].state = BackendState::Draining;
    backends[5].state = BackendState::Maintenance;
    const BackendTable table(backends, 1, balancing(StrategyKind::RoundRobin));
    QCOMPARE(picks(table, 4), u"acac"_s);
}

void TestRoundRobin::emptyRotationGivesNoBackend()
{
    QCOMPARE(picks(tableWithWeights({0, 0}, StrategyKind::RoundRobin), 2), u"--"_s);
    QCOMPARE(picks(tableWithWeights({}, StrategyKind::RoundRobin), 2), u"--"_s);
    QList<Backend> backends = backendsWithWeights({3});
    backends[0].state = BackendState::Down;
    QCOMPARE(picks(BackendTable(backends, 1, balancing(StrategyKind::RoundRobin)), 2), u"--"_s);
}

void TestRoundRobin::largeWeightsAreScaledDown()
{
    // Coprime weights whose sum exceeds the limit: scaled to about 100 steps, each kept at one.
    const std::vector<qint32> schedule = smoothWeightedSchedule({997, 500, 1}, 100, 1 << 28);
    QVERIFY2(schedule.size() >= 98 && schedule.size() <= 103,
             QByteArray::number(qsizetype(schedule.size())).constData());
    std::vector<int> counts(3, 0);
    for (const qint32 step : schedule)
        ++counts[std::size_t(step)];
    QCOMPARE(counts[2], 1);
    QVERIFY2(std::abs(counts[0] - 2 * counts[1]) <= 2,
             qPrintable(u"%1 vs %2"_s.arg(counts[0]).arg(counts[1])));
    // The work limit shortens the period too: 4 backends, at most 40 / 4 = 10 steps.
    QVERIFY(smoothWeightedSchedule({3, 5, 7, 11}, 1 << 20, 40).size() <= 12);
    // However hard the limits, every backend keeps a turn: 1000, 1, 1, 1 becomes 3, 1, 1, 1.
    QCOMPARE(smoothWeightedSchedule({1000, 1, 1, 1}, 2, 4), (std::vector<qint32>{0, 1, 0, 2, 3, 0}));
}

void TestRoundRobin::exactAcrossThreads()
{
    const BackendTable table = tableWithWeights({5, 1, 1}, StrategyKind::RoundRobin);
    std::atomic<int> counts[3] = {0, 0, 0};
    std::vector<std::thread> threads;
    for (const int share : {2334, 2333, 2333}) {
        threads.emplace_back([&table, &counts, share] {
            for (int i = 0; i < share; ++i)
                counts[table.pick({})].fetch_add(1);
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(counts[0].load(), 5000);
    QCOMPARE(counts[1].load(), 1000);
    QCOMPARE(counts[2].load(), 1000);
}

QTEST_APPLESS_MAIN(TestRoundRobin)
#include "tst_roundrobin.moc"
