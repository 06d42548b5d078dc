// SPDX-License-Identifier: GPL-3.0-or-later
// Bodies and connections: large transfers arrive byte for byte in both directions and both framings,
// pipelined requests are answered in order, and connections to backends are reused.
#include "ProxyTest.h"

#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
constexpr qint64 kLarge = 10 * 1024 * 1024;
constexpr int kWorkers = 2;
} // namespace

class TestProxyBodies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void upload_data();
    void upload();
    void download_data();
    void download();
    void echoBothWays();
    void pipelinedRequestsAnsweredInOrder();
    void pipelinedRequestsWithBodies();
    void keepAliveReusesBackendConnections();
    void newClientConnectionsReuseBackendConnections();
    void emptyBodies();
    void chunkedIsCaseInsensitive();
    void poolingDisabled();
    void concurrentClients();

private:
    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyBodies::initTestCase()
{
    m_backend = std::make_unique<FakeBackend>(u"bulk"_s);
    QVERIFY(m_backend->start());
    m_proxy = std::make_unique<FulcrumProcess>();
    QVERIFY2(m_proxy->start(backendArgs({m_backend.get()}), kWorkers), qPrintable(m_proxy->errorString()));
}

void TestProxyBodies::init()
{
    m_backend->setDefaultBehaviour(Behaviour::fixed());
}

void TestProxyBodies::cleanupTestCase()
{
    m_proxy.reset();
    m_backend.reset();
}

void TestProxyBodies::upload_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestProxyBodies::upload()
{
    QFETCH(bool, chunked);
    const QByteArray body = FakeBackend::pattern(kLarge);
    const QByteArray request = chunked ? chunkedRequest("POST", "/upload", body, 100'003)
                                       : RawClient::buildRequest("POST", "/upload", {}, body);
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(request, false, 60'000);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from bulk"_ba);

    const RecordedRequest got = m_backend->lastRequest();
    QCOMPARE(got.target, "/upload"_ba);
    QCOMPARE(got.chunked, chunked);
    if (!chunked)
        QCOMPARE(got.header("content-length"), QByteArray::number(kLarge));
    QCOMPARE(got.bodySize, kLarge);
    QCOMPARE(got.bodySha256, FakeBackend::sha256Hex(body));
}

void TestProxyBodies::download_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestProxyBodies::download()
{
    QFETCH(bool, chunked);
    m_backend->setDefaultBehaviour(Behaviour::large(kLarge, chunked));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/download"), false, 60'000);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.chunked, chunked);
    if (!chunked)
        QCOMPARE(r.header("content-length"), QByteArray::number(kLarge));
    QCOMPARE(r.body.size(), kLarge);
    QCOMPARE(FakeBackend::sha256Hex(r.body), FakeBackend::sha256Hex(FakeBackend::pattern(kLarge)));
    // The connection is still good for another exchange.
    m_backend->setDefaultBehaviour(Behaviour::fixed());
    const HttpResponse next = client.request(RawClient::get("/after"));
    QVERIFY2(next.complete && next.status == 200, qPrintable(next.describe()));
}

void TestProxyBodies::echoBothWays()
{
    m_backend->setDefaultBehaviour(Behaviour::echo(true));
    const QByteArray body = FakeBackend::pattern(kLarge / 2);
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(chunkedRequest("PUT", "/echo", body, 8191), false, 60'000);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(r.chunked);
    QCOMPARE(r.body.size(), body.size());
    QCOMPARE(FakeBackend::sha256Hex(r.body), FakeBackend::sha256Hex(body));
}

void TestProxyBodies::pipelinedRequestsAnsweredInOrder()
{
    m_backend->setBehaviour("/first", Behaviour::fixed("first").withDelay(150));
    m_backend->setBehaviour("/second", Behaviour::fixed("second"));
    m_backend->setBehaviour("/third", Behaviour::fixed("third"));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const QByteArray pipelined = RawClient::get("/first", {{"X-Request-ID", "p-1"}}) +
                                 RawClient::get("/second", {{"X-Request-ID", "p-2"}}) +
                                 RawClient::get("/third", {{"X-Request-ID", "p-3"}});
    QVERIFY(client.send(pipelined));
    const QList<std::pair<QByteArray, QByteArray>> expected = {
        {"first", "p-1"}, {"second", "p-2"}, {"third", "p-3"}};
    for (const auto &[body, id] : expected) {
        const HttpResponse r = client.readResponse();
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.body, body);
        QCOMPARE(r.header("x-request-id"), id);
    }
    QVERIFY(client.staysSilent(100));
}

void TestProxyBodies::pipelinedRequestsWithBodies()
{
    m_backend->setDefaultBehaviour(Behaviour::echo());
    m_backend->setBehaviour("/get", Behaviour::fixed("got it"));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const QByteArray pipelined = RawClient::buildRequest("POST", "/echo", {}, "one") +
                                 RawClient::get("/get") + chunkedRequest("POST", "/echo", "two, chunked", 5) +
                                 RawClient::buildRequest("POST", "/echo", {}, "three");
    QVERIFY(client.send(pipelined));
    for (const QByteArray &expected : {"one"_ba, "got it"_ba, "two, chunked"_ba, "three"_ba}) {
        const HttpResponse r = client.readResponse();
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.body, expected);
    }
}

void TestProxyBodies::keepAliveReusesBackendConnections()
{
    m_backend->clearRecords();
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 200; ++i) {
        const HttpResponse r = client.request(RawClient::get(QByteArray("/ka/" + QByteArray::number(i))));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(m_backend->requestCount(), 200);
    QVERIFY2(m_backend->connectionCount() <= kWorkers + 1,
             qPrintable(QString::number(m_backend->connectionCount())));
}

void TestProxyBodies::newClientConnectionsReuseBackendConnections()
{
    m_backend->clearRecords();
    for (int i = 0; i < 60; ++i) {
        const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/fresh"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(m_backend->requestCount(), 60);
    QVERIFY2(m_backend->connectionCount() <= kWorkers + 1,
             qPrintable(QString::number(m_backend->connectionCount())));
}

void TestProxyBodies::emptyBodies()
{
    m_backend->setDefaultBehaviour(Behaviour::echo());
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    // Content-Length: 0 and an empty chunked body are both complete requests with no body.
    HttpResponse r = client.request("POST /e HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, QByteArray());
    QCOMPARE(m_backend->lastRequest().bodySize, 0);
    r = client.request("POST /e HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, QByteArray());
    QCOMPARE(m_backend->lastRequest().bodySize, 0);
}

void TestProxyBodies::chunkedIsCaseInsensitive()
{
    m_backend->setDefaultBehaviour(Behaviour::echo());
    const HttpResponse r = fetch(m_proxy->port(), "POST /c HTTP/1.1\r\nHost: localhost\r\n"
                                                  "transfer-encoding: CHUNKED\r\n\r\n"
                                                  "5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello"_ba);
    QCOMPARE(m_backend->lastRequest().body, "hello"_ba);
}

void TestProxyBodies::poolingDisabled()
{
    FakeBackend own(u"own"_s);
    QVERIFY(own.start());
    ConfigFile config;
    QVERIFY(config.write(configJson({&own}, {}, QJsonObject{{u"upstream_idle_per_backend"_s, 0}})));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}), qPrintable(proxy.errorString()));
    RawClient client;
    QVERIFY(client.connectTo(proxy.port()));
    for (int i = 0; i < 10; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(own.connectionCount(), 10);
    QTRY_COMPARE(own.openConnectionCount(), 0);
}

void TestProxyBodies::concurrentClients()
{
    m_backend->setDefaultBehaviour(Behaviour::echo().withDelay(50));
    constexpr int kClients = 40;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<RawClient>());
        QVERIFY(clients.back()->connectTo(m_proxy->port()));
        QVERIFY(clients.back()->send(RawClient::buildRequest("POST", "/concurrent", {},
                                                             QByteArray("client " + QByteArray::number(i)))));
    }
    for (int i = 0; i < kClients; ++i) {
        const HttpResponse r = clients.at(static_cast<std::size_t>(i))->readResponse();
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.body, "client "_ba + QByteArray::number(i));
    }
}

QTEST_GUILESS_MAIN(TestProxyBodies)
#include "tst_proxy_bodies.moc"
