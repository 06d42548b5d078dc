// SPDX-License-Identifier: GPL-3.0-or-later
#include "health/HealthTracker.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
ProbeResult pass(qint64 latencyUs = 1'200)
{
    return {true, {}, latencyUs};
}

ProbeResult fail(const QString &reason = u"timeout after 1000 ms"_s)
{
    return {false, reason, 1'000'000};
}
} // namespace

class TestHealthTracker : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void startsHealthy();
    void fallTakesDownOnExactlyTheFallthProbe();
    void riseBringsBackOnExactlyTheRisethPass();
    void alternatingNeverTransitions();
    void failuresBelowFallNeverTransition();
    void passResetsFailureStreakAndViceVersa();
    void thresholdsOfOne();
    void newThresholdsRestartStreaks();
    void reasonTexts();
};

void TestHealthTracker::startsHealthy()
{
    HealthTracker tracker;
    QVERIFY(tracker.isHealthy());
    QCOMPARE(tracker.rise(), 2);
    QCOMPARE(tracker.fall(), 3);
    QVERIFY(tracker.reason().isEmpty());
    // Passes while healthy change nothing.
    for (int i = 0; i < 5; ++i)
        QVERIFY(!tracker.record(pass()));
    QVERIFY(tracker.isHealthy());
}

void TestHealthTracker::fallTakesDownOnExactlyTheFallthProbe()
{
    HealthTracker tracker(2, 3);
    QVERIFY(!tracker.record(fail()));
    QVERIFY(tracker.isHealthy());
    QVERIFY(!tracker.record(fail()));
    QVERIFY(tracker.isHealthy());
    QCOMPARE(tracker.failStreak(), 2);
    const auto down = tracker.record(fail());
    QVERIFY(down);
    QVERIFY(!down->healthy);
    QVERIFY(!tracker.isHealthy());
    // Further failures are no new transition.
    QVERIFY(!tracker.record(fail()));
    QVERIFY(!tracker.isHealthy());
}

void TestHealthTracker::riseBringsBackOnExactlyTheRisethPass()
{
    HealthTracker tracker(2, 3);
    for (int i = 0; i < 3; ++i)
        tracker.record(fail());
    QVERIFY(!tracker.isHealthy());
    QVERIFY(!tracker.record(pass()));
    QVERIFY(!tracker.isHealthy());
    const auto up = tracker.record(pass());
    QVERIFY(up);
    QVERIFY(up->healthy);
    QVERIFY(tracker.isHealthy());
    QVERIFY(!tracker.record(pass()));

    HealthTracker slow(5, 1);
    QVERIFY(slow.record(fail()));
    for (int i = 1; i < 5; ++i) {
        QVERIFY2(!slow.record(pass()), qPrintable(u"pass %1 of 5"_s.arg(i)));
        QVERIFY(!slow.isHealthy());
    }
    QVERIFY(slow.record(pass()));
    QVERIFY(slow.isHealthy());
}

void TestHealthTracker::alternatingNeverTransitions()
{
    HealthTracker up(2, 3);
    for (int i = 0; i < 100; ++i) {
        QVERIFY(!up.record(i % 2 == 0 ? fail() : pass()));
        QVERIFY(up.isHealthy());
    }
    // Down, alternation never brings it back with rise 2 either.
    HealthTracker down(2, 3);
    for (int i = 0; i < 3; ++i)
        down.record(fail());
    for (int i = 0; i < 100; ++i) {
        QVERIFY(!down.record(i % 2 == 0 ? pass() : fail()));
        QVERIFY(!down.isHealthy());
    }
}

void TestHealthTracker::failuresBelowFallNeverTransition()
{
    HealthTracker tracker(2, 3);
    // Two failures, one pass, over and over: 200 failures in all, never 3 in a row.
    for (int round = 0; round < 100; ++round) {
        QVERIFY(!tracker.record(fail()));
        QVERIFY(!tracker.record(fail()));
        QVERIFY(!tracker.record(pass()));
        QVERIFY(tracker.isHealthy());
    }
}

void TestHealthTracker::passResetsFailureStreakAndViceVersa()
{
    HealthTracker tracker(3, 3);
    tracker.record(fail());
    tracker.record(fail());
    QCOMPARE(tracker.failStreak(), 2);
    tracker.record(pass());
    QCOMPARE(tracker.failStreak(), 0);
    tracker.record(fail());
    tracker.record(fail());
    QVERIFY(tracker.isHealthy());
    QVERIFY(tracker.record(fail())); // three in a row only now
    QVERIFY(!tracker.isHealthy());

    tracker.record(pass());
    tracker.record(pass());
    QCOMPARE(tracker.passStreak(), 2);
    tracker.record(fail());
    QCOMPARE(tracker.passStreak(), 0);
    tracker.record(pass());
    tracker.record(pass());
    QVERIFY(!tracker.isHealthy());
    QVERIFY(tracker.record(pass()));
    QVERIFY(tracker.isHealthy());
}

void TestHealthTracker::thresholdsOfOne()
{
    HealthTracker tracker(1, 1);
    const auto down = tracker.record(fail(u"connection refused"_s));
    QVERIFY(down);
    QCOMPARE(down->reason, u"1/1 probe failed: connection refused"_s);
    const auto up = tracker.record(pass(260));
    QVERIFY(up);
    QCOMPARE(up->reason, u"1/1 probe passed (last 0.3 ms)"_s);

    // Nonsense thresholds are treated as 1.
    HealthTracker zero(0, -4);
    QCOMPARE(zero.rise(), 1);
    QCOMPARE(zero.fall(), 1);
    QVERIFY(zero.record(fail()));
}

void TestHealthTracker::newThresholdsRestartStreaks()
{
    HealthTracker tracker(2, 3);
    tracker.record(fail());
    tracker.record(fail());
    tracker.setThresholds(2, 2);
    QCOMPARE(tracker.failStreak(), 0);
    QVERIFY(!tracker.record(fail()));
    QVERIFY(tracker.record(fail()));
    QVERIFY(!tracker.isHealthy());
}

void TestHealthTracker::reasonTexts()
{
    HealthTracker tracker(2, 3);
    tracker.record(fail(u"connection refused"_s));
    tracker.record(fail(u"status 500 not in 200-399"_s));
    const auto down = tracker.record(fail(u"timeout after 1000 ms"_s));
    QVERIFY(down);
    // The last failure says why; the count says how sure.
    QCOMPARE(down->reason, u"3/3 probes failed: timeout after 1000 ms"_s);
    QCOMPARE(tracker.reason(), down->reason);

    tracker.record(pass(5'000));
    const auto up = tracker.record(pass(1'234));
    QVERIFY(up);
    QCOMPARE(up->reason, u"2/2 probes passed (last 1.2 ms)"_s);
    QCOMPARE(tracker.reason(), up->reason);

    QCOMPARE(formatProbeLatency(0), u"0.0 ms"_s);
    QCOMPARE(formatProbeLatency(1'000'000), u"1000.0 ms"_s);
}

QTEST_APPLESS_MAIN(TestHealthTracker)
#include "tst_healthtracker.moc"
