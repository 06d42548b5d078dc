// SPDX-License-Identifier: GPL-3.0-or-later
// What fulcrumd does to well-formed requests and responses on their way through: balancing, the
// headers it adds, removes and keeps, and the message kinds with special framing.
#include "ProxyTest.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

class TestProxyForwarding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void roundRobinEqualWeights();
    void roundRobinWeighted();
    void forwardingHeaders();
    void absoluteFormTarget();
    void asteriskFormOptions();
    void requestId_data();
    void requestId();
    void requestIdsDiffer();
    void hopByHopRemovedFromRequest();
    void hopByHopRemovedFromResponse();
    void http10ClosesByDefault();
    void http10KeepAlive();
    void http10GetsNoChunks();
    void headHasNoBody();
    void headOnReusedBackendConnection();
    void pipelinedAfterConnectionClose();
    void backendRequestIdReplaced();
    void closeDelimitedBackendResponse();
    void noBodyStatuses_data();
    void noBodyStatuses();
    void expectContinue();
    void earlyHintsForwarded();
    void earlyHintsNotSentToHttp10();

private:
    // One backend "a" behind a one-worker fulcrumd.
    bool startSingle();

    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyForwarding::init()
{
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyForwarding::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
}

bool TestProxyForwarding::startSingle()
{
    m_backend = std::make_unique<FakeBackend>(u"a"_s);
    if (!m_backend->start())
        return false;
    if (!m_proxy->start(backendArgs({m_backend.get()}))) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return true;
}

void TestProxyForwarding::roundRobinEqualWeights()
{
    FakeBackend b1(u"b1"_s), b2(u"b2"_s), b3(u"b3"_s);
    QVERIFY(b1.start() && b2.start() && b3.start());
    QVERIFY2(m_proxy->start(backendArgs({&b1, &b2, &b3})), qPrintable(m_proxy->errorString()));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QHash<QByteArray, int> byBody;
    for (int i = 0; i < 30; ++i) {
        const HttpResponse r = client.request(RawClient::get("/rr"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        ++byBody[r.body];
    }
    QCOMPARE(b1.requestCount(), 10);
    QCOMPARE(b2.requestCount(), 10);
    QCOMPARE(b3.requestCount(), 10);
    QCOMPARE(byBody.value("hello from b1"), 10);
    QCOMPARE(byBody.value("hello from b2"), 10);
    QCOMPARE(byBody.value("hello from b3"), 10);
}

void TestProxyForwarding::roundRobinWeighted()
{
    FakeBackend b1(u"heavy"_s), b2(u"light1"_s), b3(u"light2"_s);
    QVERIFY(b1.start() && b2.start() && b3.start());
    QVERIFY2(m_proxy->start(backendArgs({&b1, &b2, &b3}, {5, 1, 1})), qPrintable(m_proxy->errorString()));

    for (int i = 0; i < 7; ++i) {
        // A new connection each time: the choice must not depend on the client connection.
        const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/w"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(b1.requestCount(), 5);
    QCOMPARE(b2.requestCount(), 1);
    QCOMPARE(b3.requestCount(), 1);
}

void TestProxyForwarding::forwardingHeaders()
{
    QVERIFY(startSingle());
    const HttpResponse r =
        fetch(m_proxy->port(), RawClient::get("/fwd?x=1", {{"Host", "example.test:8080"},
                                                           {"X-Forwarded-For", "10.9.9.9"},
                                                           {"X-Forwarded-Proto", "https"},
                                                           {"X-Forwarded-Host", "evil.test"},
                                                           {"Accept", "text/plain"}}));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);

    QCOMPARE(m_backend->requestCount(), 1);
    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.method, "GET"_ba);
    QCOMPARE(got.target, "/fwd?x=1"_ba);
    QCOMPARE(got.versionMinor, 1);
    QCOMPARE(got.headerCount("host"), 1);
    QCOMPARE(got.host, "example.test:8080"_ba);
    QCOMPARE(got.headerCount("x-forwarded-for"), 1);
    QCOMPARE(got.header("x-forwarded-for"), "127.0.0.1"_ba);
    QCOMPARE(got.headerCount("x-forwarded-proto"), 1);
    QCOMPARE(got.header("x-forwarded-proto"), "http"_ba);
    QCOMPARE(got.headerCount("x-forwarded-host"), 1);
    QCOMPARE(got.header("x-forwarded-host"), "example.test:8080"_ba);
    QCOMPARE(got.header("accept"), "text/plain"_ba);
}

void TestProxyForwarding::absoluteFormTarget()
{
    QVERIFY(startSingle());
    const HttpResponse r = fetch(
        m_proxy->port(), "GET http://example.test:8080/abs?q=2 HTTP/1.1\r\nHost: example.test:8080\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.target, "/abs?q=2"_ba);
    QCOMPARE(got.host, "example.test:8080"_ba);
}

void TestProxyForwarding::asteriskFormOptions()
{
    QVERIFY(startSingle());
    const HttpResponse r = fetch(m_proxy->port(), "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->lastRequest().method, "OPTIONS"_ba);
    QCOMPARE(m_backend->lastRequest().target, "*"_ba);
    const HttpResponse bad = fetch(m_proxy->port(), "GET * HTTP/1.1\r\nHost: localhost\r\n\r\n");
    QVERIFY2(bad.complete && bad.status == 400, qPrintable(bad.describe()));
    QCOMPARE(m_backend->requestCount(), 1);
}

void TestProxyForwarding::requestId_data()
{
    QTest::addColumn<QByteArray>("sent"); // null: no header
    QTest::addColumn<bool>("kept");
    QTest::newRow("absent") << QByteArray() << false;
    QTest::newRow("valid") << "abc-123"_ba << true;
    QTest::newRow("valid characters") << "Req_1.2:3-x"_ba << true;
    QTest::newRow("contains spaces") << "abc 123"_ba << false;
    QTest::newRow("200 characters") << QByteArray(200, 'a') << false;
    QTest::newRow("quote") << "abc\"123"_ba << false;
}

void TestProxyForwarding::requestId()
{
    QFETCH(QByteArray, sent);
    QFETCH(bool, kept);
    QVERIFY(startSingle());
    QList<std::pair<QByteArray, QByteArray>> headers;
    if (!sent.isNull())
        headers.append({"X-Request-ID", sent});
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/id", headers));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));

    QCOMPARE(r.headerCount("x-request-id"), 1);
    const QByteArray id = r.header("x-request-id");
    if (kept)
        QCOMPARE(id, sent);
    else
        QVERIFY2(isGeneratedRequestId(id), id.constData());
    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.headerCount("x-request-id"), 1);
    QCOMPARE(got.header("x-request-id"), id);
}

void TestProxyForwarding::requestIdsDiffer()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QSet<QByteArray> ids;
    for (int i = 0; i < 5; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        ids.insert(r.header("x-request-id"));
    }
    QCOMPARE(ids.size(), 5);
}

void TestProxyForwarding::hopByHopRemovedFromRequest()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request("GET /hop HTTP/1.1\r\n"
                                          "Host: localhost\r\n"
                                          "Connection: close, X-Secret\r\n"
                                          "X-Secret: do-not-forward\r\n"
                                          "Keep-Alive: timeout=5\r\n"
                                          "Proxy-Connection: keep-alive\r\n"
                                          "TE: trailers\r\n"
                                          "Trailer: X-Checksum\r\n"
                                          "Upgrade: websocket\r\n"
                                          "X-Keep: yes\r\n"
                                          "\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.header("x-keep"), "yes"_ba);
    for (const QByteArrayView name :
         {"x-secret", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"})
        QVERIFY2(!got.hasHeader(name), name.data());
    const QByteArray connection = got.header("connection").toLower();
    QVERIFY2(!connection.contains("x-secret") && !connection.contains("close"), connection.constData());

    // The client asked to close: the proxy says so and closes after the response.
    QCOMPARE(r.header("connection").toLower(), "close"_ba);
    bool closed = false;
    QCOMPARE(client.readUntilClosed(&closed), QByteArray());
    QVERIFY(closed);
}

void TestProxyForwarding::hopByHopRemovedFromResponse()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::fixed()
                                       .withHeader("Connection", "X-Backend-Secret")
                                       .withHeader("X-Backend-Secret", "hidden")
                                       .withHeader("Keep-Alive", "timeout=5")
                                       .withHeader("Proxy-Connection", "keep-alive")
                                       .withHeader("Trailer", "X-Checksum")
                                       .withHeader("X-Visible", "yes"));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.header("x-visible"), "yes"_ba);
    QCOMPARE(r.header("x-backend"), "a"_ba);
    for (const QByteArrayView name : {"x-backend-secret", "keep-alive", "proxy-connection", "trailer"})
        QVERIFY2(!r.hasHeader(name), name.data());
    QVERIFY(!r.header("connection").toLower().contains("x-backend-secret"));
    // Still a keep-alive connection.
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
}

void TestProxyForwarding::http10ClosesByDefault()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request("GET /old HTTP/1.0\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);
    QVERIFY(!r.chunked);
    bool closed = false;
    QCOMPARE(client.readUntilClosed(&closed), QByteArray());
    QVERIFY(closed);

    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.target, "/old"_ba);
    // No Host from the client: the backend's own authority stands in.
    QCOMPARE(got.host, "127.0.0.1:"_ba + QByteArray::number(m_backend->port()));
    QVERIFY(!got.hasHeader("x-forwarded-host"));
}

void TestProxyForwarding::http10KeepAlive()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 3; ++i) {
        const HttpResponse r = client.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.header("connection").toLower(), "keep-alive"_ba);
        QVERIFY(r.hasHeader("content-length"));
        QCOMPARE(r.body, "hello from a"_ba);
    }
    QVERIFY(client.isConnected());
}

void TestProxyForwarding::http10GetsNoChunks()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::large(100'000, true));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request("GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(!r.chunked);
    QVERIFY(!r.hasHeader("transfer-encoding"));
    QCOMPARE(r.body.size(), 100'000);
    QVERIFY(r.body == FakeBackend::pattern(100'000));
    // Without a length the body can only end with the connection.
    QVERIFY(client.peerClosed());
}

void TestProxyForwarding::headHasNoBody()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::buildRequest("HEAD", "/"), true);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.header("content-length"), "12"_ba); // the length of "hello from a", as the backend said
    QCOMPARE(m_backend->lastRequest().method, "HEAD"_ba);
    // A body after the head would be read as the start of the next response.
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);
    QVERIFY(client.staysSilent(100));
}

void TestProxyForwarding::headOnReusedBackendConnection()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::large(100'000));
    m_backend->setBehaviour("/chunked", Behaviour::large(100'000, true));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (const QByteArray &target : {"/"_ba, "/chunked"_ba}) {
        HttpResponse r = client.request(RawClient::get(target));
        QVERIFY2(r.complete && r.status == 200 && r.body.size() == 100'000, qPrintable(r.describe()));
        r = client.request(RawClient::buildRequest("HEAD", target), true);
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        if (target == "/")
            QCOMPARE(r.header("content-length"), "100000"_ba);
        r = client.request(RawClient::get(target));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QVERIFY(r.body == FakeBackend::pattern(100'000));
    }
    QCOMPARE(m_backend->connectionCount(), 1);
}

void TestProxyForwarding::pipelinedAfterConnectionClose()
{
    QVERIFY(startSingle());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const QByteArray pipelined = RawClient::get("/last", {{"Connection", "close"}}) +
                                 RawClient::get("/ignored") + RawClient::get("/ignored");
    QVERIFY(client.send(pipelined));
    const HttpResponse r = client.readResponse();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    bool closed = false;
    const QByteArray after = client.readUntilClosed(&closed);
    QVERIFY(closed);
    QVERIFY2(after.isEmpty(), after.constData());
    QCOMPARE(m_backend->requestCount(), 1);
    QCOMPARE(m_backend->lastRequest().target, "/last"_ba);
}

void TestProxyForwarding::backendRequestIdReplaced()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::fixed().withHeader("X-Request-ID", "from-backend"));
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/", {{"X-Request-ID", "from-client"}}));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.headerCount("x-request-id"), 1);
    QCOMPARE(r.header("x-request-id"), "from-client"_ba);
}

void TestProxyForwarding::closeDelimitedBackendResponse()
{
    QVERIFY(startSingle());
    m_backend->setBehaviour("/old", Behaviour::raw("HTTP/1.0 200 OK\r\nX-Old: yes\r\n\r\nbody until close"));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/old"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "body until close"_ba);
    QCOMPARE(r.header("x-old"), "yes"_ba);
    QVERIFY(r.chunked); // re-framed for the HTTP/1.1 client, so its connection can stay open
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);
}

void TestProxyForwarding::noBodyStatuses_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("204") << 204;
    QTest::newRow("304") << 304;
}

void TestProxyForwarding::noBodyStatuses()
{
    QFETCH(int, status);
    QVERIFY(startSingle());
    m_backend->setBehaviour("/nobody", Behaviour::noBody(status).withHeader("ETag", "\"v1\""));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/nobody"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, status);
    QVERIFY(!r.hasHeader("transfer-encoding"));
    QVERIFY(!r.chunked);
    if (r.hasHeader("content-length") && status == 204)
        QFAIL("204 response carries Content-Length");
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);
}

void TestProxyForwarding::expectContinue()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::echo());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                        "Content-Length: 11\r\n\r\n"));
    const HttpResponse interim = client.readMessage();
    QVERIFY2(interim.complete, qPrintable(interim.describe()));
    QCOMPARE(interim.head, "HTTP/1.1 100 Continue\r\n\r\n"_ba);
    const HttpResponse r = client.request("hello world");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello world"_ba);
    QVERIFY(r.interim.isEmpty()); // exactly one 100 Continue
    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.body, "hello world"_ba);
    QVERIFY(!got.hasHeader("expect"));
}

void TestProxyForwarding::earlyHintsForwarded()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::fixed().withEarlyHints());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/hints"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.interim.size(), 1);
    QCOMPARE(r.interim.constFirst().status, 103);
    QCOMPARE(r.interim.constFirst().header("link"), "</style.css>; rel=preload; as=style"_ba);
    QCOMPARE(r.body, "hello from a"_ba);
}

void TestProxyForwarding::earlyHintsNotSentToHttp10()
{
    QVERIFY(startSingle());
    m_backend->setDefaultBehaviour(Behaviour::fixed().withEarlyHints());
    const HttpResponse r = fetch(m_proxy->port(), "GET /hints HTTP/1.0\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(r.interim.isEmpty());
    QCOMPARE(r.body, "hello from a"_ba);
}

QTEST_GUILESS_MAIN(TestProxyForwarding)
#include "tst_proxy_forwarding.moc"
