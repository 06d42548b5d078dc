// SPDX-License-Identifier: GPL-3.0-or-later
// Who a request comes from through trusted proxies, and the X-Forwarded-For sent on.
#include "proxy/ClientAddress.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
QList<AddressRange> ranges(const QStringList &texts)
{
    QList<AddressRange> out;
    for (const QString &text : texts) {
        QString error;
        out.append(parseAddressRange(text, &error).value());
    }
    return out;
}

// One X-Forwarded-For header per element; none when empty.
HttpHeaders forwardedFor(const QByteArrayList &values)
{
    HttpHeaders headers;
    headers.append("Accept", "*/*");
    for (const QByteArray &value : values)
        headers.append("X-Forwarded-For", value);
    return headers;
}
} // namespace

class TestClientAddress : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void resolve_data();
    void resolve();
    void forwardedForValue_data();
    void forwardedForValue();
    void forwardedAddressSyntax_data();
    void forwardedAddressSyntax();
    void addressTextUnmapsV4();
};

void TestClientAddress::resolve_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QStringList>("trusted");
    QTest::addColumn<QByteArrayList>("headers");
    QTest::addColumn<QString>("client");

    const QStringList lan{u"10.0.0.0/8"_s, u"::1/128"_s};
    QTest::newRow("untrusted peer, no header")
        << u"203.0.113.5"_s << lan << QByteArrayList{} << u"203.0.113.5"_s;
    QTest::newRow("untrusted peer's header ignored")
        << u"203.0.113.5"_s << lan << QByteArrayList{"198.51.100.1"} << u"203.0.113.5"_s;
    QTest::newRow("nothing trusted") << u"10.0.0.1"_s << QStringList{} << QByteArrayList{"198.51.100.1"}
                                     << u"10.0.0.1"_s;
    QTest::newRow("trusted peer, no header") << u"10.0.0.1"_s << lan << QByteArrayList{} << u"10.0.0.1"_s;
    QTest::newRow("trusted peer, one hop")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1"} << u"198.51.100.1"_s;
    QTest::newRow("right-most untrusted wins")
        << u"10.0.0.1"_s << lan << QByteArrayList{"1.1.1.1, 198.51.100.1, 10.0.0.7"} << u"198.51.100.1"_s;
    QTest::newRow("spoofed left entries ignored")
        << u"10.0.0.1"_s << lan << QByteArrayList{"10.9.9.9, 198.51.100.1"} << u"198.51.100.1"_s;
    QTest::newRow("several headers are one list")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1", "10.0.0.8"} << u"198.51.100.1"_s;
    QTest::newRow("all trusted: the left-most")
        << u"10.0.0.1"_s << lan << QByteArrayList{"10.0.0.3, 10.0.0.2"} << u"10.0.0.3"_s;
    QTest::newRow("garbage ends the walk")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1, garbage, 10.0.0.2"} << u"10.0.0.2"_s;
    QTest::newRow("garbage right away: the peer")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1, unknown"} << u"10.0.0.1"_s;
    QTest::newRow("empty entry ends the walk")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1,,"} << u"10.0.0.1"_s;
    QTest::newRow("entry with a port is not an address")
        << u"10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1:4711"} << u"10.0.0.1"_s;
    QTest::newRow("spaces and tabs around entries")
        << u"10.0.0.1"_s << lan << QByteArrayList{" 198.51.100.1 ,\t10.0.0.2 "} << u"198.51.100.1"_s;
    QTest::newRow("v6 client") << u"::1"_s << lan << QByteArrayList{"2001:db8::7"} << u"2001:db8::7"_s;
    QTest::newRow("mapped v4 entry") << u"::1"_s << lan << QByteArrayList{"::ffff:198.51.100.1"}
                                     << u"198.51.100.1"_s;
    QTest::newRow("mapped v4 trusted peer")
        << u"::ffff:10.0.0.1"_s << lan << QByteArrayList{"198.51.100.1"} << u"198.51.100.1"_s;
}

void TestClientAddress::resolve()
{
    QFETCH(QString, peer);
    QFETCH(QStringList, trusted);
    QFETCH(QByteArrayList, headers);
    QFETCH(QString, client);
    const QList<AddressRange> trustedRanges = ranges(trusted);
    const QHostAddress peerAddress(peer);
    const bool peerTrusted = isInAnyRange(trustedRanges, peerAddress);
    const QHostAddress resolved =
        resolveClientAddress(peerAddress, peerTrusted, forwardedFor(headers), trustedRanges);
    QCOMPARE(addressText(resolved), client.toLatin1());
}

void TestClientAddress::forwardedForValue_data()
{
    QTest::addColumn<bool>("peerTrusted");
    QTest::addColumn<QByteArrayList>("headers");
    QTest::addColumn<QByteArray>("sent");
    QTest::newRow("untrusted, none") << false << QByteArrayList{} << "10.0.0.1"_ba;
    QTest::newRow("untrusted, replaced") << false << QByteArrayList{"6.6.6.6, 7.7.7.7"} << "10.0.0.1"_ba;
    QTest::newRow("trusted, none") << true << QByteArrayList{} << "10.0.0.1"_ba;
    QTest::newRow("trusted, appended")
        << true << QByteArrayList{"198.51.100.1"} << "198.51.100.1, 10.0.0.1"_ba;
    QTest::newRow("trusted, several headers") << true << QByteArrayList{"1.1.1.1, 2.2.2.2", " 3.3.3.3 "}
                                              << "1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.1"_ba;
    QTest::newRow("trusted, empty header skipped") << true << QByteArrayList{""} << "10.0.0.1"_ba;
}

void TestClientAddress::forwardedForValue()
{
    QFETCH(bool, peerTrusted);
    QFETCH(QByteArrayList, headers);
    QFETCH(QByteArray, sent);
    QCOMPARE(fulcrum::forwardedForValue("10.0.0.1", peerTrusted, forwardedFor(headers)), sent);
}

void TestClientAddress::forwardedAddressSyntax_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("ok");
    QTest::newRow("v4") << "192.0.2.1"_ba << true;
    QTest::newRow("v6") << "2001:db8::1"_ba << true;
    QTest::newRow("v6 upper case") << "2001:DB8::1"_ba << true;
    QTest::newRow("short v4") << "10.1"_ba << false;
    QTest::newRow("octet too big") << "10.0.0.256"_ba << false;
    QTest::newRow("bracketed v6") << "[2001:db8::1]"_ba << false;
    QTest::newRow("v6 with zone") << "fe80::1%eth0"_ba << false;
    QTest::newRow("port") << "192.0.2.1:80"_ba << false;
    QTest::newRow("unknown") << "unknown"_ba << false;
    QTest::newRow("obfuscated") << "_hidden"_ba << false;
    QTest::newRow("empty") << ""_ba << false;
    QTest::newRow("hex v4") << "0x7f.0.0.1"_ba << false;
}

void TestClientAddress::forwardedAddressSyntax()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, ok);
    QCOMPARE(parseForwardedAddress(text).has_value(), ok);
}

void TestClientAddress::addressTextUnmapsV4()
{
    QCOMPARE(addressText(QHostAddress(u"::ffff:127.0.0.1"_s)), "127.0.0.1"_ba);
    QCOMPARE(addressText(QHostAddress(u"::1"_s)), "::1"_ba);
}

QTEST_APPLESS_MAIN(TestClientAddress)
#include "tst_clientaddress.moc"
