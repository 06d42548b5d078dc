// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigTestHelpers.h"
#include "ConfigTestPrinting.h"
#include "config/AdminResolution.h"
#include "config/CommandLine.h"
#include "config/ConfigLoader.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using fulcrum::test::argv;
using fulcrum::test::fieldsOf;
using fulcrum::test::listenOn;

using ConfigEdit = std::function<void(ProxyConfig &)>;
Q_DECLARE_METATYPE(ConfigEdit)

namespace {

constexpr const char *kTokenVariable = "FULCRUM_ADMIN_TOKEN";

QByteArray doc(const char *members)
{
    return QByteArray(R"({"version": 1, "backends": [{"url": "http://127.0.0.1:9001"}], )") + members + '}';
}

AdminConfig adminOn(const QString &address, quint16 port)
{
    AdminConfig admin;
    admin.listen = listenOn(address, port);
    return admin;
}

} // namespace

// The settings for what fulcrumd does beside proxying: "admin", "state_file", "snapshots" and their flags,
// and how the admin API's listener and token are resolved.
class TestOperationsConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void fileFields_data();
    void fileFields();
    void invalidFileFields_data();
    void invalidFileFields();
    void validFlags();
    void invalidFlags_data();
    void invalidFlags();
    void helpTextListsTheFlags();
    void flagsOverrideFile();
    void fileKeepsWhatNoFlagSays();
    void snapshotFlagsNeedADirectory();
    void snapshotFlagsTakeTheFileDirectory();

    void adminIsOffByDefault();
    void tokenFromFileIsTrimmed();
    void tokenFileErrors_data();
    void tokenFileErrors();
    void tokenFileFlagIsNamedInErrors();
    void tokenFromEnvironment();
    void emptyEnvironmentTokenIsIgnored();
    void tokenFileBeatsEnvironment();
    void tokenWithWhiteSpaceIsRefused();
    void environmentReachesResolveConfig();
    void tokenIsNotReadWhileAdminIsOff();
    void loopbackNeedsNoToken_data();
    void loopbackNeedsNoToken();
    void otherAddressesNeedAToken();
    void otherAddressesNeedATokenFromFlag();
    void otherAddressWithTokenIsAccepted();
    void demoTurnsAdminOn();
    void demoKeepsTheGivenListener();
    void demoGeneratesAToken();
    void demoUsesTheGivenToken();

private:
    QString writeFile(const QString &name, const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
    QByteArray m_savedToken;
};

void TestOperationsConfig::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_savedToken = qgetenv(kTokenVariable);
    qunsetenv(kTokenVariable);
}

void TestOperationsConfig::cleanup()
{
    if (m_savedToken.isNull())
        qunsetenv(kTokenVariable);
    else
        qputenv(kTokenVariable, m_savedToken);
}

QString TestOperationsConfig::writeFile(const QString &name, const QByteArray &content)
{
    return fulcrum::test::writeFileIn(*m_dir, name, content);
}

void TestOperationsConfig::fileFields_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ConfigEdit>("edit");

    QTest::newRow("admin listen") << doc(R"("admin": {"listen": "127.0.0.1:9901"})")
                                  << ConfigEdit([](ProxyConfig &c) {
                                         c.admin.listen = listenOn(u"127.0.0.1"_s, 9901);
                                     });
    QTest::newRow("admin listen ipv6 port 0")
        << doc(R"("admin": {"listen": "[::1]:0"})")
        << ConfigEdit([](ProxyConfig &c) { c.admin.listen = listenOn(u"::1"_s, 0); });
    QTest::newRow("admin token file alone")
        << doc(R"("admin": {"token_file": "/etc/fulcrum/admin-token"})")
        << ConfigEdit([](ProxyConfig &c) { c.admin.tokenFile = u"/etc/fulcrum/admin-token"_s; });
    QTest::newRow("admin empty") << doc(R"("admin": {})") << ConfigEdit([](ProxyConfig &) {});
    QTest::newRow("state file") << doc(R"("state_file": "/var/lib/fulcrum/state.json")")
                                << ConfigEdit([](ProxyConfig &c) {
                                       c.stateFile = u"/var/lib/fulcrum/state.json"_s;
                                   });
    QTest::newRow("snapshots every field")
        << doc(R"("snapshots": {"dir": "/var/lib/fulcrum", "every_seconds": 86400,
                                "formats": ["prom", "csv", "json"]})")
        << ConfigEdit([](ProxyConfig &c) {
               c.snapshotFiles.dir = u"/var/lib/fulcrum"_s;
               c.snapshotFiles.everySeconds = 86'400;
               c.snapshotFiles.formats = {SnapshotFormat::Prometheus, SnapshotFormat::Csv,
                                          SnapshotFormat::Json};
           });
    QTest::newRow("snapshots dir alone")
        << doc(R"("snapshots": {"dir": "snaps"})")
        << ConfigEdit([](ProxyConfig &c) { c.snapshotFiles.dir = u"snaps"_s; });
}

void TestOperationsConfig::fileFields()
{
    QFETCH(QByteArray, json);
    QFETCH(ConfigEdit, edit);

    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    ProxyConfig expected = ConfigLoader::loadJson(doc(R"("workers": 0)")).config;
    edit(expected);
    QCOMPARE(result.config, expected);
}

void TestOperationsConfig::invalidFileFields_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value"); // null: no value shown
    QTest::addColumn<QString>("reason");

    const auto row = [](const char *name, const char *members, const char *field, const char *value,
                        const char *reason) {
        QTest::newRow(name) << doc(members) << QString::fromUtf8(field)
                            << (value ? QString::fromUtf8(value) : QString()) << QString::fromUtf8(reason);
    };
    row("admin not an object", R"("admin": "127.0.0.1:9901")", "admin", "127.0.0.1:9901",
        "must be an object");
    row("admin listen without port", R"("admin": {"listen": "127.0.0.1"})", "admin.listen", "127.0.0.1",
        "missing port");
    row("admin listen host name", R"("admin": {"listen": "example.com:9901"})", "admin.listen",
        "example.com:9901", "must be an IP address or localhost");
    row("admin listen number", R"("admin": {"listen": 9901})", "admin.listen", "9901", "must be a string");
    row("admin token file empty", R"("admin": {"token_file": ""})", "admin.token_file", "",
        "must name a file");
    row("admin unknown field", R"("admin": {"token": "x"})", "admin.token", nullptr, "unknown field");
    row("state file empty", R"("state_file": "")", "state_file", "", "must name a file");
    row("state file not a string", R"("state_file": true)", "state_file", "true", "must be a string");
    row("snapshots not an object", R"("snapshots": "/tmp")", "snapshots", "/tmp", "must be an object");
    row("snapshots without dir", R"("snapshots": {"every_seconds": 60})", "snapshots.dir", nullptr,
        "is required");
    row("snapshots dir empty", R"("snapshots": {"dir": ""})", "snapshots.dir", "", "must name a directory");
    row("snapshots every zero", R"("snapshots": {"dir": "d", "every_seconds": 0})", "snapshots.every_seconds",
        "0", "must be an integer from 1 to 86400");
    row("snapshots every too big", R"("snapshots": {"dir": "d", "every_seconds": 86401})",
        "snapshots.every_seconds", "86401", "must be an integer from 1 to 86400");
    row("snapshots formats as text", R"("snapshots": {"dir": "d", "formats": "json,csv"})",
        "snapshots.formats", "json,csv", "must be an array");
    row("snapshots formats empty", R"("snapshots": {"dir": "d", "formats": []})", "snapshots.formats", "[]",
        "must list at least one format");
    row("snapshots format unknown", R"("snapshots": {"dir": "d", "formats": ["json", "xml"]})",
        "snapshots.formats[1]", "xml", R"(must be "json", "csv" or "prom")");
    row("snapshots format twice", R"("snapshots": {"dir": "d", "formats": ["csv", "csv"]})",
        "snapshots.formats[1]", "csv", "duplicate format");
    row("snapshots unknown field", R"("snapshots": {"dir": "d", "every": 5})", "snapshots.every", nullptr,
        "unknown field");
}

void TestOperationsConfig::invalidFileFields()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    const QString mismatch = mismatchOfSingleError(result.errors, field, value, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(result.errors.constFirst().value.isNull(), value.isNull());
}

void TestOperationsConfig::validFlags()
{
    const CommandLineParseResult result = parseCommandLine(
        argv({u"--admin"_s, u"127.0.0.1:0"_s, u"--admin=[::1]:9901"_s, u"--admin-token-file"_s,
              u"/run/token"_s, u"-state-file"_s, u"/var/lib/fulcrum/state.json"_s}));
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    // A repeated single-valued flag takes its last value.
    QCOMPARE(result.options.adminListen, std::optional<ListenAddress>(listenOn(u"::1"_s, 9901)));
    QCOMPARE(result.options.adminTokenFile, u"/run/token"_s);
    QCOMPARE(result.options.stateFile, u"/var/lib/fulcrum/state.json"_s);
}

void TestOperationsConfig::invalidFlags_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("reason");

    QTest::newRow("admin bad address") << argv({u"--admin"_s, u"nowhere:1"_s}) << u"--admin"_s
                                       << u"nowhere:1"_s << u"must be an IP address or localhost"_s;
    QTest::newRow("admin missing value")
        << argv({u"--admin"_s}) << u"--admin"_s << QString() << u"missing value (expected ADDR:PORT)"_s;
    QTest::newRow("admin token file empty")
        << argv({u"--admin-token-file="_s}) << u"--admin-token-file"_s << u""_s << u"must name a file"_s;
    QTest::newRow("state file empty")
        << argv({u"--state-file"_s, u""_s}) << u"--state-file"_s << u""_s << u"must name a file"_s;
    QTest::newRow("state file missing value")
        << argv({u"--state-file"_s}) << u"--state-file"_s << QString() << u"missing value (expected FILE)"_s;
}

void TestOperationsConfig::invalidFlags()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, reason);

    const CommandLineParseResult result = parseCommandLine(arguments);
    const QString mismatch = mismatchOfSingleError(result.errors, field, value, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestOperationsConfig::helpTextListsTheFlags()
{
    const QString help = commandLineHelpText();
    for (const QString &flag : {u"--admin <ADDR:PORT>"_s, u"--admin-token-file <FILE>"_s,
                                u"--state-file <FILE>"_s, u"--snapshot-dir <DIR>"_s})
        QVERIFY2(help.contains(flag), qPrintable(flag));
    QVERIFY(help.contains(u"FULCRUM_ADMIN_TOKEN"_s));
    for (const QString &line : help.split(u'\n'))
        QVERIFY2(line.size() <= 100, qPrintable(line));
}

void TestOperationsConfig::flagsOverrideFile()
{
    const QString token = writeFile(u"token"_s, "file-token\n");
    const QString flagToken = writeFile(u"flag-token"_s, "flag-token");
    const QString path = writeFile(
        u"fulcrum.json"_s,
        doc(qPrintable(
            uR"("admin": {"listen": "127.0.0.1:9901", "token_file": "%1"}, "state_file": "/a/state.json",
            "snapshots": {"dir": "/a", "every_seconds": 10, "formats": ["csv"]})"_s.arg(token))));
    const CommandLineParseResult parsed = parseCommandLine(
        argv({u"--config"_s, path, u"--admin"_s, u"127.0.0.2:9902"_s, u"--admin-token-file"_s, flagToken,
              u"--state-file"_s, u"/b/state.json"_s, u"--snapshot-dir"_s, u"/b"_s, u"--snapshot-every"_s,
              u"20"_s, u"--snapshot-format"_s, u"prom,json"_s}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    QCOMPARE(result.config.admin.listen, std::optional<ListenAddress>(listenOn(u"127.0.0.2"_s, 9902)));
    QCOMPARE(result.config.admin.tokenFile, flagToken);
    QCOMPARE(result.config.admin.token, "flag-token");
    QCOMPARE(result.config.stateFile, u"/b/state.json"_s);
    QCOMPARE(result.config.snapshotFiles.dir, u"/b"_s);
    QCOMPARE(result.config.snapshotFiles.everySeconds, 20);
    QCOMPARE(result.config.snapshotFiles.formats,
             (QList<SnapshotFormat>{SnapshotFormat::Prometheus, SnapshotFormat::Json}));
}

void TestOperationsConfig::fileKeepsWhatNoFlagSays()
{
    const QString token = writeFile(u"token"_s, "  file-token  ");
    const QString path = writeFile(
        u"fulcrum.json"_s,
        doc(qPrintable(
            uR"("admin": {"listen": "127.0.0.1:9901", "token_file": "%1"}, "state_file": "/a/state.json",
            "snapshots": {"dir": "/a", "every_seconds": 10, "formats": ["csv"]})"_s.arg(token))));
    const CommandLineParseResult parsed =
        parseCommandLine(argv({u"--config"_s, path, u"--snapshot-every"_s, u"30"_s}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));

    QCOMPARE(result.config.admin.listen, std::optional<ListenAddress>(listenOn(u"127.0.0.1"_s, 9901)));
    QCOMPARE(result.config.admin.token, "file-token");
    QCOMPARE(result.config.stateFile, u"/a/state.json"_s);
    QCOMPARE(result.config.snapshotFiles.dir, u"/a"_s);
    QCOMPARE(result.config.snapshotFiles.everySeconds, 30);
    QCOMPARE(result.config.snapshotFiles.formats, QList<SnapshotFormat>{SnapshotFormat::Csv});
}

void TestOperationsConfig::snapshotFlagsNeedADirectory()
{
    CommandLineOptions options;
    options.demo = true;
    options.snapshotEverySeconds = 5;
    options.snapshotFormats = QList<SnapshotFormat>{SnapshotFormat::Csv};
    const ConfigLoadResult result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), (QStringList{u"--snapshot-every"_s, u"--snapshot-format"_s}));
    QVERIFY(result.errors.constFirst().value.isNull());
    QVERIFY(result.errors.constFirst().reason.startsWith(u"needs --snapshot-dir"));
}

void TestOperationsConfig::snapshotFlagsTakeTheFileDirectory()
{
    const QString path = writeFile(u"fulcrum.json"_s, doc(R"("snapshots": {"dir": "/from-file"})"));
    CommandLineOptions options;
    options.configFile = path;
    options.snapshotEverySeconds = 5;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.snapshotFiles.dir, u"/from-file"_s);
    QCOMPARE(result.config.snapshotFiles.everySeconds, 5);
}

void TestOperationsConfig::adminIsOffByDefault()
{
    CommandLineOptions options;
    options.backends = {BackendConfig{}};
    options.backends[0].name = u"b"_s;
    options.backends[0].host = u"127.0.0.1"_s;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.admin, AdminConfig{});
    QVERIFY(!result.config.admin.enabled());
    QVERIFY(result.config.stateFile.isEmpty());
}

void TestOperationsConfig::tokenFromFileIsTrimmed()
{
    AdminConfig admin = adminOn(u"127.0.0.1"_s, 9901);
    admin.tokenFile = writeFile(u"token"_s, "\n\t s3cr3t-T0ken_~+/= \r\n");
    QList<ConfigError> errors;
    resolveAdmin(admin, false, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QCOMPARE(admin.token, "s3cr3t-T0ken_~+/=");
    QVERIFY(!admin.generatedToken);
}

void TestOperationsConfig::tokenFileErrors_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content"); // null: the file is not created
    QTest::addColumn<QString>("reason");

    QTest::newRow("missing") << u"absent"_s << QByteArray() << u"cannot open: No such file or directory"_s;
    QTest::newRow("empty") << u"token"_s << QByteArray("") << u"is empty"_s;
    QTest::newRow("only white space") << u"token"_s << QByteArray(" \n\t\n") << u"is empty"_s;
    QTest::newRow("a directory") << u"."_s << QByteArray() << u"cannot read: is a directory"_s;
}

void TestOperationsConfig::tokenFileErrors()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);

    AdminConfig admin = adminOn(u"127.0.0.1"_s, 9901);
    admin.tokenFile = content.isNull() ? m_dir->filePath(file) : writeFile(file, content);
    QList<ConfigError> errors;
    // Neither the environment nor --demo stands in for a token file that was named but is unusable.
    resolveAdmin(admin, true, "from-environment", {}, errors);
    const QString mismatch = mismatchOfSingleError(errors, u"admin.token_file"_s, admin.tokenFile, reason);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY(admin.token.isEmpty());
}

void TestOperationsConfig::tokenFileFlagIsNamedInErrors()
{
    CommandLineOptions options;
    options.demo = true;
    options.adminTokenFile = m_dir->filePath(u"absent"_s);
    const ConfigLoadResult result = resolveConfig(options);
    const QString mismatch = mismatchOfSingleError(result.errors, u"--admin-token-file"_s,
                                                   options.adminTokenFile, u"cannot open"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestOperationsConfig::tokenFromEnvironment()
{
    AdminConfig admin = adminOn(u"0.0.0.0"_s, 9901);
    QList<ConfigError> errors;
    resolveAdmin(admin, false, " env-token\n", {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QCOMPARE(admin.token, "env-token");
}

void TestOperationsConfig::emptyEnvironmentTokenIsIgnored()
{
    AdminConfig admin = adminOn(u"127.0.0.1"_s, 9901);
    QList<ConfigError> errors;
    resolveAdmin(admin, false, " ", {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QVERIFY(admin.token.isEmpty());
    QVERIFY(!admin.generatedToken);
}

void TestOperationsConfig::tokenFileBeatsEnvironment()
{
    AdminConfig admin = adminOn(u"127.0.0.1"_s, 9901);
    admin.tokenFile = writeFile(u"token"_s, "from-file");
    QList<ConfigError> errors;
    resolveAdmin(admin, false, "from-environment", {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QCOMPARE(admin.token, "from-file");
}

void TestOperationsConfig::tokenWithWhiteSpaceIsRefused()
{
    AdminConfig admin = adminOn(u"127.0.0.1"_s, 9901);
    admin.tokenFile = writeFile(u"token"_s, "two words\n");
    QList<ConfigError> errors;
    resolveAdmin(admin, false, {}, {}, errors);
    QString mismatch =
        mismatchOfSingleError(errors, u"admin.token_file"_s, admin.tokenFile, u"white space"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    admin = adminOn(u"127.0.0.1"_s, 9901);
    errors.clear();
    resolveAdmin(admin, false, "line\none", {}, errors);
    mismatch = mismatchOfSingleError(errors, u"FULCRUM_ADMIN_TOKEN"_s, QString(), u"white space"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestOperationsConfig::environmentReachesResolveConfig()
{
    qputenv(kTokenVariable, "env-token");
    CommandLineOptions options;
    options.demo = true;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.admin.token, "env-token");
    QVERIFY(!result.config.admin.generatedToken);
}

void TestOperationsConfig::tokenIsNotReadWhileAdminIsOff()
{
    AdminConfig admin;
    admin.tokenFile = m_dir->filePath(u"absent"_s);
    QList<ConfigError> errors;
    resolveAdmin(admin, false, "env-token", {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QVERIFY(!admin.enabled());
    QVERIFY(admin.token.isEmpty());
}

void TestOperationsConfig::loopbackNeedsNoToken_data()
{
    QTest::addColumn<QString>("address");
    QTest::newRow("127.0.0.1") << u"127.0.0.1:9901"_s;
    QTest::newRow("127.0.0.0/8") << u"127.45.6.7:9901"_s;
    QTest::newRow("localhost") << u"localhost:9901"_s;
    QTest::newRow("::1") << u"[::1]:9901"_s;
}

void TestOperationsConfig::loopbackNeedsNoToken()
{
    QFETCH(QString, address);
    const CommandLineParseResult parsed = parseCommandLine(argv({u"--demo"_s, u"--admin"_s, address}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    AdminConfig admin;
    admin.listen = parsed.options.adminListen;
    QVERIFY(isLoopback(*admin.listen));
    QList<ConfigError> errors;
    resolveAdmin(admin, false, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QVERIFY(admin.token.isEmpty());
}

void TestOperationsConfig::otherAddressesNeedAToken()
{
    for (const QString &address : {u"0.0.0.0"_s, u"10.1.2.3"_s, u"::"_s, u"128.0.0.1"_s}) {
        AdminConfig admin = adminOn(address, 9901);
        QVERIFY(!isLoopback(*admin.listen));
        QList<ConfigError> errors;
        resolveAdmin(admin, false, {}, {}, errors);
        const QString mismatch =
            mismatchOfSingleError(errors, u"admin.listen"_s, admin.listen->toString(), u"needs a token"_s);
        QVERIFY2(mismatch.isEmpty(), qPrintable(address + u": " + mismatch));
        QVERIFY(errors.constFirst().reason.contains(u"admin.token_file"));
        QVERIFY(errors.constFirst().reason.contains(u"FULCRUM_ADMIN_TOKEN"));
    }
}

void TestOperationsConfig::otherAddressesNeedATokenFromFlag()
{
    const QString path = writeFile(u"fulcrum.json"_s, doc(R"("admin": {"listen": "0.0.0.0:9901"})"));
    CommandLineOptions options;
    options.configFile = path;
    ConfigLoadResult result = resolveConfig(options);
    QCOMPARE(fieldsOf(result.errors), QStringList{u"admin.listen"_s});

    options.adminListen = listenOn(u"0.0.0.0"_s, 9902);
    result = resolveConfig(options);
    const QString mismatch =
        mismatchOfSingleError(result.errors, u"--admin"_s, u"0.0.0.0:9902"_s, u"needs a token"_s);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
}

void TestOperationsConfig::otherAddressWithTokenIsAccepted()
{
    AdminConfig admin = adminOn(u"0.0.0.0"_s, 9901);
    admin.tokenFile = writeFile(u"token"_s, "abc");
    QList<ConfigError> errors;
    resolveAdmin(admin, false, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QCOMPARE(admin.token, "abc");
}

void TestOperationsConfig::demoTurnsAdminOn()
{
    CommandLineOptions options;
    options.demo = true;
    const ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.admin.listen, std::optional<ListenAddress>(listenOn(u"127.0.0.1"_s, 9901)));
    QCOMPARE(defaultDemoAdminAddress(), listenOn(u"127.0.0.1"_s, 9901));
}

void TestOperationsConfig::demoKeepsTheGivenListener()
{
    const QString path = writeFile(u"fulcrum.json"_s, doc(R"("admin": {"listen": "127.0.0.1:0"})"));
    CommandLineOptions options;
    options.demo = true;
    options.configFile = path;
    ConfigLoadResult result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.admin.listen, std::optional<ListenAddress>(listenOn(u"127.0.0.1"_s, 0)));

    options.adminListen = listenOn(u"::1"_s, 7000);
    result = resolveConfig(options);
    QVERIFY2(result.ok(), qPrintable(formatConfigErrors(result.errors)));
    QCOMPARE(result.config.admin.listen, std::optional<ListenAddress>(listenOn(u"::1"_s, 7000)));
}

void TestOperationsConfig::demoGeneratesAToken()
{
    AdminConfig first;
    AdminConfig second;
    QList<ConfigError> errors;
    resolveAdmin(first, true, {}, {}, errors);
    resolveAdmin(second, true, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QVERIFY(first.generatedToken);
    static const QRegularExpression hex32(u"^[0-9a-f]{32}$"_s);
    QVERIFY2(hex32.match(QString::fromLatin1(first.token)).hasMatch(), first.token.constData());
    QVERIFY(first.token != second.token);
    // Even beyond loopback: the made-up token protects it.
    AdminConfig wide = adminOn(u"0.0.0.0"_s, 9901);
    resolveAdmin(wide, true, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QVERIFY(wide.generatedToken);
}

void TestOperationsConfig::demoUsesTheGivenToken()
{
    AdminConfig admin;
    admin.tokenFile = writeFile(u"token"_s, "given");
    QList<ConfigError> errors;
    resolveAdmin(admin, true, {}, {}, errors);
    QVERIFY2(errors.isEmpty(), qPrintable(formatConfigErrors(errors)));
    QCOMPARE(admin.token, "given");
    QVERIFY(!admin.generatedToken);
}

QTEST_GUILESS_MAIN(TestOperationsConfig)
#include "tst_operationsconfig.moc"
