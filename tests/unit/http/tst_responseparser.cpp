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

QTEST_APPLESS_MAIN(TestResponseParser)
#include "tst_responseparser.moc"
