// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTest.h"
#include "FakeBackend.h"
#include "RawClient.h"
#include "proxy/ProxyServer.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
ProxyConfig proxyConfig(const QList<BackendConfig> &backends)
{
    ProxyConfig config = inProcessConfig(backends);
    config.metricsIntervalMs = 100;
    return config;
}
} // namespace

// The core used in-process, as the console will use it: counters reach published snapshots and a
// new backend set takes effect without restarting.
class TestProxyServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void snapshotsCountRequestsPerBackend();
    void applySwitchesTraffic();
    void snapshotsCarryLatencyPercentiles();
};

void TestProxyServer::snapshotsCountRequestsPerBackend()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(proxyConfig({backendConfigFor(alpha), backendConfigFor(beta)}), &error),
             qPrintable(error));
    const quint16 port = server.boundAddresses().constFirst().port;
    QVERIFY(port != 0);

    RawClient client;
    QVERIFY(client.connectTo(port));
    for (int i = 0; i < 10; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);
    const HttpResponse missing = fetch(port, "GET / HTTP/1.1\r\n\r\n");
    QCOMPARE(missing.status, 400);

    // A refused request counts as a client error, not as a request to a backend. Workers count
    // after answering, so wait for the totals, then take the next published snapshot.
    QTRY_COMPARE_WITH_TIMEOUT(server.collectSnapshot()->clientErrors, 1u, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(server.collectSnapshot()->requests, 10u, 5000);
    QSignalSpy spy(&server, &ProxyServer::snapshotPublished);
    QVERIFY(spy.wait(2000));
    const MetricsSnapshotPtr snapshot = spy.constLast().constFirst().value<MetricsSnapshotPtr>();
    QVERIFY(snapshot);
    QCOMPARE(snapshot->requests, 10u);
    QCOMPARE(snapshot->clientErrors, 1u);
    QCOMPARE(snapshot->backends.size(), 2);
    quint64 perBackend = 0;
    for (const BackendMetrics &backend : snapshot->backends) {
        QVERIFY(backend.requests >= 1);
        QCOMPARE(backend.responsesByClass[1], backend.requests);
        QVERIFY(backend.bytesToClient > 0);
        QCOMPARE(backend.state, u"up"_s);
        QCOMPARE(backend.effectiveWeight, backend.weight);
        perBackend += backend.requests;
    }
    QCOMPARE(perBackend, 10u);
    QCOMPARE(static_cast<quint64>(alpha.requestCount() + beta.requestCount()), perBackend);

    // An operator's change shows in the next snapshot.
    QVERIFY(server.backends().setState(u"beta"_s, BackendState::Maintenance, u"test"_s, &error));
    QVERIFY(spy.wait(2000));
    const MetricsSnapshotPtr after = spy.constLast().constFirst().value<MetricsSnapshotPtr>();
    QCOMPARE(after->backends.at(1).name, u"beta"_s);
    QCOMPARE(after->backends.at(1).state, u"maintenance"_s);
}

void TestProxyServer::applySwitchesTraffic()
{
    FakeBackend before(u"before"_s), after(u"after"_s);
    QVERIFY(before.start());
    QVERIFY(after.start());
    ProxyServer server;
    QString error;
    QVERIFY(server.start(proxyConfig({backendConfigFor(before)}), &error));
    const quint16 port = server.boundAddresses().constFirst().port;
    RawClient client;
    QVERIFY(client.connectTo(port));
    QCOMPARE(client.request(RawClient::get("/")).status, 200);

    QSignalSpy changed(&server.backends(), &BackendRegistry::backendChanged);
    QVERIFY(server.backends().apply({}, {backendConfigFor(after)}, u"test"_s, &error));
    // The old backend drains first and leaves once its last request has finished.
    QTRY_COMPARE(changed.size(), 3);
    const auto change = [&changed](int i) { return changed.at(i).at(0).value<BackendChange>(); };
    QCOMPARE(change(0).kind, BackendChange::Kind::Added);
    QCOMPARE(change(0).backend, u"after"_s);
    QCOMPARE(change(1).kind, BackendChange::Kind::StateChanged);
    QCOMPARE(change(1).to, u"draining"_s);
    QCOMPARE(change(2).kind, BackendChange::Kind::Removed);
    QCOMPARE(change(2).backend, u"before"_s);
    // Workers pick the table up through their event loops: wait until a request lands on the new one.
    QTRY_VERIFY_WITH_TIMEOUT(client.request(RawClient::get("/")).status == 200 && after.requestCount() > 0,
                             5000);
    const int beforeCount = before.requestCount();
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);
    QCOMPARE(before.requestCount(), beforeCount);
}

// The histograms see what the backends really took: one backend answers after 40 ms, the other at
// once, and the percentiles of each keep them apart.
void TestProxyServer::snapshotsCarryLatencyPercentiles()
{
    constexpr int kRequests = 20;
    constexpr quint64 kDelayUs = 40'000;
    FakeBackend slow(u"slow"_s), fast(u"fast"_s);
    QVERIFY(slow.start());
    QVERIFY(fast.start());
    slow.setDefaultBehaviour(Behaviour::fixed().withDelay(int(kDelayUs / 1000)));
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(proxyConfig({backendConfigFor(slow), backendConfigFor(fast)}), &error),
             qPrintable(error));
    RawClient client;
    QVERIFY(client.connectTo(server.boundAddresses().constFirst().port));
    for (int i = 0; i < 2 * kRequests; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);

    QTRY_COMPARE_WITH_TIMEOUT(server.collectSnapshot()->requests, quint64(2 * kRequests), 5000);
    // Round robin alternates, so each backend served half.
    QTRY_COMPARE_WITH_TIMEOUT(server.collectSnapshot()->backends.at(0).responseTime.count, quint64(kRequests),
                              5000);
    QTRY_COMPARE_WITH_TIMEOUT(server.collectSnapshot()->backends.at(1).responseTime.count, quint64(kRequests),
                              5000);
    const MetricsSnapshotPtr settled = server.collectSnapshot();
    const BackendMetrics &slowMetrics = settled->backends.at(0);
    const BackendMetrics &fastMetrics = settled->backends.at(1);
    QCOMPARE(slowMetrics.name, u"slow"_s);
    QCOMPARE(slowMetrics.firstByte.count, quint64(kRequests));
    QCOMPARE(slowMetrics.firstByte.distribution->count(), quint64(kRequests));
    // A percentile is never below the value it stands for, and the backend never answered sooner.
    QVERIFY2(slowMetrics.firstByte.p50Us >= kDelayUs,
             qPrintable(QString::number(slowMetrics.firstByte.p50Us)));
    QVERIFY(slowMetrics.responseTime.p50Us >= slowMetrics.firstByte.p50Us);
    QVERIFY(slowMetrics.firstByte.p50Us <= slowMetrics.firstByte.p90Us);
    QVERIFY(slowMetrics.firstByte.p90Us <= slowMetrics.firstByte.p99Us);
    QVERIFY(slowMetrics.firstByte.p99Us <= slowMetrics.firstByte.p999Us);
    QVERIFY2(fastMetrics.firstByte.p50Us < kDelayUs,
             qPrintable(QString::number(fastMetrics.firstByte.p50Us)));
}

QTEST_GUILESS_MAIN(TestProxyServer)
#include "tst_proxyserver.moc"
