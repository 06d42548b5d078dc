// SPDX-License-Identifier: GPL-3.0-or-later
#include "FakeBackend.h"
#include "RawClient.h"
#include "proxy/ProxyServer.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
BackendConfig configFor(const FakeBackend &backend, int weight = 1)
{
    BackendConfig config;
    config.name = backend.name();
    config.host = u"127.0.0.1"_s;
    config.port = backend.port();
    config.weight = weight;
    return config;
}

ProxyConfig proxyConfig(const QList<BackendConfig> &backends)
{
    ProxyConfig config;
    config.listen = {{QHostAddress(QHostAddress::LocalHost), 0}};
    config.workers = 2;
    config.backends = backends;
    config.accessLog = false;
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
    void setBackendsSwitchesTraffic();
};

void TestProxyServer::snapshotsCountRequestsPerBackend()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(proxyConfig({configFor(alpha), configFor(beta)}), &error), qPrintable(error));
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
        perBackend += backend.requests;
    }
    QCOMPARE(perBackend, 10u);
    QCOMPARE(static_cast<quint64>(alpha.requestCount() + beta.requestCount()), perBackend);
}

void TestProxyServer::setBackendsSwitchesTraffic()
{
    FakeBackend before(u"before"_s), after(u"after"_s);
    QVERIFY(before.start());
    QVERIFY(after.start());
    ProxyServer server;
    QString error;
    QVERIFY(server.start(proxyConfig({configFor(before)}), &error));
    const quint16 port = server.boundAddresses().constFirst().port;
    RawClient client;
    QVERIFY(client.connectTo(port));
    QCOMPARE(client.request(RawClient::get("/")).status, 200);

    QSignalSpy changed(&server, &ProxyServer::backendsChanged);
    QVERIFY(server.setBackends({configFor(after)}, &error));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.constFirst().at(0).toStringList(), QStringList{u"after"_s});
    QCOMPARE(changed.constFirst().at(1).toStringList(), QStringList{u"before"_s});
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
