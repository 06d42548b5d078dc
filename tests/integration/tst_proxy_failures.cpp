// SPDX-License-Identifier: GPL-3.0-or-later
// Backends that fail: refused connections, no usable backend, silence, and deaths mid-response. The
// client always learns of the failure, and never receives a truncated body passed off as complete.
#include "ProxyTest.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
// These tests check how each failure maps to a status and a reason; retries would hide that, so they
// are off here (tests/integration/resilience covers them).
QStringList withoutRetries(QStringList arguments)
{
    return arguments << u"--retries"_s << u"0"_s;
}
} // namespace

class TestProxyFailures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void refusedConnectionGives502();
    void onlyBackendRefusing();
    void noUsableBackendGives503();
    void silentBackendGives504();
    void silentBackendGives504OnReusedConnection();
    void slowBackendWithinResponseTimeout();
    void diesMidResponse_data();
    void diesMidResponse();
    void backendClosingEveryConnection();
    void backendClosingEveryConnectionWithPosts();
    void backendClosesIdleConnection_data();
    void backendClosesIdleConnection();
    void backendClosesWithoutResponse();
    void invalidBackendResponse_data();
    void invalidBackendResponse();
    void invalidBodyAfterValidHead_data();
    void invalidBodyAfterValidHead();
    void clientAbortsMidDownload();

private:
    static constexpr int kResponseTimeoutMs = 300;
    bool startWithSilentBackend(FakeBackend &silent, ConfigFile &config);

    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyFailures::init()
{
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyFailures::cleanup()
{
    m_proxy.reset();
}

void TestProxyFailures::refusedConnectionGives502()
{
    FakeBackend dead(u"dead"_s), alive(u"alive"_s);
    QVERIFY(dead.start() && alive.start());
    dead.stop(); // its port is now closed
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&dead, &alive}))),
             qPrintable(m_proxy->errorString()));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    int badGateways = 0;
    int successes = 0;
    // Round robin over two backends: every second request meets the dead one, all on one connection.
    for (int i = 0; i < 6; ++i) {
        const HttpResponse r =
            client.request(RawClient::get("/r", {{"X-Request-ID", "fail-" + QByteArray::number(i)}}));
        QVERIFY2(r.complete, qPrintable(r.describe()));
        QCOMPARE(r.header("x-request-id"), "fail-"_ba + QByteArray::number(i));
        if (r.status == 502) {
            ++badGateways;
            QVERIFY2(r.header("content-type").startsWith("text/plain"), qPrintable(r.describe()));
            QVERIFY2(r.body.contains("dead"), qPrintable(r.describe()));
            QVERIFY2(r.body.toLower().contains("connect"), qPrintable(r.describe()));
            QVERIFY2(r.header("connection").toLower() != "close", qPrintable(r.describe()));
        } else {
            QCOMPARE(r.status, 200);
            QCOMPARE(r.body, "hello from alive"_ba);
            ++successes;
        }
    }
    QCOMPARE(badGateways, 3);
    QCOMPARE(successes, 3);
    QVERIFY(client.isConnected());
}

void TestProxyFailures::onlyBackendRefusing()
{
    FakeBackend dead(u"gone"_s);
    QVERIFY(dead.start());
    dead.stop();
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&dead}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 2; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete, qPrintable(r.describe()));
        QCOMPARE(r.status, 502);
        QVERIFY2(r.body.contains("gone"), qPrintable(r.describe()));
    }
    // A POST with a body: the body is consumed, not taken for the next request.
    HttpResponse r =
        client.request(RawClient::buildRequest("POST", "/p", {}, "GET /smuggled HTTP/1.1\r\n\r\n"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 502);
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 502);
}

void TestProxyFailures::noUsableBackendGives503()
{
    FakeBackend b1(u"off1"_s), b2(u"off2"_s);
    QVERIFY(b1.start() && b2.start());
    ConfigFile config;
    QVERIFY(config.write(configJson({&b1, &b2}, {}, {}, {0, 0})));
    QVERIFY2(m_proxy->start(withoutRetries({u"--config"_s, config.path()})),
             qPrintable(m_proxy->errorString()));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 2; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete, qPrintable(r.describe()));
        QCOMPARE(r.status, 503);
        QVERIFY2(r.body.contains("no backend"), qPrintable(r.describe()));
        QVERIFY(isGeneratedRequestId(r.header("x-request-id")));
    }
    QCOMPARE(b1.headCount() + b2.headCount(), 0);
    QCOMPARE(b1.connectionCount() + b2.connectionCount(), 0);
}

bool TestProxyFailures::startWithSilentBackend(FakeBackend &silent, ConfigFile &config)
{
    if (!silent.start())
        return false;
    silent.setBehaviour("/never", Behaviour::neverRespond());
    // upstream_connect_ms is above upstream_response_ms, so that a timeout taken from the wrong
    // setting shows in the elapsed time.
    if (!config.write(configJson({&silent}, QJsonObject{{u"upstream_response_ms"_s, kResponseTimeoutMs},
                                                        {u"upstream_connect_ms"_s, 2'000}})))
        return false;
    if (!m_proxy->start(withoutRetries({u"--config"_s, config.path()}))) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return true;
}

void TestProxyFailures::silentBackendGives504()
{
    FakeBackend silent(u"silent"_s);
    ConfigFile config;
    QVERIFY(startWithSilentBackend(silent, config));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QElapsedTimer timer;
    timer.start();
    HttpResponse r = client.request(RawClient::get("/never"));
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 504);
    QVERIFY2(r.body.contains("silent"), qPrintable(r.describe()));
    QCOMPARE(silent.requestCount(), 1);
    QVERIFY2(
        elapsed >= kResponseTimeoutMs - 50 && elapsed < 1'500,
        qPrintable(u"504 after %1 ms, upstream_response_ms is %2"_s.arg(elapsed).arg(kResponseTimeoutMs)));

    // The client connection survives the timeout; the abandoned backend connection is not reused.
    r = client.request(RawClient::get("/fine"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from silent"_ba);
    QTRY_COMPARE(silent.openConnectionCount(), 1);
}

void TestProxyFailures::silentBackendGives504OnReusedConnection()
{
    FakeBackend silent(u"silent"_s);
    ConfigFile config;
    QVERIFY(startWithSilentBackend(silent, config));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/warm-up"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QElapsedTimer timer;
    timer.start();
    r = client.request(RawClient::get("/never"));
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 504);
    QCOMPARE(silent.connectionCount(), 1); // the pooled connection carried the request
    QVERIFY2(
        elapsed >= kResponseTimeoutMs - 50 && elapsed < 1'500,
        qPrintable(u"504 after %1 ms, upstream_response_ms is %2"_s.arg(elapsed).arg(kResponseTimeoutMs)));
}

void TestProxyFailures::slowBackendWithinResponseTimeout()
{
    // Connecting is quick, answering takes longer than upstream_connect_ms but far less than
    // upstream_response_ms: a success, on a fresh backend connection as on a reused one.
    FakeBackend slow(u"slow"_s);
    QVERIFY(slow.start());
    slow.setDefaultBehaviour(Behaviour::fixed().withDelay(600));
    ConfigFile config;
    QVERIFY(config.write(configJson(
        {&slow}, QJsonObject{{u"upstream_connect_ms"_s, 200}, {u"upstream_response_ms"_s, 10'000}})));
    QVERIFY2(m_proxy->start(withoutRetries({u"--config"_s, config.path()})),
             qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 2; ++i) {
        const HttpResponse r = client.request(RawClient::get("/slow"));
        QVERIFY2(r.complete, qPrintable(r.describe()));
        QVERIFY2(r.status == 200, qPrintable(u"request %1 on a %2 backend connection: "_s.arg(i + 1).arg(
                                                 i == 0 ? u"fresh"_s : u"reused"_s) +
                                             r.describe()));
        QCOMPARE(r.body, "hello from slow"_ba);
    }
}

void TestProxyFailures::diesMidResponse_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestProxyFailures::diesMidResponse()
{
    QFETCH(bool, chunked);
    const qint64 size = 1024 * 1024;
    FakeBackend dying(u"dying"_s);
    QVERIFY(dying.start());
    dying.setDefaultBehaviour(Behaviour::closeMidBody(size, chunked));
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&dying}))), qPrintable(m_proxy->errorString()));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/"));
    QCOMPARE(r.status, 200);
    QVERIFY2(!r.complete, qPrintable(r.describe()));
    QVERIFY2(client.peerClosed(), qPrintable(r.describe()));
    QVERIFY2(r.body.size() < size, qPrintable(r.describe()));
    QVERIFY(r.body == FakeBackend::pattern(r.body.size()));
}

void TestProxyFailures::backendClosingEveryConnection()
{
    FakeBackend closer(u"closer"_s);
    QVERIFY(closer.start());
    closer.setDefaultBehaviour(Behaviour::fixed().withClose());
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&closer}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 20; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.body, "hello from closer"_ba);
        // The backend's Connection: close is about its own connection, not the client's.
        QVERIFY(r.header("connection").toLower() != "close");
    }
    QCOMPARE(closer.connectionCount(), 20);
}

void TestProxyFailures::backendClosingEveryConnectionWithPosts()
{
    // A request with a body cannot be retried once sent, so a connection the backend announced it
    // would close ("Connection: close") must never be handed to the next request.
    FakeBackend closer(u"closer"_s);
    QVERIFY(closer.start());
    closer.setDefaultBehaviour(Behaviour::echo().withClose());
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&closer}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 20; ++i) {
        const QByteArray body = "post " + QByteArray::number(i);
        const HttpResponse r = client.request(RawClient::buildRequest("POST", "/p", {}, body));
        QVERIFY2(r.complete && r.status == 200, qPrintable(u"request %1: "_s.arg(i) + r.describe()));
        QCOMPARE(r.body, body);
    }
    QCOMPARE(closer.requestCount(), 20);
}

void TestProxyFailures::backendClosesIdleConnection_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::newRow("GET") << "GET"_ba;
    QTest::newRow("POST with body") << "POST"_ba;
}

void TestProxyFailures::backendClosesIdleConnection()
{
    // A backend's own keep-alive timeout closes a connection parked in the proxy's pool. The next
    // request must not be lost on it: the proxy notices the close, or retries where that is safe.
    QFETCH(QByteArray, method);
    FakeBackend backend(u"idler"_s);
    QVERIFY(backend.start());
    backend.setDefaultBehaviour(Behaviour::echo());
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&backend}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 3; ++i) {
        const QByteArray body = method == "GET" ? QByteArray() : "body " + QByteArray::number(i);
        const HttpResponse r = client.request(RawClient::buildRequest(method, "/", {}, body));
        QVERIFY2(
            r.complete && r.status == 200,
            qPrintable(u"request %1 after the backend closed its idle connection: "_s.arg(i) + r.describe()));
        QCOMPARE(r.body, body);
        QCOMPARE(backend.closeIdleConnections(), 1);
        QTRY_COMPARE(backend.openConnectionCount(), 0);
    }
}

void TestProxyFailures::backendClosesWithoutResponse()
{
    FakeBackend dropper(u"dropper"_s);
    QVERIFY(dropper.start());
    dropper.setBehaviour("/drop", Behaviour::drop());
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&dropper}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    // First on a fresh backend connection, then on a reused one (where one retry is allowed).
    for (const QByteArray &path : {"/drop"_ba, "/ok"_ba, "/drop"_ba}) {
        const HttpResponse r = client.request(RawClient::get(path));
        QVERIFY2(r.complete, qPrintable(r.describe()));
        if (path == "/ok") {
            QCOMPARE(r.status, 200);
            continue;
        }
        QCOMPARE(r.status, 502);
        QVERIFY2(r.body.contains("dropper"), qPrintable(r.describe()));
    }
    // A GET the backend dropped may be retried once on a fresh connection, never more.
    QVERIFY2(dropper.headCount() <= 5, qPrintable(QString::number(dropper.headCount())));
}

void TestProxyFailures::invalidBackendResponse_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::newRow("not HTTP") << "SSH-2.0-OpenSSH\r\n\r\n"_ba;
    QTest::newRow("HTTP/2.0 status line") << "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"_ba;
    QTest::newRow("duplicate Content-Length")
        << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"_ba;
    QTest::newRow("Content-Length with Transfer-Encoding")
        << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"_ba;
    QTest::newRow("Transfer-Encoding: gzip") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"_ba;
    QTest::newRow("unrequested 101") << "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"_ba;
    QTest::newRow("header with whitespace before colon")
        << "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"_ba;
    QTest::newRow("obs-fold in a header")
        << "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"_ba;
    QTest::newRow("bare LF") << "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"_ba;
    QTest::newRow("negative Content-Length") << "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok"_ba;
    QTest::newRow("status out of range") << "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"_ba;
    QTest::newRow("closed inside the head") << "HTTP/1.1 200 OK\r\nContent-Le"_ba;
}

void TestProxyFailures::invalidBackendResponse()
{
    QFETCH(QByteArray, response);
    FakeBackend broken(u"broken"_s);
    QVERIFY(broken.start());
    broken.setBehaviour("/bad", Behaviour::raw(response));
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&broken}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/bad"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QVERIFY2(r.status == 502, qPrintable(r.describe()));
    QVERIFY2(r.body.contains("broken"), qPrintable(r.describe()));
    // Nothing of the broken response leaked: the next exchange on the connection is clean.
    r = client.request(RawClient::get("/ok"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from broken"_ba);
}

void TestProxyFailures::invalidBodyAfterValidHead_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::newRow("invalid chunk size") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"_ba;
    QTest::newRow("chunk longer than its size")
        << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n0\r\n\r\n"_ba;
    QTest::newRow("body shorter than Content-Length")
        << "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"_ba;
    QTest::newRow("chunked body without last chunk")
        << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"_ba;
}

void TestProxyFailures::invalidBodyAfterValidHead()
{
    // Once the head is committed the only honest signal left is closing the client connection
    // without completing the body.
    QFETCH(QByteArray, response);
    FakeBackend broken(u"broken"_s);
    QVERIFY(broken.start());
    broken.setDefaultBehaviour(Behaviour::raw(response));
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&broken}))), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/bad"));
    QVERIFY2(!(r.complete && r.status == 200), qPrintable(r.describe()));
    if (r.complete)
        QVERIFY2(r.status == 502, qPrintable(r.describe()));
    bool closed = false;
    client.readUntilClosed(&closed, 5'000);
    QVERIFY2(closed || r.status == 502, qPrintable(r.describe()));
}

void TestProxyFailures::clientAbortsMidDownload()
{
    FakeBackend bulk(u"bulk"_s);
    QVERIFY(bulk.start());
    bulk.setBehaviour("/big", Behaviour::large(20 * 1024 * 1024));
    QVERIFY2(m_proxy->start(withoutRetries(backendArgs({&bulk}))), qPrintable(m_proxy->errorString()));
    for (int i = 0; i < 3; ++i) {
        RawClient client;
        QVERIFY(client.connectTo(m_proxy->port()));
        QVERIFY(client.send(RawClient::get("/big")));
        QTRY_VERIFY(client.pendingBytes().size() > 0); // the response has begun
        client.close();
    }
    // The proxy dropped the exchanges and their backend connections, and serves on.
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/small"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QTRY_VERIFY(bulk.openConnectionCount() <= 1);
    QVERIFY(m_proxy->isRunning());
}

QTEST_GUILESS_MAIN(TestProxyFailures)
#include "tst_proxy_failures.moc"
