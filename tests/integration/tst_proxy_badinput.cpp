// SPDX-License-Identifier: GPL-3.0-or-later
// Requests fulcrumd must refuse: each gets its status, then the proxy closes the connection, and the
// backend never sees a byte of it.
#include "ProxyTest.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {

constexpr int kMaxHeaderBytes = 2048;
constexpr int kMaxTargetBytes = 256;
constexpr int kMaxBodyBytes = 1000;
constexpr int kClientHeaderMs = 300;

QByteArray withHost(QByteArrayView startLine, QByteArrayView moreHeaders = {}, QByteArrayView body = {})
{
    QByteArray out;
    out.append(startLine).append("\r\nHost: localhost\r\n").append(moreHeaders).append("\r\n").append(body);
    return out;
}

QByteArray chunked(qsizetype total, qsizetype chunkSize)
{
    QByteArray out;
    for (qsizetype sent = 0; sent < total; sent += chunkSize) {
        const qsizetype length = std::min(chunkSize, total - sent);
        out.append(QByteArray::number(length, 16))
            .append("\r\n")
            .append(QByteArray(length, 'b'))
            .append("\r\n");
    }
    return out.append("0\r\n\r\n");
}

} // namespace

class TestProxyBadInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void rejected_data();
    void rejected();
    void partialHeadTimesOut();
    void slowDripHeadTimesOut();
    void validRequestStillForwarded();
    void requestsAtTheLimitsAccepted_data();
    void requestsAtTheLimitsAccepted();

private:
    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<ConfigFile> m_config;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyBadInput::initTestCase()
{
    m_backend = std::make_unique<FakeBackend>(u"target"_s);
    QVERIFY(m_backend->start());
    m_config = std::make_unique<ConfigFile>();
    QVERIFY(m_config->isValid());
    QVERIFY(
        m_config->write(configJson({m_backend.get()}, QJsonObject{{u"client_header_ms"_s, kClientHeaderMs}},
                                   QJsonObject{{u"max_header_bytes"_s, kMaxHeaderBytes},
                                               {u"max_request_target_bytes"_s, kMaxTargetBytes},
                                               {u"max_body_bytes"_s, kMaxBodyBytes}})));
    m_proxy = std::make_unique<FulcrumProcess>();
    QVERIFY2(m_proxy->start({u"--config"_s, m_config->path()}), qPrintable(m_proxy->errorString()));
}

void TestProxyBadInput::cleanupTestCase()
{
    m_proxy.reset();
    m_backend.reset();
}

void TestProxyBadInput::rejected_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    QTest::newRow("request line: garbage") << "\x01\x02 nonsense\r\n\r\n"_ba << 400;
    QTest::newRow("request line: invalid method character") << withHost("GE(T / HTTP/1.1") << 400;
    QTest::newRow("request line: missing target") << withHost("GET HTTP/1.1") << 400;
    QTest::newRow("request line: space in target") << withHost("GET /a b HTTP/1.1") << 400;
    QTest::newRow("request line: not a version") << withHost("GET / HTTX/1.1") << 400;

    QTest::newRow("Content-Length with Transfer-Encoding")
        << withHost("POST / HTTP/1.1", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")
        << 400;
    QTest::newRow("duplicate Content-Length, same value")
        << withHost("POST / HTTP/1.1", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello") << 400;
    QTest::newRow("duplicate Content-Length, different values")
        << withHost("POST / HTTP/1.1", "Content-Length: 5\r\nContent-Length: 6\r\n", "hello!") << 400;
    QTest::newRow("Content-Length list")
        << withHost("POST / HTTP/1.1", "Content-Length: 5, 5\r\n", "hello") << 400;
    QTest::newRow("non-numeric Content-Length")
        << withHost("POST / HTTP/1.1", "Content-Length: abc\r\n", "hello") << 400;
    QTest::newRow("negative Content-Length") << withHost("POST / HTTP/1.1", "Content-Length: -1\r\n") << 400;
    QTest::newRow("Transfer-Encoding: gzip")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: gzip\r\n", "hello") << 501;
    QTest::newRow("Transfer-Encoding: gzip, chunked")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n") << 501;
    QTest::newRow("Transfer-Encoding in HTTP/1.0")
        << "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"_ba << 400;

    QTest::newRow("whitespace before colon") << withHost("GET / HTTP/1.1", "X-Test : value\r\n") << 400;
    QTest::newRow("obs-fold") << withHost("GET / HTTP/1.1", "X-Test: first\r\n  second\r\n") << 400;
    QTest::newRow("NUL in a header value") << withHost("GET / HTTP/1.1", "X-Test: a\0b\r\n"_ba) << 400;
    QTest::newRow("header without colon") << withHost("GET / HTTP/1.1", "X-Test value\r\n") << 400;
    QTest::newRow("missing Host on HTTP/1.1") << "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"_ba << 400;
    QTest::newRow("duplicate Host") << withHost("GET / HTTP/1.1", "Host: other\r\n") << 400;
    QTest::newRow("bare LF line endings") << "GET / HTTP/1.1\nHost: localhost\n\n"_ba << 400;

    QTest::newRow("HTTP/2.0") << withHost("GET / HTTP/2.0") << 505;
    QTest::newRow("HTTP/1.2") << withHost("GET / HTTP/1.2") << 505;

    QTest::newRow("CONNECT") << withHost("CONNECT example.test:443 HTTP/1.1") << 501;
    QTest::newRow("unsupported expectation") << withHost("GET / HTTP/1.1", "Expect: teapot\r\n") << 417;

    QTest::newRow("header block too large")
        << withHost("GET / HTTP/1.1", QByteArray("X-Big: " + QByteArray(kMaxHeaderBytes + 500, 'h') + "\r\n"))
        << 431;
    QTest::newRow("many small headers too large") << withHost("GET / HTTP/1.1", [] {
        QByteArray headers;
        for (int i = 0; i < 300; ++i)
            headers += "X-" + QByteArray::number(i) + ": v\r\n";
        return headers;
    }()) << 431;
    QTest::newRow("target too long") << withHost(QByteArray("GET /" + QByteArray(kMaxTargetBytes + 100, 't') +
                                                            " HTTP/1.1"))
                                     << 414;

    QTest::newRow("body too large, Content-Length")
        << withHost("POST / HTTP/1.1",
                    QByteArray("Content-Length: " + QByteArray::number(kMaxBodyBytes + 1000) + "\r\n"),
                    QByteArray(kMaxBodyBytes + 1000, 'b'))
        << 413;
    QTest::newRow("body too large, chunked")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n", chunked(kMaxBodyBytes + 1000, 700))
        << 413;
    QTest::newRow("invalid chunk size")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n") << 400;
    QTest::newRow("chunk data longer than its size")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n", "2\r\nhello\r\n0\r\n\r\n") << 400;
}

void TestProxyBadInput::rejected()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(request);
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, status);
    QVERIFY2(r.header("connection").toLower() == "close", qPrintable(r.describe()));
    QVERIFY2(isGeneratedRequestId(r.header("x-request-id")), qPrintable(r.describe()));
    bool closed = false;
    const QByteArray after = client.readUntilClosed(&closed, 5'000);
    QVERIFY2(closed, "the proxy kept the connection open");
    QVERIFY2(after.isEmpty(), after.constData());

    QCOMPARE(m_backend->headCount(), 0);
    QCOMPARE(m_backend->requestCount(), 0);
    QCOMPARE(m_backend->parseErrorCount(), 0);
}

void TestProxyBadInput::partialHeadTimesOut()
{
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.send("GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Partial: "));
    const HttpResponse r = client.readResponse(false, 5'000);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 408);
    QVERIFY2(elapsed >= kClientHeaderMs - 50 && elapsed < 3'000, qPrintable(QString::number(elapsed)));
    bool closed = false;
    client.readUntilClosed(&closed, 5'000);
    QVERIFY(closed);
    QCOMPARE(m_backend->headCount(), 0);
}

void TestProxyBadInput::slowDripHeadTimesOut()
{
    // client_header_ms bounds the whole head, not the gap between bytes.
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.send("GET /drip HTTP/1.1\r\nHost: localhost\r\n"));
    HttpResponse r;
    for (int i = 0; i < 50 && !client.peerClosed(); ++i) {
        if (!client.staysSilent(50))
            break;
        if (!client.send(QByteArray("X-Drip: " + QByteArray::number(i) + "\r\n")))
            break;
    }
    r = client.readResponse(false, 5'000);
    QVERIFY2(r.complete, qPrintable(r.describe()));
    QCOMPARE(r.status, 408);
    QVERIFY2(timer.elapsed() < 3'000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(m_backend->headCount(), 0);
}

void TestProxyBadInput::validRequestStillForwarded()
{
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/fine"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from target"_ba);
    QCOMPARE(m_backend->requestCount(), 1);
}

void TestProxyBadInput::requestsAtTheLimitsAccepted_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<qint64>("bodySize");
    const QByteArray target = "/" + QByteArray(kMaxTargetBytes - 1, 't');
    QTest::newRow("target of max_request_target_bytes")
        << withHost(QByteArray("GET " + target + " HTTP/1.1")) << 0LL;
    QTest::newRow("head well below max_header_bytes")
        << withHost("GET / HTTP/1.1", QByteArray("X-Big: " + QByteArray(kMaxHeaderBytes / 2, 'h') + "\r\n"))
        << 0LL;
    QTest::newRow("body of max_body_bytes, Content-Length")
        << withHost("POST / HTTP/1.1",
                    QByteArray("Content-Length: " + QByteArray::number(kMaxBodyBytes) + "\r\n"),
                    QByteArray(kMaxBodyBytes, 'b'))
        << qint64(kMaxBodyBytes);
    QTest::newRow("body of max_body_bytes, chunked")
        << withHost("POST / HTTP/1.1", "Transfer-Encoding: chunked\r\n", chunked(kMaxBodyBytes, 300))
        << qint64(kMaxBodyBytes);
}

void TestProxyBadInput::requestsAtTheLimitsAccepted()
{
    QFETCH(QByteArray, request);
    QFETCH(qint64, bodySize);
    const int before = m_backend->requestCount();
    const HttpResponse r = fetch(m_proxy->port(), request);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->requestCount(), before + 1);
    QCOMPARE(m_backend->lastRequest().bodySize, bodySize);
}

QTEST_GUILESS_MAIN(TestProxyBadInput)
#include "tst_proxy_badinput.moc"
