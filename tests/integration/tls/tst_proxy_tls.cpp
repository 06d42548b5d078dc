// SPDX-License-Identifier: GPL-3.0-or-later
// TLS termination end to end: certificates chosen by SNI, TLS 1.2 and 1.3 only, ALPN, sessions resumed
// across workers, certificates reloaded on SIGHUP without dropping open connections, clear errors for
// bad certificate files, plain HTTP on a TLS port, and the redirect from plain HTTP to https.
#include "ProxyTest.h"
#include "TestCertificates.h"
#include "ToolRun.h"

#include <QSslCertificate>
#include <QSslSocket>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
// What an openssl or curl run printed, stdout and stderr together.
QByteArray outputOf(const ToolRun &run)
{
    return (run.out + run.err).toUtf8();
}

QStringList dnsNamesOf(const QSslCertificate &certificate)
{
    return certificate.subjectAlternativeNames().values(QSsl::DnsEntry);
}
} // namespace

class TestProxyTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void requestOverTls();
    void largeResponseOverTls();
    void serverNameChoosesTheCertificate();
    void tls12AndTls13Only();
    void alpnSettlesOnHttp11();
    void sessionsResumeAcrossWorkers();
    void certificatesReloadOnSighupKeepingConnections();
    void plainHttpOnTlsPortIsClosed();
    void badCertificateFilesAreConfigErrors_data();
    void badCertificateFilesAreConfigErrors();
    void tlsListenerNeedsACertificate();
    void plainListenerRedirectsToHttps();

private:
    // fulcrumd with a TLS listener presenting `certificates` (the first is the default) in front of
    // m_backend.
    bool startProxy(const QList<TestCertificates::Issued> &certificates, int workers = 1,
                    const QStringList &extra = {});
    HttpResponse fetchOverTls(const QString &serverName, const QByteArray &request);

    TestCertificates m_authority;
    TestCertificates::Issued m_localhost;
    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyTls::initTestCase()
{
    QVERIFY2(m_authority.isValid(), qPrintable(m_authority.errorString()));
    const auto issued = m_authority.issue(u"localhost"_s, {u"localhost"_s});
    QVERIFY2(issued, qPrintable(m_authority.errorString()));
    m_localhost = *issued;
}

void TestProxyTls::init()
{
    m_backend = std::make_unique<FakeBackend>(u"tls"_s);
    QVERIFY(m_backend->start());
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyTls::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
}

bool TestProxyTls::startProxy(const QList<TestCertificates::Issued> &certificates, int workers,
                              const QStringList &extra)
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--listen"_s << u"127.0.0.1:0,tls"_s << extra;
    for (const TestCertificates::Issued &certificate : certificates)
        args << u"--tls-cert"_s << certificate.certificateFile << u"--tls-key"_s << certificate.keyFile;
    return m_proxy->start(args, workers, false);
}

HttpResponse TestProxyTls::fetchOverTls(const QString &serverName, const QByteArray &request)
{
    RawClient client;
    client.useTls(m_authority.clientConfiguration(), serverName);
    if (!client.connectTo(m_proxy->port())) {
        HttpResponse failed;
        failed.error = client.errorString();
        return failed;
    }
    return client.request(request);
}

void TestProxyTls::requestOverTls()
{
    QVERIFY2(startProxy({m_localhost}), qPrintable(m_proxy->errorString()));
    RawClient client;
    client.useTls(m_authority.clientConfiguration(), u"localhost"_s);
    QVERIFY2(client.connectTo(m_proxy->port()), qPrintable(client.errorString()));
    // Two requests on one connection: keep-alive works through TLS.
    for (int i = 0; i < 2; ++i) {
        const HttpResponse response = client.request(RawClient::get("/hello"));
        QVERIFY2(response.complete, qPrintable(response.describe()));
        QCOMPARE(response.status, 200);
    }
    QCOMPARE(m_backend->requestCount("/hello"), 2);
    // The backend learns that the client spoke https.
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-proto"), QByteArray("https"));
    QCOMPARE(client.tlsSocket()->peerCertificate().subjectInfo(QSslCertificate::CommonName),
             QStringList{u"localhost"_s});
}

void TestProxyTls::largeResponseOverTls()
{
    constexpr qint64 kSize = 4 * 1024 * 1024;
    m_backend->setBehaviour("/large", Behaviour::large(kSize));
    QVERIFY2(startProxy({m_localhost}), qPrintable(m_proxy->errorString()));
    const HttpResponse response = fetchOverTls(u"localhost"_s, RawClient::get("/large"));
    QVERIFY2(response.complete, qPrintable(response.describe()));
    QCOMPARE(response.body.size(), kSize);
    QCOMPARE(response.body, FakeBackend::pattern(kSize));
}

void TestProxyTls::serverNameChoosesTheCertificate()
{
    const auto api = m_authority.issue(u"api"_s, {u"api.example.test"_s});
    const auto wildcard = m_authority.issue(u"wildcard"_s, {u"*.apps.example.test"_s});
    QVERIFY2(api && wildcard, qPrintable(m_authority.errorString()));
    QVERIFY2(startProxy({m_localhost, *wildcard, *api}), qPrintable(m_proxy->errorString()));
    const QList<std::pair<QString, QString>> expected = {
        {u"api.example.test"_s, u"api.example.test"_s},
        {u"shop.apps.example.test"_s, u"*.apps.example.test"_s},
        {u"localhost"_s, u"localhost"_s},
    };
    for (const auto &[serverName, certificateName] : expected) {
        RawClient client;
        client.useTls(m_authority.clientConfiguration(), serverName);
        QVERIFY2(client.connectTo(m_proxy->port()), qPrintable(serverName + u": "_s + client.errorString()));
        QCOMPARE(dnsNamesOf(client.tlsSocket()->peerCertificate()), QStringList{certificateName});
    }
    // A name no certificate is for gets the default one (which the client then refuses to trust for it).
    const ToolRun unknown =
        runTool(u"openssl"_s, {u"s_client"_s, u"-connect"_s, u"127.0.0.1:%1"_s.arg(m_proxy->port()),
                               u"-servername"_s, u"other.example.test"_s});
    QVERIFY2(outputOf(unknown).contains("subject=CN = localhost"), qPrintable(unknown.describe()));
}

void TestProxyTls::tls12AndTls13Only()
{
    QVERIFY2(startProxy({m_localhost}), qPrintable(m_proxy->errorString()));
    for (const QSsl::SslProtocol protocol : {QSsl::TlsV1_2, QSsl::TlsV1_3}) {
        QSslConfiguration configuration = m_authority.clientConfiguration();
        configuration.setProtocol(protocol);
        RawClient client;
        client.useTls(configuration, u"localhost"_s);
        QVERIFY2(client.connectTo(m_proxy->port()), qPrintable(client.errorString()));
        QCOMPARE(client.tlsSocket()->sessionProtocol(), protocol);
    }
    // TLS 1.1 is refused, even from a client willing to go that low.
    const ToolRun old =
        runTool(u"openssl"_s, {u"s_client"_s, u"-connect"_s, u"127.0.0.1:%1"_s.arg(m_proxy->port()),
                               u"-tls1_1"_s, u"-cipher"_s, u"DEFAULT:@SECLEVEL=0"_s});
    QVERIFY(old.finished);
    QVERIFY2(old.exitCode != 0, qPrintable(old.describe()));
    QVERIFY2(!outputOf(old).contains("New, TLSv1.1"), qPrintable(old.describe()));
}

void TestProxyTls::alpnSettlesOnHttp11()
{
    QVERIFY2(startProxy({m_localhost}), qPrintable(m_proxy->errorString()));
    QSslConfiguration configuration = m_authority.clientConfiguration();
    configuration.setAllowedNextProtocols({"h2", "http/1.1"});
    RawClient client;
    client.useTls(configuration, u"localhost"_s);
    QVERIFY2(client.connectTo(m_proxy->port()), qPrintable(client.errorString()));
    QCOMPARE(client.tlsSocket()->sslConfiguration().nextNegotiatedProtocol(), QByteArray("http/1.1"));
    // curl offers h2 first and must end up speaking HTTP/1.1.
    const QString port = QString::number(m_proxy->port());
    const ToolRun curl =
        runTool(u"curl"_s, {u"-sS"_s, u"--http2"_s, u"--cacert"_s, m_authority.caFile(), u"--resolve"_s,
                            u"localhost:"_s + port + u":127.0.0.1"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s,
                            u"%{http_code} %{http_version}"_s, u"https://localhost:"_s + port + u"/curl"_s});
    QVERIFY(curl.finished);
    QCOMPARE(curl.out, u"200 1.1"_s);
}

void TestProxyTls::sessionsResumeAcrossWorkers()
{
    // With two workers the kernel spreads the reconnections over both: a session resumes only if both
    // know the ticket keys.
    QVERIFY2(startProxy({m_localhost}, 2), qPrintable(m_proxy->errorString()));
    const ToolRun tls12 =
        runTool(u"openssl"_s, {u"s_client"_s, u"-connect"_s, u"127.0.0.1:%1"_s.arg(m_proxy->port()),
                               u"-servername"_s, u"localhost"_s, u"-tls1_2"_s, u"-reconnect"_s});
    QVERIFY(tls12.finished);
    // -reconnect connects six times with the first connection's session.
    QCOMPARE(outputOf(tls12).count("Reused, TLSv1.2"), 5);

    // TLS 1.3 tickets arrive after the handshake: a request makes sure they were read before the session is
    // saved.
    const QString sessionFile =
        QDir(QDir::tempPath()).filePath(u"fulcrum-tls13-%1.session"_s.arg(m_proxy->port()));
    const QByteArray request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    const QStringList connect = {u"s_client"_s,    u"-connect"_s,  u"127.0.0.1:%1"_s.arg(m_proxy->port()),
                                 u"-servername"_s, u"localhost"_s, u"-tls1_3"_s,
                                 u"-ign_eof"_s};
    int reused = 0;
    const ToolRun first = runTool(u"openssl"_s, connect + QStringList{u"-sess_out"_s, sessionFile}, request);
    QVERIFY2(outputOf(first).contains("HTTP/1.1 200"), qPrintable(first.describe()));
    for (int i = 0; i < 4; ++i) {
        const ToolRun again =
            runTool(u"openssl"_s, connect + QStringList{u"-sess_in"_s, sessionFile}, request);
        QVERIFY2(outputOf(again).contains("HTTP/1.1 200"), qPrintable(again.describe()));
        reused += outputOf(again).contains("Reused, TLSv1.3") ? 1 : 0;
    }
    QFile::remove(sessionFile);
    QCOMPARE(reused, 4);
}

void TestProxyTls::certificatesReloadOnSighupKeepingConnections()
{
    // The files the proxy is told about stay the same; their content is renewed, as certbot does it.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const TestCertificates::Issued live{dir.filePath(u"live.pem"_s), dir.filePath(u"live.key"_s)};
    const auto install = [&live](const TestCertificates::Issued &from) {
        QFile::remove(live.certificateFile);
        QFile::remove(live.keyFile);
        return QFile::copy(from.certificateFile, live.certificateFile) &&
               QFile::copy(from.keyFile, live.keyFile);
    };
    const auto before = m_authority.issue(u"before"_s, {u"localhost"_s, u"before.example.test"_s});
    const auto after = m_authority.issue(u"after"_s, {u"localhost"_s, u"after.example.test"_s});
    QVERIFY2(before && after, qPrintable(m_authority.errorString()));
    QVERIFY(install(*before));
    QVERIFY2(startProxy({live}), qPrintable(m_proxy->errorString()));

    RawClient open;
    open.useTls(m_authority.clientConfiguration(), u"localhost"_s);
    QVERIFY2(open.connectTo(m_proxy->port()), qPrintable(open.errorString()));
    QVERIFY(dnsNamesOf(open.tlsSocket()->peerCertificate()).contains(u"before.example.test"_s));
    QCOMPARE(open.request(RawClient::get("/first")).status, 200);

    QVERIFY(install(*after));
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"TLS certificates reloaded"_s)),
             m_proxy->standardError().constData());

    RawClient fresh;
    fresh.useTls(m_authority.clientConfiguration(), u"localhost"_s);
    QVERIFY2(fresh.connectTo(m_proxy->port()), qPrintable(fresh.errorString()));
    QVERIFY(dnsNamesOf(fresh.tlsSocket()->peerCertificate()).contains(u"after.example.test"_s));
    // The connection from before the reload was not dropped and still serves requests.
    const HttpResponse second = open.request(RawClient::get("/second"));
    QVERIFY2(second.complete, qPrintable(second.describe()));
    QCOMPARE(second.status, 200);

    // A renewal that went wrong (a key of another certificate) is refused and the loaded ones stay.
    QVERIFY(QFile::remove(live.keyFile));
    QVERIFY(QFile::copy(m_localhost.keyFile, live.keyFile));
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"TLS certificate reload refused.*does not belong"_s)),
             m_proxy->standardError().constData());
    RawClient afterRefusal;
    afterRefusal.useTls(m_authority.clientConfiguration(), u"localhost"_s);
    QVERIFY2(afterRefusal.connectTo(m_proxy->port()), qPrintable(afterRefusal.errorString()));
    QVERIFY(dnsNamesOf(afterRefusal.tlsSocket()->peerCertificate()).contains(u"after.example.test"_s));
}

void TestProxyTls::plainHttpOnTlsPortIsClosed()
{
    QVERIFY2(startProxy({m_localhost}), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send(RawClient::get("/plain")));
    bool closed = false;
    const QByteArray received = client.readUntilClosed(&closed);
    QVERIFY(closed);
    QVERIFY2(!received.startsWith("HTTP/"), received.constData());
    QCOMPARE(m_backend->requestCount("/plain"), 0);
}

void TestProxyTls::badCertificateFilesAreConfigErrors_data()
{
    QTest::addColumn<int>("certificate"); // 0: m_localhost's, 1: another one's, 2: a missing file
    QTest::addColumn<int>("key");
    QTest::addColumn<QString>("expected");
    QTest::newRow("key of another certificate") << 0 << 1 << u"does not belong to the certificate"_s;
    QTest::newRow("missing certificate") << 2 << 0 << u"tls\\.certificates\\[0\\]\\.cert: .*cannot read"_s;
    QTest::newRow("missing key") << 0 << 2 << u"tls\\.certificates\\[0\\]\\.key: .*cannot read"_s;
    QTest::newRow("key given as certificate") << 1 << 1 << u"not a PEM certificate chain"_s;
}

void TestProxyTls::badCertificateFilesAreConfigErrors()
{
    QFETCH(int, certificate);
    QFETCH(int, key);
    QFETCH(QString, expected);
    const auto other = m_authority.issue(u"other"_s, {u"other.example.test"_s});
    QVERIFY(other);
    const QString missing = QDir(QDir::tempPath()).filePath(u"fulcrum-no-such-file.pem"_s);
    const QStringList certificates = {m_localhost.certificateFile, other->keyFile, missing};
    const QStringList keys = {m_localhost.keyFile, other->keyFile, missing};
    for (const QString &mode : {u"--check-config"_s, u"run"_s}) {
        QStringList args = {u"--listen"_s,           u"127.0.0.1:0,tls"_s, u"--backend"_s,
                            u"http://127.0.0.1:9"_s, u"--tls-cert"_s,      certificates.at(certificate),
                            u"--tls-key"_s,          keys.at(key)};
        if (mode != u"run")
            args.prepend(mode);
        const FulcrumProcess::Result result = FulcrumProcess::run(args);
        QVERIFY(result.finished);
        QVERIFY(result.exitCode != 0);
        QVERIFY2(QString::fromUtf8(result.standardError).contains(QRegularExpression(expected)),
                 result.standardError.constData());
    }
}

void TestProxyTls::tlsListenerNeedsACertificate()
{
    const FulcrumProcess::Result result = FulcrumProcess::run(
        {u"--check-config"_s, u"--listen"_s, u"127.0.0.1:0,tls"_s, u"--backend"_s, u"http://127.0.0.1:9"_s});
    QVERIFY(result.finished);
    QVERIFY(result.exitCode != 0);
    QVERIFY2(result.standardError.contains("a tls listener needs a certificate"),
             result.standardError.constData());
}

void TestProxyTls::plainListenerRedirectsToHttps()
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--listen"_s << u"127.0.0.1:0,redirect-https=8443"_s;
    QVERIFY2(m_proxy->start(args, 1, false), qPrintable(m_proxy->errorString()));
    const HttpResponse get =
        fetch(m_proxy->port(), RawClient::get("/shop/cart?item=7", {{"Host", "Shop.Example.test:8080"}}));
    QCOMPARE(get.status, 308);
    QCOMPARE(get.header("location"), QByteArray("https://shop.example.test:8443/shop/cart?item=7"));
    // A POST is redirected too (308 keeps it a POST), and never reaches a backend.
    const HttpResponse post =
        fetch(m_proxy->port(),
              RawClient::buildRequest("POST", "/order", {{"Host", "shop.example.test"}}, "item=7"));
    QCOMPARE(post.status, 308);
    QCOMPARE(post.header("location"), QByteArray("https://shop.example.test:8443/order"));
    QCOMPARE(m_backend->requestCount("/shop/cart?item=7") + m_backend->requestCount("/order"), 0);
    const HttpResponse noHost = fetch(m_proxy->port(), "GET / HTTP/1.0\r\n\r\n");
    QCOMPARE(noHost.status, 400);
}

QTEST_GUILESS_MAIN(TestProxyTls)
#include "tst_proxy_tls.moc"
