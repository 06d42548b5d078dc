// SPDX-License-Identifier: GPL-3.0-or-later
// The PROXY protocol header parser: v1 and v2, whole, byte by byte, truncated and malformed.
#include "http/ProxyProtocol.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
const QByteArray kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

// A v2 header: command (0 LOCAL, 1 PROXY), family byte, then the address block as given.
QByteArray v2(quint8 command, quint8 family, const QByteArray &block, quint8 version = 2)
{
    QByteArray out = kSignature;
    out.append(static_cast<char>(version << 4 | command));
    out.append(static_cast<char>(family));
    out.append(static_cast<char>(block.size() >> 8));
    out.append(static_cast<char>(block.size() & 0xff));
    return out + block;
}

QByteArray v4Block(const QByteArray &tlvs = {})
{
    // 192.0.2.10:4711 -> 198.51.100.1:443
    return QByteArray::fromHex("c000020a"
                               "c6336401"
                               "1267"
                               "01bb") +
           tlvs;
}

QByteArray v6Block()
{
    // 2001:db8::7 port 4711 -> 2001:db8::1 port 80
    return QByteArray::fromHex("20010db8000000000000000000000007"
                               "20010db8000000000000000000000001"
                               "1267"
                               "0050");
}

struct Outcome
{
    ProxyHeaderParser::State state = ProxyHeaderParser::State::NeedMore;
    qsizetype consumed = 0;
    QString source; // empty: none
    quint16 port = 0;
};

Outcome parse(const QByteArray &bytes, qsizetype pieceSize)
{
    ProxyHeaderParser parser;
    Outcome outcome;
    for (qsizetype at = 0; at < bytes.size() && parser.state() == ProxyHeaderParser::State::NeedMore;
         at += pieceSize) {
        const qsizetype length = std::min(pieceSize, bytes.size() - at);
        const qsizetype taken = parser.feed(bytes.constData() + at, length);
        outcome.consumed += taken;
        if (taken < length && parser.state() == ProxyHeaderParser::State::NeedMore)
            break; // would be a bug: more wanted but not all taken
    }
    outcome.state = parser.state();
    if (parser.source())
        outcome.source = parser.source()->toString();
    outcome.port = parser.sourcePort();
    return outcome;
}
} // namespace

class TestProxyProtocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void truncatedNeedsMore_data();
    void truncatedNeedsMore();
};

void TestProxyProtocol::valid_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("source");
    QTest::addColumn<int>("port");
    QTest::newRow("v1 tcp4") << "PROXY TCP4 192.0.2.10 198.51.100.1 4711 443\r\n"_ba << u"192.0.2.10"_s
                             << 4711;
    QTest::newRow("v1 tcp6") << "PROXY TCP6 2001:db8::7 2001:db8::1 4711 80\r\n"_ba << u"2001:db8::7"_s
                             << 4711;
    QTest::newRow("v1 port 0 and 65535") << "PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n"_ba << u"1.2.3.4"_s << 0;
    QTest::newRow("v1 unknown") << "PROXY UNKNOWN\r\n"_ba << QString() << 0;
    QTest::newRow("v1 unknown with addresses")
        << "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"_ba << QString() << 0;
    QTest::newRow("v1 longest") << ("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"_ba)
                                << u"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"_s << 65535;
    QTest::newRow("v2 tcp4") << v2(1, 0x11, v4Block()) << u"192.0.2.10"_s << 4711;
    QTest::newRow("v2 tcp6") << v2(1, 0x21, v6Block()) << u"2001:db8::7"_s << 4711;
    // An AWS NLB's VPC endpoint id (type 0xEA) and a NOOP (0x04), which are skipped.
    QTest::newRow("v2 tcp4 with TLVs")
        << v2(1, 0x11,
              v4Block(QByteArray::fromHex("ea000801767063652d3132") + QByteArray::fromHex("04000100")))
        << u"192.0.2.10"_s << 4711;
    QTest::newRow("v2 local") << v2(0, 0x00, {}) << QString() << 0;
    QTest::newRow("v2 local ignores its block") << v2(0, 0x11, v4Block()) << QString() << 0;
    QTest::newRow("v2 unspecified family") << v2(1, 0x00, {}) << QString() << 0;
}

void TestProxyProtocol::valid()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, source);
    QFETCH(int, port);
    const QByteArray request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"_ba;
    QVERIFY(header.size() <= ProxyHeaderParser::MaxV1Bytes || header.startsWith(kSignature));
    for (const qsizetype piece : {qsizetype(1), qsizetype(2), qsizetype(7), header.size() + request.size()}) {
        const Outcome outcome = parse(header + request, piece);
        QCOMPARE(outcome.state, ProxyHeaderParser::State::Done);
        // Not one byte of the request is taken.
        QCOMPARE(outcome.consumed, header.size());
        QCOMPARE(outcome.source, source);
        QCOMPARE(int(outcome.port), port);
    }
}

void TestProxyProtocol::invalid_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("plain HTTP") << "GET / HTTP/1.1\r\nHost: a\r\n\r\n"_ba;
    QTest::newRow("lower case") << "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 bare LF") << "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"_ba;
    QTest::newRow("v1 too long") << ("PROXY UNKNOWN " + QByteArray(100, 'x') + "\r\n");
    QTest::newRow("v1 no CRLF within the limit") << ("PROXY TCP4 " + QByteArray(200, '1'));
    QTest::newRow("v1 unknown protocol") << "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 missing port") << "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"_ba;
    QTest::newRow("v1 extra word") << "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"_ba;
    QTest::newRow("v1 double space") << "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 v6 address as TCP4") << "PROXY TCP4 ::1 ::1 1 2\r\n"_ba;
    QTest::newRow("v1 v4 address as TCP6") << "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 short v4") << "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 octet leading zero") << "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n"_ba;
    QTest::newRow("v1 port too big") << "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"_ba;
    QTest::newRow("v1 port leading zero") << "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"_ba;
    QTest::newRow("v1 port sign") << "PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n"_ba;
    QTest::newRow("v1 empty") << "PROXY \r\n"_ba;
    QTest::newRow("v2 bad signature") << QByteArray("\r\n\r\n\0\r\nQUIX\n", 12) + QByteArray(20, '\0');
    QTest::newRow("v2 version 1") << v2(1, 0x11, v4Block(), 1);
    QTest::newRow("v2 version 3") << v2(1, 0x11, v4Block(), 3);
    QTest::newRow("v2 unknown command") << v2(2, 0x11, v4Block());
    QTest::newRow("v2 udp") << v2(1, 0x12, v4Block());
    QTest::newRow("v2 unix") << v2(1, 0x31, QByteArray(216, '\0'));
    QTest::newRow("v2 tcp4 block too short") << v2(1, 0x11, v4Block().first(11));
    QTest::newRow("v2 tcp6 block too short") << v2(1, 0x21, v6Block().first(35));
    QTest::newRow("v2 block too long")
        << v2(1, 0x11, v4Block(QByteArray(ProxyHeaderParser::MaxV2PayloadBytes, '\0')));
    QTest::newRow("binary garbage") << QByteArray::fromHex("16030100a5010000a103");
}

void TestProxyProtocol::invalid()
{
    QFETCH(QByteArray, bytes);
    for (const qsizetype piece : {qsizetype(1), qsizetype(5), bytes.size()}) {
        const Outcome outcome = parse(bytes, piece);
        QCOMPARE(outcome.state, ProxyHeaderParser::State::Failed);
        QVERIFY(outcome.source.isEmpty());
    }
    ProxyHeaderParser parser;
    parser.feed(bytes.constData(), bytes.size());
    QVERIFY(!parser.error().isEmpty());
}

void TestProxyProtocol::truncatedNeedsMore_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("v1") << "PROXY TCP4 192.0.2.10 198.51.100.1 4711 443\r\n"_ba;
    QTest::newRow("v2 tcp4") << v2(1, 0x11, v4Block());
    QTest::newRow("v2 tcp6") << v2(1, 0x21, v6Block());
}

void TestProxyProtocol::truncatedNeedsMore()
{
    // Every proper prefix of a valid header is taken whole and waits for the rest.
    QFETCH(QByteArray, header);
    for (qsizetype cut = 0; cut < header.size(); ++cut) {
        const Outcome outcome = parse(header.first(cut), 1);
        QCOMPARE(outcome.state, ProxyHeaderParser::State::NeedMore);
        QCOMPARE(outcome.consumed, cut);
    }
}

QTEST_APPLESS_MAIN(TestProxyProtocol)
#include "tst_proxyprotocol.moc"
