// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestPrinting.h"
#include "config/CommandLine.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace Qt::StringLiterals;
using namespace fulcrum;

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

BackendConfig backend(const QString &name, const QString &host, quint16 port, int weight = 1)
{
    BackendConfig b;
    b.name = name;
    b.host = host;
    b.port = port;
    b.weight = weight;
    return b;
}

ListenAddress listenOn(const QString &address, quint16 port)
{
    return {QHostAddress(address), port};
}

QStringList fieldsOf(const QList<ConfigError> &errors)
{
    QStringList fields;
    for (const ConfigError &e : errors)
        fields.append(e.field);
    return fields;
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
    const QString path = m_dir->filePath(u"fulcrum.json"_s);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(json) != json.size())
        return {};
    return path;
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
    QTest::newRow("workers 0") << argv({"--workers", "0"})
                               << OptionsEdit([](CommandLineOptions &o) { o.workers = 0; });
    QTest::newRow("workers 64") << argv({"--workers=64"})
                                << OptionsEdit([](CommandLineOptions &o) { o.workers = 64; });
    QTest::newRow("workers last wins") << argv({"--workers", "2", "--workers", "3"})
                                       << OptionsEdit([](CommandLineOptions &o) { o.workers = 3; });
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
    QTest::newRow("everything") << argv({"--config", "f.json", "--listen", "127.0.0.1:0", "--backend",
                                         "http://h", "--workers", "4", "--log-format", "json", "--access-log",
                                         "off", "--demo", "--check-config"})
                                << OptionsEdit([](CommandLineOptions &o) {
                                       o.configFile = u"f.json"_s;
                                       o.listen = {listenOn(u"127.0.0.1"_s, 0)};
                                       o.backends = {backend(u"backend-1"_s, u"h"_s, 80)};
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
    row("backend https", argv({"--backend", "https://x"}), "--backend", "https://x",
        "https backends are not supported");
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
        "missing value (expected URL[,weight=N][,name=NAME])");

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
        argv({"--listen", "nowhere", "--backend", "http://ok", "--backend", "ftp://x", "--workers", "100",
              "--log-format", "xml", "--access-log", "yes", "--bogus", "stray", "--listen", "127.0.0.1:80"}));
    QCOMPARE(fieldsOf(result.errors),
             (QStringList{u"--bogus"_s, u"arguments"_s, u"--listen"_s, u"--backend"_s, u"--workers"_s,
                          u"--log-format"_s, u"--access-log"_s}));
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
    for (const QString &flag :
         {u"--listen <ADDR:PORT>"_s, u"--backend <URL[,weight=N][,name=NAME]>"_s, u"--workers <N>"_s,
          u"--config <FILE>"_s, u"--check-config"_s, u"--log-format <text|json>"_s,
          u"--access-log <on|off>"_s, u"--demo"_s, u"-h, --help"_s, u"-v, --version"_s}) {
        QVERIFY2(help.contains(flag), qPrintable(flag));
    }
    for (const QString &line : help.split(u'\n'))
        QVERIFY2(line.size() <= 100, qPrintable(line));
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

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
