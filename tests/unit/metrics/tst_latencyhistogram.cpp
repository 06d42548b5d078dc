// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics/LatencyHistogram.h"

#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <limits>
#include <thread>

using namespace fulcrum;

namespace {

constexpr quint64 kLargestTested = quint64(1) << 37;

// Log-uniform over 1 .. 2^37 µs, so every power of two gets its share rather than the top one most.
quint64 randomMicros(QRandomGenerator &random)
{
    const double exponent = random.generateDouble() * 37.0;
    return std::max<quint64>(1, static_cast<quint64>(std::exp2(exponent)));
}

LatencyDistribution distributionOf(const LatencyRecorder &recorder)
{
    LatencyDistribution distribution;
    distribution.add(recorder);
    return distribution;
}

// The reported value must never understate and must stay within 1% above.
bool withinOnePercentAbove(quint64 reported, quint64 truth)
{
    return reported >= truth && static_cast<double>(reported - truth) <= 0.01 * static_cast<double>(truth);
}

QByteArray describe(quint64 reported, quint64 truth)
{
    return "reported " + QByteArray::number(reported) + " for " + QByteArray::number(truth);
}

} // namespace

class TestLatencyHistogram : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void bucketsTileTheRangeWithoutGaps();
    void singleValueWithinOnePercent_data();
    void singleValueWithinOnePercent();
    void randomValuesWithinOnePercent();
    void percentilesOfUniformData_data();
    void percentilesOfUniformData();
    void mergingEqualsRecordingIntoOne();
    void countAtOrBelowRoundsDownToBucketBoundaries_data();
    void countAtOrBelowRoundsDownToBucketBoundaries();
    void hugeValuesAreClampedAndCounted();
    void emptyHistogram();
    void zeroIsRecordedExactly();
    void forEachBucketVisitsNonEmptyBucketsInOrder();
    void concurrentReadsNeverGoBackwards();
};

void TestLatencyHistogram::bucketsTileTheRangeWithoutGaps()
{
    QCOMPARE(LatencyBuckets::lowestIn(0), 0u);
    for (int i = 0; i < LatencyBuckets::kCount; ++i) {
        const quint64 lowest = LatencyBuckets::lowestIn(i);
        const quint64 highest = LatencyBuckets::highestIn(i);
        QVERIFY2(lowest <= highest, qPrintable(QString::number(i)));
        QCOMPARE(LatencyBuckets::indexOf(lowest), i);
        QCOMPARE(LatencyBuckets::indexOf(highest), i);
        if (i + 1 < LatencyBuckets::kCount)
            QCOMPARE(LatencyBuckets::lowestIn(i + 1), highest + 1);
    }
    QCOMPARE(LatencyBuckets::highestIn(LatencyBuckets::kCount - 1), LatencyBuckets::kHighestTrackable);
}

void TestLatencyHistogram::singleValueWithinOnePercent_data()
{
    QTest::addColumn<quint64>("micros");
    for (int k = 0; k <= 37; ++k) {
        const quint64 power = quint64(1) << k;
        if (power > 1)
            QTest::addRow("2^%d-1", k) << power - 1;
        QTest::addRow("2^%d", k) << power;
        QTest::addRow("2^%d+1", k) << power + 1;
    }
    QTest::addRow("highest trackable") << LatencyBuckets::kHighestTrackable;
}

void TestLatencyHistogram::singleValueWithinOnePercent()
{
    QFETCH(quint64, micros);
    LatencyRecorder recorder;
    recorder.record(micros);
    const LatencyDistribution distribution = distributionOf(recorder);
    QCOMPARE(distribution.count(), 1u);
    QCOMPARE(distribution.sumMicros(), micros);
    QCOMPARE(distribution.clampedCount(), 0u);
    for (const double percent : {0.0, 50.0, 100.0}) {
        const quint64 reported = distribution.valueAtPercentile(percent);
        QVERIFY2(withinOnePercentAbove(reported, micros), describe(reported, micros).constData());
    }
    QVERIFY2(withinOnePercentAbove(distribution.maxMicros(), micros),
             describe(distribution.maxMicros(), micros).constData());
    if (micros < 256)
        QCOMPARE(distribution.valueAtPercentile(50), micros);
}

void TestLatencyHistogram::randomValuesWithinOnePercent()
{
    QRandomGenerator random(20240601);
    for (int i = 0; i < 100'000; ++i) {
        const quint64 micros = randomMicros(random);
        const int index = LatencyBuckets::indexOf(micros);
        QVERIFY(LatencyBuckets::lowestIn(index) <= micros);
        const quint64 reported = LatencyBuckets::highestIn(index);
        QVERIFY2(withinOnePercentAbove(reported, micros), describe(reported, micros).constData());
    }
}

void TestLatencyHistogram::percentilesOfUniformData_data()
{
    QTest::addColumn<double>("percent");
    QTest::addColumn<quint64>("expected");
    QTest::newRow("p0") << 0.0 << quint64(1);
    QTest::newRow("p50") << 50.0 << quint64(5'000);
    QTest::newRow("p90") << 90.0 << quint64(9'000);
    QTest::newRow("p99") << 99.0 << quint64(9'900);
    QTest::newRow("p99.9") << 99.9 << quint64(9'990);
    QTest::newRow("p100") << 100.0 << quint64(10'000);
    QTest::newRow("above 100 means 100") << 250.0 << quint64(10'000);
    QTest::newRow("NaN means 0") << std::numeric_limits<double>::quiet_NaN() << quint64(1);
}

void TestLatencyHistogram::percentilesOfUniformData()
{
    QFETCH(double, percent);
    QFETCH(quint64, expected);
    LatencyRecorder recorder;
    for (quint64 micros = 1; micros <= 10'000; ++micros)
        recorder.record(micros);
    const LatencyDistribution distribution = distributionOf(recorder);
    QCOMPARE(distribution.count(), 10'000u);
    QCOMPARE(distribution.sumMicros(), 10'000u * 10'001u / 2);
    const quint64 reported = distribution.valueAtPercentile(percent);
    QVERIFY2(withinOnePercentAbove(reported, expected), describe(reported, expected).constData());
}

void TestLatencyHistogram::mergingEqualsRecordingIntoOne()
{
    QRandomGenerator random(7);
    LatencyRecorder first;
    LatencyRecorder second;
    LatencyRecorder everything;
    for (int i = 0; i < 50'000; ++i) {
        // Some values beyond the range too, so the clamped counts are merged as well.
        const quint64 micros = i % 1'000 == 0 ? kLargestTested << 2 : randomMicros(random);
        (i % 3 == 0 ? first : second).record(micros);
        everything.record(micros);
    }
    const LatencyDistribution expected = distributionOf(everything);
    QCOMPARE(expected.count(), 50'000u);
    QCOMPARE(expected.clampedCount(), 50u);

    LatencyDistribution fromRecorders;
    fromRecorders.add(first);
    fromRecorders.add(second);
    QVERIFY(fromRecorders == expected);

    LatencyDistribution fromDistributions = distributionOf(first);
    fromDistributions.add(distributionOf(second));
    QVERIFY(fromDistributions == expected);
    QCOMPARE(fromDistributions.sumMicros(), everything.sumMicros());
    QCOMPARE(fromDistributions.valueAtPercentile(99), expected.valueAtPercentile(99));
}

void TestLatencyHistogram::countAtOrBelowRoundsDownToBucketBoundaries_data()
{
    // Recorded: 0, 255, 256, 257, 258, 1000. Buckets: one per value up to 255, then [256, 257],
    // [258, 259], ..., [1000, 1003].
    QTest::addColumn<quint64>("micros");
    QTest::addColumn<quint64>("expected");
    QTest::newRow("0") << quint64(0) << quint64(1);
    QTest::newRow("254") << quint64(254) << quint64(1);
    QTest::newRow("255, exact") << quint64(255) << quint64(2);
    QTest::newRow("256, inside [256, 257]") << quint64(256) << quint64(2);
    QTest::newRow("257, top of [256, 257]") << quint64(257) << quint64(4);
    QTest::newRow("258, inside [258, 259]") << quint64(258) << quint64(4);
    QTest::newRow("259, top of [258, 259]") << quint64(259) << quint64(5);
    QTest::newRow("1002, inside [1000, 1003]") << quint64(1'002) << quint64(5);
    QTest::newRow("1003, top of [1000, 1003]") << quint64(1'003) << quint64(6);
    QTest::newRow("highest trackable") << LatencyBuckets::kHighestTrackable << quint64(6);
    QTest::newRow("max quint64") << std::numeric_limits<quint64>::max() << quint64(6);
}

void TestLatencyHistogram::countAtOrBelowRoundsDownToBucketBoundaries()
{
    QFETCH(quint64, micros);
    QFETCH(quint64, expected);
    LatencyRecorder recorder;
    for (const quint64 value : {0, 255, 256, 257, 258, 1'000})
        recorder.record(value);
    QCOMPARE(distributionOf(recorder).countAtOrBelow(micros), expected);
}

void TestLatencyHistogram::hugeValuesAreClampedAndCounted()
{
    constexpr quint64 highest = LatencyBuckets::kHighestTrackable;
    LatencyRecorder recorder;
    recorder.record(highest); // the largest value kept as it is
    for (const quint64 micros : {highest + 1, quint64(1) << 40, std::numeric_limits<quint64>::max()})
        recorder.record(micros);
    QCOMPARE(recorder.count(), 4u);
    QCOMPARE(recorder.clampedCount(), 3u);

    const LatencyDistribution distribution = distributionOf(recorder);
    QCOMPARE(distribution.count(), 4u);
    QCOMPARE(distribution.clampedCount(), 3u);
    QCOMPARE(distribution.sumMicros(), 4 * highest);
    QCOMPARE(distribution.maxMicros(), highest);
    QCOMPARE(distribution.valueAtPercentile(100), highest);
    QCOMPARE(distribution.countAtOrBelow(highest - 1), 0u);
    QCOMPARE(distribution.countAtOrBelow(highest), 4u);
}

void TestLatencyHistogram::emptyHistogram()
{
    const LatencyRecorder recorder;
    QCOMPARE(recorder.count(), 0u);
    const LatencyDistribution distribution = distributionOf(recorder);
    QVERIFY(distribution == LatencyDistribution());
    QCOMPARE(distribution.count(), 0u);
    QCOMPARE(distribution.sumMicros(), 0u);
    QCOMPARE(distribution.maxMicros(), 0u);
    QCOMPARE(distribution.valueAtPercentile(50), 0u);
    QCOMPARE(distribution.valueAtPercentile(100), 0u);
    QCOMPARE(distribution.countAtOrBelow(std::numeric_limits<quint64>::max()), 0u);
    int buckets = 0;
    distribution.forEachBucket([&](quint64, quint64, quint64) { ++buckets; });
    QCOMPARE(buckets, 0);
}

void TestLatencyHistogram::zeroIsRecordedExactly()
{
    LatencyRecorder recorder;
    recorder.record(0);
    recorder.record(0);
    const LatencyDistribution distribution = distributionOf(recorder);
    QCOMPARE(distribution.count(), 2u);
    QCOMPARE(distribution.sumMicros(), 0u);
    QCOMPARE(distribution.valueAtPercentile(100), 0u);
    QCOMPARE(distribution.maxMicros(), 0u);
    QCOMPARE(distribution.countAtOrBelow(0), 2u);
}

void TestLatencyHistogram::forEachBucketVisitsNonEmptyBucketsInOrder()
{
    LatencyRecorder recorder;
    for (const quint64 micros : {1'001, 3, 1'000, 3, 1'004})
        recorder.record(micros);
    struct Bucket
    {
        quint64 lowest, highest, count;
        bool operator==(const Bucket &) const = default;
    };
    QList<Bucket> seen;
    distributionOf(recorder).forEachBucket([&](quint64 lowest, quint64 highest, quint64 count) {
        seen.append({lowest, highest, count});
    });
    const QList<Bucket> expected{{3, 3, 2}, {1'000, 1'003, 2}, {1'004, 1'007, 1}};
    QVERIFY(seen == expected);
}

// The aggregator reads while the worker writes: each read must see at least what the previous one
// saw (per bucket as well as in total), and the last one, after the writer is done, everything.
void TestLatencyHistogram::concurrentReadsNeverGoBackwards()
{
    constexpr quint64 kValues = 2'000'000;
    LatencyRecorder recorder;
    std::atomic<bool> readerStarted{false};
    std::atomic<bool> writerDone{false};
    std::thread writer([&] {
        // Spins for as long as the reader takes to start, so the two really overlap.
        while (!readerStarted.load(std::memory_order_acquire))
            std::this_thread::yield();
        for (quint64 i = 0; i < kValues; ++i)
            recorder.record(i % 100'000); // cycles over ~1,400 buckets
        writerDone.store(true, std::memory_order_release);
    });

    LatencyDistribution previous;
    int reads = 0;
    bool backwards = false;
    readerStarted.store(true, std::memory_order_release);
    // Bounded by the writer: it stops as soon as the writer's fixed number of records is done.
    while (!writerDone.load(std::memory_order_acquire) && !backwards) {
        const LatencyDistribution current = distributionOf(recorder);
        ++reads;
        backwards = current.count() < previous.count() || current.sumMicros() < previous.sumMicros() ||
                    current.count() > kValues;
        for (int i = 0; i < LatencyBuckets::kCount && !backwards; ++i)
            backwards = current.bucketCount(i) < previous.bucketCount(i);
        previous = current;
    }
    writer.join();
    QVERIFY2(!backwards, qPrintable(QStringLiteral("went backwards at read %1").arg(reads)));

    const LatencyDistribution settled = distributionOf(recorder);
    QCOMPARE(settled.count(), kValues);
    QCOMPARE(recorder.count(), kValues);
    QCOMPARE(settled.sumMicros(), kValues / 100'000 * (quint64(99'999) * 100'000 / 2));
    qInfo("%d reads overlapped the writer", reads);
}

QTEST_APPLESS_MAIN(TestLatencyHistogram)
#include "tst_latencyhistogram.moc"
