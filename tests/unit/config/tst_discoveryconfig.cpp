// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration of backends discovered from DNS, of the DNS settings and of the log level: in the
// file and as flags, what is accepted and how each mistake is named.
#include "ConfigTestHelpers.h"
#include "ConfigTestPrinting.h"
#include "config/CommandLine.h"
#include "config/ConfigLoader.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using fulcrum::test::argv;
using fulcrum::test::fieldsOf;
using fulcrum::test::joined;

namespace {

QByteArray withBackends(const char *backends, const char *members = "")
{
    return QByteArray(R"({"version": 1, "backends": )") + backends + members + '}';
}

} // namespace

class TestDiscoveryConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fileAcceptsDiscoveredBackends();
    void fileRejections_data();
    void fileRejections();
    void flagsAcceptDiscoveredBackends();
    void flagRejections_data();
    void flagRejections();
    void stateFileRefusesDiscovery();
};

void TestDiscoveryConfig::fileAcceptsDiscoveredBackends()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(
        withBackends(R"([{"name": "web", "url": "http://web.internal:8080", "resolve": true},
                         {"name": "api", "url": "srv://_http._tcp.api.internal", "weight": 5},
                         {"name": "fixed", "url": "http://127.0.0.1:9000"}])",
                     R"(, "dns": {"server": "10.0.0.53", "interval_ms": 2000}, "log_level": "warning")"),
        u"test"_s);
    QVERIFY2(result.ok(), qPrintable(joined(result.errors)));
    const QList<BackendConfig> &backends = result.config.backends;
    QCOMPARE(backends.size(), 3);
    QCOMPARE(backends.at(0).discovery, BackendDiscovery::Resolve);
    QCOMPARE(backends.at(0).host, u"web.internal"_s);
    QCOMPARE(backends.at(0).port, quint16(8080));
    QCOMPARE(backends.at(1).discovery, BackendDiscovery::Srv);
    QCOMPARE(backends.at(1).host, u"_http._tcp.api.internal"_s);
    QCOMPARE(backends.at(1).url(), u"srv://_http._tcp.api.internal"_s);
    QCOMPARE(backends.at(2).discovery, BackendDiscovery::None);
    QCOMPARE(result.config.dns.server, QHostAddress(u"10.0.0.53"_s));
    QCOMPARE(result.config.dns.intervalMs, 2000);
    QCOMPARE(result.config.logLevel, LogLevel::Warning);
}

void TestDiscoveryConfig::fileRejections_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("reason");
    QTest::newRow("resolve an address")
        << withBackends(R"([{"name": "web", "url": "http://10.1.1.1", "resolve": true}])")
        << u"backends[0].resolve"_s << u"needs a host name"_s;
    QTest::newRow("resolve with srv")
        << withBackends(R"([{"name": "web", "url": "srv://_http._tcp.web.internal", "resolve": true}])")
        << u"backends[0].resolve"_s << u"implied by an srv:// url"_s;
    QTest::newRow("srv name without service labels")
        << withBackends(R"([{"name": "web", "url": "srv://web.internal"}])") << u"backends[0].url"_s
        << u"_service._proto.name"_s;
    QTest::newRow("srv with a port") << withBackends(
                                            R"([{"name": "web", "url": "srv://_http._tcp.web.internal:80"}])")
                                     << u"backends[0].url"_s << u"_service._proto.name"_s;
    QTest::newRow("name too long to prefix addresses")
        << withBackends(
               R"([{"name": "a-very-long-backend-name", "url": "http://web.internal", "resolve": true}])")
        << u"backends[0].resolve"_s << u"at most 16 characters"_s;
    QTest::newRow("dns server not an address")
        << withBackends(R"([{"url": "http://127.0.0.1"}])", R"(, "dns": {"server": "ns.internal"})")
        << u"dns.server"_s << u"IPv4 or IPv6 address"_s;
    QTest::newRow("dns interval too short")
        << withBackends(R"([{"url": "http://127.0.0.1"}])", R"(, "dns": {"interval_ms": 10})")
        << u"dns.interval_ms"_s << u"500"_s;
    QTest::newRow("unknown dns field")
        << withBackends(R"([{"url": "http://127.0.0.1"}])", R"(, "dns": {"servers": ["10.0.0.1"]})")
        << u"dns.servers"_s << u"unknown"_s;
    QTest::newRow("log level") << withBackends(R"([{"url": "http://127.0.0.1"}])",
                                               R"(, "log_level": "verbose")")
                               << u"log_level"_s << u"\"debug\", \"info\", \"warning\" or \"error\""_s;
}

void TestDiscoveryConfig::fileRejections()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QFETCH(QString, reason);
    const ConfigLoadResult result = ConfigLoader::loadJson(json, u"test"_s);
    QCOMPARE(fieldsOf(result.errors), QStringList{field});
    QVERIFY2(result.errors.constFirst().reason.contains(reason), qPrintable(joined(result.errors)));
}

void TestDiscoveryConfig::flagsAcceptDiscoveredBackends()
{
    const CommandLineParseResult parsed =
        parseCommandLine(argv({u"--backend"_s, u"http://web.internal:8080,resolve,name=web,weight=3"_s,
                               u"--backend"_s, u"srv://_http._tcp.api.internal,name=api"_s, u"--dns-server"_s,
                               u"[::1]"_s, u"--dns-interval"_s, u"1500"_s, u"--log-level"_s, u"debug"_s}));
    QVERIFY2(parsed.ok(), qPrintable(joined(parsed.errors)));
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QVERIFY2(resolved.ok(), qPrintable(joined(resolved.errors)));
    const ProxyConfig &config = resolved.config;
    QCOMPARE(config.backends.at(0).discovery, BackendDiscovery::Resolve);
    QCOMPARE(config.backends.at(0).weight, 3);
    QCOMPARE(config.backends.at(1).discovery, BackendDiscovery::Srv);
    QCOMPARE(config.backends.at(1).name, u"api"_s);
    QCOMPARE(config.dns.server, QHostAddress(u"::1"_s));
    QCOMPARE(config.dns.intervalMs, 1500);
    QCOMPARE(config.logLevel, LogLevel::Debug);
}

void TestDiscoveryConfig::flagRejections_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("reason");
    QTest::newRow("resolve an address")
        << argv({u"--backend"_s, u"http://127.0.0.1,resolve"_s}) << u"--backend"_s << u"needs a host name"_s;
    QTest::newRow("resolve with srv") << argv({u"--backend"_s, u"srv://_http._tcp.a.internal,resolve"_s})
                                      << u"--backend"_s << u"implied by an srv:// url"_s;
    QTest::newRow("dns server") << argv({u"--backend"_s, u"http://127.0.0.1"_s, u"--dns-server"_s, u"dns"_s})
                                << u"--dns-server"_s << u"IPv4 or IPv6 address"_s;
    QTest::newRow("dns interval") << argv(
                                         {u"--backend"_s, u"http://127.0.0.1"_s, u"--dns-interval"_s, u"0"_s})
                                  << u"--dns-interval"_s << u"500"_s;
    QTest::newRow("log level") << argv({u"--backend"_s, u"http://127.0.0.1"_s, u"--log-level"_s, u"loud"_s})
                               << u"--log-level"_s << u"\"debug\""_s;
}

void TestDiscoveryConfig::flagRejections()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, field);
    QFETCH(QString, reason);
    const CommandLineParseResult parsed = parseCommandLine(arguments);
    QCOMPARE(fieldsOf(parsed.errors), QStringList{field});
    QVERIFY2(parsed.errors.constFirst().reason.contains(reason), qPrintable(joined(parsed.errors)));
}

// Runtime state would put DNS's old addresses back after a restart as if added by hand.
void TestDiscoveryConfig::stateFileRefusesDiscovery()
{
    QTemporaryDir dir;
    const CommandLineParseResult parsed =
        parseCommandLine(argv({u"--backend"_s, u"http://web.internal,resolve"_s, u"--state-file"_s,
                               dir.filePath(u"state.json"_s)}));
    QVERIFY2(parsed.ok(), qPrintable(joined(parsed.errors)));
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QCOMPARE(fieldsOf(resolved.errors), QStringList{u"state_file"_s});
    QVERIFY(resolved.errors.constFirst().reason.contains(u"discovered from DNS"_s));
}

QTEST_GUILESS_MAIN(TestDiscoveryConfig)
#include "tst_discoveryconfig.moc"
