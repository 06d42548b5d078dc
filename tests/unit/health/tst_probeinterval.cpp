// SPDX-License-Identifier: GPL-3.0-or-later
#include "health/HealthChecker.h"

#include <QRandomGenerator>
#include <QTest>

using namespace fulcrum;

// Probe scheduling: each interval is drawn uniformly within ± jitter, and the first probe of a
// backend is spread over the jitter band.
class TestProbeInterval : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void withoutJitterTheIntervalIsExact();
    void jitterStaysWithinBandAndCoversIt();
    void firstProbeIsSpreadOverTheBand();
};

void TestProbeInterval::withoutJitterTheIntervalIsExact()
{
    QRandomGenerator random(1);
    for (int i = 0; i < 100; ++i) {
        QCOMPARE(jitteredIntervalMs(2'000, 0, random), 2'000);
        QCOMPARE(initialDelayMs(2'000, 0, random), 0);
    }
    // Never 0 ms, which would make the checker spin.
    QCOMPARE(jitteredIntervalMs(0, 0, random), 1);
    for (int i = 0; i < 100; ++i)
        QVERIFY(jitteredIntervalMs(10, 100, random) >= 1);
}

void TestProbeInterval::jitterStaysWithinBandAndCoversIt()
{
    QRandomGenerator random(42);
    int lowest = 1'000'000;
    int highest = 0;
    qint64 sum = 0;
    constexpr int kDraws = 20'000;
    for (int i = 0; i < kDraws; ++i) {
        const int ms = jitteredIntervalMs(1'000, 10, random);
        QVERIFY2(ms >= 900 && ms <= 1'100, qPrintable(QString::number(ms)));
        lowest = std::min(lowest, ms);
        highest = std::max(highest, ms);
        sum += ms;
    }
    // Both ends are reached and the draws centre on the interval (uniform: σ of the mean ≈ 0.4 ms).
    QCOMPARE(lowest, 900);
    QCOMPARE(highest, 1'100);
    const double mean = static_cast<double>(sum) / kDraws;
    QVERIFY2(std::abs(mean - 1'000.0) < 3.0, qPrintable(QString::number(mean)));
}

void TestProbeInterval::firstProbeIsSpreadOverTheBand()
{
    QRandomGenerator random(7);
    int highest = 0;
    for (int i = 0; i < 5'000; ++i) {
        const int ms = initialDelayMs(1'000, 10, random);
        QVERIFY(ms >= 0 && ms <= 200);
        highest = std::max(highest, ms);
    }
    QCOMPARE(highest, 200);
}

QTEST_APPLESS_MAIN(TestProbeInterval)
#include "tst_probeinterval.moc"
