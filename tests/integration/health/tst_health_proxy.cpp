// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTest.h"
#include "FakeBackend.h"
#include "LoadGenerator.h"
#include "proxy/ProxyServer.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
const QByteArray kHealthPath = "/health";

constexpr int kWeight = 10;
constexpr int kSlowStartMs = 3'000;

BackendConfig checked(const FakeBackend &backend)
{
    BackendConfig config = backendConfigFor(backend, kWeight);
    config.healthCheck.enabled = true;
    config.healthCheck.path = QString::fromLatin1(kHealthPath);
    config.healthCheck.intervalMs = 50;
    config.healthCheck.timeoutMs = 500;
    config.healthCheck.jitterPercent = 0;
    config.healthCheck.rise = 2;
    config.healthCheck.fall = 3;
    return config;
}

BackendMetrics metricsOf(const MetricsSnapshot &snapshot, const QString &name)
{
    for (const BackendMetrics &backend : snapshot.backends) {
        if (backend.name == name)
            return backend;
    }
    return {};
}
} // namespace

// Health checks in a running ProxyServer under continuous load: a backend that dies is taken out by
// its probes and traffic stops going there; once it answers its probes again it comes back and
// takes traffic again, ramping up under slow start. Retries cover for the backend while it dies and
// before its probes notice: not one client request fails.
class TestHealthProxy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void deadBackendLeavesAndComesBack();
};

void TestHealthProxy::deadBackendLeavesAndComesBack()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), gamma(u"gamma"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(gamma.start());
    ProxyConfig config = inProcessConfig({checked(alpha), checked(beta), checked(gamma)});
    config.outlierDetection.enabled = false; // only the active checks take backends out here
    config.balancing.slowStartMs = kSlowStartMs;
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(config, &error), qPrintable(error));
    const quint16 port = server.boundAddresses().constFirst().port;

    QList<BackendChange> changes;
    connect(&server.backends(), &BackendRegistry::backendChanged, this,
            [&changes](const BackendChange &change) {
                if (change.kind == BackendChange::Kind::StateChanged)
                    changes.append(change);
            });
    const auto changesOf = [&changes](const QString &name) {
        QList<BackendChange> of;
        for (const BackendChange &change : std::as_const(changes)) {
            if (change.backend == name)
                of.append(change);
        }
        return of;
    };

    LoadGenerator load(port, 2);
    load.start(1'000'000, 60'000);
    QVERIFY(load.waitForRange(0, 150, 10'000));
    QCOMPARE(countByBackend(load.samples(0, 150)).size(), 3);

    // beta dies: refused connections take it down after fall probes, and traffic stops going there.
    const quint16 betaPort = beta.port();
    beta.stop();
    QTRY_COMPARE_WITH_TIMEOUT(changesOf(u"beta"_s).size(), 1, 10'000);
    QCOMPARE(changesOf(u"beta"_s).at(0).from, u"up"_s);
    QCOMPARE(changesOf(u"beta"_s).at(0).to, u"down"_s);
    QCOMPARE(changesOf(u"beta"_s).at(0).reason, u"3/3 probes failed: connection refused"_s);
    const MetricsSnapshotPtr whileDown = server.collectSnapshot();
    const BackendMetrics betaDown = metricsOf(*whileDown, u"beta"_s);
    QCOMPARE(betaDown.state, u"down"_s);
    QVERIFY(!betaDown.healthy);
    QCOMPARE(betaDown.healthReason, u"3/3 probes failed: connection refused"_s);
    QVERIFY(betaDown.lastProbeLatencyUs >= 0);
    QVERIFY(metricsOf(*whileDown, u"alpha"_s).healthy);
    QVERIFY(metricsOf(*whileDown, u"alpha"_s).lastProbeLatencyUs >= 0);

    qint64 from = load.settle(20);
    QVERIFY(from >= 0);
    QVERIFY(load.waitForRange(from, from + 200, 10'000));
    for (const LoadSample &sample : load.samples(from, from + 200))
        QVERIFY2(sample.ok(), qPrintable(sample.describe()));
    QCOMPARE(countByBackend(load.samples(from, from + 200)).value("beta"), 0);

    // beta is back on its port: rise probes bring it back, and it takes traffic again.
    QVERIFY(beta.start(betaPort));
    QTRY_COMPARE_WITH_TIMEOUT(changesOf(u"beta"_s).size(), 2, 10'000);
    QCOMPARE(changesOf(u"beta"_s).at(1).from, u"down"_s);
    QCOMPARE(changesOf(u"beta"_s).at(1).to, u"up"_s);
    QVERIFY2(changesOf(u"beta"_s).at(1).reason.startsWith(u"2/2 probes passed (last "_s),
             qPrintable(changesOf(u"beta"_s).at(1).reason));
    from = load.settle(20);
    QVERIFY(from >= 0);
    QVERIFY(load.waitForRange(from, from + 150, 10'000));
    QVERIFY(countByBackend(load.samples(from, from + 150)).value("beta") > 0);
    const BackendMetrics betaUp = metricsOf(*server.collectSnapshot(), u"beta"_s);
    QCOMPARE(betaUp.state, u"up"_s);
    QVERIFY(betaUp.healthy);
    // Back from down, it ramps: still below its weight this early in the slow-start window.
    QVERIFY2(betaUp.effectiveWeight < kWeight, qPrintable(QString::number(betaUp.effectiveWeight)));
    QCOMPARE(betaUp.weight, kWeight);

    // gamma keeps serving but fails its checks: it leaves the rotation although its traffic was fine.
    gamma.setBehaviour(kHealthPath, Behaviour::fixed("maintenance", 503));
    QTRY_COMPARE_WITH_TIMEOUT(changesOf(u"gamma"_s).size(), 1, 10'000);
    QCOMPARE(changesOf(u"gamma"_s).at(0).reason, u"3/3 probes failed: status 503 not in 200-399"_s);
    from = load.settle(20);
    QVERIFY(from >= 0);
    QVERIFY(load.waitForRange(from, from + 150, 10'000));
    const QHash<QByteArray, int> withoutGamma = countByBackend(load.samples(from, from + 150));
    QCOMPARE(withoutGamma.value("gamma"), 0);
    QVERIFY2(withoutGamma.value("alpha") > 0 && withoutGamma.value("beta") > 0,
             qPrintable(describeCounts(withoutGamma)));

    gamma.setBehaviour(kHealthPath, Behaviour::fixed("ok"));
    QTRY_COMPARE_WITH_TIMEOUT(changesOf(u"gamma"_s).size(), 2, 10'000);
    QCOMPARE(changesOf(u"gamma"_s).at(1).to, u"up"_s);
    from = load.settle(20);
    QVERIFY(from >= 0);
    QVERIFY(load.waitForRange(from, from + 150, 10'000));
    QVERIFY(countByBackend(load.samples(from, from + 150)).value("gamma") > 0);

    // alpha was never in doubt.
    QVERIFY(changesOf(u"alpha"_s).isEmpty());
    load.stop();
    const QList<LoadSample> all = load.samples();
    QVERIFY(all.size() > 600);
    for (const LoadSample &sample : all)
        QVERIFY2(sample.ok(), qPrintable(sample.describe()));
}

QTEST_GUILESS_MAIN(TestHealthProxy)
#include "tst_health_proxy.moc"
