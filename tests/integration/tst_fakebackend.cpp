// SPDX-License-Identifier: GPL-3.0-or-later
// The test support itself: FakeBackend checked directly with RawClient, no proxy in between, so that
// a proxy test failure can be trusted to be the proxy's.
#include "FakeBackend.h"
#include "RawClient.h"

#include <QElapsedTimer>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

class TestFakeBackend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void fixedBodyAndRecording();
    void keepAliveUsesOneConnection();
    void behaviourPerPath();
    void echo_data();
    void echo();
    void largeBody_data();
    void largeBody();
    void headHasNoBody();
    void noBodyStatuses_data();
    void noBodyStatuses();
    void earlyHintsComeFirst();
    void delayedResponse();
    void closeMidBody_data();
    void closeMidBody();
    void neverResponds();
    void connectionClose();
    void rawAndDrop();
    void pipelinedRequestsAnsweredInOrder();
    void expectContinue();
    void unparsableRequestIsCounted();
    void stopRefusesConnections();
    void closeIdleConnectionsSparesBusyOnes();
    void patternIsDeterministic();

private:
    std::unique_ptr<FakeBackend> m_backend;
};

void TestFakeBackend::init()
{
    m_backend = std::make_unique<FakeBackend>(u"alpha"_s);
    QVERIFY(m_backend->start());
    QVERIFY(m_backend->port() != 0);
}

void TestFakeBackend::cleanup()
{
    m_backend.reset();
}

void TestFakeBackend::fixedBodyAndRecording()
{
    RawClient client;
    QVERIFY2(client.connectTo(m_backend->port()), qPrintable(client.errorString()));
    const HttpResponse r =
        client.request(RawClient::get("/path?q=1", {{"Host", "example.test:81"}, {"X-Custom", "v1"}}));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.versionMinor, 1);
    QCOMPARE(r.body, "hello from alpha"_ba);
    QCOMPARE(r.header("x-backend"), "alpha"_ba);
    QCOMPARE(r.header("content-length"), "16"_ba);

    QCOMPARE(m_backend->requestCount(), 1);
    const RecordedRequest recorded = m_backend->lastRequest();
    QCOMPARE(recorded.method, "GET"_ba);
    QCOMPARE(recorded.target, "/path?q=1"_ba);
    QCOMPARE(recorded.host, "example.test:81"_ba);
    QCOMPARE(recorded.header("X-CUSTOM"), "v1"_ba);
    QCOMPARE(recorded.bodySize, 0);
    QCOMPARE(recorded.connection, 1);
    QCOMPARE(m_backend->connectionCount(), 1);
}

void TestFakeBackend::keepAliveUsesOneConnection()
{
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    for (int i = 0; i < 5; ++i) {
        const HttpResponse r = client.request(RawClient::get("/"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(m_backend->connectionCount(), 1);
    QCOMPARE(m_backend->openConnectionCount(), 1);
    for (const RecordedRequest &recorded : m_backend->requests())
        QCOMPARE(recorded.connection, 1);
    client.close();
    QTRY_COMPARE(m_backend->openConnectionCount(), 0);
}

void TestFakeBackend::behaviourPerPath()
{
    m_backend->setDefaultBehaviour(Behaviour::fixed("default"));
    m_backend->setBehaviour("/special", Behaviour::fixed("special", 201).withHeader("X-Extra", "yes"));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    HttpResponse r = client.request(RawClient::get("/special?x=1"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.body, "special"_ba);
    QCOMPARE(r.header("x-extra"), "yes"_ba);
    r = client.request(RawClient::get("/other"));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, "default"_ba);
}

void TestFakeBackend::echo_data()
{
    QTest::addColumn<bool>("chunkedRequest");
    QTest::addColumn<bool>("chunkedResponse");
    QTest::newRow("length/length") << false << false;
    QTest::newRow("length/chunked") << false << true;
    QTest::newRow("chunked/length") << true << false;
    QTest::newRow("chunked/chunked") << true << true;
}

void TestFakeBackend::echo()
{
    QFETCH(bool, chunkedRequest);
    QFETCH(bool, chunkedResponse);
    m_backend->setDefaultBehaviour(Behaviour::echo(chunkedResponse));
    const QByteArray body = FakeBackend::pattern(100'000);
    QByteArray request;
    if (chunkedRequest) {
        request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"_ba;
        for (qsizetype offset = 0; offset < body.size(); offset += 30'000) {
            const QByteArray part = body.mid(offset, 30'000);
            request += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n";
        }
        request += "0\r\n\r\n";
    } else {
        request = RawClient::buildRequest("POST", "/echo", {}, body);
    }
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(request);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.chunked, chunkedResponse);
    QCOMPARE(r.body.size(), body.size());
    QVERIFY(r.body == body);
    const RecordedRequest recorded = m_backend->lastRequest();
    QCOMPARE(recorded.chunked, chunkedRequest);
    QCOMPARE(recorded.bodySize, body.size());
    QCOMPARE(recorded.bodySha256, FakeBackend::sha256Hex(body));
    QVERIFY(recorded.body == body);
}

void TestFakeBackend::largeBody_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestFakeBackend::largeBody()
{
    QFETCH(bool, chunked);
    const qint64 size = 3 * 1024 * 1024 + 7;
    m_backend->setDefaultBehaviour(Behaviour::large(size, chunked));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(RawClient::get("/large"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.chunked, chunked);
    QCOMPARE(r.body.size(), size);
    QCOMPARE(FakeBackend::sha256Hex(r.body), FakeBackend::sha256Hex(FakeBackend::pattern(size)));
}

void TestFakeBackend::headHasNoBody()
{
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    HttpResponse r = client.request(RawClient::buildRequest("HEAD", "/"), true);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.header("content-length"), "16"_ba);
    QVERIFY(r.body.isEmpty());
    // No stray body bytes: the next response on the connection parses cleanly.
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from alpha"_ba);
}

void TestFakeBackend::noBodyStatuses_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("204") << 204;
    QTest::newRow("304") << 304;
}

void TestFakeBackend::noBodyStatuses()
{
    QFETCH(int, status);
    m_backend->setDefaultBehaviour(Behaviour::noBody(status));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, status);
    QVERIFY(!r.hasHeader("content-length"));
    QVERIFY(!r.hasHeader("transfer-encoding"));
    r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == status, qPrintable(r.describe()));
}

void TestFakeBackend::earlyHintsComeFirst()
{
    m_backend->setDefaultBehaviour(Behaviour::fixed().withEarlyHints());
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.interim.size(), 1);
    QCOMPARE(r.interim.constFirst().status, 103);
    QVERIFY(r.interim.constFirst().header("link").contains("rel=preload"));
}

void TestFakeBackend::delayedResponse()
{
    m_backend->setDefaultBehaviour(Behaviour::fixed().withDelay(300));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.send(RawClient::get("/")));
    QTRY_COMPARE(m_backend->requestCount(), 1); // recorded on arrival, before the answer
    const HttpResponse r = client.readResponse();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY2(timer.elapsed() >= 280, qPrintable(QString::number(timer.elapsed())));
}

void TestFakeBackend::closeMidBody_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestFakeBackend::closeMidBody()
{
    QFETCH(bool, chunked);
    m_backend->setDefaultBehaviour(Behaviour::closeMidBody(200'000, chunked));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(!r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 200);
    QVERIFY(client.peerClosed());
    QCOMPARE(r.body.size(), 100'000);
}

void TestFakeBackend::neverResponds()
{
    m_backend->setDefaultBehaviour(Behaviour::neverRespond());
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    QVERIFY(client.send(RawClient::get("/")));
    QTRY_COMPARE(m_backend->requestCount(), 1);
    QVERIFY(client.staysSilent(300));
}

void TestFakeBackend::connectionClose()
{
    m_backend->setDefaultBehaviour(Behaviour::fixed().withClose());
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.header("connection"), "close"_ba);
    bool closed = false;
    QCOMPARE(client.readUntilClosed(&closed), QByteArray());
    QVERIFY(closed);
}

void TestFakeBackend::rawAndDrop()
{
    m_backend->setBehaviour("/raw", Behaviour::raw("HTTP/1.1 299 Odd\r\nContent-Length: 2\r\n\r\nok"));
    m_backend->setBehaviour("/drop", Behaviour::drop());
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request(RawClient::get("/raw"));
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 299);
    QCOMPARE(r.reason, "Odd"_ba);
    QCOMPARE(r.body, "ok"_ba);
    bool closed = false;
    client.readUntilClosed(&closed);
    QVERIFY(closed);

    QVERIFY(client.connectTo(m_backend->port()));
    QVERIFY(client.send(RawClient::get("/drop")));
    QCOMPARE(client.readUntilClosed(&closed), QByteArray());
    QVERIFY(closed);
}

void TestFakeBackend::pipelinedRequestsAnsweredInOrder()
{
    m_backend->setBehaviour("/a", Behaviour::fixed("A").withDelay(100));
    m_backend->setBehaviour("/b", Behaviour::fixed("B"));
    m_backend->setBehaviour("/c", Behaviour::fixed("C"));
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const QByteArray pipelined = RawClient::get("/a") + RawClient::get("/b") + RawClient::get("/c");
    QVERIFY(client.send(pipelined));
    for (const QByteArray &expected : {"A"_ba, "B"_ba, "C"_ba}) {
        const HttpResponse r = client.readResponse();
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
        QCOMPARE(r.body, expected);
    }
}

void TestFakeBackend::expectContinue()
{
    m_backend->setDefaultBehaviour(Behaviour::echo());
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    QVERIFY(client.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
    const HttpResponse interim = client.readMessage();
    QVERIFY2(interim.complete, qPrintable(interim.describe()));
    QCOMPARE(interim.head, "HTTP/1.1 100 Continue\r\n\r\n"_ba);
    const HttpResponse r = client.request("hello");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello"_ba);
}

void TestFakeBackend::unparsableRequestIsCounted()
{
    RawClient client;
    QVERIFY(client.connectTo(m_backend->port()));
    const HttpResponse r = client.request("NOT HTTP AT ALL\r\n\r\n");
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 400);
    QCOMPARE(m_backend->parseErrorCount(), 1);
    QCOMPARE(m_backend->requestCount(), 0);
}

void TestFakeBackend::stopRefusesConnections()
{
    const quint16 port = m_backend->port();
    RawClient open;
    QVERIFY(open.connectTo(port));
    QTRY_COMPARE(m_backend->openConnectionCount(), 1);
    m_backend->stop();
    QVERIFY(!m_backend->isListening());
    bool closed = false;
    open.readUntilClosed(&closed, 5'000);
    QVERIFY(closed);
    RawClient client;
    QVERIFY(!client.connectTo(port, 5'000));
}

void TestFakeBackend::closeIdleConnectionsSparesBusyOnes()
{
    m_backend->setBehaviour("/slow", Behaviour::fixed("slow").withDelay(200));
    RawClient idle, busy;
    QVERIFY(idle.connectTo(m_backend->port()) && busy.connectTo(m_backend->port()));
    const HttpResponse first = idle.request(RawClient::get("/"));
    QVERIFY2(first.complete && first.status == 200, qPrintable(first.describe()));
    QVERIFY(busy.send(RawClient::get("/slow")));
    QTRY_COMPARE(m_backend->requestCount(), 2);
    QCOMPARE(m_backend->closeIdleConnections(), 1);
    bool closed = false;
    QCOMPARE(idle.readUntilClosed(&closed), QByteArray());
    QVERIFY(closed);
    const HttpResponse r = busy.readResponse();
    QVERIFY2(r.complete && r.body == "slow", qPrintable(r.describe()));
}

void TestFakeBackend::patternIsDeterministic()
{
    QCOMPARE(FakeBackend::pattern(1000), FakeBackend::pattern(1000));
    QCOMPARE(FakeBackend::pattern(1000).left(10), FakeBackend::pattern(10));
    const QByteArray p = FakeBackend::pattern(64 * 1024);
    QVERIFY(p.sliced(0, 4096) != p.sliced(4096, 4096));
    QCOMPARE(FakeBackend::sha256Hex("abc"),
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_ba);
}

QTEST_GUILESS_MAIN(TestFakeBackend)
#include "tst_fakebackend.moc"
