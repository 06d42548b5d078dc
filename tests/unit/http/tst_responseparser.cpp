// SPDX-License-Identifier: GPL-3.0-or-later
#include "http/ResponseParser.h"

#include <QTest>

using namespace fulcrum;

namespace {
struct Recorder : ResponseParserHandler
{
    QList<int> statuses;
    QByteArray body;
    int completed = 0;
    void onResponseHead(ResponseHead &head) override { statuses.append(head.status); }
    void onResponseBody(const char *data, qsizetype length) override { body.append(data, length); }
    void onResponseComplete() override { ++completed; }
};

const QByteArray kSwitch =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
} // namespace

class TestResponseParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void unrequestedSwitchIsRefused();
    void requestedSwitchEndsAtItsHead();
    void interimResponsesStayInterim();
    void everyBrokenRuleIs502_data();
    void everyBrokenRuleIs502();
};

void TestResponseParser::unrequestedSwitchIsRefused()
{
    Recorder recorder;
    ResponseParser parser(recorder);
    const auto result = parser.feed(kSwitch.constData(), kSwitch.size());
    QCOMPARE(result.progress, MessageParser::Progress::Failed);
    QCOMPARE(parser.failure().status, 502);
    QVERIFY(recorder.statuses.isEmpty());
}

void TestResponseParser::requestedSwitchEndsAtItsHead()
{
    Recorder recorder;
    ResponseParser parser(recorder);
    parser.setUpgradeRequested(true);
    // A frame right behind the head belongs to the new protocol: it is left unparsed.
    const QByteArray input = kSwitch + QByteArray("\x81\x02hi", 4);
    const auto result = parser.feed(input.constData(), input.size());
    QCOMPARE(result.progress, MessageParser::Progress::MessageComplete);
    QCOMPARE(result.consumed, kSwitch.size());
    QCOMPARE(recorder.statuses, QList<int>{101});
    QCOMPARE(recorder.completed, 1);
    QVERIFY(recorder.body.isEmpty());
}

void TestResponseParser::interimResponsesStayInterim()
{
    Recorder recorder;
    ResponseParser parser(recorder);
    parser.setUpgradeRequested(true);
    const QByteArray input = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const auto result = parser.feed(input.constData(), input.size());
    QCOMPARE(result.progress, MessageParser::Progress::MessageComplete);
    QCOMPARE(result.consumed, input.size());
    QCOMPARE(recorder.statuses, (QList<int>{103, 200}));
    QCOMPARE(recorder.completed, 1);
    QCOMPARE(recorder.body, QByteArray("ok"));
}

void TestResponseParser::everyBrokenRuleIs502_data()
{
    QTest::addColumn<QByteArray>("input");
    // Found by fuzz_response_parser (seed obs-fold): the rules shared with the request parser failed a
    // response with the 400 or 431 meant for a client, not the backend's 502.
    QTest::newRow("obs-fold") << QByteArray("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok");
    QTest::newRow("head too large") << "HTTP/1.1 200 OK\r\nX-A: " + QByteArray(300 * 1024, 'a') + "\r\n\r\n";
    QByteArray manyHeaders = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 600; ++i)
        manyHeaders += "X-" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("too many header fields") << manyHeaders + "\r\n";
    // Found by fuzz_chunked: a bare LF as the empty line that ends the head or the trailers.
    QTest::newRow("bare LF ends the head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nok");
    QTest::newRow("bare LF ends the trailers")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\n\n");
    // Found by fuzz_response_parser: llhttp 8 takes ": value" as a field with an empty name.
    QTest::newRow("empty header name") << QByteArray("HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nok");
    // Found by fuzz_response_parser: llhttp takes control bytes in the reason phrase, which is forwarded.
    QTest::newRow("NUL in the reason phrase")
        << QByteArray("HTTP/1.1 200 OK\0\0x\r\nContent-Length: 2\r\n\r\nok", 43);
}

void TestResponseParser::everyBrokenRuleIs502()
{
    QFETCH(QByteArray, input);
    Recorder recorder;
    ResponseParser parser(recorder);
    const auto result = parser.feed(input.constData(), input.size());
    QCOMPARE(result.progress, MessageParser::Progress::Failed);
    QCOMPARE(parser.failure().status, 502);
    QVERIFY(!parser.failure().reason.isEmpty());
    QCOMPARE(recorder.completed, 0);
}

QTEST_APPLESS_MAIN(TestResponseParser)
#include "tst_responseparser.moc"
