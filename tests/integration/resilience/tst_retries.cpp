// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyTest.h"
#include "ResilienceTest.h"
#include "proxy/ProxyServer.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(fulcrum::test::Behaviour)

namespace {
// Smooth weighted round robin over weights 1000 and 1 gives the light backend its first turn only
// after 500 picks: the heavy backend takes every first attempt, and a retry, which must go to a
// backend not tried yet, takes the next one of the table.
constexpr int kFirst = 1000;

QByteArray bodyFor(int index, qsizetype size)
{
    QByteArray body = "body " + QByteArray::number(index) + ": ";
    body += FakeBackend::pattern(size - body.size());
    return body;
}
} // namespace

// Retries in a running ProxyServer: what is retried (never reached, reset, timeout, listed statuses;
// per method), with which body, how often, and what the budget allows.
class TestRetries : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusedBackendAmongGoodOnes();
    void bodyIsReplayedAfterConnectFailure_data();
    void bodyIsReplayedAfterConnectFailure();
    void resetBeforeResponse_data();
    void resetBeforeResponse();
    void staleReusedConnectionIsRetriedForAnyMethod();
    void responseTimeout();
    void connectTimeoutIsRetriedForAnyMethod();
    void retryStatuses();
    void largeBodyIsNotRetried();
    void noRetryAfterResponseBytes();
    void maxRetries_data();
    void maxRetries();
    void retryBudget();

private:
    // Starts the server; false (with a QTest failure recorded) when it cannot.
    static bool start(ProxyServer &server, const ProxyConfig &config, quint16 *port);
};

bool TestRetries::start(ProxyServer &server, const ProxyConfig &config, quint16 *port)
{
    QString error;
    if (!server.start(config, &error)) {
        QTest::qFail(qPrintable(u"the proxy did not start: "_s + error), __FILE__, __LINE__);
        return false;
    }
    *port = server.boundAddresses().constFirst().port;
    return true;
}

// One backend of three refuses connections: every request still succeeds, each first attempt on the
// refused backend costing exactly one retry on a good one.
void TestRetries::refusedBackendAmongGoodOnes()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), dead(u"dead"_s);
    QVERIFY(alpha.start());
    QVERIFY(beta.start());
    QVERIFY(dead.start());
    dead.stop();
    const ProxyConfig config =
        resilienceConfig({backendConfigFor(alpha), backendConfigFor(beta), backendConfigFor(dead)}, 2);
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    constexpr int kRequests = 300;
    LoadGenerator load(port, 4);
    load.start(kRequests, 20'000);
    QVERIFY(load.waitForFinished(20'000));
    QCOMPARE(load.completedCount(), kRequests);
    const QList<LoadSample> failures = load.failures();
    QVERIFY2(failures.isEmpty(), qPrintable(describeFailures(failures)));
    const QHash<QByteArray, int> counts = countByBackend(load.samples());
    QCOMPARE(counts.value("dead"), 0);
    QCOMPARE(counts.value("alpha") + counts.value("beta"), kRequests);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    const BackendMetrics deadMetrics = metricsOf(*snapshot, u"dead"_s);
    // Round robin gives the refused backend a third of the picks, and a retry takes a pick too.
    QVERIFY2(snapshot->retries >= kRequests / 6, qPrintable(QString::number(snapshot->retries)));
    QCOMPARE(deadMetrics.connectErrors, snapshot->retries);
    QCOMPARE(deadMetrics.requests, deadMetrics.connectErrors);
    QCOMPARE(deadMetrics.retries, 0u);
    QCOMPARE(metricsOf(*snapshot, u"alpha"_s).retries + metricsOf(*snapshot, u"beta"_s).retries,
             snapshot->retries);
    QCOMPARE(metricsOf(*snapshot, u"alpha"_s).requests + metricsOf(*snapshot, u"beta"_s).requests,
             quint64(kRequests));
    QCOMPARE(snapshot->retriesDenied, 0u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
    QCOMPARE(snapshot->requests, quint64(kRequests));
}

void TestRetries::bodyIsReplayedAfterConnectFailure_data()
{
    QTest::addColumn<QString>("framing");
    QTest::newRow("content-length") << u"content-length"_s;
    QTest::newRow("chunked") << u"chunked"_s;
    // The head goes first; the body arrives only once the retry is under way.
    QTest::newRow("body after the retry") << u"late"_s;
}

// A POST whose first attempt could not connect never reached a backend: it is retried, with its
// body intact, whatever the framing.
void TestRetries::bodyIsReplayedAfterConnectFailure()
{
    QFETCH(QString, framing);
    FakeBackend good(u"good"_s), dead(u"dead"_s);
    QVERIFY(good.start());
    QVERIFY(dead.start());
    dead.stop();
    good.setDefaultBehaviour(Behaviour::echo());
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(
        start(server, resilienceConfig({backendConfigFor(dead, kFirst), backendConfigFor(good, 1)}), &port));

    constexpr int kRequests = 4;
    for (int i = 0; i < kRequests; ++i) {
        const QByteArray body = bodyFor(i, 3000 + i * 1000);
        RawClient client;
        QVERIFY(client.connectTo(port));
        HttpResponse response;
        if (framing == u"chunked"_s) {
            response = client.request(chunkedRequest("POST", "/upload", body, 1000));
        } else if (framing == u"content-length"_s) {
            response = client.request(RawClient::buildRequest("POST", "/upload", {}, body));
        } else {
            const QByteArray request = RawClient::buildRequest("POST", "/upload", {}, body);
            const qsizetype headEnd = request.indexOf("\r\n\r\n") + 4;
            QVERIFY(client.send(request.first(headEnd)));
            // The refused attempt is over and the retry's head is on its way to the good backend.
            QTRY_COMPARE(server.collectSnapshot()->retries, quint64(i + 1));
            QTRY_COMPARE(good.headCount(), i + 1);
            QVERIFY(client.send(request.sliced(headEnd, 1000)));
            QTest::qWait(20);
            QVERIFY(client.send(request.sliced(headEnd + 1000)));
            response = client.readResponse();
        }
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("x-backend"), "good"_ba);
        QCOMPARE(response.body.size(), body.size());
        QCOMPARE(FakeBackend::sha256Hex(response.body), FakeBackend::sha256Hex(body));
        const RecordedRequest recorded = good.lastRequest();
        QCOMPARE(recorded.method, "POST"_ba);
        QCOMPARE(recorded.chunked, framing == u"chunked"_s);
        QCOMPARE(recorded.bodySize, body.size());
        QCOMPARE(recorded.bodySha256, FakeBackend::sha256Hex(body));
    }
    QCOMPARE(good.requestCount(), kRequests);
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, quint64(kRequests));
    QCOMPARE(metricsOf(*snapshot, u"dead"_s).connectErrors, quint64(kRequests));
    QCOMPARE(metricsOf(*snapshot, u"good"_s).retries, quint64(kRequests));
    QCOMPARE(snapshot->upstreamFailures, 0u);
}

void TestRetries::resetBeforeResponse_data()
{
    QTest::addColumn<Behaviour>("behaviour");
    QTest::newRow("FIN without a response") << Behaviour::drop();
    QTest::newRow("RST without a response") << Behaviour::reset();
}

// A connection that breaks after the request went out, before any response byte: the backend may
// have acted on the request, so only idempotent methods are retried.
void TestRetries::resetBeforeResponse()
{
    QFETCH(Behaviour, behaviour);
    FakeBackend good(u"good"_s), flaky(u"flaky"_s);
    QVERIFY(good.start());
    QVERIFY(flaky.start());
    good.setDefaultBehaviour(Behaviour::echo());
    flaky.setDefaultBehaviour(behaviour);
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(
        start(server, resilienceConfig({backendConfigFor(flaky, kFirst), backendConfigFor(good, 1)}), &port));

    HttpResponse response = fetch(port, RawClient::get("/get"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-backend"), "good"_ba);
    QCOMPARE(flaky.requestCount("/get"), 1);
    QCOMPARE(good.requestCount("/get"), 1);

    response = fetch(port, RawClient::buildRequest("POST", "/post", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 502);
    QVERIFY2(!response.hasHeader("x-backend"), qPrintable(response.describe()));
    QVERIFY2(response.body.startsWith("502 Bad Gateway: ") && response.body.endsWith(" (backend flaky)\n"),
             qPrintable(response.describe()));
    QCOMPARE(flaky.requestCount("/post"), 1);
    QCOMPARE(good.requestCount("/post"), 0);

    // PUT is idempotent: retried, body and all.
    response = fetch(port, RawClient::buildRequest("PUT", "/put", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, "payload"_ba);
    QCOMPARE(flaky.requestCount("/put"), 1);
    QCOMPARE(good.requestCount("/put"), 1);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 2u);
    QCOMPARE(snapshot->upstreamFailures, 1u);
    QCOMPARE(metricsOf(*snapshot, u"flaky"_s).resets, 3u);
    QCOMPARE(metricsOf(*snapshot, u"flaky"_s).connectErrors, 0u);
}

// A parked connection that the backend closes as the next request arrives on it: the request is
// taken to have never reached the backend and goes again on a fresh connection, POST included,
// without counting as a retry or a failure of the backend.
void TestRetries::staleReusedConnectionIsRetriedForAnyMethod()
{
    FakeBackend app(u"app"_s), other(u"other"_s);
    QVERIFY(app.start());
    QVERIFY(other.start());
    // The first request leaves its connection parked; the second, on that connection, is dropped.
    app.setBehaviourSequence("/p", {Behaviour::echo(), Behaviour::drop(), Behaviour::echo()});
    ProxyConfig config = resilienceConfig({backendConfigFor(app, kFirst), backendConfigFor(other, 1)});
    // A single failure blamed on app would eject it.
    config.outlierDetection.enabled = true;
    config.outlierDetection.consecutiveFailures = 1;
    config.outlierDetection.maxEjectionPercent = 100;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));
    QSignalSpy spy(&server.backends(), &BackendRegistry::backendChanged);

    HttpResponse response = fetch(port, RawClient::buildRequest("POST", "/p", {}, "first"));
    QCOMPARE(response.status, 200);
    response = fetch(port, RawClient::buildRequest("POST", "/p", {}, "second"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, "second"_ba);
    QCOMPARE(app.connectionCount(), 2);
    QCOMPARE(app.requestCount("/p"), 3);
    QCOMPARE(other.requestCount(), 0);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 0u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
    QCOMPARE(metricsOf(*snapshot, u"app"_s).state, u"up"_s);
    QVERIFY2(stateChanges(spy).isEmpty(), qPrintable(describeChanges(stateChanges(spy))));
}

// No response head in time: GET is retried elsewhere, POST gets the 504.
void TestRetries::responseTimeout()
{
    FakeBackend good(u"good"_s), hang(u"hang"_s);
    QVERIFY(good.start());
    QVERIFY(hang.start());
    hang.setDefaultBehaviour(Behaviour::neverRespond());
    ProxyConfig config = resilienceConfig({backendConfigFor(hang, kFirst), backendConfigFor(good, 1)});
    config.timeouts.upstreamResponseMs = 300;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    QElapsedTimer timer;
    timer.start();
    HttpResponse response = fetch(port, RawClient::get("/get"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-backend"), "good"_ba);
    QVERIFY2(timer.elapsed() >= 250, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(hang.requestCount("/get"), 1);

    response = fetch(port, RawClient::buildRequest("POST", "/post", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 504);
    QCOMPARE(response.body, "504 Gateway Timeout: backend did not respond in time (backend hang)\n"_ba);
    QCOMPARE(good.requestCount("/post"), 0);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 1u);
    QCOMPARE(metricsOf(*snapshot, u"hang"_s).timeouts, 2u);
}

// A connect that times out never reached the backend: retried for any method, POST included.
void TestRetries::connectTimeoutIsRetriedForAnyMethod()
{
    BlackholePort blackhole;
    QVERIFY(blackhole.isValid());
    FakeBackend good(u"good"_s);
    QVERIFY(good.start());
    good.setDefaultBehaviour(Behaviour::echo());
    ProxyConfig config =
        resilienceConfig({blackhole.config(u"blackhole"_s, kFirst), backendConfigFor(good, 1)});
    config.timeouts.upstreamConnectMs = 300;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    QElapsedTimer timer;
    timer.start();
    const HttpResponse response = fetch(port, RawClient::buildRequest("POST", "/post", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, "payload"_ba);
    QVERIFY2(timer.elapsed() >= 250, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(good.lastRequest().body, "payload"_ba);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 1u);
    QCOMPARE(metricsOf(*snapshot, u"blackhole"_s).timeouts, 1u);
    QCOMPARE(snapshot->upstreamFailures, 0u);
}

// retry_statuses: a listed status is retried (and discarded unseen) for idempotent methods only;
// when every attempt gets it, the client gets the last one.
void TestRetries::retryStatuses()
{
    FakeBackend good(u"good"_s), busy(u"busy"_s);
    QVERIFY(good.start());
    QVERIFY(busy.start());
    good.setDefaultBehaviour(Behaviour::echo());
    busy.setDefaultBehaviour(Behaviour::fixed("busy", 503));
    ProxyConfig config = resilienceConfig({backendConfigFor(busy, kFirst), backendConfigFor(good, 1)});
    config.retries.retryStatuses = {502, 503};
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    HttpResponse response = fetch(port, RawClient::get("/get"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-backend"), "good"_ba);
    QCOMPARE(busy.responseCount("/get", 503), 1);

    response = fetch(port, RawClient::buildRequest("POST", "/post", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 503);
    QCOMPARE(response.header("x-backend"), "busy"_ba);
    QCOMPARE(response.body, "busy"_ba);
    QCOMPARE(good.requestCount("/post"), 0);

    response = fetch(port, RawClient::buildRequest("DELETE", "/delete", {}, "payload"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, "payload"_ba);

    // A status not listed is the client's at once.
    busy.setBehaviour("/teapot", Behaviour::fixed("short and stout", 500));
    response = fetch(port, RawClient::get("/teapot"));
    QCOMPARE(response.status, 500);
    QCOMPARE(good.requestCount("/teapot"), 0);

    // Every attempt answers 503: busy, good, then busy again (the only backends there are); the client
    // gets the third answer.
    good.setBehaviour("/everywhere", Behaviour::fixed("also busy", 503));
    busy.setBehaviour("/everywhere", Behaviour::fixed("busy again", 503));
    response = fetch(port, RawClient::get("/everywhere"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 503);
    QCOMPARE(response.header("x-backend"), "busy"_ba);
    QCOMPARE(response.body, "busy again"_ba);
    QCOMPARE(busy.responseCount("/everywhere", 503), 2);
    QCOMPARE(good.responseCount("/everywhere", 503), 1);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 4u); // GET 1, DELETE 1, the last GET 2
    QCOMPARE(snapshot->upstreamFailures, 0u);
}

// Only a body up to max_buffered_body_bytes is kept for a retry; a larger one is not retried, even
// where the request never reached a backend.
void TestRetries::largeBodyIsNotRetried()
{
    FakeBackend good(u"good"_s), dead(u"dead"_s);
    QVERIFY(good.start());
    QVERIFY(dead.start());
    dead.stop();
    good.setDefaultBehaviour(Behaviour::echo());
    ProxyConfig config = resilienceConfig({backendConfigFor(dead, kFirst), backendConfigFor(good, 1)});
    config.retries.maxBufferedBodyBytes = 4096;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    // Each request goes out in one write, so the proxy has all of it before the connect fails.
    const QByteArray fits = bodyFor(1, 4096);
    HttpResponse response = fetch(port, RawClient::buildRequest("POST", "/fits", {}, fits));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 200);
    QCOMPARE(FakeBackend::sha256Hex(response.body), FakeBackend::sha256Hex(fits));

    const QByteArray tooLarge = bodyFor(2, 4097);
    response = fetch(port, RawClient::buildRequest("POST", "/too-large", {}, tooLarge));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.status, 502);
    QVERIFY2(response.body.startsWith("502 Bad Gateway: could not connect to backend dead ("),
             qPrintable(response.describe()));
    QCOMPARE(good.requestCount("/too-large"), 0);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 1u);
    QCOMPARE(snapshot->retriesDenied, 0u);
    QCOMPARE(snapshot->upstreamFailures, 1u);
    QCOMPARE(metricsOf(*snapshot, u"dead"_s).connectErrors, 2u);
}

// Once response bytes went on to the client, a broken backend connection breaks the client's too:
// nothing is retried.
void TestRetries::noRetryAfterResponseBytes()
{
    FakeBackend good(u"good"_s), broken(u"broken"_s);
    QVERIFY(good.start());
    QVERIFY(broken.start());
    broken.setDefaultBehaviour(Behaviour::closeMidBody(100'000));
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, resilienceConfig({backendConfigFor(broken, kFirst), backendConfigFor(good, 1)}),
                  &port));

    RawClient client;
    QVERIFY(client.connectTo(port));
    const HttpResponse response = client.request(RawClient::get("/partial"));
    QVERIFY2(!response.complete, qPrintable(response.describe()));
    bool closed = false;
    client.readUntilClosed(&closed, 5'000);
    QVERIFY(closed);
    QCOMPARE(broken.requestCount("/partial"), 1);
    QCOMPARE(good.requestCount(), 0);

    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, 0u);
    QCOMPARE(metricsOf(*snapshot, u"broken"_s).resets, 1u);
}

void TestRetries::maxRetries_data()
{
    QTest::addColumn<int>("backends");
    QTest::addColumn<int>("maxRetries");
    QTest::newRow("4 backends, 2 retries") << 4 << 2;
    QTest::newRow("4 backends, 3 retries") << 4 << 3;
    QTest::newRow("4 backends, no retries") << 4 << 0;
    QTest::newRow("2 backends, 3 retries") << 2 << 3;
    QTest::newRow("1 backend, 2 retries") << 1 << 2;
}

// Every backend refuses: each request makes exactly 1 + max_retries attempts, on a backend not
// tried yet while there is one, and the client gets the last attempt's 502.
void TestRetries::maxRetries()
{
    QFETCH(int, backends);
    QFETCH(int, maxRetries);
    std::vector<std::unique_ptr<FakeBackend>> dead;
    QList<BackendConfig> configs;
    for (int i = 0; i < backends; ++i) {
        dead.push_back(std::make_unique<FakeBackend>(u"dead%1"_s.arg(i)));
        QVERIFY(dead.back()->start());
        dead.back()->stop();
        configs.append(backendConfigFor(*dead.back()));
    }
    ProxyConfig config = resilienceConfig(configs);
    config.retries.maxRetries = maxRetries;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    constexpr int kRequests = 3;
    RawClient client;
    QVERIFY(client.connectTo(port));
    for (int i = 0; i < kRequests; ++i) {
        const HttpResponse response = client.request(RawClient::get("/x"));
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 502);
        QVERIFY2(response.body.startsWith("502 Bad Gateway: could not connect to backend dead"),
                 qPrintable(response.describe()));
    }

    const int attempts = 1 + maxRetries;
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    quint64 requests = 0;
    quint64 connectErrors = 0;
    for (const BackendMetrics &backend : snapshot->backends) {
        requests += backend.requests;
        connectErrors += backend.connectErrors;
        // Where every attempt can have a backend of its own, each backend is tried once per request.
        if (backends == attempts)
            QCOMPARE(backend.connectErrors, quint64(kRequests));
    }
    QCOMPARE(requests, quint64(kRequests * attempts));
    QCOMPARE(connectErrors, quint64(kRequests * attempts));
    QCOMPARE(snapshot->retries, quint64(kRequests * maxRetries));
    QCOMPARE(snapshot->retriesDenied, 0u);
    QCOMPARE(snapshot->upstreamFailures, quint64(kRequests));
}

// Every backend fails every request: the retries are held to the budget, max(budget_min_retries,
// budget_percent of the requests of the window). One worker, so the budget is exactly that.
void TestRetries::retryBudget()
{
    FakeBackend one(u"one"_s), two(u"two"_s);
    QVERIFY(one.start());
    QVERIFY(two.start());
    one.setDefaultBehaviour(Behaviour::fixed("overloaded", 503));
    two.setDefaultBehaviour(Behaviour::fixed("overloaded", 503));
    ProxyConfig config = resilienceConfig({backendConfigFor(one), backendConfigFor(two)}, 1);
    config.retries.retryStatuses = {503};
    config.retries.maxRetries = 2;
    config.retries.budgetPercent = 20;
    config.retries.budgetMinRetries = 3;
    config.retries.budgetWindowMs = 10'000;
    ProxyServer server;
    quint16 port = 0;
    QVERIFY(start(server, config, &port));

    constexpr int kRequests = 40;
    RawClient client;
    QVERIFY(client.connectTo(port));
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < kRequests; ++i) {
        const HttpResponse response = client.request(RawClient::get("/x"));
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 503);
        QCOMPARE(response.body, "overloaded"_ba);
    }
    QVERIFY2(timer.elapsed() < 9'000, "the requests must all fall within one budget window");

    // Request k may retry while the retries so far are fewer than max(3, k / 5): the first request
    // retries twice, the second once, and after that one request in five retries once. Every request
    // but the first has exactly one retry refused.
    const quint64 allowed = std::max(3, kRequests * 20 / 100);
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    QCOMPARE(snapshot->retries, allowed);
    QCOMPARE(snapshot->retriesDenied, quint64(kRequests - 1));
    QCOMPARE(metricsOf(*snapshot, u"one"_s).requests + metricsOf(*snapshot, u"two"_s).requests,
             kRequests + allowed);
    QCOMPARE(metricsOf(*snapshot, u"one"_s).retries + metricsOf(*snapshot, u"two"_s).retries, allowed);
}

QTEST_GUILESS_MAIN(TestRetries)
#include "tst_retries.moc"
