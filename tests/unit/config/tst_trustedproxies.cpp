// SPDX-License-Identifier: GPL-3.0-or-later
// trusted_proxies and the listeners' proxy-protocol option: CIDR parsing and matching, the JSON file
// and the flags.
#include "config/AddressRange.h"
#include "config/ClientAddressSettings.h"
#include "config/CommandLine.h"
#include "config/ConfigLoader.h"
#include "config/ListenReader.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
AddressRange range(const QString &text)
{
    QString error;
    const std::optional<AddressRange> parsed = parseAddressRange(text, &error);
    return parsed.value_or(AddressRange{});
}

// A valid file with one backend and the fields in rest.
QByteArray fileWith(QByteArrayView rest)
{
    return "{\"version\": 1, \"backends\": [{\"url\": \"http://127.0.0.1:9001\"}], " + rest.toByteArray() +
           "}";
}

QStringList argv(std::initializer_list<const char *> words)
{
    QStringList list{u"fulcrumd"_s};
    for (const char *word : words)
        list.append(QString::fromUtf8(word));
    return list;
}
} // namespace

class TestTrustedProxies : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseRanges_data();
    void parseRanges();
    void matching_data();
    void matching();
    void emptyListTrustsNobody();
    void jsonField();
    void jsonErrorsNameTheEntry();
    void flagsReplaceTheFile();
    void flagErrors();
    void listenEntries_data();
    void listenEntries();
    void proxyProtocolNeedsTrustedProxies();
};

void TestTrustedProxies::parseRanges_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error"); // empty: valid
    QTest::newRow("v4 /8") << u"10.0.0.0/8"_s << QString();
    QTest::newRow("v4 /32") << u"127.0.0.1/32"_s << QString();
    QTest::newRow("v4 /0") << u"0.0.0.0/0"_s << QString();
    QTest::newRow("v4 single") << u"192.168.1.7"_s << QString();
    QTest::newRow("v6 /128") << u"::1/128"_s << QString();
    QTest::newRow("v6 /64") << u"2001:db8:1:2::/64"_s << QString();
    QTest::newRow("v6 single") << u"fd00::5"_s << QString();
    QTest::newRow("v4 prefix 33") << u"10.0.0.0/33"_s << u"prefix length must be 0..32"_s;
    QTest::newRow("v6 prefix 129") << u"::/129"_s << u"prefix length must be 0..128"_s;
    QTest::newRow("prefix empty") << u"10.0.0.0/"_s << u"prefix length must be 0..32"_s;
    QTest::newRow("prefix signed") << u"10.0.0.0/+8"_s << u"prefix length must be 0..32"_s;
    QTest::newRow("prefix leading zero") << u"10.0.0.0/08"_s << u"prefix length must be 0..32"_s;
    QTest::newRow("host bits") << u"10.1.0.0/8"_s
                               << u"has bits set after the prefix (did you mean 10.0.0.0/8?)"_s;
    QTest::newRow("v6 host bits") << u"fd00::1/64"_s
                                  << u"has bits set after the prefix (did you mean fd00::/64?)"_s;
    QTest::newRow("short v4") << u"10.1/16"_s << u"must be an IPv4 or IPv6 address"_s;
    QTest::newRow("octet 256") << u"10.0.0.256"_s << u"must be an IPv4 or IPv6 address"_s;
    QTest::newRow("host name") << u"proxy.example/32"_s << u"must be an IPv4 or IPv6 address"_s;
    QTest::newRow("zone") << u"fe80::1%eth0/128"_s << u"must be an IPv4 or IPv6 address"_s;
    QTest::newRow("empty") << QString() << u"must be an IPv4 or IPv6 address"_s;
}

void TestTrustedProxies::parseRanges()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QString why;
    const std::optional<AddressRange> parsed = parseAddressRange(text, &why);
    QCOMPARE(parsed.has_value(), error.isEmpty());
    if (!error.isEmpty())
        QVERIFY2(why.startsWith(error), qPrintable(why));
}

void TestTrustedProxies::matching_data()
{
    QTest::addColumn<QString>("range");
    QTest::addColumn<QString>("address");
    QTest::addColumn<bool>("inside");
    QTest::newRow("v4 inside") << u"10.0.0.0/8"_s << u"10.200.3.4"_s << true;
    QTest::newRow("v4 outside") << u"10.0.0.0/8"_s << u"11.0.0.1"_s << false;
    QTest::newRow("v4 odd prefix inside") << u"172.16.0.0/12"_s << u"172.31.255.255"_s << true;
    QTest::newRow("v4 odd prefix outside") << u"172.16.0.0/12"_s << u"172.32.0.0"_s << false;
    QTest::newRow("v4 single") << u"127.0.0.1"_s << u"127.0.0.1"_s << true;
    QTest::newRow("v4 single other") << u"127.0.0.1"_s << u"127.0.0.2"_s << false;
    QTest::newRow("v4 all") << u"0.0.0.0/0"_s << u"203.0.113.9"_s << true;
    QTest::newRow("v4 all, not v6") << u"0.0.0.0/0"_s << u"2001:db8::1"_s << false;
    QTest::newRow("v4 range, mapped peer") << u"127.0.0.0/8"_s << u"::ffff:127.0.0.1"_s << true;
    QTest::newRow("v6 inside") << u"2001:db8::/32"_s << u"2001:db8:ffff::1"_s << true;
    QTest::newRow("v6 outside") << u"2001:db8::/32"_s << u"2001:db9::1"_s << false;
    QTest::newRow("v6 loopback") << u"::1/128"_s << u"::1"_s << true;
    QTest::newRow("v6 loopback is not v4's") << u"::1/128"_s << u"127.0.0.1"_s << false;
}

void TestTrustedProxies::matching()
{
    QFETCH(QString, range);
    QFETCH(QString, address);
    QFETCH(bool, inside);
    const QList<AddressRange> ranges{::range(range)};
    QCOMPARE(isInAnyRange(ranges, QHostAddress(address)), inside);
}

void TestTrustedProxies::emptyListTrustsNobody()
{
    QVERIFY(!isInAnyRange({}, QHostAddress(u"127.0.0.1"_s)));
    QVERIFY(!isInAnyRange({}, QHostAddress(u"::1"_s)));
}

void TestTrustedProxies::jsonField()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(fileWith(
        R"("trusted_proxies": ["10.0.0.0/8", "::1/128"],
            "listen": ["127.0.0.1:8080", "127.0.0.1:8081,proxy-protocol"])"));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.trustedProxies,
             (QList<AddressRange>{range(u"10.0.0.0/8"_s), range(u"::1/128"_s)}));
    QCOMPARE(result.config.listen.size(), 2);
    QVERIFY(!result.config.listen.at(0).proxyProtocol);
    QVERIFY(result.config.listen.at(1).proxyProtocol);
    QCOMPARE(result.config.listen.at(1).port, 8081);
    QVERIFY(ConfigLoader::defaultConfig().trustedProxies.isEmpty());
}

void TestTrustedProxies::jsonErrorsNameTheEntry()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(fileWith(
        R"("trusted_proxies": ["10.0.0.0/8", "::1/128", "10.0.0.0/33", 5],
            "listen": ["127.0.0.1:8080,proxy", "127.0.0.1:8080", "127.0.0.1:8080,proxy-protocol"])"));
    QStringList errors;
    for (const ConfigError &error : result.errors)
        errors.append(error.toString());
    QVERIFY2(errors.contains(u"trusted_proxies[2]: \"10.0.0.0/33\": prefix length must be 0..32"_s),
             qPrintable(errors.join(u'\n')));
    QVERIFY2(errors.filter(u"trusted_proxies[3]"_s).size() == 1, qPrintable(errors.join(u'\n')));
    QVERIFY2(errors.contains(u"listen[0]: \"127.0.0.1:8080,proxy\": unknown listen option \"proxy\" "
                             u"(expected proxy-protocol, tls or redirect-https[=PORT])"_s),
             qPrintable(errors.join(u'\n')));
    QVERIFY2(errors.contains(u"listen[2]: \"127.0.0.1:8080,proxy-protocol\": duplicate listen address"_s),
             qPrintable(errors.join(u'\n')));
}

void TestTrustedProxies::flagsReplaceTheFile()
{
    const CommandLineParseResult parsed =
        parseCommandLine(argv({"--listen", "127.0.0.1:0,proxy-protocol", "--trusted-proxy", "127.0.0.1/32",
                               "--trusted-proxy", "::1", "--backend", "http://127.0.0.1:9001"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    QCOMPARE(parsed.options.trustedProxies, (QList<AddressRange>{range(u"127.0.0.1/32"_s), range(u"::1"_s)}));
    QVERIFY(parsed.options.listen.constFirst().proxyProtocol);
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QVERIFY2(resolved.ok(), qPrintable(formatConfigErrors(resolved.errors)));
    QCOMPARE(resolved.config.trustedProxies, parsed.options.trustedProxies);
}

void TestTrustedProxies::flagErrors()
{
    const CommandLineParseResult parsed =
        parseCommandLine(argv({"--trusted-proxy", "10.0.0.0/33", "--listen", "127.0.0.1:80,proxy-protocl"}));
    QStringList errors;
    for (const ConfigError &error : parsed.errors)
        errors.append(error.toString());
    QVERIFY2(errors.contains(u"--trusted-proxy: \"10.0.0.0/33\": prefix length must be 0..32"_s),
             qPrintable(errors.join(u'\n')));
    QVERIFY2(
        errors.contains(u"--listen: \"127.0.0.1:80,proxy-protocl\": unknown listen option \"proxy-protocl\" "
                        u"(expected proxy-protocol, tls or redirect-https[=PORT])"_s),
        qPrintable(errors.join(u'\n')));
}

void TestTrustedProxies::listenEntries_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<bool>("proxyProtocol");
    QTest::newRow("plain") << u"0.0.0.0:8080"_s << true << false;
    QTest::newRow("proxy-protocol") << u"0.0.0.0:8080,proxy-protocol"_s << true << true;
    QTest::newRow("v6 proxy-protocol") << u"[::]:8080,proxy-protocol"_s << true << true;
    QTest::newRow("empty option") << u"0.0.0.0:8080,"_s << false << false;
    QTest::newRow("twice") << u"0.0.0.0:8080,proxy-protocol,proxy-protocol"_s << false << false;
    QTest::newRow("bad address") << u"nowhere:80,proxy-protocol"_s << false << false;
}

void TestTrustedProxies::listenEntries()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(bool, proxyProtocol);
    const Parsed<ListenAddress> parsed = parseListenEntry(text);
    QCOMPARE(parsed.ok(), ok);
    if (ok)
        QCOMPARE(parsed.value.proxyProtocol, proxyProtocol);
}

void TestTrustedProxies::proxyProtocolNeedsTrustedProxies()
{
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--listen", "127.0.0.1:0,proxy-protocol", "--backend", "http://127.0.0.1:9001"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QCOMPARE(resolved.errors.size(), 1);
    QCOMPARE(resolved.errors.constFirst().field, u"listen"_s);
    QVERIFY(resolved.errors.constFirst().reason.contains(u"trusted_proxies"_s));
}

QTEST_APPLESS_MAIN(TestTrustedProxies)
#include "tst_trustedproxies.moc"
