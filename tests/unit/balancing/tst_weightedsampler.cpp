// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTestSupport.h"
#include "balancing/FastRandom.h"
#include "balancing/WeightedSampler.h"

#include <QTest>

#include <thread>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestWeightedSampler : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void probabilitiesMatchWeights_data();
    void probabilitiesMatchWeights();
    void columnsAndSides();
    void samplesFollowWeights();
    void splitMix64ReferenceOutputs();
    void xoshiroReferenceOutputs();
    void threadsHaveTheirOwnGenerator();
};

void TestWeightedSampler::probabilitiesMatchWeights_data()
{
    QTest::addColumn<QList<int>>("weights");
    QTest::newRow("one") << QList<int>{7};
    QTest::newRow("5 1 1") << QList<int>{5, 1, 1};
    QTest::newRow("equal") << QList<int>{2, 2, 2, 2, 2};
    QTest::newRow("extremes") << QList<int>{1000, 1, 1, 1000, 1};
    QList<int> many;
    for (int i = 0; i < 200; ++i)
        many.append(1 + (i * 7919) % 1000);
    QTest::newRow("200 weights") << many;
}

void TestWeightedSampler::probabilitiesMatchWeights()
{
    QFETCH(QList<int>, weights);
    const std::vector<int> list(weights.begin(), weights.end());
    const WeightedSampler sampler(list);
    QCOMPARE(sampler.size(), weights.size());
    double total = 0;
    for (const int weight : weights)
        total += weight;
    // Exact but for the 32-bit split of each column.
    for (qsizetype i = 0; i < weights.size(); ++i)
        QVERIFY2(std::abs(sampler.probability(i) - weights.at(i) / total) < 1e-9,
                 qPrintable(u"%1: %2 vs %3"_s.arg(i).arg(sampler.probability(i)).arg(weights.at(i) / total)));
}

void TestWeightedSampler::columnsAndSides()
{
    // Weights 3, 1: two columns of height 2. Column 0 is all 0's; column 1 is half 1, half 0.
    const std::vector<int> weights{3, 1};
    const WeightedSampler sampler(weights);
    constexpr quint64 Column0 = 0;
    constexpr quint64 Column1 = quint64(1) << 63;
    QCOMPARE(sampler.sample(Column0 | 0), qsizetype(0));
    QCOMPARE(sampler.sample(Column0 | 0xFFFFFFFFu), qsizetype(0));
    QCOMPARE(sampler.sample(Column1 | 0), qsizetype(1));
    QCOMPARE(sampler.sample(Column1 | 0x7FFFFFFFu), qsizetype(1));
    QCOMPARE(sampler.sample(Column1 | 0x80000000u), qsizetype(0));
    QCOMPARE(sampler.sample(~quint64(0)), qsizetype(0));
}

void TestWeightedSampler::samplesFollowWeights()
{
    // Binomial counts within five standard deviations (see fiveSigma).
    const std::vector<int> weights{1, 2, 3, 4, 90};
    const WeightedSampler sampler(weights);
    FastRandom random(99);
    constexpr int Draws = 200000;
    std::vector<int> counts(weights.size(), 0);
    for (int i = 0; i < Draws; ++i)
        ++counts[std::size_t(sampler.sample(random.next()))];
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const double p = weights[i] / 100.0;
        QVERIFY2(std::abs(counts[i] - Draws * p) <= fiveSigma(Draws, p),
                 qPrintable(u"%1: %2 draws, expected %3"_s.arg(i).arg(counts[i]).arg(Draws * p)));
    }
}

void TestWeightedSampler::splitMix64ReferenceOutputs()
{
    // Vigna's splitmix64.c from state 0.
    quint64 state = 0;
    QCOMPARE(FastRandom::splitMix64(state), 0xE220A8397B1DCDAFULL);
    QCOMPARE(FastRandom::splitMix64(state), 0x6E789E6AA1B965F4ULL);
    QCOMPARE(FastRandom::splitMix64(state), 0x06C45D188009454FULL);
    QCOMPARE(FastRandom::splitMix64(state), 0xF88BB8A8724C81ECULL);
}

void TestWeightedSampler::xoshiroReferenceOutputs()
{
    // xoshiro256** from state 1, 2, 3, 4, as in the reference implementation's published outputs.
    FastRandom random(1, 2, 3, 4);
    const quint64 expected[] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL};
    for (const quint64 value : expected)
        QCOMPARE(random.next(), value);
}

void TestWeightedSampler::threadsHaveTheirOwnGenerator()
{
    const quint64 here = FastRandom::thisThread().next();
    quint64 there = here;
    std::thread([&there] { there = FastRandom::thisThread().next(); }).join();
    QVERIFY(here != there);
}

QTEST_APPLESS_MAIN(TestWeightedSampler)
#include "tst_weightedsampler.moc"
