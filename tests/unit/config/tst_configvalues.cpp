// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestPrinting.h"
#include "config/ConfigError.h"
#include "config/ConfigValues.h"
#include "config/ProxyConfig.h"

#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace fulcrum;

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
};

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
    QCOMPARE(defaultListenAddress().toString(), u"127.0.0.1:8080"_s);
}

QTEST_APPLESS_MAIN(TestConfigValues)
#include "tst_configvalues.moc"
