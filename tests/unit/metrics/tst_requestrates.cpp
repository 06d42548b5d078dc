// SPDX-License-Identifier: GPL-3.0-or-later
// Request rates from the history of collected snapshots: exact over the time between the two snapshots
// compared, 0 without enough history, and bounded in memory however often snapshots come.
#include "metrics/RequestRates.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

// A snapshot at `uptimeMs` with `requests` from clients and, per backend of pool "main", its requests.
MetricsSnapshot snapshotAt(qint64 uptimeMs, quint64 requests,
                           const QList<std::pair<QString, quint64>> &backends = {})
{
    MetricsSnapshot snapshot;
    snapshot.uptimeMs = uptimeMs;
    snapshot.requests = requests;
    for (const auto &[name, count] : backends) {
        BackendMetrics backend;
        backend.name = name;
        backend.pool = u"main"_s;
        backend.requests = count;
        snapshot.backends.append(backend);
    }
    return snapshot;
}

// What the rate must be: the count's growth over the time that passed, in requests per second.
double expectedRate(quint64 from, quint64 to, qint64 elapsedMs)
{
    return static_cast<double>(to - from) * 1000.0 / static_cast<double>(elapsedMs);
}

// Exact equality, with both numbers in the message: QCOMPARE would compare doubles fuzzily.
#define COMPARE_EXACTLY(actual, expected)                                                                    \
    QVERIFY2((actual) == (expected),                                                                         \
             qPrintable(u"%1 where %2 was expected"_s.arg(actual, 0, 'g', 17).arg(expected, 0, 'g', 17)))

} // namespace

class TestRequestRates : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void zeroWithoutHistory();
    void exactOverTheElapsedTime();
    void closestSnapshotToTheWindow();
    void everyWindowFromASteadyHistory();
    void backendsByPoolAndName();
    void backendAddedLaterHasNoRateYet();
    void countGoingDownGivesZero();
    void newUptimeStartsOver();
    void historyStaysBounded();
};

void TestRequestRates::zeroWithoutHistory()
{
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(100, 50, {{u"a"_s, 50}});
    first.requestRate1s = first.requestRate10s = first.requestRate60s = 99; // must be overwritten
    rates.apply(first);
    QCOMPARE(first.requestRate1s, 0.0);
    QCOMPARE(first.requestRate10s, 0.0);
    QCOMPARE(first.requestRate60s, 0.0);
    QCOMPARE(first.backends[0].requestRate1s, 0.0);

    // 400 ms later: less than half of the shortest window, too little to call it a rate over 1 s.
    MetricsSnapshot second = snapshotAt(500, 90, {{u"a"_s, 90}});
    rates.apply(second);
    QCOMPARE(second.requestRate1s, 0.0);
    QCOMPARE(second.backends[0].requestRate1s, 0.0);
    QCOMPARE(second.requestRate10s, 0.0);
}

void TestRequestRates::exactOverTheElapsedTime()
{
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(1'000, 7, {{u"a"_s, 3}});
    rates.apply(first);
    // 1 030 ms later, not 1 000: the rate is over the time that really passed.
    MetricsSnapshot second = snapshotAt(2'030, 7 + 1'000, {{u"a"_s, 3 + 333}});
    rates.apply(second);
    COMPARE_EXACTLY(second.requestRate1s, expectedRate(7, 1'007, 1'030));
    COMPARE_EXACTLY(second.backends[0].requestRate1s, expectedRate(3, 336, 1'030));
    QVERIFY(second.requestRate1s < 1'000.0); // not Δ over the nominal second
    // Nothing is 5 s old yet: the longer windows have no rate.
    QCOMPARE(second.requestRate10s, 0.0);
    QCOMPARE(second.requestRate60s, 0.0);
}

void TestRequestRates::closestSnapshotToTheWindow()
{
    RequestRates rates;
    for (const auto &[at, count] : {std::pair<qint64, quint64>{0, 0}, {600, 60}, {1'700, 500}}) {
        MetricsSnapshot snapshot = snapshotAt(at, count);
        rates.apply(snapshot);
    }
    // At 2 400 ms the snapshots are 2 400, 1 800 and 700 ms old: 700 is closest to 1 000.
    MetricsSnapshot now = snapshotAt(2'400, 640);
    rates.apply(now);
    COMPARE_EXACTLY(now.requestRate1s, expectedRate(500, 640, 700));
    // At 3 000 ms, 1 300 (from 1 700) is closer than 2 400 (from 600) and than 600 (from 2 400).
    MetricsSnapshot later = snapshotAt(3'000, 700);
    rates.apply(later);
    COMPARE_EXACTLY(later.requestRate1s, expectedRate(500, 700, 1'300));
}

void TestRequestRates::everyWindowFromASteadyHistory()
{
    // A snapshot every second for 70 s, with an irregular count: requests grow by t² / 1000.
    RequestRates rates;
    const auto countAt = [](qint64 ms) { return quint64(ms / 1000 * ms / 1000 * 10 + ms / 1000); };
    MetricsSnapshot last;
    for (qint64 ms = 0; ms <= 70'000; ms += 1'000) {
        last = snapshotAt(ms, countAt(ms), {{u"a"_s, countAt(ms) / 2}});
        rates.apply(last);
    }
    COMPARE_EXACTLY(last.requestRate1s, expectedRate(countAt(69'000), countAt(70'000), 1'000));
    COMPARE_EXACTLY(last.requestRate10s, expectedRate(countAt(60'000), countAt(70'000), 10'000));
    COMPARE_EXACTLY(last.requestRate60s, expectedRate(countAt(10'000), countAt(70'000), 60'000));
    COMPARE_EXACTLY(last.backends[0].requestRate60s,
                    expectedRate(countAt(10'000) / 2, countAt(70'000) / 2, 60'000));
    COMPARE_EXACTLY(last.backends[0].requestRate10s,
                    expectedRate(countAt(60'000) / 2, countAt(70'000) / 2, 10'000));
}

void TestRequestRates::backendsByPoolAndName()
{
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(0, 0, {{u"a"_s, 10}});
    BackendMetrics other;
    other.name = u"a"_s;
    other.pool = u"other"_s;
    other.requests = 1'000;
    first.backends.append(other);
    rates.apply(first);
    MetricsSnapshot second = snapshotAt(1'000, 0, {{u"a"_s, 30}});
    other.requests = 1'005;
    second.backends.append(other);
    rates.apply(second);
    COMPARE_EXACTLY(second.backends[0].requestRate1s, 20.0);
    COMPARE_EXACTLY(second.backends[1].requestRate1s, 5.0);
}

void TestRequestRates::backendAddedLaterHasNoRateYet()
{
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(0, 0, {{u"a"_s, 0}});
    rates.apply(first);
    MetricsSnapshot second = snapshotAt(1'000, 20, {{u"a"_s, 10}, {u"b"_s, 10}});
    rates.apply(second);
    COMPARE_EXACTLY(second.backends[0].requestRate1s, 10.0);
    QCOMPARE(second.backends[1].requestRate1s, 0.0);
    MetricsSnapshot third = snapshotAt(2'000, 40, {{u"a"_s, 20}, {u"b"_s, 20}});
    rates.apply(third);
    COMPARE_EXACTLY(third.backends[1].requestRate1s, 10.0);
}

void TestRequestRates::countGoingDownGivesZero()
{
    // A backend removed and added again under its name counts from zero: no negative, no huge rate.
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(0, 100, {{u"a"_s, 100}});
    rates.apply(first);
    MetricsSnapshot second = snapshotAt(1'000, 110, {{u"a"_s, 4}});
    rates.apply(second);
    QCOMPARE(second.backends[0].requestRate1s, 0.0);
    COMPARE_EXACTLY(second.requestRate1s, 10.0);
}

void TestRequestRates::newUptimeStartsOver()
{
    RequestRates rates;
    MetricsSnapshot first = snapshotAt(5'000, 500);
    rates.apply(first);
    MetricsSnapshot restarted = snapshotAt(4'000, 10); // another start: its uptime is behind
    rates.apply(restarted);
    QCOMPARE(restarted.requestRate1s, 0.0);
    QCOMPARE(rates.historySize(), 1);
    MetricsSnapshot next = snapshotAt(5'000, 30);
    rates.apply(next);
    COMPARE_EXACTLY(next.requestRate1s, 20.0);
}

void TestRequestRates::historyStaysBounded()
{
    // A snapshot every 10 ms for 3 minutes (as many extra collections could make): the history keeps
    // no more than a longest window's worth at its coarsest spacing, and the rates stay exact.
    RequestRates rates;
    MetricsSnapshot last;
    for (qint64 ms = 0; ms <= 180'000; ms += 10) {
        last = snapshotAt(ms, quint64(ms * 3));
        rates.apply(last);
        QVERIFY2(rates.historySize() <= 60'000 / 50 + 2, qPrintable(QString::number(rates.historySize())));
    }
    COMPARE_EXACTLY(last.requestRate1s, 3'000.0);
    COMPARE_EXACTLY(last.requestRate10s, 3'000.0);
    COMPARE_EXACTLY(last.requestRate60s, 3'000.0);
}

QTEST_APPLESS_MAIN(TestRequestRates)
#include "tst_requestrates.moc"
