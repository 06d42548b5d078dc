// SPDX-License-Identifier: GPL-3.0-or-later
#include "ResilienceTest.h"
#include "proxy/ProxyServer.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
const QString kRefused =
    u"5 consecutive failures, the last: could not connect to backend %1 (Connection refused); "
    u"ejected for %2 ms"_s;

// Outlier detection on, retries generous enough that no client sees a failure the proxy could hide.
ProxyConfig outlierConfig(const QList<BackendConfig> &backends, int baseEjectionMs)
{
    ProxyConfig config = resilienceConfig(backends, 2);
    config.outlierDetection.enabled = true;
    config.outlierDetection.consecutiveFailures = 5;
    config.outlierDetection.baseEjectionMs = baseEjectionMs;
    config.outlierDetection.maxEjectionMs = 10 * baseEjectionMs;
    config.outlierDetection.maxEjectionPercent = 50;
    return config;
}
} // namespace

// Passive health in a running ProxyServer under load: failures on real traffic eject a backend, the
// ejection ends by itself, and the cap on ejections holds.
class TestOutlierDetection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusingBackendIsEjected();
    void ejectionEndsAndGrows();
    void atMostHalfTheBackendsAreEjected();
    void ejectedOnceTheCapAllows();
    void successesBreakTheRun();
    void count5xx_data();
    void count5xx();

private:
    static bool start(ProxyServer &server, const ProxyConfig &config, quint16 *port);
};

bool TestOutlierDetection::start(ProxyServer &server, const ProxyConfig &config, quint16 *port)
{
    QString error;
    if (!server.start(config, &error)) {
        QTest::qFail(qPrintable(u"the proxy did not start: "_s + error), __FILE__, __LINE__);
        return false;
    }
    *port = server.boundAddresses().constFirst().port;
    return true;
}

// A backend that refuses connections: retries hide it from every client, and after 5 failures in a
// row it is ejected and gets no more traffic.
void TestOutlierDetection::refusingBackendIsEjected()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), dead(u"dead"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(dead.start());
    dead.stop();
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(
        server,
        outlierConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(dead)}, 30'000),
        &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4);
    load.start(100'000, 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(!stateChanges(spy).isEmpty(), 10'000);
    const QList<BackendChange> changes = stateChanges(spy);
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.at(0).backend, u"dead"_s);
    QCOMPARE(changes.at(0).from, u"up"_s);
    QCOMPARE(changes.at(0).to, u"down"_s);
    QCOMPARE(changes.at(0).reason, kRefused.arg(u"dead"_s).arg(30'000));

    // Once the new table is in every worker, the backend is left alone.
    const qint64 from = load.settle(20);
    QVERIFY(from >= 0);
    const BackendMetrics ejected = metricsOf(*server.collectSnapshot(), u"dead"_s);
    QVERIFY(load.waitForRange(from, from + 300, 10'000));
    const BackendMetrics later = metricsOf(*server.collectSnapshot(), u"dead"_s);
    QCOMPARE(later.requests, ejected.requests);
    QCOMPARE(later.connectErrors, ejected.connectErrors);
    QVERIFY2(later.connectErrors >= 5, qPrintable(QString::number(later.connectErrors)));
    QCOMPARE(later.state, u"down"_s);
    QCOMPARE(later.timesEjected, 1);
    QVERIFY2(later.ejectedForMs > 0 && later.ejectedForMs <= 30'000,
             qPrintable(QString::number(later.ejectedForMs)));
    const QHash<QByteArray, int> counts = countByBackend(load.samples(from, from + 300));
    QVERIFY2(counts.value("alpha") > 100 && counts.value("beta") > 100, qPrintable(describeCounts(counts)));

    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    QCOMPARE(stateChanges(spy).size(), 1);
}

// An ejection ends when its time is up; a backend that still fails is ejected again, for longer; one
// that works again stays.
void TestOutlierDetection::ejectionEndsAndGrows()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), dead(u"dead"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(dead.start());
    const quint16 deadPort = dead.port();
    dead.stop();
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(
        server, outlierConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(dead)}, 300),
        &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4);
    load.start(1'000'000, 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(stateChanges(spy, u"dead"_s).size() >= 3, 10'000);
    // dead still refuses, so it is back in time for another 5 failures and a second, longer ejection.
    QVERIFY(dead.start(deadPort));
    QList<BackendChange> changes = stateChanges(spy, u"dead"_s);
    QCOMPARE(changes.at(0).to, u"down"_s);
    QCOMPARE(changes.at(0).reason, kRefused.arg(u"dead"_s).arg(300));
    QCOMPARE(changes.at(1).from, u"down"_s);
    QCOMPARE(changes.at(1).to, u"up"_s);
    QCOMPARE(changes.at(1).reason, u"ejection ended"_s);
    QCOMPARE(changes.at(2).to, u"down"_s);
    QCOMPARE(changes.at(2).reason, kRefused.arg(u"dead"_s).arg(600));

    // Listening again, dead takes traffic once its second ejection is over, and stays in.
    QTRY_VERIFY_WITH_TIMEOUT(stateChanges(spy, u"dead"_s).size() >= 4, 5'000);
    changes = stateChanges(spy, u"dead"_s);
    QCOMPARE(changes.at(3).to, u"up"_s);
    QCOMPARE(changes.at(3).reason, u"ejection ended"_s);
    const qint64 from = load.settle(20);
    QVERIFY(from >= 0);
    QVERIFY(load.waitForRange(from, from + 300, 10'000));
    const QHash<QByteArray, int> counts = countByBackend(load.samples(from, from + 300));
    QVERIFY2(counts.value("dead") > 50, qPrintable(describeCounts(counts)));
    QVERIFY2(stateChanges(spy, u"dead"_s).size() == 4, qPrintable(describeChanges(stateChanges(spy))));
    const BackendMetrics metrics = metricsOf(*server.collectSnapshot(), u"dead"_s);
    QCOMPARE(metrics.state, u"up"_s);
    QCOMPARE(metrics.timesEjected, 2);
    QCOMPARE(metrics.ejectedForMs, 0);

    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
}

// Two of three backends refuse, but at most 50% of three (one) may be out at once: the other keeps
// its place in the rotation, and retries still cover for it.
void TestOutlierDetection::atMostHalfTheBackendsAreEjected()
{
    FakeBackend alpha(u"alpha"_s), dead1(u"dead1"_s), dead2(u"dead2"_s);
    QVERIFY(alpha.start());
    QVERIFY(dead1.start());
    QVERIFY(dead2.start());
    dead1.stop();
    dead2.stop();
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(
        server,
        outlierConfig({backendConfigFor(alpha), backendConfigFor(dead1), backendConfigFor(dead2)}, 30'000),
        &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4);
    load.start(100'000, 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(!stateChanges(spy).isEmpty(), 10'000);
    const BackendChange ejection = stateChanges(spy).constFirst();
    QCOMPARE(ejection.to, u"down"_s);
    const QString kept = ejection.backend == u"dead1"_s ? u"dead2"_s : u"dead1"_s;

    const qint64 from = load.settle(20);
    QVERIFY(from >= 0);
    const quint64 keptErrors = metricsOf(*server.collectSnapshot(), kept).connectErrors;
    QVERIFY(load.waitForRange(from, from + 300, 10'000));
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    // The one left in keeps failing (a third of the picks) and keeps being retried elsewhere.
    QVERIFY2(metricsOf(*snapshot, kept).connectErrors > keptErrors + 50,
             qPrintable(QString::number(metricsOf(*snapshot, kept).connectErrors - keptErrors)));
    QCOMPARE(metricsOf(*snapshot, kept).state, u"up"_s);
    QCOMPARE(metricsOf(*snapshot, ejection.backend).state, u"down"_s);
    QVERIFY2(stateChanges(spy).size() == 1, qPrintable(describeChanges(stateChanges(spy))));

    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
}

// The backend the cap kept in is ejected once the cap has room again: its run of failures did not
// stop counting when the first ejection was refused.
void TestOutlierDetection::ejectedOnceTheCapAllows()
{
    FakeBackend alpha(u"alpha"_s), dead1(u"dead1"_s), dead2(u"dead2"_s);
    QVERIFY(alpha.start());
    QVERIFY(dead1.start());
    QVERIFY(dead2.start());
    dead1.stop();
    dead2.stop();
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(
        start(server,
              outlierConfig({backendConfigFor(alpha), backendConfigFor(dead1), backendConfigFor(dead2)}, 300),
              &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4);
    load.start(1'000'000, 30'000);
    QTRY_VERIFY_WITH_TIMEOUT(!stateChanges(spy).isEmpty(), 10'000);
    const QString first = stateChanges(spy).constFirst().backend;
    const QString second = first == u"dead1"_s ? u"dead2"_s : u"dead1"_s;
    // The first one recovers; when its ejection ends there is room for the second, which still fails.
    FakeBackend &recovering = first == u"dead1"_s ? dead1 : dead2;
    QVERIFY(recovering.start(recovering.port()));
    QTRY_VERIFY_WITH_TIMEOUT(!stateChanges(spy, second).isEmpty(), 5'000);
    const BackendChange ejection = stateChanges(spy, second).constFirst();
    QCOMPARE(ejection.to, u"down"_s);
    QVERIFY2(ejection.reason.startsWith(u"5 consecutive failures, the last: could not connect to backend "_s +
                                        second),
             qPrintable(ejection.reason));
    const QList<BackendChange> ofFirst = stateChanges(spy, first);
    QVERIFY2(ofFirst.size() == 2 && ofFirst.at(1).reason == u"ejection ended"_s,
             qPrintable(describeChanges(stateChanges(spy))));

    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
}

// Failures that are not in a row never eject: every success breaks the run.
void TestOutlierDetection::successesBreakTheRun()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), flaky(u"flaky"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(flaky.start());
    // Each of its connections serves one request, so no failure is taken for a stale pooled one.
    flaky.setBehaviourSequence("/x", {Behaviour::drop(), Behaviour::fixed().withClose(), Behaviour::drop(),
                                      Behaviour::drop(), Behaviour::fixed().withClose()});
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(
        server,
        outlierConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(flaky)}, 30'000),
        &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4, [](qint64) { return RawClient::get("/x"); });
    load.start(600, 20'000);
    QVERIFY(load.waitForFinished(20'000));
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    const BackendMetrics metrics = metricsOf(*server.collectSnapshot(), u"flaky"_s);
    QVERIFY2(metrics.resets > 60, qPrintable(QString::number(metrics.resets)));
    QVERIFY2(countByBackend(load.samples()).value("flaky") > 30,
             qPrintable(describeCounts(countByBackend(load.samples()))));
    QVERIFY2(stateChanges(spy).isEmpty(), qPrintable(describeChanges(stateChanges(spy))));
}

void TestOutlierDetection::count5xx_data()
{
    QTest::addColumn<bool>("count5xx");
    QTest::newRow("5xx counted") << true;
    QTest::newRow("5xx not counted") << false;
}

// A backend that answers 500 to everything is ejected only when 5xx responses count as failures.
void TestOutlierDetection::count5xx()
{
    QFETCH(bool, count5xx);
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), sick(u"sick"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(sick.start());
    sick.setDefaultBehaviour(Behaviour::fixed("internal error", 500));
    ProxyConfig config =
        outlierConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(sick)}, 30'000);
    config.outlierDetection.count5xx = count5xx;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    LoadGenerator load(port, 4);
    load.start(100'000, 30'000);
    if (count5xx) {
        QTRY_VERIFY_WITH_TIMEOUT(!stateChanges(spy).isEmpty(), 10'000);
        const QList<BackendChange> changes = stateChanges(spy);
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes.at(0).backend, u"sick"_s);
        QCOMPARE(changes.at(0).to, u"down"_s);
        QCOMPARE(changes.at(0).reason,
                 u"5 consecutive failures, the last: status 500; ejected for 30000 ms"_s);
        const qint64 from = load.settle(20);
        QVERIFY(from >= 0);
        QVERIFY(load.waitForRange(from, from + 300, 10'000));
        for (const LoadSample &sample : load.samples(from, from + 300))
            QVERIFY2(sample.ok(), qPrintable(sample.describe()));
    } else {
        QVERIFY(load.waitForRange(0, 600, 20'000));
        QVERIFY2(stateChanges(spy).isEmpty(), qPrintable(describeChanges(stateChanges(spy))));
        QCOMPARE(metricsOf(*server.collectSnapshot(), u"sick"_s).state, u"up"_s);
    }
    load.stop();
    // The 500s reached the clients (they are not retried): at least the 5 that ejected the backend.
    const QList<LoadSample> failures = load.failures();
    for (const LoadSample &sample : failures) {
        QVERIFY2(sample.complete && sample.status == 500 && sample.backend == "sick",
                 qPrintable(sample.describe()));
    }
    QVERIFY2(count5xx ? failures.size() >= 5 : failures.size() >= 150,
             qPrintable(QString::number(failures.size())));
}

QTEST_GUILESS_MAIN(TestOutlierDetection)
#include "tst_outlier_detection.moc"
