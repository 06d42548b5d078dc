// SPDX-License-Identifier: GPL-3.0-or-later
#include "ResilienceTest.h"
#include "proxy/ProxyServer.h"

#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
const QByteArray kNoBackend = "503 Service Unavailable: no backend available\n";

// Long enough for the whole test: an ejected backend stays out.
constexpr int kEjectionMs = 60'000;
// A new table reaches the workers by a queued call; this leaves them ample time to take it.
constexpr int kTableSettleMs = 100;

ProxyConfig panicConfig(const QList<BackendConfig> &backends, PanicMode mode)
{
    ProxyConfig config = resilienceConfig(backends, 2);
    config.balancing.panicMode = mode;
    // Only the test ejects here (no backend fails), and it may eject all of them.
    config.outlierDetection.enabled = true;
    config.outlierDetection.baseEjectionMs = kEjectionMs;
    config.outlierDetection.maxEjectionMs = kEjectionMs;
    config.outlierDetection.maxEjectionPercent = 100;
    return config;
}

// Takes a backend down the way the row says: its health checks fail, or outlier detection ejects it.
bool takeDown(ProxyServer &server, const QString &name, const QString &how)
{
    if (how == u"unhealthy"_s)
        return server.backends().setHealth(name, false, u"3/3 probes failed: connection refused"_s, 1'000);
    return server.backends().eject(name, u"5 consecutive failures"_s);
}

QByteArray requestTarget(int i)
{
    return "/panic/" + QByteArray::number(i);
}
} // namespace

// What happens when no backend is usable: 503 (fail-closed), or the down backends are used anyway
// (fail-open), never those an operator took out.
class TestPanicMode : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void failClosed_data();
    void failClosed();
    void failOpen_data();
    void failOpen();
    void failOpenNeverUsesWhatAnOperatorTookOut();

private:
    static bool start(ProxyServer &server, const ProxyConfig &config, quint16 *port);
};

bool TestPanicMode::start(ProxyServer &server, const ProxyConfig &config, quint16 *port)
{
    QString error;
    if (!server.start(config, &error)) {
        QTest::qFail(qPrintable(u"the proxy did not start: "_s + error), __FILE__, __LINE__);
        return false;
    }
    *port = server.boundAddresses().constFirst().port;
    return true;
}

void TestPanicMode::failClosed_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("health checks failing") << u"unhealthy"_s;
    QTest::newRow("ejected") << u"ejected"_s;
}

// Every backend down: 503 with Retry-After, counted as "no backend", and no backend hears of it.
void TestPanicMode::failClosed()
{
    QFETCH(QString, how);
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server,
                  panicConfig({backendConfigFor(alpha), backendConfigFor(beta)}, PanicMode::FailClosed),
                  &port));
    QCOMPARE(fetch(port, RawClient::get("/before")).status, 200);

    QVERIFY(takeDown(server, u"alpha"_s, how));
    QVERIFY(takeDown(server, u"beta"_s, how));
    QVERIFY(!server.backendTable()->isPanicking());
    QTest::qWait(kTableSettleMs);
    const int seenBefore = alpha.requestCount() + beta.requestCount();
    const quint64 noBackendBefore = server.collectSnapshot()->noBackend;

    constexpr int kRequests = 5;
    RawClient client;
    QVERIFY(client.connectTo(port));
    for (int i = 0; i < kRequests; ++i) {
        const HttpResponse response = client.request(RawClient::get(requestTarget(i)));
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 503);
        QCOMPARE(response.header("retry-after"), "1"_ba);
        QCOMPARE(response.body, kNoBackend);
        QVERIFY(!response.hasHeader("x-backend"));
    }
    QCOMPARE(alpha.requestCount() + beta.requestCount(), seenBefore);
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->noBackend, noBackendBefore + kRequests);
    QCOMPARE(snapshot->allAtLimits, 0u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
    QCOMPARE(metricsOf(*snapshot, u"alpha"_s).state, u"down"_s);
    QCOMPARE(metricsOf(*snapshot, u"beta"_s).state, u"down"_s);

    if (how == u"unhealthy"_s) {
        // One passes its checks again: it takes every request.
        QVERIFY(server.backends().setHealth(u"beta"_s, true, u"2/2 probes passed"_s, 1'000));
        QTest::qWait(kTableSettleMs);
        for (int i = 0; i < kRequests; ++i) {
            const HttpResponse response = client.request(RawClient::get(requestTarget(i)));
            QCOMPARE(response.status, 200);
            QCOMPARE(response.header("x-backend"), "beta"_ba);
        }
    }
}

void TestPanicMode::failOpen_data()
{
    failClosed_data();
}

// Fail-open: while some backend is up, the down ones get nothing; once all are down, the strategy
// spreads requests over the down ones (which in fact answer), never over one in maintenance or at
// weight 0.
void TestPanicMode::failOpen()
{
    QFETCH(QString, how);
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), resting(u"resting"_s), idle(u"idle"_s);
    for (FakeBackend *backend : {&alpha, &beta, &resting, &idle})
        QVERIFY(backend->start());
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server,
                  panicConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(resting),
                               backendConfigFor(idle, 0)},
                              PanicMode::FailOpen),
                  &port));
    QString error;
    QVERIFY2(server.backends().setState(u"resting"_s, BackendState::Maintenance, u"operator"_s, &error),
             qPrintable(error));

    constexpr int kRequests = 40;
    RawClient client;
    QVERIFY(client.connectTo(port));
    const auto send = [&client](int count) {
        QHash<QByteArray, int> counts;
        for (int i = 0; i < count; ++i) {
            const HttpResponse response = client.request(RawClient::get(requestTarget(i)));
            if (response.status != 200)
                return QHash<QByteArray, int>{{"status " + QByteArray::number(response.status), 1}};
            ++counts[response.header("x-backend")];
        }
        return counts;
    };

    // Not a panic while one backend is up.
    QVERIFY(takeDown(server, u"alpha"_s, how));
    QVERIFY(!server.backendTable()->isPanicking());
    QTest::qWait(kTableSettleMs);
    QHash<QByteArray, int> counts = send(kRequests);
    QVERIFY2(counts.value("beta") == kRequests, qPrintable(describeCounts(counts)));

    // Every backend in rotation is down: panic, over alpha and beta only.
    QVERIFY(takeDown(server, u"beta"_s, how));
    QVERIFY(server.backendTable()->isPanicking());
    QTest::qWait(kTableSettleMs);
    counts = send(kRequests);
    QVERIFY2(counts.size() == 2 && counts.value("alpha") == kRequests / 2 &&
                 counts.value("beta") == kRequests / 2,
             qPrintable(describeCounts(counts)));
    QCOMPARE(resting.requestCount(), 0);
    QCOMPARE(idle.requestCount(), 0);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(metricsOf(*snapshot, u"alpha"_s).state, u"down"_s);
    QCOMPARE(metricsOf(*snapshot, u"beta"_s).state, u"down"_s);
    QCOMPARE(metricsOf(*snapshot, u"resting"_s).state, u"maintenance"_s);
    QCOMPARE(snapshot->noBackend, 0u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
}

// With every backend in maintenance or at weight 0, there is nothing to fail open to: 503.
void TestPanicMode::failOpenNeverUsesWhatAnOperatorTookOut()
{
    FakeBackend resting(u"resting"_s), idle(u"idle"_s);
    QVERIFY(resting.start());
    QVERIFY(idle.start());
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server,
                  panicConfig({backendConfigFor(resting), backendConfigFor(idle, 0)}, PanicMode::FailOpen),
                  &port));
    QString error;
    QVERIFY2(server.backends().setState(u"resting"_s, BackendState::Maintenance, u"operator"_s, &error),
             qPrintable(error));
    // Down as well as taken out: still out.
    QVERIFY(
        server.backends().setHealth(u"resting"_s, false, u"3/3 probes failed: connection refused"_s, 1'000));
    QVERIFY(server.backends().setHealth(u"idle"_s, false, u"3/3 probes failed: connection refused"_s, 1'000));
    QTest::qWait(kTableSettleMs);

    const HttpResponse response = fetch(port, RawClient::get("/x"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 503);
    QCOMPARE(response.header("retry-after"), "1"_ba);
    QCOMPARE(response.body, kNoBackend);
    QCOMPARE(resting.requestCount() + idle.requestCount(), 0);
    QCOMPARE(server.collectSnapshot()->noBackend, 1u);
}

QTEST_GUILESS_MAIN(TestPanicMode)
#include "tst_panic_mode.moc"
