// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestPrinting.h"
#include "config/BackendOverrides.h"
#include "config/ConfigError.h"
#include "config/ConfigValues.h"
#include "config/ProxyConfig.h"

#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace fulcrum;

Q_DECLARE_METATYPE(HashKey)
Q_DECLARE_METATYPE(StatusRange)

class TestConfigValues : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void errorToString_data();
    void errorToString();
    void formatErrorsOnePerLine();
    void listenAddressToString_data();
    void listenAddressToString();
    void backendUrl_data();
    void backendUrl();
    void effectiveWorkers();
    void parseInteger_data();
    void parseInteger();
    void backendUrlKeepsHostAsWritten_data();
    void backendUrlKeepsHostAsWritten();
    void parsedUrlRoundTrips();
    void duplicateListenExemptsPortZero();
    void defaultBackendNames();
    void balancingDefaults();
    void parseStrategy_data();
    void parseStrategy();
    void strategyNamesRoundTrip();
    void parseHashKey_data();
    void parseHashKey();
    void rejectedHashKey_data();
    void rejectedHashKey();
    void hashKeyOnlyAppliesToConsistentHash();
    void cookieName_data();
    void cookieName();
    void balancingRanges();

    void resilienceDefaults();
    void parsePanicMode_data();
    void parsePanicMode();
    void statusRange_data();
    void statusRange();
    void httpMethod_data();
    void httpMethod();
    void probePath_data();
    void probePath();
    void probeHost_data();
    void probeHost();
    void overridesApplyFieldByField();
    void resolveBackendSettingsByName();
    void resilienceRanges();
};

namespace {

const QString kStrategyChoices =
    uR"(must be "round-robin", "least-connections", "power-of-two", "random" or "consistent-hash")"_s;
const QString kHashKeyChoices = uR"(must be "client-ip", "path", "header:NAME" or "cookie:NAME")"_s;
const QString kTokenRule = u"must be 1 to 256 characters from A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~"_s;
const QString kAllTokenChars = u"AZaz09!#$%&'*+-.^_`|~"_s;

} // namespace

void TestConfigValues::errorToString_data()
{
    QTest::addColumn<ConfigError>("error");
    QTest::addColumn<QString>("text");

    QTest::newRow("field, value, reason")
        << ConfigError{u"backends[1].weight"_s, u"5000"_s, u"must be an integer from 0 to 1000"_s}
        << u"backends[1].weight: \"5000\": must be an integer from 0 to 1000"_s;
    QTest::newRow("no value") << ConfigError{u"version"_s, QString(), u"is required"_s}
                              << u"version: is required"_s;
    QTest::newRow("empty value is shown") << ConfigError{u"backends[0].name"_s, u""_s, u"must be 1 to 64"_s}
                                          << u"backends[0].name: \"\": must be 1 to 64"_s;
    QTest::newRow("no field") << ConfigError{QString(), QString(), u"empty document"_s}
                              << u"empty document"_s;
    QTest::newRow("escapes") << ConfigError{u"listen[0]"_s, u"a\"b\\c\nd\te\x01"_s, u"bad"_s}
                             << u"listen[0]: \"a\\\"b\\\\c\\nd\\te\\u0001\": bad"_s;
}

void TestConfigValues::errorToString()
{
    QFETCH(ConfigError, error);
    QFETCH(QString, text);
    QCOMPARE(error.toString(), text);
}

void TestConfigValues::formatErrorsOnePerLine()
{
    const QList<ConfigError> errors{{u"a"_s, QString(), u"x"_s}, {u"b"_s, u"1"_s, u"y"_s}};
    QCOMPARE(formatConfigErrors(errors), u"a: x\nb: \"1\": y\n"_s);
    QCOMPARE(formatConfigErrors({}), QString());
}

void TestConfigValues::listenAddressToString_data()
{
    QTest::addColumn<ListenAddress>("address");
    QTest::addColumn<QString>("text");

    QTest::newRow("ipv4") << ListenAddress{QHostAddress(u"127.0.0.1"_s), 8080} << u"127.0.0.1:8080"_s;
    QTest::newRow("ipv6 loopback") << ListenAddress{QHostAddress(u"::1"_s), 8080} << u"[::1]:8080"_s;
    QTest::newRow("ipv6 any") << ListenAddress{QHostAddress(u"::"_s), 0} << u"[::]:0"_s;
    QTest::newRow("ipv4 any") << ListenAddress{QHostAddress(u"0.0.0.0"_s), 65535} << u"0.0.0.0:65535"_s;
}

void TestConfigValues::listenAddressToString()
{
    QFETCH(ListenAddress, address);
    QFETCH(QString, text);
    QCOMPARE(address.toString(), text);
    // What toString writes, the parser reads back.
    const Parsed<ListenAddress> reparsed = parseListenAddress(text);
    QVERIFY2(reparsed.ok(), qPrintable(reparsed.error));
    QCOMPARE(reparsed.value, address);
}

void TestConfigValues::backendUrl_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("url");

    QTest::newRow("ipv4") << u"127.0.0.1"_s << 9001 << u"http://127.0.0.1:9001"_s;
    QTest::newRow("name, default port") << u"app.internal"_s << 80 << u"http://app.internal:80"_s;
    QTest::newRow("ipv6 gets brackets") << u"fd00::1"_s << 8080 << u"http://[fd00::1]:8080"_s;
}

void TestConfigValues::backendUrl()
{
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, url);

    BackendConfig b;
    b.host = host;
    b.port = static_cast<quint16>(port);
    QCOMPARE(b.url(), url);
}

void TestConfigValues::effectiveWorkers()
{
    ProxyConfig config;
    config.workers = 3;
    QCOMPARE(config.effectiveWorkers(), 3);
    config.workers = 0;
    QCOMPARE(config.effectiveWorkers(), std::max(1, QThread::idealThreadCount()));
    QVERIFY(config.effectiveWorkers() >= 1);
}

void TestConfigValues::parseInteger_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("value");

    QTest::newRow("zero") << u"0"_s << true << qint64(0);
    QTest::newRow("max") << u"1000"_s << true << qint64(1000);
    QTest::newRow("leading zeros") << u"007"_s << true << qint64(7);
    QTest::newRow("above max") << u"1001"_s << false << qint64(0);
    QTest::newRow("negative") << u"-1"_s << false << qint64(0);
    QTest::newRow("plus sign") << u"+1"_s << false << qint64(0);
    QTest::newRow("space") << u"1 "_s << false << qint64(0);
    QTest::newRow("hex") << u"0x10"_s << false << qint64(0);
    QTest::newRow("fraction") << u"1.0"_s << false << qint64(0);
    QTest::newRow("empty") << QString() << false << qint64(0);
    QTest::newRow("minus only") << u"-"_s << false << qint64(0);
    QTest::newRow("overflow") << u"99999999999999999999"_s << false << qint64(0);
    QTest::newRow("non-ASCII digit") << u"\u0663"_s << false << qint64(0);
}

void TestConfigValues::parseInteger()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(qint64, value);

    const Parsed<qint64> parsed = fulcrum::parseInteger(text, ranges::weight);
    QCOMPARE(parsed.ok(), ok);
    if (ok)
        QCOMPARE(parsed.value, value);
    else
        QCOMPARE(parsed.error, u"must be an integer from 0 to 1000"_s);
}

void TestConfigValues::backendUrlKeepsHostAsWritten_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");

    QTest::newRow("mixed case name") << u"http://Api.Example.COM"_s << u"Api.Example.COM"_s << 80;
    QTest::newRow("trailing dot") << u"http://api.example.com.:8080/"_s << u"api.example.com."_s << 8080;
    QTest::newRow("underscore") << u"http://my_service:3000"_s << u"my_service"_s << 3000;
    QTest::newRow("single label") << u"http://backend"_s << u"backend"_s << 80;
    QTest::newRow("ipv6 zone, URL-encoded") << u"http://[fe80::1%25eth0]:80"_s << u"fe80::1%eth0"_s << 80;
    QTest::newRow("ipv6 zone, raw") << u"http://[fe80::1%eth0]:80"_s << u"fe80::1%eth0"_s << 80;
    QTest::newRow("ipv6 full") << u"http://[2001:db8:0:0:0:0:0:1]:81"_s << u"2001:db8:0:0:0:0:0:1"_s << 81;
}

void TestConfigValues::backendUrlKeepsHostAsWritten()
{
    QFETCH(QString, url);
    QFETCH(QString, host);
    QFETCH(int, port);

    const Parsed<BackendEndpoint> parsed = parseBackendUrl(url);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error));
    QCOMPARE(parsed.value.host, host);
    QCOMPARE(parsed.value.port, port);
}

void TestConfigValues::parsedUrlRoundTrips()
{
    for (const QString &url : {u"http://127.0.0.1:9001"_s, u"http://[::1]:80"_s, u"http://app:8080"_s,
                               u"http://[fe80::1%25eth0]:80"_s}) {
        const Parsed<BackendEndpoint> parsed = parseBackendUrl(url);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error));
        BackendConfig b;
        b.host = parsed.value.host;
        b.port = parsed.value.port;
        QCOMPARE(b.url(), url);
    }
}

void TestConfigValues::duplicateListenExemptsPortZero()
{
    const ListenAddress fixed{QHostAddress(QHostAddress::LocalHost), 80};
    const ListenAddress ephemeral{QHostAddress(QHostAddress::LocalHost), 0};
    QVERIFY(isDuplicateListen({fixed}, fixed));
    QVERIFY(!isDuplicateListen({ephemeral}, ephemeral));
    QVERIFY(!isDuplicateListen({fixed}, ListenAddress{QHostAddress(QHostAddress::LocalHostIPv6), 80}));
}

void TestConfigValues::defaultBackendNames()
{
    QCOMPARE(defaultBackendName(0), u"backend-1"_s);
    QCOMPARE(defaultBackendName(9), u"backend-10"_s);
    QVERIFY(checkBackendName(defaultBackendName(999)).isEmpty());
    // In a pool, the pool's name keeps them apart from every other pool's.
    QCOMPARE(defaultBackendName(0, u"api"), u"api-1"_s);
    QCOMPARE(defaultBackendName(11, u"web.v2"), u"web.v2-12"_s);
    QCOMPARE(defaultListenAddress().toString(), u"127.0.0.1:8080"_s);
}

void TestConfigValues::balancingDefaults()
{
    const BalancingConfig balancing;
    QCOMPARE(balancing.strategy, StrategyKind::RoundRobin);
    QCOMPARE(balancing.hashKey, (HashKey{HashKey::Source::ClientIp, QString()}));
    QVERIFY(!balancing.stickyCookie.enabled());
    QCOMPARE(balancing.stickyCookie.maxAgeS, 0);
    QCOMPARE(balancing.slowStartMs, 0);
    QCOMPARE(BackendConfig().slowStartMs, -1);
    QCOMPARE(ProxyConfig().balancing, balancing);
}

void TestConfigValues::parseStrategy_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("strategy");

    const auto accept = [](const QString &text, StrategyKind strategy) {
        QTest::newRow(qPrintable(text)) << text << true << static_cast<int>(strategy);
    };
    accept(u"round-robin"_s, StrategyKind::RoundRobin);
    accept(u"least-connections"_s, StrategyKind::LeastConnections);
    accept(u"power-of-two"_s, StrategyKind::PowerOfTwo);
    accept(u"random"_s, StrategyKind::Random);
    accept(u"consistent-hash"_s, StrategyKind::ConsistentHash);

    for (const QString &text : {u"Round-Robin"_s, u"round_robin"_s, u"roundrobin"_s, u"rr"_s, u" random"_s,
                                u"random "_s, u"least-conn"_s, u"p2c"_s, u"hash"_s, u"maglev"_s, QString()})
        QTest::newRow(qPrintable(u"reject \""_s + text + u'"')) << text << false << 0;
}

void TestConfigValues::parseStrategy()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(int, strategy);

    const Parsed<StrategyKind> parsed = fulcrum::parseStrategy(text);
    QCOMPARE(parsed.ok(), ok);
    if (ok)
        QCOMPARE(static_cast<int>(parsed.value), strategy);
    else
        QCOMPARE(parsed.error, kStrategyChoices); // the same words for any text: the value is not repeated
}

void TestConfigValues::strategyNamesRoundTrip()
{
    for (const StrategyKind strategy :
         {StrategyKind::RoundRobin, StrategyKind::LeastConnections, StrategyKind::PowerOfTwo,
          StrategyKind::Random, StrategyKind::ConsistentHash}) {
        const QString name = strategyName(strategy);
        QVERIFY(kStrategyChoices.contains(u'"' + name + u'"'));
        const Parsed<StrategyKind> parsed = fulcrum::parseStrategy(name);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error));
        QCOMPARE(parsed.value, strategy);
    }
}

void TestConfigValues::parseHashKey_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<HashKey>("key");

    QTest::newRow("client-ip") << u"client-ip"_s << HashKey{HashKey::Source::ClientIp, QString()};
    QTest::newRow("path") << u"path"_s << HashKey{HashKey::Source::Path, QString()};
    QTest::newRow("header, case kept")
        << u"header:X-Tenant-ID"_s << HashKey{HashKey::Source::Header, u"X-Tenant-ID"_s};
    QTest::newRow("header, one character") << u"header:a"_s << HashKey{HashKey::Source::Header, u"a"_s};
    QTest::newRow("header, every token character")
        << u"header:"_s + kAllTokenChars << HashKey{HashKey::Source::Header, kAllTokenChars};
    QTest::newRow("header, 256 characters")
        << u"header:"_s + QString(256, u'h') << HashKey{HashKey::Source::Header, QString(256, u'h')};
    QTest::newRow("cookie") << u"cookie:session"_s << HashKey{HashKey::Source::Cookie, u"session"_s};
    QTest::newRow("cookie, every token character")
        << u"cookie:"_s + kAllTokenChars << HashKey{HashKey::Source::Cookie, kAllTokenChars};
    // Hashing only reads the cookie, so the prefixes a sticky cookie may not use are fine here.
    QTest::newRow("cookie, __Host- prefix")
        << u"cookie:__Host-sid"_s << HashKey{HashKey::Source::Cookie, u"__Host-sid"_s};
}

void TestConfigValues::parseHashKey()
{
    QFETCH(QString, text);
    QFETCH(HashKey, key);

    const Parsed<HashKey> parsed = fulcrum::parseHashKey(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error));
    QCOMPARE(parsed.value, key);
    QCOMPARE(hashKeyText(parsed.value), text);
}

void TestConfigValues::rejectedHashKey_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("reason");

    QTest::newRow("empty") << QString() << kHashKeyChoices;
    QTest::newRow("wrong case") << u"Client-IP"_s << kHashKeyChoices;
    QTest::newRow("underscore") << u"client_ip"_s << kHashKeyChoices;
    QTest::newRow("trailing space") << u"path "_s << kHashKeyChoices;
    QTest::newRow("header without colon") << u"header"_s << kHashKeyChoices;
    QTest::newRow("header wrong case") << u"Header:X-Id"_s << kHashKeyChoices;
    QTest::newRow("path with a name") << u"path:x"_s << kHashKeyChoices;
    QTest::newRow("other source") << u"query:id"_s << kHashKeyChoices;
    QTest::newRow("space before name") << u"header: X-Id"_s << u"header name "_s + kTokenRule;
    QTest::newRow("header empty name") << u"header:"_s << u"header name "_s + kTokenRule;
    QTest::newRow("header name with space") << u"header:X Id"_s << u"header name "_s + kTokenRule;
    QTest::newRow("header name with colon") << u"header:X:Id"_s << u"header name "_s + kTokenRule;
    QTest::newRow("header name non-ASCII") << u"header:X-\u00e9"_s << u"header name "_s + kTokenRule;
    QTest::newRow("header name too long")
        << u"header:"_s + QString(257, u'h') << u"header name "_s + kTokenRule;
    QTest::newRow("cookie empty name") << u"cookie:"_s << u"cookie name "_s + kTokenRule;
    QTest::newRow("cookie name with =") << u"cookie:a=b"_s << u"cookie name "_s + kTokenRule;
    QTest::newRow("cookie name with ;") << u"cookie:a;b"_s << u"cookie name "_s + kTokenRule;
    QTest::newRow("cookie name quoted") << u"cookie:\"sid\""_s << u"cookie name "_s + kTokenRule;
    QTest::newRow("cookie name with /") << u"cookie:a/b"_s << u"cookie name "_s + kTokenRule;
}

void TestConfigValues::rejectedHashKey()
{
    QFETCH(QString, text);
    QFETCH(QString, reason);

    const Parsed<HashKey> parsed = fulcrum::parseHashKey(text);
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error, reason);
}

void TestConfigValues::hashKeyOnlyAppliesToConsistentHash()
{
    QVERIFY(checkHashKeyApplies(StrategyKind::ConsistentHash).isEmpty());
    QCOMPARE(checkHashKeyApplies(StrategyKind::RoundRobin),
             uR"(only applies to the consistent-hash strategy (the strategy is "round-robin"))"_s);
    for (const StrategyKind strategy :
         {StrategyKind::LeastConnections, StrategyKind::PowerOfTwo, StrategyKind::Random}) {
        const QString reason = checkHashKeyApplies(strategy);
        QVERIFY2(reason.startsWith(u"only applies to the consistent-hash strategy"), qPrintable(reason));
        QVERIFY2(reason.contains(u'"' + strategyName(strategy) + u'"'), qPrintable(reason));
    }
}

void TestConfigValues::cookieName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason"); // empty: accepted

    const QString prefixRule = u"must not start with __Secure- or __Host- (browsers accept such cookies only "
                               u"with the Secure attribute, which Fulcrum does not set)"_s;
    QTest::newRow("plain") << u"srv"_s << QString();
    QTest::newRow("HAProxy style") << u"SERVERID"_s << QString();
    QTest::newRow("one character") << u"s"_s << QString();
    QTest::newRow("every token character") << kAllTokenChars << QString();
    QTest::newRow("256 characters") << QString(256, u'c') << QString();
    QTest::newRow("__Host without dash") << u"__Host"_s << QString();
    QTest::newRow("Secure prefix without underscores") << u"Secure-srv"_s << QString();

    QTest::newRow("empty") << QString() << kTokenRule;
    QTest::newRow("257 characters") << QString(257, u'c') << kTokenRule;
    QTest::newRow("space") << u"my srv"_s << kTokenRule;
    QTest::newRow("tab") << u"my\tsrv"_s << kTokenRule;
    QTest::newRow("=") << u"a=b"_s << kTokenRule;
    QTest::newRow(";") << u"a;b"_s << kTokenRule;
    QTest::newRow(",") << u"a,b"_s << kTokenRule;
    QTest::newRow("quotes") << u"\"srv\""_s << kTokenRule;
    QTest::newRow("brackets") << u"srv[0]"_s << kTokenRule;
    QTest::newRow("at sign") << u"a@b"_s << kTokenRule;
    QTest::newRow("non-ASCII") << u"s\u00e9rv"_s << kTokenRule;
    QTest::newRow("control character") << u"srv\x7f"_s << kTokenRule;
    QTest::newRow("__Secure- prefix") << u"__Secure-srv"_s << prefixRule;
    QTest::newRow("__Host- prefix") << u"__Host-srv"_s << prefixRule;
    QTest::newRow("__host- prefix, any case") << u"__host-srv"_s << prefixRule;
    QTest::newRow("__SECURE- prefix, any case") << u"__SECURE-srv"_s << prefixRule;
}

void TestConfigValues::cookieName()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    QCOMPARE(checkCookieName(name), reason);
}

void TestConfigValues::balancingRanges()
{
    QCOMPARE(ranges::slowStartMs.requirement(), u"must be an integer from 0 to 3600000"_s);
    QCOMPARE(ranges::cookieMaxAgeS.requirement(), u"must be an integer from 0 to 31536000"_s);
    QVERIFY(ranges::slowStartMs.contains(0) && ranges::slowStartMs.contains(3'600'000));
    QVERIFY(!ranges::slowStartMs.contains(-1) && !ranges::slowStartMs.contains(3'600'001));
    QVERIFY(ranges::cookieMaxAgeS.contains(0) && ranges::cookieMaxAgeS.contains(31'536'000));
    QVERIFY(!ranges::cookieMaxAgeS.contains(-1) && !ranges::cookieMaxAgeS.contains(31'536'001));
}

void TestConfigValues::resilienceDefaults()
{
    // The documented defaults (docs/configuration.md).
    const HealthCheckConfig h;
    QVERIFY(!h.enabled);
    QCOMPARE(h.method, u"GET"_s);
    QCOMPARE(h.path, u"/"_s);
    QCOMPARE(statusRangeText({h.expectStatusMin, h.expectStatusMax}), u"200-399"_s);
    QVERIFY(h.expectBody.isEmpty());
    QVERIFY(h.host.isEmpty());
    QCOMPARE(h.intervalMs, 2'000);
    QCOMPARE(h.timeoutMs, 1'000);
    QCOMPARE(h.jitterPercent, 10);
    QCOMPARE(h.rise, 2);
    QCOMPARE(h.fall, 3);
    QCOMPARE(BackendConfig().healthCheck, h);
    QCOMPARE(CircuitBreakerConfig(), (CircuitBreakerConfig{0, 0, 0}));
    QCOMPARE(OutlierDetectionConfig(), (OutlierDetectionConfig{true, 5, false, 30'000, 300'000, 50}));
    QCOMPARE(RetryConfig(), (RetryConfig{2, {}, 25, 250, 20, 10'000, 3, 65'536}));
    QCOMPARE(BalancingConfig().panicMode, PanicMode::FailClosed);
    // The defaults pass their own checks.
    QVERIFY(checkHttpMethod(h.method).isEmpty());
    QVERIFY(checkProbePath(h.path).isEmpty());
    QVERIFY(h.timeoutMs <= h.intervalMs);
    QVERIFY(ranges::healthIntervalMs.contains(h.intervalMs) && ranges::healthTimeoutMs.contains(h.timeoutMs));
    QVERIFY(OutlierDetectionConfig().baseEjectionMs <= OutlierDetectionConfig().maxEjectionMs);
    QVERIFY(RetryConfig().backoffBaseMs <= RetryConfig().backoffMaxMs);
}

void TestConfigValues::parsePanicMode_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("mode");

    QTest::newRow("fail-closed") << u"fail-closed"_s << true << static_cast<int>(PanicMode::FailClosed);
    QTest::newRow("fail-open") << u"fail-open"_s << true << static_cast<int>(PanicMode::FailOpen);
    for (const QString &text : {u"Fail-Open"_s, u"fail_open"_s, u"open"_s, u"closed"_s, u"failopen"_s,
                                u" fail-open"_s, u"fail-open "_s, QString()})
        QTest::newRow(qPrintable(u"reject \""_s + text + u'"')) << text << false << 0;
}

void TestConfigValues::parsePanicMode()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(int, mode);

    const Parsed<PanicMode> parsed = fulcrum::parsePanicMode(text);
    QCOMPARE(parsed.ok(), ok);
    if (!ok) {
        QCOMPARE(parsed.error, uR"(must be "fail-closed" or "fail-open")"_s);
        return;
    }
    QCOMPARE(static_cast<int>(parsed.value), mode);
    QCOMPARE(panicModeName(parsed.value), text);
}

void TestConfigValues::statusRange_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<StatusRange>("range"); // only when reason is empty
    QTest::addColumn<QString>("reason");

    const QString rule = uR"(must be a status from 100 to 599 ("200") or a range of them ("200-399"))"_s;
    QTest::newRow("single") << u"200"_s << StatusRange{200, 200} << QString();
    QTest::newRow("range") << u"200-399"_s << StatusRange{200, 399} << QString();
    QTest::newRow("widest") << u"100-599"_s << StatusRange{100, 599} << QString();
    QTest::newRow("one-status range") << u"204-204"_s << StatusRange{204, 204} << QString();
    QTest::newRow("last") << u"599"_s << StatusRange{599, 599} << QString();
    for (const QString &text :
         {QString(), u"99"_s, u"600"_s, u"099"_s, u"0200"_s, u"2xx"_s, u"200-"_s, u"-399"_s, u"200--399"_s,
          u"200-399-400"_s, u" 200"_s, u"200 - 399"_s, u"200,204"_s, u"200-600"_s, u"+200"_s, u"２００"_s})
        QTest::newRow(qPrintable(u"reject \""_s + text + u'"')) << text << StatusRange{} << rule;
    QTest::newRow("reversed") << u"399-200"_s << StatusRange{}
                              << u"the range's first status must not be above its last"_s;
}

void TestConfigValues::statusRange()
{
    QFETCH(QString, text);
    QFETCH(StatusRange, range);
    QFETCH(QString, reason);

    const Parsed<StatusRange> parsed = parseStatusRange(text);
    QCOMPARE(parsed.error, reason);
    if (!reason.isEmpty())
        return;
    QVERIFY(parsed.value == range);
    // Reads back; a one-status range is written as the status.
    QVERIFY(parseStatusRange(statusRangeText(parsed.value)).value == range);
    QCOMPARE(statusRangeText(parsed.value), range.min == range.max ? QString::number(range.min) : text);
}

void TestConfigValues::httpMethod_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<bool>("ok");

    for (const QString &method : {u"GET"_s, u"HEAD"_s, u"OPTIONS"_s, u"POST"_s, u"PROPFIND"_s, u"get"_s,
                                  u"X-CHECK"_s, kAllTokenChars})
        QTest::newRow(qPrintable(method)) << method << true;
    for (const QString &method :
         {QString(), u"GET /"_s, u" GET"_s, u"G(ET)"_s, u"GET\r\n"_s, u"G\u00c9T"_s, QString(257, u'M')})
        QTest::newRow(qPrintable(u"reject \""_s + method + u'"')) << method << false;
}

void TestConfigValues::httpMethod()
{
    QFETCH(QString, method);
    QFETCH(bool, ok);
    QCOMPARE(checkHttpMethod(method), ok ? QString() : kTokenRule);
}

void TestConfigValues::probePath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("reason"); // empty: accepted

    const QString start = uR"(must start with "/")"_s;
    const QString visible = u"must be visible ASCII characters: no spaces or control characters "
                            u"(percent-encode anything else)"_s;
    const QString fragment = u"a fragment is not allowed (it is never sent to a server)"_s;
    QTest::newRow("root") << u"/"_s << QString();
    QTest::newRow("plain") << u"/healthz"_s << QString();
    QTest::newRow("query") << u"/health?full=1&x=y"_s << QString();
    QTest::newRow("percent-encoded") << u"/a%20b"_s << QString();
    QTest::newRow("sub-delims") << u"/~u/!$&'()*+,;=:@-._"_s << QString();
    QTest::newRow("double slash") << u"//x"_s << QString();

    QTest::newRow("empty") << QString() << start;
    QTest::newRow("relative") << u"healthz"_s << start;
    QTest::newRow("absolute URL") << u"http://a/healthz"_s << start;
    QTest::newRow("asterisk") << u"*"_s << start;
    QTest::newRow("leading space") << u" /x"_s << start;
    QTest::newRow("space") << u"/a b"_s << visible;
    QTest::newRow("tab") << u"/a\tb"_s << visible;
    QTest::newRow("newline") << u"/a\r\nHost: x"_s << visible;
    QTest::newRow("DEL") << u"/a\x7f"_s << visible;
    QTest::newRow("non-ASCII") << u"/caf\u00e9"_s << visible;
    QTest::newRow("fragment") << u"/a#b"_s << fragment;
}

void TestConfigValues::probePath()
{
    QFETCH(QString, path);
    QFETCH(QString, reason);
    QCOMPARE(checkProbePath(path), reason);
}

void TestConfigValues::probeHost_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("reason"); // empty: accepted

    const QString hostRule =
        u"host must be an IP address or a host name of letters, digits, '-', '_' and '.'"_s;
    QTest::newRow("empty: the backend's own") << QString() << QString();
    QTest::newRow("name") << u"api.example.com"_s << QString();
    QTest::newRow("name and port") << u"api.example.com:8443"_s << QString();
    QTest::newRow("localhost") << u"localhost"_s << QString();
    QTest::newRow("ipv4") << u"10.0.0.1"_s << QString();
    QTest::newRow("ipv4 and port") << u"10.0.0.1:80"_s << QString();
    QTest::newRow("ipv6") << u"[::1]"_s << QString();
    QTest::newRow("ipv6 and port") << u"[fd00::5]:8080"_s << QString();
    QTest::newRow("underscore") << u"my_service"_s << QString();

    QTest::newRow("space") << u"my host"_s << hostRule;
    QTest::newRow("path") << u"a/b"_s << hostRule;
    QTest::newRow("user info") << u"u@a"_s << hostRule;
    QTest::newRow("scheme") << u"http://a"_s << u"port must be 1..65535"_s;
    QTest::newRow("port 0") << u"a:0"_s << u"port must be 1..65535"_s;
    QTest::newRow("port too big") << u"a:65536"_s << u"port must be 1..65535"_s;
    QTest::newRow("empty port") << u"a:"_s << u"port must be 1..65535"_s;
    QTest::newRow("port only") << u":80"_s << u"missing host"_s;
    QTest::newRow("ipv6 unbracketed") << u"::1"_s << u"IPv6 addresses must be in brackets, e.g. [::1]:8080"_s;
    QTest::newRow("ipv6 unclosed") << u"[::1"_s << u"missing ']' after the IPv6 address"_s;
    QTest::newRow("ipv6 invalid") << u"[::g]"_s << u"not a valid IPv6 address"_s;
    QTest::newRow("ipv6 zone") << u"[fe80::1%eth0]"_s << u"an IPv6 zone is not allowed in a Host header"_s;
    QTest::newRow("ipv4 invalid") << u"10.0.0.256"_s << u"not a valid IPv4 address"_s;
    QTest::newRow("non-ASCII") << u"caf\u00e9.example"_s << hostRule;
}

void TestConfigValues::probeHost()
{
    QFETCH(QString, host);
    QFETCH(QString, reason);
    QCOMPARE(checkProbeHost(host), reason);
}

void TestConfigValues::overridesApplyFieldByField()
{
    HealthCheckConfig base;
    base.enabled = true;
    base.path = u"/pool"_s;
    base.rise = 7;
    QCOMPARE(HealthCheckOverrides{}.appliedTo(base), base);

    HealthCheckOverrides own;
    own.path = u"/own"_s;
    own.expectStatus = StatusRange{204, 204};
    own.enabled = false;
    HealthCheckConfig expected = base;
    expected.path = u"/own"_s;
    expected.expectStatusMin = 204;
    expected.expectStatusMax = 204;
    expected.enabled = false;
    QCOMPARE(own.appliedTo(base), expected);

    // Every field can be overridden.
    HealthCheckOverrides all{true, u"HEAD"_s, u"/x"_s, StatusRange{100, 599}, u"ok"_s, u"h:1"_s, 100, 10,
                             0,    1,         100};
    const HealthCheckConfig overridden = all.appliedTo(base);
    QCOMPARE(overridden,
             (HealthCheckConfig{true, u"HEAD"_s, u"/x"_s, 100, 599, u"ok"_s, u"h:1"_s, 100, 10, 0, 1, 100}));

    const CircuitBreakerConfig pool{10, 20, 30};
    QCOMPARE(CircuitBreakerOverrides{}.appliedTo(pool), pool);
    CircuitBreakerOverrides limits;
    limits.maxPendingRequests = 0;
    QCOMPARE(limits.appliedTo(pool), (CircuitBreakerConfig{10, 0, 30}));
}

void TestConfigValues::resolveBackendSettingsByName()
{
    ProxyConfig config;
    config.healthCheck.enabled = true;
    config.circuitBreaker.maxRequests = 5;
    for (const QString &name : {u"a"_s, u"b"_s}) {
        BackendConfig b;
        b.name = name;
        b.healthCheck.path = u"/stale"_s; // whatever was there is replaced
        config.backends.append(b);
    }
    BackendOverrides forB{u"b"_s, {}, {}};
    forB.healthCheck.fall = 9;
    BackendOverrides forGone{u"gone"_s, {}, {}};
    forGone.healthCheck.enabled = false;
    resolveBackendSettings(config, {forGone, forB});

    QCOMPARE(config.backends[0].healthCheck, config.healthCheck);
    QCOMPARE(config.backends[0].circuitBreaker, config.circuitBreaker);
    HealthCheckConfig b = config.healthCheck;
    b.fall = 9;
    QCOMPARE(config.backends[1].healthCheck, b);
    QCOMPARE(config.backends[1].circuitBreaker, config.circuitBreaker);

    BackendConfig added;
    added.name = u"added"_s;
    const BackendConfig resolved = config.withPoolSettings(added);
    QCOMPARE(resolved.healthCheck, config.healthCheck);
    QCOMPARE(resolved.circuitBreaker, config.circuitBreaker);
    QCOMPARE(resolved.name, u"added"_s);
}

void TestConfigValues::resilienceRanges()
{
    QCOMPARE(ranges::healthIntervalMs.requirement(), u"must be an integer from 100 to 3600000"_s);
    QCOMPARE(ranges::healthTimeoutMs.requirement(), u"must be an integer from 10 to 3600000"_s);
    QCOMPARE(ranges::healthJitterPercent.requirement(), u"must be an integer from 0 to 50"_s);
    QCOMPARE(ranges::healthThreshold.requirement(), u"must be an integer from 1 to 100"_s);
    QCOMPARE(ranges::circuitBreakerLimit.requirement(), u"must be an integer from 0 to 1000000"_s);
    QCOMPARE(ranges::consecutiveFailures.requirement(), u"must be an integer from 1 to 1000"_s);
    QCOMPARE(ranges::ejectionMs.requirement(), u"must be an integer from 100 to 86400000"_s);
    QCOMPARE(ranges::percent.requirement(), u"must be an integer from 0 to 100"_s);
    QCOMPARE(ranges::maxRetries.requirement(), u"must be an integer from 0 to 10"_s);
    QCOMPARE(ranges::retryStatus.requirement(), u"must be an integer from 500 to 599"_s);
    QCOMPARE(ranges::backoffMs.requirement(), u"must be an integer from 0 to 10000"_s);
    QCOMPARE(ranges::budgetWindowMs.requirement(), u"must be an integer from 1000 to 3600000"_s);
    QCOMPARE(ranges::budgetMinRetries.requirement(), u"must be an integer from 0 to 1000000"_s);
    QCOMPARE(ranges::maxBufferedBodyBytes.requirement(), u"must be an integer from 0 to 16777216"_s);
}

QTEST_APPLESS_MAIN(TestConfigValues)
#include "tst_configvalues.moc"
