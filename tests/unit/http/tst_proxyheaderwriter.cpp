// SPDX-License-Identifier: GPL-3.0-or-later
// The PROXY protocol header writer, read back by the accepting side's parser: v1 and v2, IPv4, IPv6,
// mixed families, and the headers that name no client.
#include "http/ProxyHeaderWriter.h"
#include "http/ProxyProtocol.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(fulcrum::ProxyProtocolVersion)

namespace {
struct ReadBack
{
    ProxyHeaderParser::State state = ProxyHeaderParser::State::NeedMore;
    qsizetype consumed = 0;
    std::optional<QHostAddress> source;
    quint16 sourcePort = 0;
};

// Feeds header followed by bytes that belong to the stream after it, which the parser must leave alone.
ReadBack readBack(const QByteArray &header)
{
    const QByteArray stream = header + "GET / HTTP/1.1\r\n";
    ProxyHeaderParser parser;
    ReadBack result;
    result.consumed = parser.feed(stream.constData(), stream.size());
    result.state = parser.state();
    result.source = parser.source();
    result.sourcePort = parser.sourcePort();
    return result;
}
} // namespace

class TestProxyHeaderWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<ProxyProtocolVersion>("version");
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("destination");
        QTest::addColumn<QString>("expectedSource");
        for (const auto &[version, name] :
             {std::pair{ProxyProtocolVersion::V1, "v1"}, std::pair{ProxyProtocolVersion::V2, "v2"}}) {
            const auto row = [&](const char *what) -> QTestData & {
                return QTest::addRow("%s %s", name, what);
            };
            row("ipv4") << version << u"192.0.2.10"_s << u"198.51.100.1"_s << u"192.0.2.10"_s;
            row("ipv6") << version << u"2001:db8::7"_s << u"2001:db8::1"_s << u"2001:db8::7"_s;
            row("mapped ipv4") << version << u"::ffff:192.0.2.10"_s << u"::ffff:127.0.0.1"_s
                               << u"192.0.2.10"_s;
            row("ipv4 to ipv6 listener")
                << version << u"192.0.2.10"_s << u"2001:db8::1"_s << u"::ffff:192.0.2.10"_s;
        }
    }

    void roundTrip()
    {
        QFETCH(ProxyProtocolVersion, version);
        QFETCH(QString, source);
        QFETCH(QString, destination);
        QFETCH(QString, expectedSource);
        const QByteArray header =
            proxyHeader(version, {QHostAddress(source), 4711, QHostAddress(destination), 443});
        const ReadBack read = readBack(header);
        QCOMPARE(read.state, ProxyHeaderParser::State::Done);
        QCOMPARE(read.consumed, header.size());
        QVERIFY(read.source.has_value());
        QCOMPARE(*read.source, QHostAddress(expectedSource));
        QCOMPARE(read.sourcePort, quint16(4711));
    }

    void v1IsTheDocumentedLine()
    {
        QCOMPARE(proxyHeader(ProxyProtocolVersion::V1,
                             {QHostAddress(u"192.0.2.10"_s), 4711, QHostAddress(u"198.51.100.1"_s), 443}),
                 QByteArray("PROXY TCP4 192.0.2.10 198.51.100.1 4711 443\r\n"));
        QCOMPARE(proxyHeader(ProxyProtocolVersion::V1,
                             {QHostAddress(u"2001:db8::7"_s), 1, QHostAddress(u"2001:db8::1"_s), 80}),
                 QByteArray("PROXY TCP6 2001:db8::7 2001:db8::1 1 80\r\n"));
    }

    void v2IsTheDocumentedBlock()
    {
        const QByteArray expected = QByteArray("\r\n\r\n\0\r\nQUIT\n", 12) + QByteArray::fromHex("2111000c"
                                                                                                 "c000020a"
                                                                                                 "c6336401"
                                                                                                 "1267"
                                                                                                 "01bb");
        QCOMPARE(proxyHeader(ProxyProtocolVersion::V2,
                             {QHostAddress(u"192.0.2.10"_s), 4711, QHostAddress(u"198.51.100.1"_s), 443}),
                 expected);
    }

    void localHeadersNameNoClient_data()
    {
        QTest::addColumn<ProxyProtocolVersion>("version");
        QTest::addRow("v1") << ProxyProtocolVersion::V1;
        QTest::addRow("v2") << ProxyProtocolVersion::V2;
    }

    void localHeadersNameNoClient()
    {
        QFETCH(ProxyProtocolVersion, version);
        const QByteArray header = localProxyHeader(version);
        const ReadBack read = readBack(header);
        QCOMPARE(read.state, ProxyHeaderParser::State::Done);
        QCOMPARE(read.consumed, header.size());
        QVERIFY(!read.source.has_value());
        if (version == ProxyProtocolVersion::V1)
            QCOMPARE(header, QByteArray("PROXY UNKNOWN\r\n"));
        else
            QCOMPARE(static_cast<quint8>(header.at(12)), quint8(0x20)); // version 2, LOCAL
    }

    void unknownAddressFallsBackToUnknown()
    {
        const ProxiedConnection noClient{QHostAddress(), 0, QHostAddress(u"127.0.0.1"_s), 80};
        QCOMPARE(proxyHeader(ProxyProtocolVersion::V1, noClient), QByteArray("PROXY UNKNOWN\r\n"));
        const ReadBack read = readBack(proxyHeader(ProxyProtocolVersion::V2, noClient));
        QCOMPARE(read.state, ProxyHeaderParser::State::Done);
        QVERIFY(!read.source.has_value());
    }
};

QTEST_GUILESS_MAIN(TestProxyHeaderWriter)
#include "tst_proxyheaderwriter.moc"
