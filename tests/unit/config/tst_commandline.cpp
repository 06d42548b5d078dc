// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestHelpers.h"
#include "ConfigTestPrinting.h"
#include "config/CommandLine.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <utility>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using fulcrum::test::fieldsOf;
using fulcrum::test::listenOn;

using OptionsEdit = std::function<void(CommandLineOptions &)>;
Q_DECLARE_METATYPE(OptionsEdit)

namespace {

QStringList argv(std::initializer_list<const char *> args)
{
    QStringList out{u"fulcrumd"_s};
    for (const char *arg : args)
        out.append(QString::fromUtf8(arg));
    return out;
}

BackendConfig backend(const QString &name, const QString &host, quint16 port, int weight = 1,
                      int slowStartMs = -1)
{
    BackendConfig b;
    b.name = name;
    b.host = host;
    b.port = port;
    b.weight = weight;
    b.slowStartMs = slowStartMs;
    return b;
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();

    void validFlags_data();
    void validFlags();
    void invalidFlags_data();
    void invalidFlags();
    void errorTextMatchesReference();
    void flagErrorsAreCollected();
    void helpAndVersionSurviveErrors();
    void helpTextListsEveryFlag();
    void versionText();

    void withoutFileOrFlagsBackendIsRequired();
    void demoNeedsNoBackend();
    void flagsAloneGiveDefaults();
    void fileIsUsed();
    void flagsOverrideFile();
    void fileWithoutListenUsesDefault();
    void fileWithoutBackendsNeedsFlagOrDemo();
    void fileErrorsPropagate();
    void missingFileIsReportedAlone();

    void balancingFromFile();
    void balancingFlagsOverrideFile();
    void strategyFlagDropsFileHashKey();
    void hashKeyFlagNeedsConsistentHash_data();
    void hashKeyFlagNeedsConsistentHash();
    void hashKeyFlagWithBrokenFileReportsOnlyTheFile();

    void resilienceFromFile();
    void healthCheckFlagWithoutFile();
    void healthCheckFlagChangesThePoolOnly();
    void flagBackendsGetTheFilePoolSettings();
    void panicModeAndRetriesFlagsOverrideFile();

    void poolsFileTakesProcessFlags();
    void poolsFileRefusesPoolFlags_data();
    void poolsFileRefusesPoolFlags();
    void poolsFileNeedsABackendInSomePool();
    void routesWithoutPoolsTakeFlagBackends();

private:
    QString writeConfig(const QByteArray &json);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestCommandLine::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

QString TestCommandLine::writeConfig(const QByteArray &json)
{
    return fulcrum::test::writeFileIn(*m_dir, u"fulcrum.json"_s, json);
}

void TestCommandLine::validFlags_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<OptionsEdit>("edit");

    QTest::newRow("nothing") << argv({}) << OptionsEdit([](CommandLineOptions &) {});
    QTest::newRow("listen once") << argv({"--listen", "0.0.0.0:80"})
                                 << OptionsEdit([](CommandLineOptions &o) {
                                        o.listen = {listenOn(u"0.0.0.0"_s, 80)};
                                    });
    QTest::newRow("listen repeated, with = and single dash")
        << argv({"--listen=127.0.0.1:81", "-listen", "[::1]:82", "--listen", "localhost:83"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.listen = {listenOn(u"127.0.0.1"_s, 81), listenOn(u"::1"_s, 82),
                           listenOn(u"127.0.0.1"_s, 83)};
           });
    QTest::newRow("backend plain") << argv({"--backend", "http://127.0.0.1:9001"})
                                   << OptionsEdit([](CommandLineOptions &o) {
                                          o.backends = {backend(u"backend-1"_s, u"127.0.0.1"_s, 9001)};
                                      });
    QTest::newRow("backend weight and name")
        << argv({"--backend", "http://a:81,weight=7,name=alpha", "--backend",
                 "http://[::1],name=beta,weight=0"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.backends = {backend(u"alpha"_s, u"a"_s, 81, 7), backend(u"beta"_s, u"::1"_s, 80, 0)};
           });
    QTest::newRow("backend default names follow position")
        << argv({"--backend", "http://a,name=first", "--backend", "http://b", "--backend",
                 "http://c,weight=1000"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.backends = {backend(u"first"_s, u"a"_s, 80), backend(u"backend-2"_s, u"b"_s, 80),
                             backend(u"backend-3"_s, u"c"_s, 80, 1000)};
           });
    QTest::newRow("backend slow-start")
        << argv({"--backend", "http://a,slow-start=0", "--backend",
                 "http://b,name=b,slow-start=3600000,weight=2", "--backend", "http://c"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.backends = {backend(u"backend-1"_s, u"a"_s, 80, 1, 0),
                             backend(u"b"_s, u"b"_s, 80, 2, 3'600'000), backend(u"backend-3"_s, u"c"_s, 80)};
           });
    for (const auto &[name, strategy] :
         {std::pair{"round-robin", StrategyKind::RoundRobin},
          std::pair{"least-connections", StrategyKind::LeastConnections},
          std::pair{"power-of-two", StrategyKind::PowerOfTwo}, std::pair{"random", StrategyKind::Random},
          std::pair{"consistent-hash", StrategyKind::ConsistentHash}}) {
        const QByteArray rowName = "strategy " + QByteArray(name);
        QTest::newRow(rowName.constData())
            << argv({"--strategy", name})
            << OptionsEdit([strategy](CommandLineOptions &o) { o.strategy = strategy; });
    }
    QTest::newRow("strategy last wins")
        << argv({"--strategy", "random", "--strategy=least-connections"})
        << OptionsEdit([](CommandLineOptions &o) { o.strategy = StrategyKind::LeastConnections; });
    QTest::newRow("hash-key client-ip")
        << argv({"--hash-key", "client-ip"}) << OptionsEdit([](CommandLineOptions &o) {
               o.hashKey = HashKey{HashKey::Source::ClientIp, {}};
           });
    QTest::newRow("hash-key path") << argv({"--hash-key=path"}) << OptionsEdit([](CommandLineOptions &o) {
        o.hashKey = HashKey{HashKey::Source::Path, {}};
    });
    QTest::newRow("hash-key header") << argv({"--hash-key", "header:X-Tenant"})
                                     << OptionsEdit([](CommandLineOptions &o) {
                                            o.hashKey = HashKey{HashKey::Source::Header, u"X-Tenant"_s};
                                        });
    QTest::newRow("hash-key cookie") << argv({"--hash-key", "cookie:sid"})
                                     << OptionsEdit([](CommandLineOptions &o) {
                                            o.hashKey = HashKey{HashKey::Source::Cookie, u"sid"_s};
                                        });
    QTest::newRow("sticky-cookie name")
        << argv({"--sticky-cookie", "SERVERID"}) << OptionsEdit([](CommandLineOptions &o) {
               o.stickyCookie = StickyCookie{u"SERVERID"_s, 0};
           });
    QTest::newRow("sticky-cookie max-age")
        << argv({"--sticky-cookie", "srv,max-age=3600"}) << OptionsEdit([](CommandLineOptions &o) {
               o.stickyCookie = StickyCookie{u"srv"_s, 3600};
           });
    QTest::newRow("sticky-cookie max-age 0 and one year")
        << argv({"--sticky-cookie", "srv,max-age=0", "--sticky-cookie", "srv2,max-age=31536000"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.stickyCookie = StickyCookie{u"srv2"_s, 31'536'000};
           });
    QTest::newRow("slow-start 0") << argv({"--slow-start", "0"})
                                  << OptionsEdit([](CommandLineOptions &o) { o.slowStartMs = 0; });
    QTest::newRow("slow-start 3600000")
        << argv({"--slow-start=3600000"})
        << OptionsEdit([](CommandLineOptions &o) { o.slowStartMs = 3'600'000; });
    QTest::newRow("workers 0") << argv({"--workers", "0"})
                               << OptionsEdit([](CommandLineOptions &o) { o.workers = 0; });
    QTest::newRow("workers 64") << argv({"--workers=64"})
                                << OptionsEdit([](CommandLineOptions &o) { o.workers = 64; });
    QTest::newRow("workers last wins") << argv({"--workers", "2", "--workers", "3"})
                                       << OptionsEdit([](CommandLineOptions &o) { o.workers = 3; });
    QTest::newRow("snapshot files")
        << argv({"--snapshot-dir", "/var/lib/fulcrum", "--snapshot-every", "60", "--snapshot-format",
                 "prom,json"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.snapshotDir = u"/var/lib/fulcrum"_s;
               o.snapshotEverySeconds = 60;
               o.snapshotFormats = QList<SnapshotFormat>{SnapshotFormat::Prometheus, SnapshotFormat::Json};
           });
    QTest::newRow("config") << argv({"--config", "/etc/fulcrum/fulcrum.json"})
                            << OptionsEdit([](CommandLineOptions &o) {
                                   o.configFile = u"/etc/fulcrum/fulcrum.json"_s;
                               });
    QTest::newRow("check-config") << argv({"--check-config"})
                                  << OptionsEdit([](CommandLineOptions &o) { o.checkConfig = true; });
    QTest::newRow("log-format json") << argv({"--log-format", "json"})
                                     << OptionsEdit(
                                            [](CommandLineOptions &o) { o.logFormat = LogFormat::Json; });
    QTest::newRow("log-format text") << argv({"--log-format", "text"})
                                     << OptionsEdit(
                                            [](CommandLineOptions &o) { o.logFormat = LogFormat::Text; });
    QTest::newRow("access-log on") << argv({"--access-log", "on"})
                                   << OptionsEdit([](CommandLineOptions &o) { o.accessLog = true; });
    QTest::newRow("access-log off") << argv({"--access-log=off"})
                                    << OptionsEdit([](CommandLineOptions &o) { o.accessLog = false; });
    QTest::newRow("demo") << argv({"--demo"}) << OptionsEdit([](CommandLineOptions &o) { o.demo = true; });
    QTest::newRow("help long") << argv({"--help"})
                               << OptionsEdit([](CommandLineOptions &o) { o.showHelp = true; });
    QTest::newRow("help short") << argv({"-h"})
                                << OptionsEdit([](CommandLineOptions &o) { o.showHelp = true; });
    QTest::newRow("version long") << argv({"--version"})
                                  << OptionsEdit([](CommandLineOptions &o) { o.showVersion = true; });
    QTest::newRow("version short") << argv({"-v"})
                                   << OptionsEdit([](CommandLineOptions &o) { o.showVersion = true; });
    QTest::newRow("health-check") << argv({"--health-check", "/healthz"})
                                  << OptionsEdit(
                                         [](CommandLineOptions &o) { o.healthCheckPath = u"/healthz"_s; });
    QTest::newRow("health-check root with query")
        << argv({"--health-check=/?probe=1"})
        << OptionsEdit([](CommandLineOptions &o) { o.healthCheckPath = u"/?probe=1"_s; });
    QTest::newRow("health-check last wins")
        << argv({"--health-check", "/a", "--health-check", "/b"})
        << OptionsEdit([](CommandLineOptions &o) { o.healthCheckPath = u"/b"_s; });
    QTest::newRow("panic-mode fail-open")
        << argv({"--panic-mode", "fail-open"})
        << OptionsEdit([](CommandLineOptions &o) { o.panicMode = PanicMode::FailOpen; });
    QTest::newRow("panic-mode fail-closed")
        << argv({"--panic-mode=fail-closed"})
        << OptionsEdit([](CommandLineOptions &o) { o.panicMode = PanicMode::FailClosed; });
    QTest::newRow("retries 0") << argv({"--retries", "0"})
                               << OptionsEdit([](CommandLineOptions &o) { o.maxRetries = 0; });
    QTest::newRow("retries 10") << argv({"--retries=10"})
                                << OptionsEdit([](CommandLineOptions &o) { o.maxRetries = 10; });
    QTest::newRow("rate-limit per second")
        << argv({"--rate-limit", "100/s"}) << OptionsEdit([](CommandLineOptions &o) {
               o.rateLimit = RateLimitConfig{100, 1000, 0};
           });
    QTest::newRow("rate-limit per minute with burst")
        << argv({"--rate-limit=30/m,burst=5"}) << OptionsEdit([](CommandLineOptions &o) {
               o.rateLimit = RateLimitConfig{30, 60'000, 5};
           });
    QTest::newRow("connection limits")
        << argv({"--max-connections", "1000", "--max-connections-per-client", "0"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.maxConnections = 1000;
               o.connectionsPerClient = 0;
           });
    QTest::newRow("everything")
        << argv({"--config",     "f.json",         "--listen",        "127.0.0.1:0",
                 "--backend",    "http://h",       "--workers",       "4",
                 "--log-format", "json",           "--access-log",    "off",
                 "--demo",       "--check-config", "--strategy",      "consistent-hash",
                 "--hash-key",   "path",           "--sticky-cookie", "s,max-age=9",
                 "--slow-start", "5000",           "--health-check",  "/hc",
                 "--panic-mode", "fail-open",      "--retries",       "1"})
        << OptionsEdit([](CommandLineOptions &o) {
               o.configFile = u"f.json"_s;
               o.listen = {listenOn(u"127.0.0.1"_s, 0)};
               o.backends = {backend(u"backend-1"_s, u"h"_s, 80)};
               o.strategy = StrategyKind::ConsistentHash;
               o.hashKey = HashKey{HashKey::Source::Path, {}};
               o.stickyCookie = StickyCookie{u"s"_s, 9};
               o.slowStartMs = 5000;
               o.healthCheckPath = u"/hc"_s;
               o.panicMode = PanicMode::FailOpen;
               o.maxRetries = 1;
               o.workers = 4;
               o.logFormat = LogFormat::Json;
               o.accessLog = false;
               o.demo = true;
               o.checkConfig = true;
           });
}

void TestCommandLine::validFlags()
{
    QFETCH(QStringList, arguments);
    QFETCH(OptionsEdit, edit);

    const CommandLineParseResult result = parseCommandLine(arguments);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    CommandLineOptions expected;
    edit(expected);
    QCOMPARE(result.options.listen, expected.listen);
    QCOMPARE(result.options.backends, expected.backends);
    QCOMPARE(result.options.strategy.has_value(), expected.strategy.has_value());
    QCOMPARE(result.options.hashKey, expected.hashKey);
    QCOMPARE(result.options.stickyCookie, expected.stickyCookie);
    QCOMPARE(result.options.slowStartMs, expected.slowStartMs);
    QVERIFY(result.options == expected);
}

void TestCommandLine::invalidFlags_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value"); // null: no value shown
    QTest::addColumn<QString>("reason");

    const auto row = [](const char *name, const QStringList &arguments, const char *field, const char *value,
                        const char *reason) {
        QTest::newRow(name) << arguments << QString::fromUtf8(field)
                            << (value ? QString::fromUtf8(value) : QString()) << QString::fromUtf8(reason);
    };

    row("snapshot format unknown", argv({"--snapshot-dir", "/tmp", "--snapshot-format", "json,xml"}),
        "--snapshot-format", "json,xml", "must be a comma-separated list of json, csv and prom");
    row("snapshot format twice", argv({"--snapshot-dir", "/tmp", "--snapshot-format", "csv,csv"}),
        "--snapshot-format", "csv,csv", "names csv twice");
    row("snapshot every zero", argv({"--snapshot-dir", "/tmp", "--snapshot-every", "0"}), "--snapshot-every",
        "0", "must be an integer from 1 to 86400");

    // --listen: the address parser itself is covered row by row in tst_configloader
    row("listen no port", argv({"--listen", "127.0.0.1"}), "--listen", "127.0.0.1", "missing port");
    row("listen bad port", argv({"--listen", "127.0.0.1:70000"}), "--listen", "127.0.0.1:70000",
        "port must be 0..65535");
    row("listen host name", argv({"--listen", "example.com:80"}), "--listen", "example.com:80",
        "must be an IP address or localhost");
    row("listen ipv6 unbracketed", argv({"--listen", "::1:80"}), "--listen", "::1:80",
        "IPv6 addresses must be in brackets");
    row("listen empty", argv({"--listen", ""}), "--listen", "", "missing address");
    row("listen duplicate", argv({"--listen", "127.0.0.1:80", "--listen", "127.0.0.1:80"}), "--listen",
        "127.0.0.1:80", "duplicate listen address");
    row("listen missing value", argv({"--listen"}), "--listen", nullptr,
        "missing value (expected ADDR:PORT)");

    // --backend
    row("backend port too big", argv({"--backend", "http://x:99999"}), "--backend", "http://x:99999",
        "port must be 1..65535");
    row("backend https port 0", argv({"--backend", "https://x:0"}), "--backend", "https://x:0",
        "port must be 1..65535");
    row("backend no scheme", argv({"--backend", "x:80"}), "--backend", "x:80", "must start with http://");
    row("backend path", argv({"--backend", "http://x/app"}), "--backend", "http://x/app",
        "path must be empty");
    row("backend empty", argv({"--backend", ""}), "--backend", "", "must start with http://");
    row("backend weight too big", argv({"--backend", "http://x,weight=5000"}), "--backend",
        "http://x,weight=5000", "weight must be an integer from 0 to 1000");
    row("backend weight negative", argv({"--backend", "http://x,weight=-1"}), "--backend",
        "http://x,weight=-1", "weight must be an integer from 0 to 1000");
    row("backend weight not numeric", argv({"--backend", "http://x,weight=high"}), "--backend",
        "http://x,weight=high", "weight must be an integer from 0 to 1000");
    row("backend weight empty", argv({"--backend", "http://x,weight="}), "--backend",
        "http://x,weight=", "weight must be an integer from 0 to 1000");
    row("backend weight without =", argv({"--backend", "http://x,weight"}), "--backend", "http://x,weight",
        "weight must be an integer from 0 to 1000");
    row("backend weight twice", argv({"--backend", "http://x,weight=1,weight=2"}), "--backend",
        "http://x,weight=1,weight=2", "weight is given more than once");
    row("backend name invalid", argv({"--backend", "http://x,name=a b"}), "--backend", "http://x,name=a b",
        "name must be 1 to 64 characters");
    row("backend name empty", argv({"--backend", "http://x,name="}), "--backend",
        "http://x,name=", "name must be 1 to 64 characters");
    row("backend name twice", argv({"--backend", "http://x,name=a,name=b"}), "--backend",
        "http://x,name=a,name=b", "name is given more than once");
    row("backend unknown option", argv({"--backend", "http://x,wieght=2"}), "--backend", "http://x,wieght=2",
        R"(unknown backend option "wieght=2")");
    row("backend trailing comma", argv({"--backend", "http://x,"}), "--backend", "http://x,",
        R"(unknown backend option "")");
    row("backend duplicate names", argv({"--backend", "http://x,name=a", "--backend", "http://y,name=a"}),
        "--backend", "http://y,name=a", R"(duplicate backend name "a")");
    row("backend name clashes with default",
        argv({"--backend", "http://x", "--backend", "http://y,name=backend-1"}), "--backend",
        "http://y,name=backend-1", R"(duplicate backend name "backend-1")");
    row("backend missing value", argv({"--backend"}), "--backend", nullptr,
        "missing value (expected URL[,weight=N][,name=NAME][,slow-start=MS][,resolve])");
    row("backend unknown option lists slow-start", argv({"--backend", "http://x,slowstart=1"}), "--backend",
        "http://x,slowstart=1",
        R"(unknown backend option "slowstart=1" (expected weight=N, name=NAME, slow-start=MS or resolve))");
    row("backend slow-start too big", argv({"--backend", "http://x,slow-start=3600001"}), "--backend",
        "http://x,slow-start=3600001", "slow-start must be an integer from 0 to 3600000");
    row("backend slow-start negative", argv({"--backend", "http://x,slow-start=-1"}), "--backend",
        "http://x,slow-start=-1", "slow-start must be an integer from 0 to 3600000");
    row("backend slow-start with unit", argv({"--backend", "http://x,slow-start=30s"}), "--backend",
        "http://x,slow-start=30s", "slow-start must be an integer from 0 to 3600000");
    row("backend slow-start without =", argv({"--backend", "http://x,slow-start"}), "--backend",
        "http://x,slow-start", "slow-start must be an integer from 0 to 3600000");
    row("backend slow-start twice", argv({"--backend", "http://x,slow-start=1,slow-start=2"}), "--backend",
        "http://x,slow-start=1,slow-start=2", "slow-start is given more than once");

    // --strategy
    const char *strategies =
        R"(must be "round-robin", "least-connections", "power-of-two", "random" or "consistent-hash")";
    row("strategy unknown", argv({"--strategy", "fastest"}), "--strategy", "fastest", strategies);
    row("strategy wrong case", argv({"--strategy", "Random"}), "--strategy", "Random", strategies);
    row("strategy underscore", argv({"--strategy", "round_robin"}), "--strategy", "round_robin", strategies);
    row("strategy empty", argv({"--strategy", ""}), "--strategy", "", strategies);
    row("strategy bad last value", argv({"--strategy", "random", "--strategy", "x"}), "--strategy", "x",
        strategies);
    row("strategy missing value", argv({"--strategy"}), "--strategy", nullptr,
        "missing value (expected NAME)");

    // --hash-key
    const char *hashKeys = R"(must be "client-ip", "path", "header:NAME" or "cookie:NAME")";
    const QByteArray tokenRule = "must be 1 to 256 characters from A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~";
    const QByteArray headerNameRule = "header name " + tokenRule;
    const QByteArray cookieNameRule = "cookie name " + tokenRule;
    const QByteArray nameRule = "name " + tokenRule;
    row("hash-key unknown", argv({"--hash-key", "ip"}), "--hash-key", "ip", hashKeys);
    row("hash-key wrong case", argv({"--hash-key", "PATH"}), "--hash-key", "PATH", hashKeys);
    row("hash-key empty", argv({"--hash-key", ""}), "--hash-key", "", hashKeys);
    row("hash-key header empty name", argv({"--hash-key", "header:"}), "--hash-key",
        "header:", headerNameRule.constData());
    row("hash-key cookie bad name", argv({"--hash-key", "cookie:a b"}), "--hash-key", "cookie:a b",
        cookieNameRule.constData());
    row("hash-key missing value", argv({"--hash-key"}), "--hash-key", nullptr,
        "missing value (expected KEY)");

    // --sticky-cookie
    row("sticky-cookie empty", argv({"--sticky-cookie", ""}), "--sticky-cookie", "", nameRule.constData());
    row("sticky-cookie bad name", argv({"--sticky-cookie", "a=b"}), "--sticky-cookie", "a=b",
        nameRule.constData());
    row("sticky-cookie empty name with max-age", argv({"--sticky-cookie", ",max-age=5"}), "--sticky-cookie",
        ",max-age=5", nameRule.constData());
    row("sticky-cookie __Host- name", argv({"--sticky-cookie", "__Host-srv"}), "--sticky-cookie",
        "__Host-srv", "name must not start with __Secure- or __Host-");
    row("sticky-cookie max-age too big", argv({"--sticky-cookie", "srv,max-age=31536001"}), "--sticky-cookie",
        "srv,max-age=31536001", "max-age must be an integer from 0 to 31536000");
    row("sticky-cookie max-age negative", argv({"--sticky-cookie", "srv,max-age=-1"}), "--sticky-cookie",
        "srv,max-age=-1", "max-age must be an integer from 0 to 31536000");
    row("sticky-cookie max-age empty", argv({"--sticky-cookie", "srv,max-age="}), "--sticky-cookie",
        "srv,max-age=", "max-age must be an integer from 0 to 31536000");
    row("sticky-cookie max-age twice", argv({"--sticky-cookie", "srv,max-age=1,max-age=2"}),
        "--sticky-cookie", "srv,max-age=1,max-age=2", "max-age is given more than once");
    row("sticky-cookie unknown option", argv({"--sticky-cookie", "srv,path=/"}), "--sticky-cookie",
        "srv,path=/", R"(unknown sticky cookie option "path=/" (expected max-age=SECONDS))");
    row("sticky-cookie Max-Age spelling", argv({"--sticky-cookie", "srv,Max-Age=5"}), "--sticky-cookie",
        "srv,Max-Age=5", R"(unknown sticky cookie option "Max-Age=5")");
    row("sticky-cookie trailing comma", argv({"--sticky-cookie", "srv,"}), "--sticky-cookie", "srv,",
        R"(unknown sticky cookie option "")");
    row("sticky-cookie missing value", argv({"--sticky-cookie"}), "--sticky-cookie", nullptr,
        "missing value (expected NAME[,max-age=SECONDS])");

    // --slow-start
    row("slow-start negative", argv({"--slow-start", "-1"}), "--slow-start", "-1",
        "must be an integer from 0 to 3600000");
    row("slow-start too big", argv({"--slow-start", "3600001"}), "--slow-start", "3600001",
        "must be an integer from 0 to 3600000");
    row("slow-start with unit", argv({"--slow-start", "30s"}), "--slow-start", "30s",
        "must be an integer from 0 to 3600000");
    row("slow-start missing value", argv({"--slow-start"}), "--slow-start", nullptr,
        "missing value (expected MS)");

    // --health-check: the path rules are covered row by row in tst_configloader
    row("health-check relative", argv({"--health-check", "healthz"}), "--health-check", "healthz",
        R"(must start with "/")");
    row("health-check empty", argv({"--health-check", ""}), "--health-check", "", R"(must start with "/")");
    row("health-check space", argv({"--health-check", "/a b"}), "--health-check", "/a b",
        "must be visible ASCII characters");
    row("health-check fragment", argv({"--health-check", "/a#b"}), "--health-check", "/a#b",
        "a fragment is not allowed");
    row("health-check missing value", argv({"--health-check"}), "--health-check", nullptr,
        "missing value (expected PATH)");

    // --panic-mode
    const char *panicModes = R"(must be "fail-closed" or "fail-open")";
    row("panic-mode unknown", argv({"--panic-mode", "open"}), "--panic-mode", "open", panicModes);
    row("panic-mode wrong case", argv({"--panic-mode", "FAIL-OPEN"}), "--panic-mode", "FAIL-OPEN",
        panicModes);
    row("panic-mode empty", argv({"--panic-mode", ""}), "--panic-mode", "", panicModes);
    row("panic-mode missing value", argv({"--panic-mode"}), "--panic-mode", nullptr,
        "missing value (expected fail-closed|fail-open)");

    // --retries
    row("retries too many", argv({"--retries", "11"}), "--retries", "11", "must be an integer from 0 to 10");
    row("retries negative", argv({"--retries", "-1"}), "--retries", "-1", "must be an integer from 0 to 10");
    row("retries not numeric", argv({"--retries", "two"}), "--retries", "two",
        "must be an integer from 0 to 10");
    row("retries missing value", argv({"--retries"}), "--retries", nullptr, "missing value (expected N)");

    // --rate-limit, --max-connections, --max-connections-per-client
    row("rate-limit per hour", argv({"--rate-limit", "10/h"}), "--rate-limit", "10/h", "unit must be s or m");
    row("rate-limit no unit", argv({"--rate-limit", "10"}), "--rate-limit", "10",
        "must be RATE/s or RATE/m, optionally followed by ,burst=N");
    row("rate-limit zero", argv({"--rate-limit", "0/s"}), "--rate-limit", "0/s",
        "rate must be an integer from 1 to 1000000");
    row("rate-limit burst zero", argv({"--rate-limit", "5/s,burst=0"}), "--rate-limit", "5/s,burst=0",
        "burst must be an integer from 1 to 10000000");
    row("rate-limit burst twice", argv({"--rate-limit", "5/s,burst=1,burst=2"}), "--rate-limit",
        "5/s,burst=1,burst=2", "burst is given more than once");
    row("rate-limit unknown option", argv({"--rate-limit", "5/s,size=3"}), "--rate-limit", "5/s,size=3",
        "unknown rate limit option \"size=3\" (expected burst=N)");
    row("max-connections negative", argv({"--max-connections", "-1"}), "--max-connections", "-1",
        "must be an integer from 0 to 10000000");
    row("max-connections-per-client not numeric", argv({"--max-connections-per-client", "many"}),
        "--max-connections-per-client", "many", "must be an integer from 0 to 10000000");

    // --workers
    row("workers too many", argv({"--workers", "65"}), "--workers", "65", "must be an integer from 0 to 64");
    row("workers negative", argv({"--workers", "-1"}), "--workers", "-1", "must be an integer from 0 to 64");
    row("workers not numeric", argv({"--workers", "four"}), "--workers", "four",
        "must be an integer from 0 to 64");
    row("workers plus sign", argv({"--workers", "+4"}), "--workers", "+4", "must be an integer from 0 to 64");
    row("workers space", argv({"--workers", " 4"}), "--workers", " 4", "must be an integer from 0 to 64");
    row("workers overflow", argv({"--workers", "99999999999999999999999"}), "--workers",
        "99999999999999999999999", "must be an integer from 0 to 64");
    row("workers empty", argv({"--workers", ""}), "--workers", "", "must be an integer from 0 to 64");

    // --config, --log-format, --access-log
    row("config empty", argv({"--config", ""}), "--config", "", "must name a file");
    row("config missing value", argv({"--config"}), "--config", nullptr, "missing value (expected FILE)");
    row("log-format unknown", argv({"--log-format", "xml"}), "--log-format", "xml",
        R"(must be "text" or "json")");
    row("log-format wrong case", argv({"--log-format", "JSON"}), "--log-format", "JSON",
        R"(must be "text" or "json")");
    row("access-log unknown", argv({"--access-log", "maybe"}), "--access-log", "maybe",
        R"(must be "on" or "off")");
    row("access-log true", argv({"--access-log", "true"}), "--access-log", "true",
        R"(must be "on" or "off")");
    row("access-log wrong case", argv({"--access-log", "ON"}), "--access-log", "ON",
        R"(must be "on" or "off")");

    // parser-level problems
    row("unknown long option", argv({"--frobnicate"}), "--frobnicate", nullptr, "unknown option");
    row("unknown short option", argv({"-x"}), "-x", nullptr, "unknown option");
    row("positional argument", argv({"serve"}), "arguments", "serve", "unexpected argument");
    row("value given to a switch", argv({"--demo=yes"}), "--demo", nullptr, "--demo");
}

void TestCommandLine::invalidFlags()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const CommandLineParseResult result = parseCommandLine(arguments);
    const QString mismatch = mismatchOfSingleError(result.errors, field, value, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().value.isNull(), value.isNull());
}

void TestCommandLine::errorTextMatchesReference()
{
    const CommandLineParseResult result = parseCommandLine(argv({"--backend", "http://x:99999"}));
    QCOMPARE(result.errors.size(), 1);
    QCOMPARE(result.errors.constFirst().toString(),
             u"--backend: \"http://x:99999\": port must be 1..65535"_s);
}

void TestCommandLine::flagErrorsAreCollected()
{
    const CommandLineParseResult result = parseCommandLine(
        argv({"--listen",   "nowhere", "--backend",       "http://ok",    "--backend",      "ftp://x",
              "--workers",  "100",     "--log-format",    "xml",          "--access-log",   "yes",
              "--bogus",    "stray",   "--listen",        "127.0.0.1:80", "--strategy",     "x",
              "--hash-key", "y",       "--sticky-cookie", "a b",          "--slow-start",   "-5",
              "--retries",  "20",      "--panic-mode",    "open",         "--health-check", "x"}));
    QCOMPARE(fieldsOf(result.errors),
             (QStringList{u"--bogus"_s, u"arguments"_s, u"--listen"_s, u"--backend"_s, u"--strategy"_s,
                          u"--hash-key"_s, u"--sticky-cookie"_s, u"--slow-start"_s, u"--health-check"_s,
                          u"--panic-mode"_s, u"--retries"_s, u"--workers"_s, u"--log-format"_s,
                          u"--access-log"_s}));
    // The valid flags are still there, for a caller that wants to show what it understood.
    QCOMPARE(result.options.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 80)});
    QCOMPARE(result.options.backends, QList<BackendConfig>{backend(u"backend-1"_s, u"ok"_s, 80)});
}

void TestCommandLine::helpAndVersionSurviveErrors()
{
    const CommandLineParseResult result =
        parseCommandLine(argv({"--workers", "x", "--help", "--version", "--nope"}));
    QVERIFY(!result.ok());
    QVERIFY(result.options.showHelp);
    QVERIFY(result.options.showVersion);
}

void TestCommandLine::helpTextListsEveryFlag()
{
    const QString help = commandLineHelpText();
    QVERIFY(help.startsWith(u"Usage: fulcrumd [options]\n"));
    for (const QString &flag : {u"--listen <ADDR:PORT>"_s,
                                u"--trusted-proxy <CIDR>"_s,
                                u"--backend <URL[,weight=N][,name=NAME][,slow-start=MS][,resolve]>"_s,
                                u"--strategy <NAME>"_s,
                                u"--hash-key <KEY>"_s,
                                u"--sticky-cookie <NAME[,max-age=SECONDS]>"_s,
                                u"--slow-start <MS>"_s,
                                u"--health-check <PATH>"_s,
                                u"--panic-mode <fail-closed|fail-open>"_s,
                                u"--retries <N>"_s,
                                u"--backend-ca <FILE>"_s,
                                u"--backend-tls-no-verify"_s,
                                u"--backend-sni <NAME>"_s,
                                u"--send-proxy <v1|v2>"_s,
                                u"--rate-limit <RATE/s|RATE/m[,burst=N]>"_s,
                                u"--max-connections <N>"_s,
                                u"--max-connections-per-client <N>"_s,
                                u"--workers <N>"_s,
                                u"--config <FILE>"_s,
                                u"--check-config"_s,
                                u"--log-format <text|json>"_s,
                                u"--log-level <LEVEL>"_s,
                                u"--dns-server <ADDR>"_s,
                                u"--dns-interval <MS>"_s,
                                u"--access-log <on|off>"_s,
                                u"--demo"_s,
                                u"-h, --help"_s,
                                u"-v, --version"_s}) {
        QVERIFY2(help.contains(flag), qPrintable(flag));
    }
    for (const QString &line : help.split(u'\n'))
        QVERIFY2(line.size() <= 100, qPrintable(line));
    for (const QString &name : {u"round-robin"_s, u"least-connections"_s, u"power-of-two"_s, u"random"_s,
                                u"consistent-hash"_s, u"client-ip"_s, u"header:NAME"_s, u"cookie:NAME"_s})
        QVERIFY2(help.contains(name), qPrintable(name));
}

void TestCommandLine::versionText()
{
    QCOMPARE(commandLineVersionText(), u"fulcrumd "_s + QLatin1StringView(FULCRUM_VERSION));
}

void TestCommandLine::withoutFileOrFlagsBackendIsRequired()
{
    const ConfigLoadResult result = resolveConfig(CommandLineOptions{});
    const QString mismatch =
        mismatchOfSingleError(result.errors, u"backends"_s, QString(), u"at least one backend is required"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY(result.errors.constFirst().reason.contains(u"--demo"));
}

void TestCommandLine::demoNeedsNoBackend()
{
    CommandLineOptions options;
    options.demo = true;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QVERIFY(result.config.backends.isEmpty());
    QCOMPARE(result.config.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 8080)});
}

void TestCommandLine::flagsAloneGiveDefaults()
{
    const CommandLineParseResult parsed = parseCommandLine(argv({"--backend", "http://127.0.0.1:9001"}));
    QVERIFY(parsed.ok());
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    ProxyConfig expected = ConfigLoader::defaultConfig();
    expected.backends = {backend(u"backend-1"_s, u"127.0.0.1"_s, 9001)};
    QCOMPARE(result.config, expected);
    QCOMPARE(result.config.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 8080)});
}

void TestCommandLine::fileIsUsed()
{
    const QString path = writeConfig(R"({"version": 1, "listen": ["127.0.0.1:7000"], "workers": 2,
        "backends": [{"name": "f1", "url": "http://10.0.0.1:81", "weight": 3}],
        "timeouts": {"drain_ms": 1234}, "log_format": "json", "access_log": false})");
    QVERIFY(!path.isEmpty());
    const CommandLineParseResult parsed = parseCommandLine(argv({"--config", path.toUtf8().constData()}));
    QVERIFY(parsed.ok());
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    ProxyConfig expected = ConfigLoader::defaultConfig();
    expected.listen = {listenOn(u"127.0.0.1"_s, 7000)};
    expected.workers = 2;
    expected.backends = {backend(u"f1"_s, u"10.0.0.1"_s, 81, 3)};
    expected.timeouts.drainMs = 1234;
    expected.logFormat = LogFormat::Json;
    expected.accessLog = false;
    QCOMPARE(result.config, expected);
}

void TestCommandLine::flagsOverrideFile()
{
    const QString path =
        writeConfig(R"({"version": 1, "listen": ["127.0.0.1:7000", "[::1]:7000"], "workers": 2,
        "backends": [{"name": "f1", "url": "http://10.0.0.1"}, {"name": "f2", "url": "http://10.0.0.2"}],
        "timeouts": {"drain_ms": 1234}, "log_format": "json", "access_log": false, "metrics_interval_ms": 500})");
    QVERIFY(!path.isEmpty());
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--config", path.toUtf8().constData(), "--listen", "0.0.0.0:8000", "--backend",
              "http://c1,name=c1", "--workers", "8", "--log-format", "text", "--access-log", "on"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    ProxyConfig expected = ConfigLoader::defaultConfig();
    // A list flag replaces the file's whole list, not one entry of it.
    expected.listen = {listenOn(u"0.0.0.0"_s, 8000)};
    expected.backends = {backend(u"c1"_s, u"c1"_s, 80)};
    expected.workers = 8;
    expected.logFormat = LogFormat::Text;
    expected.accessLog = true;
    // Fields no flag covers stay as the file has them.
    expected.timeouts.drainMs = 1234;
    expected.metricsIntervalMs = 500;
    QCOMPARE(result.config, expected);
}

void TestCommandLine::fileWithoutListenUsesDefault()
{
    const QString path = writeConfig(R"({"version": 1, "backends": [{"url": "http://10.0.0.1"}]})");
    CommandLineOptions options;
    options.configFile = path;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 8080)});
}

void TestCommandLine::fileWithoutBackendsNeedsFlagOrDemo()
{
    const QString path = writeConfig(R"({"version": 1, "workers": 1})");
    CommandLineOptions options;
    options.configFile = path;
    ConfigLoadResult result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), QStringList{u"backends"_s});

    options.demo = true;
    result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    options.demo = false;
    options.backends = {backend(u"flag"_s, u"h"_s, 80)};
    result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.backends, options.backends);
    QCOMPARE(result.config.workers, 1);
}

void TestCommandLine::fileErrorsPropagate()
{
    const QString path = writeConfig(R"({"version": 1, "workers": 100,
        "backends": [{"url": "http://a", "weight": 5000}]})");
    CommandLineOptions options;
    options.configFile = path;
    const ConfigLoadResult result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), (QStringList{u"workers"_s, u"backends[0].weight"_s}));
    QCOMPARE(result.errors.at(1).toString(),
             u"backends[0].weight: \"5000\": must be an integer from 0 to 1000"_s);

    // A flag for the same setting does not hide the file's error: the file is still wrong.
    options.workers = 4;
    QCOMPARE(fieldsOf(resolveConfig(options).errors), (QStringList{u"workers"_s, u"backends[0].weight"_s}));
}

void TestCommandLine::missingFileIsReportedAlone()
{
    CommandLineOptions options;
    options.configFile = m_dir->filePath(u"absent.json"_s);
    const ConfigLoadResult result = resolveConfig(options);
    const QString mismatch = mismatchOfSingleError(result.errors, options.configFile, QString(),
                                                   u"cannot open: No such file or directory"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestCommandLine::balancingFromFile()
{
    const QString path =
        writeConfig(R"({"version": 1, "backends": [{"url": "http://a", "slow_start_ms": 500}],
        "strategy": "consistent-hash", "hash_key": "header:X-Tenant",
        "sticky_cookie": {"name": "srv", "max_age_s": 60}, "slow_start_ms": 10000})");
    CommandLineOptions options;
    options.configFile = path;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const BalancingConfig expected{
        StrategyKind::ConsistentHash, {HashKey::Source::Header, u"X-Tenant"_s}, {u"srv"_s, 60}, 10'000};
    QCOMPARE(result.config.balancing, expected);
    QCOMPARE(result.config.backends, QList<BackendConfig>{backend(u"backend-1"_s, u"a"_s, 80, 1, 500)});
}

void TestCommandLine::balancingFlagsOverrideFile()
{
    const QString path =
        writeConfig(R"({"version": 1, "backends": [{"url": "http://a", "slow_start_ms": 500}],
        "strategy": "consistent-hash", "hash_key": "header:X-Tenant",
        "sticky_cookie": {"name": "srv", "max_age_s": 60}, "slow_start_ms": 10000, "workers": 3})");
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--config", path.toUtf8().constData(), "--hash-key", "cookie:sid", "--sticky-cookie", "lb",
              "--slow-start", "0", "--backend", "http://b,slow-start=7"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    ProxyConfig expected = ConfigLoader::defaultConfig();
    expected.workers = 3;
    expected.backends = {backend(u"backend-1"_s, u"b"_s, 80, 1, 7)};
    expected.balancing.strategy = StrategyKind::ConsistentHash; // from the file: no --strategy
    expected.balancing.hashKey = {HashKey::Source::Cookie, u"sid"_s};
    // The flag replaces the whole cookie: without max-age it is a session cookie again.
    expected.balancing.stickyCookie = {u"lb"_s, 0};
    expected.balancing.slowStartMs = 0;
    QCOMPARE(result.config.balancing, expected.balancing);
    QCOMPARE(result.config, expected);

    // --strategy alone overrides only the strategy.
    const CommandLineParseResult onlyStrategy =
        parseCommandLine(argv({"--config", path.toUtf8().constData(), "--strategy", "consistent-hash"}));
    const ConfigLoadResult kept = resolveConfig(onlyStrategy.options);
    QVERIFY2(kept.ok(), qPrintable(formatConfigErrors(kept.errors)));
    QCOMPARE(
        kept.config.balancing,
        (BalancingConfig{
            StrategyKind::ConsistentHash, {HashKey::Source::Header, u"X-Tenant"_s}, {u"srv"_s, 60}, 10'000}));
}

void TestCommandLine::strategyFlagDropsFileHashKey()
{
    // The file is valid: its key goes with its strategy. Asking for another strategy on the command line
    // replaces both, rather than failing on a key the operator did not give on this command line.
    const QString path = writeConfig(R"({"version": 1, "backends": [{"url": "http://a"}],
        "strategy": "consistent-hash", "hash_key": "path", "sticky_cookie": {"name": "srv"}})");
    CommandLineOptions options;
    options.configFile = path;
    options.strategy = StrategyKind::LeastConnections;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.balancing.strategy, StrategyKind::LeastConnections);
    QCOMPARE(result.config.balancing.hashKey, HashKey{});
    QCOMPARE(result.config.balancing.stickyCookie, (StickyCookie{u"srv"_s, 0}));
}

void TestCommandLine::hashKeyFlagNeedsConsistentHash_data()
{
    QTest::addColumn<QByteArray>("file"); // empty: no --config
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("reason"); // empty: valid

    const QByteArray roundRobinFile = R"({"version": 1, "strategy": "round-robin"})";
    const QByteArray hashFile = R"({"version": 1, "strategy": "consistent-hash"})";
    const QString notHash =
        uR"(only applies to the consistent-hash strategy (the strategy is "round-robin"))"_s;

    QTest::newRow("no file, no strategy")
        << QByteArray() << QStringList{u"--hash-key"_s, u"path"_s} << notHash;
    QTest::newRow("no file, client-ip is still a key")
        << QByteArray() << QStringList{u"--hash-key"_s, u"client-ip"_s} << notHash;
    QTest::newRow("no file, --strategy random")
        << QByteArray() << QStringList{u"--strategy"_s, u"random"_s, u"--hash-key"_s, u"path"_s}
        << uR"(only applies to the consistent-hash strategy (the strategy is "random"))"_s;
    QTest::newRow("no file, --strategy consistent-hash")
        << QByteArray() << QStringList{u"--strategy"_s, u"consistent-hash"_s, u"--hash-key"_s, u"path"_s}
        << QString();
    QTest::newRow("file round-robin") << roundRobinFile << QStringList{u"--hash-key"_s, u"path"_s} << notHash;
    QTest::newRow("file round-robin, --strategy consistent-hash")
        << roundRobinFile << QStringList{u"--strategy"_s, u"consistent-hash"_s, u"--hash-key"_s, u"path"_s}
        << QString();
    QTest::newRow("file consistent-hash") << hashFile << QStringList{u"--hash-key"_s, u"path"_s} << QString();
    QTest::newRow("file consistent-hash, --strategy power-of-two")
        << hashFile << QStringList{u"--strategy"_s, u"power-of-two"_s, u"--hash-key"_s, u"path"_s}
        << uR"(only applies to the consistent-hash strategy (the strategy is "power-of-two"))"_s;
}

void TestCommandLine::hashKeyFlagNeedsConsistentHash()
{
    QFETCH(QByteArray, file);
    QFETCH(QStringList, flags);
    QFETCH(QString, reason);

    QStringList arguments = argv({"--backend", "http://a"}) + flags;
    if (!file.isEmpty())
        arguments << u"--config"_s << writeConfig(file);
    const CommandLineParseResult parsed = parseCommandLine(arguments);
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    if (reason.isEmpty()) {
        QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
        QCOMPARE(result.config.balancing.strategy, StrategyKind::ConsistentHash);
        QCOMPARE(result.config.balancing.hashKey, *parsed.options.hashKey);
        return;
    }
    const QString mismatch = mismatchOfSingleError(result.errors, u"--hash-key"_s,
                                                   flags.at(flags.indexOf(u"--hash-key"_s) + 1), reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().reason, reason);
}

void TestCommandLine::hashKeyFlagWithBrokenFileReportsOnlyTheFile()
{
    // The file's strategy is what is wrong; whether --hash-key applies cannot be told.
    const QString path =
        writeConfig(R"({"version": 1, "backends": [{"url": "http://a"}], "strategy": "hash"})");
    CommandLineOptions options;
    options.configFile = path;
    options.hashKey = HashKey{HashKey::Source::Path, {}};
    ConfigLoadResult result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), QStringList{u"strategy"_s});

    // With --strategy the flags decide on their own.
    options.strategy = StrategyKind::Random;
    result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), (QStringList{u"strategy"_s, u"--hash-key"_s}));
    options.strategy = StrategyKind::ConsistentHash;
    result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), QStringList{u"strategy"_s});
}

void TestCommandLine::resilienceFromFile()
{
    const QString path = writeConfig(R"({"version": 1, "backends": [{"url": "http://a"}],
        "health_check": {"path": "/hz"}, "circuit_breaker": {"max_requests": 9}, "panic_mode": "fail-open",
        "outlier_detection": {"count_5xx": true}, "retries": {"retry_statuses": [503]}})");
    CommandLineOptions options;
    options.configFile = path;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ProxyConfig &c = result.config;
    QVERIFY(c.healthCheck.enabled);
    QCOMPARE(c.healthCheck.path, u"/hz"_s);
    QCOMPARE(c.circuitBreaker.maxRequests, 9);
    QCOMPARE(c.balancing.panicMode, PanicMode::FailOpen);
    QVERIFY(c.outlierDetection.count5xx);
    QCOMPARE(c.retries.retryStatuses, QList<int>{503});
    QCOMPARE(c.backends.constFirst().healthCheck, c.healthCheck);
    QCOMPARE(c.backends.constFirst().circuitBreaker, c.circuitBreaker);
}

void TestCommandLine::healthCheckFlagWithoutFile()
{
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--backend", "http://a", "--backend", "http://b", "--health-check", "/healthz"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    // GET /healthz with every other setting at its default, for every backend.
    HealthCheckConfig expected;
    expected.enabled = true;
    expected.path = u"/healthz"_s;
    QCOMPARE(result.config.healthCheck, expected);
    QCOMPARE(result.config.backends.size(), 2);
    for (const BackendConfig &b : result.config.backends)
        QCOMPARE(b.healthCheck, expected);
}

void TestCommandLine::healthCheckFlagChangesThePoolOnly()
{
    // The flag changes the pool's path and switches it on; a backend's own settings stay on top, as a
    // backend's slow_start_ms stays on top of --slow-start.
    const QString path = writeConfig(R"({"version": 1,
        "health_check": {"enabled": false, "method": "HEAD", "path": "/old", "interval_ms": 5000},
        "circuit_breaker": {"max_connections": 10},
        "backends": [
            {"name": "plain", "url": "http://a"},
            {"name": "own-path", "url": "http://b", "health_check": {"path": "/b"}},
            {"name": "off", "url": "http://c", "health_check": {"enabled": false}},
            {"name": "limited", "url": "http://d", "circuit_breaker": {"max_connections": 2}}]})");
    const CommandLineParseResult parsed =
        parseCommandLine(argv({"--config", path.toUtf8().constData(), "--health-check", "/ping"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    HealthCheckConfig pool;
    pool.enabled = true;
    pool.method = u"HEAD"_s; // the file's other settings still apply
    pool.path = u"/ping"_s;
    pool.intervalMs = 5'000;
    QCOMPARE(result.config.healthCheck, pool);
    const QList<BackendConfig> &backends = result.config.backends;
    QCOMPARE(backends.size(), 4);
    QCOMPARE(backends[0].healthCheck, pool);
    HealthCheckConfig ownPath = pool;
    ownPath.path = u"/b"_s;
    QCOMPARE(backends[1].healthCheck, ownPath);
    HealthCheckConfig off = pool;
    off.enabled = false;
    QCOMPARE(backends[2].healthCheck, off);
    QCOMPARE(backends[3].healthCheck, pool);
    QCOMPARE(backends[0].circuitBreaker, (CircuitBreakerConfig{10, 0, 0}));
    QCOMPARE(backends[3].circuitBreaker, (CircuitBreakerConfig{2, 0, 0}));

    // Without the flag the file's own settings stand.
    CommandLineOptions withoutFlag = parsed.options;
    withoutFlag.healthCheckPath.reset();
    const ConfigLoadResult fileOnly = resolveConfig(withoutFlag);
    QVERIFY2(fileOnly.ok(), qPrintable(formatConfigErrors(fileOnly.errors)));
    QVERIFY(!fileOnly.config.healthCheck.enabled);
    QCOMPARE(fileOnly.config.healthCheck.path, u"/old"_s);
    QVERIFY(!fileOnly.config.backends[0].healthCheck.enabled);
    QVERIFY(fileOnly.config.backends[1].healthCheck.enabled);
    QCOMPARE(fileOnly.config.backends[1].healthCheck.path, u"/b"_s);
}

void TestCommandLine::flagBackendsGetTheFilePoolSettings()
{
    const QString path = writeConfig(R"({"version": 1,
        "health_check": {"path": "/hz", "rise": 4}, "circuit_breaker": {"max_pending_requests": 3},
        "backends": [{"name": "x", "url": "http://a", "health_check": {"enabled": false},
                      "circuit_breaker": {"max_pending_requests": 1}}]})");
    // A --backend named like a file backend does not inherit that backend's settings: the file's list is
    // replaced as a whole.
    const CommandLineParseResult parsed = parseCommandLine(argv(
        {"--config", path.toUtf8().constData(), "--backend", "http://b,name=x", "--backend", "http://c"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    HealthCheckConfig pool;
    pool.enabled = true;
    pool.path = u"/hz"_s;
    pool.rise = 4;
    QCOMPARE(result.config.backends.size(), 2);
    for (const BackendConfig &b : result.config.backends) {
        QCOMPARE(b.healthCheck, pool);
        QCOMPARE(b.circuitBreaker, (CircuitBreakerConfig{0, 3, 0}));
    }
    QVERIFY(result.backendOverrides.isEmpty());

    // The same through withPoolSettings, for backends added later (admin API, demo).
    QCOMPARE(result.config.withPoolSettings(backend(u"y"_s, u"d"_s, 80)).healthCheck, pool);
}

void TestCommandLine::panicModeAndRetriesFlagsOverrideFile()
{
    const QString path = writeConfig(R"({"version": 1, "backends": [{"url": "http://a"}],
        "panic_mode": "fail-open", "retries": {"max_retries": 5, "retry_statuses": [502, 503]}})");
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--config", path.toUtf8().constData(), "--panic-mode", "fail-closed", "--retries", "0"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.balancing.panicMode, PanicMode::FailClosed);
    QCOMPARE(result.config.retries.maxRetries, 0);
    // The rest of the file's retries object stays.
    QCOMPARE(result.config.retries.retryStatuses, (QList<int>{502, 503}));

    CommandLineOptions options;
    options.configFile = path;
    const ConfigLoadResult fileOnly = resolveConfig(options);
    QCOMPARE(fileOnly.config.balancing.panicMode, PanicMode::FailOpen);
    QCOMPARE(fileOnly.config.retries.maxRetries, 5);
}

namespace {

const QByteArray kPoolsFile = R"({"version": 1,
    "pools": [{"name": "api", "backends": [{"url": "http://a"}]}, {"name": "web", "backends": [{"url": "http://b"}]}],
    "routes": [{"match": {"path_prefix": "/api"}, "pool": "api"}, {"pool": "web"}]})";

} // namespace

void TestCommandLine::poolsFileTakesProcessFlags()
{
    const QString path = writeConfig(kPoolsFile);
    const CommandLineParseResult parsed = parseCommandLine(
        argv({"--config", path.toUtf8().constData(), "--listen", "127.0.0.1:0", "--workers", "2",
              "--log-format", "json", "--access-log", "off", "--rate-limit", "20/m,burst=3",
              "--max-connections", "100", "--max-connections-per-client", "4"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const ConfigLoadResult file = ConfigLoader::loadFile(path);
    QCOMPARE(result.config.pools, file.config.pools);
    QCOMPARE(result.config.routes, file.config.routes);
    QCOMPARE(result.config.workers, 2);
    QCOMPARE(result.config.listen, QList<ListenAddress>{listenOn(u"127.0.0.1"_s, 0)});
    // The client limits belong to the listener, not the pools.
    QCOMPARE(result.config.rateLimit, (RateLimitConfig{20, 60'000, 3}));
    QCOMPARE(result.config.limits.maxClientConnections, 100);
    QCOMPARE(result.config.limits.maxConnectionsPerClient, 4);
}

void TestCommandLine::poolsFileRefusesPoolFlags_data()
{
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("reason");

    const QString settingReason =
        u"cannot be combined with a config file that has \"pools\" (set it in the file: "
        u"at the top level for every pool, or in one pool)"_s;
    QTest::newRow("backend")
        << QStringList{u"--backend"_s, u"http://c"_s}
        << u"cannot be combined with a config file that has \"pools\" (give the backends in "
           u"the file's pools)"_s;
    QTest::newRow("strategy") << QStringList{u"--strategy"_s, u"random"_s} << settingReason;
    QTest::newRow("hash-key") << QStringList{u"--hash-key"_s, u"path"_s} << settingReason;
    QTest::newRow("sticky-cookie") << QStringList{u"--sticky-cookie"_s, u"srv"_s} << settingReason;
    QTest::newRow("slow-start") << QStringList{u"--slow-start"_s, u"100"_s} << settingReason;
    QTest::newRow("panic-mode") << QStringList{u"--panic-mode"_s, u"fail-open"_s} << settingReason;
    QTest::newRow("health-check") << QStringList{u"--health-check"_s, u"/hz"_s} << settingReason;
    QTest::newRow("retries") << QStringList{u"--retries"_s, u"0"_s} << settingReason;
}

void TestCommandLine::poolsFileRefusesPoolFlags()
{
    QFETCH(QStringList, flags);
    QFETCH(QString, reason);
    const QString path = writeConfig(kPoolsFile);
    const CommandLineParseResult parsed =
        parseCommandLine(QStringList{u"fulcrumd"_s, u"--config"_s, path} + flags);
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    const QString mismatch = mismatchOfSingleError(result.errors, flags.constFirst(), QString(), reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().reason, reason);
}

void TestCommandLine::poolsFileNeedsABackendInSomePool()
{
    CommandLineOptions options;
    options.configFile = writeConfig(R"({"version": 1, "pools": [{"name": "p", "backends": []}]})");
    ConfigLoadResult result = resolveConfig(options);
    QString mismatch =
        mismatchOfSingleError(result.errors, u"pools"_s, QString(),
                              u"at least one backend is required (every pool's \"backends\" is empty)"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    // --demo's backends would join the top-level pool, which "pools" replaces.
    options.demo = true;
    result = resolveConfig(options);
    mismatch =
        mismatchOfSingleError(result.errors, u"pools"_s, QString(), u"at least one backend is required"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    // One pool with a backend is enough: the others may be filled later (admin API).
    options.demo = false;
    options.configFile = writeConfig(R"({"version": 1,
        "pools": [{"name": "p", "backends": []}, {"name": "q", "backends": [{"url": "http://a"}]}],
        "routes": [{"match": {"path": "/p"}, "pool": "p"}, {"pool": "q"}]})");
    result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.pools[1].backends.constFirst().name, u"q-1"_s);
}

void TestCommandLine::routesWithoutPoolsTakeFlagBackends()
{
    // Routes name the top-level pool "default", so --backend still fills it.
    const QString path = writeConfig(R"({"version": 1, "backends": [{"url": "http://a"}],
        "routes": [{"match": {"path": "/ping"}, "respond": {"body": "pong"}}, {"pool": "default"}]})");
    const CommandLineParseResult parsed = parseCommandLine(argv(
        {"--config", path.toUtf8().constData(), "--backend", "http://b,name=b", "--strategy", "random"}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    const QList<PoolConfig> pools = result.config.effectivePools();
    QCOMPARE(pools.size(), 1);
    QCOMPARE(pools[0].backends, QList<BackendConfig>{backend(u"b"_s, u"b"_s, 80)});
    QCOMPARE(pools[0].balancing.strategy, StrategyKind::Random);
    QCOMPARE(result.config.routes.size(), 2);
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
