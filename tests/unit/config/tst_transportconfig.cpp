// SPDX-License-Identifier: GPL-3.0-or-later
// How connections to backends are configured: https:// URLs, the "backend_tls" object and "send_proxy" at the
// top level and in pools, their command-line flags, and their errors.
#include "config/CommandLine.h"
#include "config/ConfigLoader.h"
#include "config/ConfigValues.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;

namespace {
// A self-signed CA certificate, valid until 2126.
constexpr QByteArrayView kCaPem = "-----BEGIN CERTIFICATE-----\n"
                                  "MIIBljCCATugAwIBAgIUH3ctQxonSFtgwuz5AABuOBC6i5cwCgYIKoZIzj0EAwIw\n"
                                  "HzEdMBsGA1UEAwwURnVsY3J1bSB1bml0IHRlc3QgQ0EwIBcNMjYxMTI1MTAyMDA1\n"
                                  "WhgPMjEyNjExMDExMDIwMDVaMB8xHTAbBgNVBAMMFEZ1bGNydW0gdW5pdCB0ZXN0\n"
                                  "IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5qQmHn7Uylc47ihVx29cVdC0\n"
                                  "E6KVnAxmQip/+JIdp4tukg2tREpL4QRwe+hVDhhgpFcGZhVANIt2q1SSh+uwpaNT\n"
                                  "MFEwHQYDVR0OBBYEFI8+RcN1VD5mqOBf1qhdzFbkYreLMB8GA1UdIwQYMBaAFI8+\n"
                                  "RcN1VD5mqOBf1qhdzFbkYreLMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID\n"
                                  "SQAwRgIhAMbDyOT95jAsbeuNZ79qumIRMC/9HLzNhwhEIEE95NKCAiEAxkKfSlHQ\n"
                                  "ll2KFWX9/7UolgSjKD+l2ps8dQ78yIc9PdQ=\n"
                                  "-----END CERTIFICATE-----\n";

QStringList argv(const QStringList &flags)
{
    return QStringList{u"fulcrumd"_s} + flags;
}

QString errorsOf(const ConfigLoadResult &result)
{
    return formatConfigErrors(result.errors);
}
} // namespace

class TestTransportConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void httpsUrls();
    void poolsInheritAndOverrideTransport();
    void invalidTransportFields_data();
    void invalidTransportFields();
    void flagsSetTheTopLevelPool();
    void flagErrorsNameTheFlag();
    void flagsAreRefusedWithPools();

private:
    QTemporaryDir m_dir;
    QString m_caPath;
};

void TestTransportConfig::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_caPath = m_dir.filePath(u"ca.pem"_s);
    QFile file(m_caPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(kCaPem.data(), kCaPem.size());
}

void TestTransportConfig::httpsUrls()
{
    const Parsed<BackendEndpoint> plain = parseBackendUrl(u"https://api.internal"_s);
    QVERIFY2(plain.ok(), qPrintable(plain.error));
    QVERIFY(plain.value.https);
    QCOMPARE(plain.value.port, quint16(443));
    const Parsed<BackendEndpoint> withPort = parseBackendUrl(u"HTTPS://[::1]:8443/"_s);
    QVERIFY2(withPort.ok(), qPrintable(withPort.error));
    QCOMPARE(withPort.value.port, quint16(8443));
    QVERIFY(!parseBackendUrl(u"http://a"_s).value.https);

    BackendConfig backend;
    applyEndpoint(backend, plain.value);
    QCOMPARE(backend.url(), u"https://api.internal:443"_s);
    const Parsed<BackendEndpoint> again = parseBackendUrl(backend.url());
    QVERIFY(again.ok() && again.value.https && again.value.port == 443);
}

void TestTransportConfig::poolsInheritAndOverrideTransport()
{
    // Not a raw string: moc would read the URLs' "//" as a comment.
    const QByteArray json =
        QStringLiteral("{\"version\": 1,"
                       " \"backend_tls\": {\"ca_file\": \"%1\", \"server_name\": \"api.internal\"},"
                       " \"send_proxy\": \"v2\","
                       " \"pools\": ["
                       "  {\"name\": \"inherits\", \"backends\": [{\"url\": \"https://10.0.0.1\"}]},"
                       "  {\"name\": \"own\", \"backend_tls\": {\"verify\": false}, \"send_proxy\": \"off\","
                       "   \"backends\": [{\"url\": \"https://10.0.0.2\"}, {\"url\": \"http://10.0.0.3\"}]}],"
                       " \"routes\": [{\"pool\": \"inherits\"}]}")
            .arg(m_caPath)
            .toUtf8();
    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    QVERIFY2(result.ok(), qPrintable(errorsOf(result)));
    const QList<PoolConfig> &pools = result.config.pools;
    QCOMPARE(pools.size(), 2);

    const BackendConfig &inherited = pools.at(0).backends.at(0);
    QVERIFY(inherited.https);
    QCOMPARE(inherited.transport.sendProxy, SendProxy::V2);
    QCOMPARE(inherited.transport.tls.caFile, m_caPath);
    QCOMPARE(inherited.transport.tls.caCertificates.size(), 1);
    QVERIFY(inherited.transport.tls.verify);
    QCOMPARE(inherited.transport.tls.serverName, u"api.internal"_s);

    // A pool's backend_tls is merged field by field over the top level's.
    const BackendConfig &own = pools.at(1).backends.at(0);
    QCOMPARE(own.transport.sendProxy, SendProxy::Off);
    QVERIFY(!own.transport.tls.verify);
    QCOMPARE(own.transport.tls.caFile, m_caPath);
    QCOMPARE(own.transport.tls.serverName, u"api.internal"_s);
    QVERIFY(!pools.at(1).backends.at(1).https);

    // A backend the admin API adds to a pool gets the pool's transport too.
    BackendConfig added;
    added.name = u"added"_s;
    QCOMPARE(result.config.withPoolSettings(added, u"own"_s).transport, own.transport);
}

void TestTransportConfig::invalidTransportFields_data()
{
    QTest::addColumn<QString>("fields");
    QTest::addColumn<QString>("expected");
    const QString missing = m_dir.filePath(u"missing.pem"_s);
    QTest::addRow("ca file missing") << uR"("backend_tls": {"ca_file": "%1"})"_s.arg(missing)
                                     << uR"(backend_tls.ca_file: "%1": cannot open)"_s.arg(missing);
    QTest::addRow("ca file is a directory")
        << uR"("backend_tls": {"ca_file": "%1"})"_s.arg(m_dir.path())
        << u"backend_tls.ca_file: \"%1\": cannot read: is a directory"_s.arg(m_dir.path());
    QTest::addRow("ca file empty name")
        << uR"("backend_tls": {"ca_file": ""})"_s << uR"(backend_tls.ca_file: "": must name a file)"_s;
    QTest::addRow("verify not a boolean")
        << uR"("backend_tls": {"verify": "no"})"_s << u"backend_tls.verify"_s;
    QTest::addRow("server name an address")
        << uR"("backend_tls": {"server_name": "10.0.0.1"})"_s
        << uR"(backend_tls.server_name: "10.0.0.1": must be a host name)"_s;
    QTest::addRow("unknown tls field") << uR"("backend_tls": {"ca": "x"})"_s << u"backend_tls.ca"_s;
    QTest::addRow("send_proxy v3") << uR"("send_proxy": "v3")"_s
                                   << uR"(send_proxy: "v3": must be "v1", "v2" or "off")"_s;
}

void TestTransportConfig::invalidTransportFields()
{
    QFETCH(QString, fields);
    QFETCH(QString, expected);
    const ConfigLoadResult result = ConfigLoader::loadJson(
        (u"{\"version\": 1, \"backends\": [{\"url\": \"https://a\"}], "_s + fields + u'}').toUtf8());
    QVERIFY(!result.ok());
    QVERIFY2(errorsOf(result).contains(expected), qPrintable(errorsOf(result)));
}

void TestTransportConfig::flagsSetTheTopLevelPool()
{
    const CommandLineParseResult parsed = parseCommandLine(argv(
        {u"--backend"_s, u"https://a.internal"_s, u"--backend-ca"_s, m_caPath, u"--backend-tls-no-verify"_s,
         u"--backend-sni"_s, u"b.internal"_s, u"--send-proxy"_s, u"v1"_s}));
    QVERIFY2(parsed.ok(), qPrintable(formatConfigErrors(parsed.errors)));
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(result.ok(), qPrintable(errorsOf(result)));
    const BackendConfig &backend = result.config.backends.at(0);
    QVERIFY(backend.https);
    QCOMPARE(backend.port, quint16(443));
    QCOMPARE(backend.transport.tls.caCertificates.size(), 1);
    QVERIFY(!backend.transport.tls.verify);
    QCOMPARE(backend.transport.tls.serverName, u"b.internal"_s);
    QCOMPARE(backend.transport.sendProxy, SendProxy::V1);
    QCOMPARE(result.config.effectivePools().at(0).transport, backend.transport);
}

void TestTransportConfig::flagErrorsNameTheFlag()
{
    const QString missing = m_dir.filePath(u"missing.pem"_s);
    const CommandLineParseResult parsed = parseCommandLine(
        argv({u"--backend-ca"_s, missing, u"--send-proxy"_s, u"v3"_s, u"--backend-sni"_s, u"bad name"_s}));
    const QString errors = formatConfigErrors(parsed.errors);
    QVERIFY2(errors.contains(uR"(--backend-ca: "%1": cannot open)"_s.arg(missing)), qPrintable(errors));
    QVERIFY2(errors.contains(uR"(--send-proxy: "v3": must be "v1", "v2" or "off")"_s), qPrintable(errors));
    QVERIFY2(errors.contains(uR"(--backend-sni: "bad name": must be a host name)"_s), qPrintable(errors));
}

void TestTransportConfig::flagsAreRefusedWithPools()
{
    QFile file(m_dir.filePath(u"pools.json"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"version\": 1, \"pools\": [{\"name\": \"p\", \"backends\": [{\"url\": \"http://a\"}]}]}");
    file.close();
    const CommandLineParseResult parsed =
        parseCommandLine(argv({u"--config"_s, file.fileName(), u"--send-proxy"_s, u"v2"_s}));
    QVERIFY(parsed.ok());
    const ConfigLoadResult result = resolveConfig(parsed.options);
    QVERIFY2(errorsOf(result).contains(
                 u"--send-proxy: cannot be combined with a config file that has \"pools\""_s),
             qPrintable(errorsOf(result)));
}

QTEST_GUILESS_MAIN(TestTransportConfig)
#include "tst_transportconfig.moc"
