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

QTEST_GUILESS_MAIN(TestProxyServer)
#include "tst_proxyserver.moc"
