// SPDX-License-Identifier: GPL-3.0-or-later
#include "ResilienceTest.h"
#include "config/ConfigLoader.h"
#include "proxy/BackendLimits.h"
#include "proxy/ProxyServer.h"

#include <QElapsedTimer>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
// Smooth weighted round robin over weights 1000 and 1 gives the light backend its first turn only
// after 500 picks: the heavy backend is the strategy's choice for every request here.
constexpr int kFirst = 1000;
// How long the slow backends take to answer: far longer than the test needs to make its point.
constexpr int kSlowMs = 1'000;

constexpr std::size_t index(LimitKind kind)
{
    return static_cast<std::size_t>(kind);
}

// A client with a request sent and its response not read yet.
std::unique_ptr<RawClient> sendRequest(quint16 port, const QByteArray &request)
{
    auto client = std::make_unique<RawClient>();
    if (!client->connectTo(port) || !client->send(request))
        return {};
    return client;
}
} // namespace

// Circuit breakers in a running ProxyServer: a backend at one of its limits is passed over for
// another, and when every backend is at a limit the client gets 503 at once.
class TestCircuitBreaker : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void maxConnectionsSendsTheThirdElsewhere();
    void maxPendingRequestsSendsTheNextElsewhere();
    void everyBackendAtMaxRequests();
    void perBackendOverride();

private:
    static bool start(ProxyServer &server, const ProxyConfig &config, quint16 *port);
};

bool TestCircuitBreaker::start(ProxyServer &server, const ProxyConfig &config, quint16 *port)
{
    QString error;
    if (!server.start(config, &error)) {
        QTest::qFail(qPrintable(u"the proxy did not start: "_s + error), __FILE__, __LINE__);
        return false;
    }
    *port = server.boundAddresses().constFirst().port;
    return true;
}

// With max connections 2 and a slow backend, the 3rd concurrent request goes elsewhere.
void TestCircuitBreaker::maxConnectionsSendsTheThirdElsewhere()
{
    FakeBackend slow(u"slow"_s), fast(u"fast"_s);
    QVERIFY(slow.start());
    QVERIFY(fast.start());
    slow.setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
    slow.setBehaviour("/quick", Behaviour::fixed());
    BackendConfig slowConfig = backendConfigFor(slow, kFirst);
    slowConfig.circuitBreaker.maxConnections = 2;
    ProxyServer server;
    quint16 port = 0;
    // One worker: parked connections are per worker, and the last request here must find them.
    QVERIFY(start(server, resilienceConfig({slowConfig, backendConfigFor(fast, 1)}, 1), &port));

    QElapsedTimer timer;
    timer.start();
    std::unique_ptr<RawClient> first = sendRequest(port, RawClient::get("/1"));
    std::unique_ptr<RawClient> second = sendRequest(port, RawClient::get("/2"));
    QVERIFY(first && second);
    QTRY_COMPARE(slow.headCount(), 2);

    const HttpResponse third = fetch(port, RawClient::get("/3"));
    QVERIFY2(third.complete, qPrintable(third.describe()));
    QCOMPARE(third.status, 200);
    QCOMPARE(third.header("x-backend"), "fast"_ba);
    QVERIFY2(timer.elapsed() < kSlowMs, "the third request waited for the slow backend");
    MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(metricsOf(*snapshot, u"slow"_s).limitRejections[index(LimitKind::MaxConnections)], 1u);
    QCOMPARE(metricsOf(*snapshot, u"slow"_s).limitRejections[index(LimitKind::MaxRequests)], 0u);
    QCOMPARE(snapshot->allAtLimits, 0u);

    for (RawClient *client : {first.get(), second.get()}) {
        const HttpResponse response = client->readResponse();
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("x-backend"), "slow"_ba);
    }
    QCOMPARE(slow.connectionCount(), 2);
    // Its two connections are parked now: a request that takes one opens none and is welcome.
    const HttpResponse fourth = fetch(port, RawClient::get("/quick"));
    QCOMPARE(fourth.status, 200);
    QCOMPARE(fourth.header("x-backend"), "slow"_ba);
    QCOMPARE(slow.connectionCount(), 2);
}

// A backend whose connect hangs, limited to one request waiting for a connection: the next request
// goes elsewhere, and the one waiting fails when its connect times out.
void TestCircuitBreaker::maxPendingRequestsSendsTheNextElsewhere()
{
    BlackholePort blackhole;
    QVERIFY(blackhole.isValid());
    FakeBackend fast(u"fast"_s);
    QVERIFY(fast.start());
    BackendConfig stuck = blackhole.config(u"stuck"_s, kFirst);
    stuck.circuitBreaker.maxPendingRequests = 1;
    ProxyConfig config = resilienceConfig({stuck, backendConfigFor(fast, 1)}, 2);
    config.timeouts.upstreamConnectMs = 500;
    config.retries.maxRetries = 0;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    std::unique_ptr<RawClient> waiting = sendRequest(port, RawClient::get("/1"));
    QVERIFY(waiting);
    QTRY_COMPARE(server.collectSnapshot()->requests, 1u);
    QTRY_COMPARE(metricsOf(*server.collectSnapshot(), u"stuck"_s).connectionsOpened, 1u);

    const HttpResponse next = fetch(port, RawClient::get("/2"));
    QVERIFY2(next.complete, qPrintable(next.describe()));
    QCOMPARE(next.status, 200);
    QCOMPARE(next.header("x-backend"), "fast"_ba);
    QCOMPARE(metricsOf(*server.collectSnapshot(), u"stuck"_s)
                 .limitRejections[index(LimitKind::MaxPendingRequests)],
             1u);

    const HttpResponse timedOut = waiting->readResponse();
    QVERIFY2(timedOut.complete, qPrintable(timedOut.describe()));
    QCOMPARE(timedOut.status, 504);
    QCOMPARE(timedOut.body, "504 Gateway Timeout: timed out connecting to backend stuck\n"_ba);
}

// Every backend at max_requests: 503 with Retry-After at once, counted, and the backends are
// welcome again as soon as they have room.
void TestCircuitBreaker::everyBackendAtMaxRequests()
{
    FakeBackend one(u"one"_s), two(u"two"_s);
    QVERIFY(one.start());
    QVERIFY(two.start());
    QList<BackendConfig> backends;
    for (FakeBackend *backend : {&one, &two}) {
        backend->setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
        backend->setBehaviour("/quick", Behaviour::fixed());
        BackendConfig config = backendConfigFor(*backend);
        config.circuitBreaker.maxRequests = 1;
        backends.append(config);
    }
    ProxyServer server;
    quint16 port = 0;
    // Two workers: the in-flight counts the limit is checked against are shared by all of them.
    QVERIFY(start(server, resilienceConfig(backends, 2), &port));

    QElapsedTimer timer;
    timer.start();
    std::unique_ptr<RawClient> first = sendRequest(port, RawClient::get("/1"));
    std::unique_ptr<RawClient> second = sendRequest(port, RawClient::get("/2"));
    QVERIFY(first && second);
    QTRY_COMPARE(one.headCount() + two.headCount(), 2);
    QCOMPARE(one.headCount(), 1);

    const HttpResponse refused = fetch(port, RawClient::get("/quick"));
    QVERIFY2(refused.complete, qPrintable(refused.describe()));
    QCOMPARE(refused.status, 503);
    QCOMPARE(refused.header("retry-after"), "1"_ba);
    QCOMPARE(refused.body, "503 Service Unavailable: every backend is at its max_requests limit\n"_ba);
    QVERIFY2(!refused.hasHeader("x-backend"), qPrintable(refused.describe()));
    QVERIFY2(timer.elapsed() < kSlowMs, "the refusal waited for a backend");
    QCOMPARE(one.headCount() + two.headCount(), 2);

    MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->allAtLimits, 1u);
    QCOMPARE(snapshot->noBackend, 0u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
    QCOMPARE(snapshot->retries, 0u);
    for (const QString &name : {u"one"_s, u"two"_s})
        QCOMPARE(metricsOf(*snapshot, name).limitRejections[index(LimitKind::MaxRequests)], 1u);

    for (RawClient *client : {first.get(), second.get()})
        QCOMPARE(client->readResponse().status, 200);
    const HttpResponse afterwards = fetch(port, RawClient::get("/quick"));
    QCOMPARE(afterwards.status, 200);
    QCOMPARE(server.collectSnapshot()->allAtLimits, 1u);
}

// The pool's limits from the configuration file, with one backend's own on top: "small" takes one
// request at a time, "big" three.
void TestCircuitBreaker::perBackendOverride()
{
    FakeBackend small(u"small"_s), big(u"big"_s);
    QVERIFY(small.start());
    QVERIFY(big.start());
    small.setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
    big.setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
    const QByteArray json = R"({
        "version": 1,
        "workers": 2,
        "access_log": false,
        "circuit_breaker": {"max_requests": 1, "max_connections": 10},
        "outlier_detection": {"enabled": false},
        "backends": [
            {"name": "small", "url": "http://127.0.0.1:)" +
                            QByteArray::number(small.port()) + R"("},
            {"name": "big", "url": "http://127.0.0.1:)" +
                            QByteArray::number(big.port()) + R"(", "circuit_breaker": {"max_requests": 3}}
        ]
    })";
    ConfigLoadResult loaded = ConfigLoader::loadJson(json);
    QVERIFY2(loaded.ok(), qPrintable(formatConfigErrors(loaded.errors)));
    ProxyConfig config = loaded.config;
    config.listen = {{QHostAddress(QHostAddress::LocalHost), 0}};
    QCOMPARE(config.backends.at(0).circuitBreaker.maxRequests, 1);
    QCOMPARE(config.backends.at(1).circuitBreaker.maxRequests, 3);
    QCOMPARE(config.backends.at(1).circuitBreaker.maxConnections, 10);
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    // Round robin offers small every other request; from the second on it is full and big takes it.
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 1; i <= 4; ++i) {
        clients.push_back(sendRequest(port, RawClient::get(QByteArray("/" + QByteArray::number(i)))));
        QVERIFY(clients.back());
        QTRY_COMPARE(small.headCount() + big.headCount(), i);
    }
    QCOMPARE(small.headCount(), 1);
    QCOMPARE(big.headCount(), 3);

    const HttpResponse refused = fetch(port, RawClient::get("/5"));
    QCOMPARE(refused.status, 503);
    QCOMPARE(refused.body, "503 Service Unavailable: every backend is at its max_requests limit\n"_ba);
    for (const std::unique_ptr<RawClient> &client : clients)
        QCOMPARE(client->readResponse().status, 200);
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->allAtLimits, 1u);
    QCOMPARE(metricsOf(*snapshot, u"small"_s).limitRejections[index(LimitKind::MaxRequests)], 2u);
    QCOMPARE(metricsOf(*snapshot, u"big"_s).limitRejections[index(LimitKind::MaxRequests)], 1u);
}

QTEST_GUILESS_MAIN(TestCircuitBreaker)
#include "tst_circuit_breaker.moc"
