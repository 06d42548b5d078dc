// SPDX-License-Identifier: GPL-3.0-or-later
// The TLS settings: listen options (tls, redirect-https, with proxy-protocol), the "tls" block and the
// --tls-cert/--tls-key flags, and how each mistake is named.
#include "ConfigTestHelpers.h"
#include "ConfigTestPrinting.h"
#include "config/CommandLine.h"
#include "config/ConfigLoader.h"
#include "config/ListenReader.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using fulcrum::test::argv;
using fulcrum::test::fieldsOf;
using fulcrum::test::joined;

class TestTlsConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listenOptions_data();
    void listenOptions();
    void listenRejections_data();
    void listenRejections();
    void fileReadsCertificates();
    void fileRejections_data();
    void fileRejections();
    void flagsPairCertificatesWithKeys();
    void flagsNeedAKeyPerCertificate();
    void tlsListenerWithoutCertificate();
};

void TestTlsConfig::listenOptions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<bool>("proxyProtocol");
    QTest::addColumn<int>("redirectPort");
    QTest::newRow("plain") << u"127.0.0.1:80"_s << false << false << 0;
    QTest::newRow("tls") << u"127.0.0.1:443,tls"_s << true << false << 0;
    QTest::newRow("tls behind a proxy") << u"[::1]:443,proxy-protocol,tls"_s << true << true << 0;
    QTest::newRow("redirect") << u"0.0.0.0:80,redirect-https"_s << false << false << 443;
    QTest::newRow("redirect to a port") << u"0.0.0.0:8080,redirect-https=8443"_s << false << false << 8443;
}

void TestTlsConfig::listenOptions()
{
    QFETCH(QString, text);
    QFETCH(bool, tls);
    QFETCH(bool, proxyProtocol);
    QFETCH(int, redirectPort);
    const Parsed<ListenAddress> parsed = parseListenEntry(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error));
    QCOMPARE(parsed.value.tls, tls);
    QCOMPARE(parsed.value.proxyProtocol, proxyProtocol);
    QCOMPARE(int(parsed.value.redirectHttpsPort), redirectPort);
    QCOMPARE(parseListenEntry(parsed.value.entryText()).value, parsed.value);
}

void TestTlsConfig::listenRejections_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("reason");
    QTest::newRow("unknown option") << u"127.0.0.1:80,ssl"_s
                                    << u"expected proxy-protocol, tls or redirect-https"_s;
    QTest::newRow("tls and redirect") << u"127.0.0.1:80,tls,redirect-https"_s << u"exclude each other"_s;
    QTest::newRow("redirect port 0") << u"127.0.0.1:80,redirect-https=0"_s << u"redirect-https port"_s;
    QTest::newRow("redirect port text") << u"127.0.0.1:80,redirect-https=https"_s << u"redirect-https port"_s;
    QTest::newRow("empty option") << u"127.0.0.1:80,"_s << u"unknown listen option"_s;
}

void TestTlsConfig::listenRejections()
{
    QFETCH(QString, text);
    QFETCH(QString, reason);
    const Parsed<ListenAddress> parsed = parseListenEntry(text);
    QVERIFY(!parsed.ok());
    QVERIFY2(parsed.error.contains(reason), qPrintable(parsed.error));
}

void TestTlsConfig::fileReadsCertificates()
{
    const ConfigLoadResult result = ConfigLoader::loadJson(
        R"({"version": 1, "listen": ["127.0.0.1:443,tls", "127.0.0.1:80,redirect-https"],
            "backends": [{"url": "http://127.0.0.1:9000"}],
            "tls": {"certificates": [{"cert": "/etc/fulcrum/a.pem", "key": "/etc/fulcrum/a.key"},
                                     {"cert": "/etc/fulcrum/b.pem", "key": "/etc/fulcrum/b.key"}]}})",
        u"test"_s);
    QVERIFY2(result.ok(), qPrintable(joined(result.errors)));
    const TlsConfig expected{{{u"/etc/fulcrum/a.pem"_s, u"/etc/fulcrum/a.key"_s},
                              {u"/etc/fulcrum/b.pem"_s, u"/etc/fulcrum/b.key"_s}}};
    QCOMPARE(result.config.tls, expected);
    QVERIFY(result.config.listen.at(0).tls);
    QCOMPARE(result.config.listen.at(1).redirectHttpsPort, quint16(443));
}

void TestTlsConfig::fileRejections_data()
{
    QTest::addColumn<QByteArray>("tls");
    QTest::addColumn<QString>("field");
    QTest::newRow("missing key") << QByteArray(R"({"certificates": [{"cert": "a.pem"}]})")
                                 << u"tls.certificates[0].key"_s;
    QTest::newRow("empty cert") << QByteArray(R"({"certificates": [{"cert": " ", "key": "a.key"}]})")
                                << u"tls.certificates[0].cert"_s;
    QTest::newRow("not a list") << QByteArray(R"({"certificates": {"cert": "a.pem", "key": "a.key"}})")
                                << u"tls.certificates"_s;
    QTest::newRow("unknown field") << QByteArray(R"({"certificates": [], "ciphers": "RC4"})")
                                   << u"tls.ciphers"_s;
}

void TestTlsConfig::fileRejections()
{
    QFETCH(QByteArray, tls);
    QFETCH(QString, field);
    const ConfigLoadResult result = ConfigLoader::loadJson(
        R"({"version": 1, "backends": [{"url": "http://127.0.0.1:9000"}], "tls": )" + tls + '}', u"test"_s);
    QCOMPARE(fieldsOf(result.errors), QStringList{field});
}

void TestTlsConfig::flagsPairCertificatesWithKeys()
{
    const CommandLineParseResult parsed = parseCommandLine(
        argv({u"--tls-cert"_s, u"a.pem"_s, u"--tls-key"_s, u"a.key"_s, u"--tls-cert"_s, u"b.pem"_s,
              u"--tls-key"_s, u"b.key"_s, u"--backend"_s, u"http://127.0.0.1:9000"_s}));
    QVERIFY2(parsed.ok(), qPrintable(joined(parsed.errors)));
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QVERIFY2(resolved.ok(), qPrintable(joined(resolved.errors)));
    const TlsConfig expected{{{u"a.pem"_s, u"a.key"_s}, {u"b.pem"_s, u"b.key"_s}}};
    QCOMPARE(resolved.config.tls, expected);
}

void TestTlsConfig::flagsNeedAKeyPerCertificate()
{
    const CommandLineParseResult parsed = parseCommandLine(
        argv({u"--tls-cert"_s, u"a.pem"_s, u"--tls-cert"_s, u"b.pem"_s, u"--tls-key"_s, u"a.key"_s}));
    QCOMPARE(fieldsOf(parsed.errors), QStringList{u"--tls-key"_s});
    QVERIFY2(parsed.errors.constFirst().reason.contains(u"2 certificates, 1 keys"_s),
             qPrintable(joined(parsed.errors)));
}

void TestTlsConfig::tlsListenerWithoutCertificate()
{
    const CommandLineParseResult parsed = parseCommandLine(
        argv({u"--listen"_s, u"127.0.0.1:8443,tls"_s, u"--backend"_s, u"http://127.0.0.1:9000"_s}));
    QVERIFY2(parsed.ok(), qPrintable(joined(parsed.errors)));
    const ConfigLoadResult resolved = resolveConfig(parsed.options);
    QCOMPARE(fieldsOf(resolved.errors), QStringList{u"listen"_s});
    QVERIFY(resolved.errors.constFirst().reason.contains(u"needs a certificate"_s));
}

QTEST_GUILESS_MAIN(TestTlsConfig)
#include "tst_tlsconfig.moc"
