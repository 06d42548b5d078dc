// SPDX-License-Identifier: GPL-3.0-or-later
#include "http/MessageWriter.h"

#include <QTest>

using namespace fulcrum;

class TestMessageWriter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void upstreamRequestDropsHopByHopAndAddsForwarding();
    void framingHeadersCannotBeStrippedThroughConnection();
    void responseToHttp10ClientAsksForKeepAlive();
    void chunkFraming();
    void upgradeRequestKeepsUpgradeAndConnection();
    void switchingProtocolsHeadKeepsUpgrade();
};

void TestMessageWriter::upstreamRequestDropsHopByHopAndAddsForwarding()
{
    RequestHead head;
    head.method = "GET";
    head.target = "/x";
    head.host = "site";
    head.headers.append("Host", "site");
    head.headers.append("Connection", "keep-alive, X-Secret");
    head.headers.append("X-Secret", "s");
    head.headers.append("Keep-Alive", "timeout=5");
    head.headers.append("TE", "trailers");
    head.headers.append("Upgrade", "websocket");
    head.headers.append("Proxy-Connection", "keep-alive");
    head.headers.append("X-Forwarded-For", "6.6.6.6");
    head.headers.append("Accept", "*/*");
    QByteArray out;
    ForwardingInfo forwarding;
    forwarding.forwardedFor = "127.0.0.1";
    forwarding.requestId = "rid";
    writer::upstreamRequestHead(out, head, forwarding);
    QVERIFY(out.startsWith("GET /x HTTP/1.1\r\nHost: site\r\n"));
    for (const char *gone :
         {"Connection", "X-Secret", "Keep-Alive", "TE:", "Upgrade", "Proxy-Connection", "6.6.6.6"})
        QVERIFY2(!out.contains(gone), gone);
    QVERIFY(out.contains("Accept: */*\r\n"));
    QVERIFY(out.contains("X-Forwarded-For: 127.0.0.1\r\n"));
    QVERIFY(out.contains("X-Forwarded-Proto: http\r\n"));
    QVERIFY(out.contains("X-Forwarded-Host: site\r\n"));
    QVERIFY(out.contains("X-Request-ID: rid\r\n"));
    QVERIFY(out.endsWith("\r\n\r\n"));
}

void TestMessageWriter::framingHeadersCannotBeStrippedThroughConnection()
{
    RequestHead head;
    head.method = "POST";
    head.target = "/";
    head.host = "h";
    head.headers.append("Connection", "Content-Length, Host");
    head.headers.append("Content-Length", "4");
    head.framing = BodyFraming::ContentLength;
    head.contentLength = 4;
    QByteArray out;
    writer::upstreamRequestHead(out, head, ForwardingInfo{});
    QVERIFY(out.contains("Host: h\r\n"));
    QVERIFY(out.contains("Content-Length: 4\r\n"));
    QCOMPARE(out.count("Content-Length"), 1);
}

void TestMessageWriter::responseToHttp10ClientAsksForKeepAlive()
{
    ResponseHead head;
    head.status = 200;
    head.reason = "OK";
    head.contentLength = 2;
    head.headers.append("Transfer-Encoding", "chunked");
    QByteArray out;
    writer::clientResponseHead(out, head, ClientBodyFraming::ContentLength, "id", true, 0);
    QVERIFY(out.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(!out.contains("chunked"));
    QVERIFY(out.contains("Content-Length: 2\r\n"));
    QVERIFY(out.contains("Connection: keep-alive\r\n"));
    QVERIFY(out.contains("X-Request-ID: id\r\n"));
}

void TestMessageWriter::chunkFraming()
{
    QByteArray out;
    writer::chunk(out, "hello world!!!!!!", 17);
    writer::chunk(out, "", 0);
    writer::lastChunk(out);
    QCOMPARE(out, QByteArray("11\r\nhello world!!!!!!\r\n0\r\n\r\n"));
}

void TestMessageWriter::upgradeRequestKeepsUpgradeAndConnection()
{
    RequestHead head;
    head.method = "GET";
    head.target = "/ws";
    head.host = "site";
    head.headers.append("Host", "site");
    head.headers.append("Connection", "Upgrade, X-Secret");
    head.headers.append("X-Secret", "s");
    head.headers.append("Upgrade", "websocket");
    head.headers.append("Keep-Alive", "timeout=5");
    head.headers.append("Sec-WebSocket-Key", "k");
    head.upgrade = "websocket";
    QByteArray out;
    ForwardingInfo forwarding;
    writer::upstreamRequestHead(out, head, forwarding);
    QCOMPARE(out.count("Connection:"), 1);
    QCOMPARE(out.count("Upgrade:"), 1);
    QVERIFY2(out.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"), out.constData());
    QVERIFY2(out.contains("\r\nSec-WebSocket-Key: k\r\n"), out.constData());
    // Every other hop-by-hop header still stops here.
    QVERIFY2(!out.contains("X-Secret") && !out.contains("Keep-Alive"), out.constData());
}

void TestMessageWriter::switchingProtocolsHeadKeepsUpgrade()
{
    ResponseHead head;
    head.status = 101;
    head.reason = "Switching Protocols";
    head.headers.append("Upgrade", "websocket");
    head.headers.append("Connection", "Upgrade");
    head.headers.append("Sec-WebSocket-Accept", "a");
    QByteArray out;
    writer::switchingProtocolsHead(out, head, "id");
    QVERIFY2(out.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), out.constData());
    QCOMPARE(out.count("Connection:"), 1);
    QCOMPARE(out.count("Upgrade:"), 1);
    QVERIFY2(out.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"), out.constData());
    QVERIFY2(out.contains("\r\nSec-WebSocket-Accept: a\r\n"), out.constData());
    QVERIFY2(out.contains("\r\nX-Request-ID: id\r\n"), out.constData());
    QVERIFY(!out.contains("Content-Length") && !out.contains("Transfer-Encoding"));
    QVERIFY(out.endsWith("\r\n\r\n"));
}

QTEST_APPLESS_MAIN(TestMessageWriter)
#include "tst_messagewriter.moc"
