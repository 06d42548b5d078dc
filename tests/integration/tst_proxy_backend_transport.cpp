// SPDX-License-Identifier: GPL-3.0-or-later
// How fulcrumd connects to backends: TLS to https:// backends (CA verification, SNI, verification off,
// keep-alive reuse, health checks over TLS, unusable CA files) and the PROXY protocol sent to backends
// (v1 and v2, the resolved client, connections kept per client, health checks' LOCAL header).
#include "ProxyTest.h"
#include "TestCertificates.h"
#include "TransportBackend.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
constexpr int kWaitMs = 10'000;

// Where fulcrumd connects for a URL naming localhost: the first address it resolves to, as fulcrumd takes.
QHostAddress localhostAddress()
{
    return QHostInfo::fromName(u"localhost"_s).addresses().value(0, QHostAddress(QHostAddress::LocalHost));
}

// The resident memory of a process, from /proc; -1 when it cannot be read.
qint64 residentBytes(qint64 pid)
{
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}
} // namespace

class TestProxyBackendTransport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void trustedCaVerifiesTheBackend();
    void hostNameIsSentAsServerName();
    void poolTlsBlockSetsCaAndServerName();
    void untrustedCertificateIs502();
    void verificationOffWorksAndWarns();
    void keepAliveReusesTheTlsConnection();
    void slowClientHoldsBackTheTlsBackend();
    void healthChecksSpeakTls();
    void unusableCaFileIsAConfigError();

    void sendProxyV1NamesTheClient();
    void sendProxyV2NamesTheClient();
    void sendProxyNamesTheForwardedClient();
    void sendProxyConnectionsAreNotShared();
    void sendProxyComesBeforeTls();
    void healthChecksSendLocalProxyHeaders();

private:
    bool startProxyWithConfig(const QJsonObject &config);
    QString tlsUrl(const QString &host = u"127.0.0.1"_s) const;
    QString plainUrl() const;
    HttpResponse get(const QByteArray &path = "/",
                     const QList<std::pair<QByteArray, QByteArray>> &headers = {});

    TestCertificates m_authority;
    QString m_caPath;
    QString m_notCertificatePath; // a PEM file that holds a key and no certificate
    QSslCertificate m_serverCertificate;
    QSslKey m_serverKey;
    std::unique_ptr<TransportBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
    std::unique_ptr<ConfigFile> m_config;
};

void TestProxyBackendTransport::initTestCase()
{
    QVERIFY2(m_authority.isValid(), qPrintable(m_authority.errorString()));
    // Backends are reached as https://127.0.0.1 and as https://localhost: the certificate names both.
    const auto issued = m_authority.issue(u"server"_s, {u"localhost"_s, u"127.0.0.1"_s});
    QVERIFY2(issued, qPrintable(m_authority.errorString()));
    m_caPath = m_authority.caFile();
    m_serverCertificate = QSslCertificate::fromPath(issued->certificateFile, QSsl::Pem).value(0);
    QFile key(issued->keyFile);
    QVERIFY(key.open(QIODevice::ReadOnly));
    m_serverKey = QSslKey(&key, QSsl::Ec, QSsl::Pem);
    m_notCertificatePath = issued->keyFile;
    QVERIFY(!m_serverCertificate.isNull());
    QVERIFY(!m_serverKey.isNull());
}

void TestProxyBackendTransport::init()
{
    m_backend = std::make_unique<TransportBackend>();
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyBackendTransport::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
    m_config.reset();
}

bool TestProxyBackendTransport::startProxyWithConfig(const QJsonObject &config)
{
    m_config = std::make_unique<ConfigFile>();
    return m_config->write(config) && m_proxy->start({u"--config"_s, m_config->path()});
}

QString TestProxyBackendTransport::tlsUrl(const QString &host) const
{
    return u"https://%1:%2,name=secure"_s.arg(host).arg(m_backend->serverPort());
}

QString TestProxyBackendTransport::plainUrl() const
{
    return u"http://127.0.0.1:%1,name=plain"_s.arg(m_backend->serverPort());
}

HttpResponse TestProxyBackendTransport::get(const QByteArray &path,
                                            const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    return fetch(m_proxy->port(), RawClient::get(path, headers));
}

void TestProxyBackendTransport::trustedCaVerifiesTheBackend()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(), u"--backend-ca"_s, m_caPath}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "ok"_ba);
    QCOMPARE(m_backend->connections().size(), qsizetype(1));
    QVERIFY(m_backend->connections().at(0).encrypted);
    // An address is verified against the certificate's IP entry and never sent as a server name.
    QCOMPARE(m_backend->connections().at(0).serverName, QByteArray());
}

void TestProxyBackendTransport::hostNameIsSentAsServerName()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start(localhostAddress()));
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(u"localhost"_s), u"--backend-ca"_s, m_caPath}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->connections().at(0).serverName, "localhost"_ba);
    const HttpResponse second = get();
    QVERIFY2(second.complete && second.status == 200, qPrintable(second.describe()));
}

void TestProxyBackendTransport::poolTlsBlockSetsCaAndServerName()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start());
    const QJsonObject pool{
        {u"name"_s, u"secure-pool"_s},
        {u"backend_tls"_s, QJsonObject{{u"ca_file"_s, m_caPath}, {u"server_name"_s, u"localhost"_s}}},
        {u"backends"_s,
         QJsonArray{QJsonObject{{u"url"_s, u"https://127.0.0.1:%1"_s.arg(m_backend->serverPort())}}}}};
    QVERIFY2(startProxyWithConfig(QJsonObject{{u"version"_s, 1},
                                              {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
                                              {u"pools"_s, QJsonArray{pool}}}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->connections().at(0).serverName, "localhost"_ba);
}

void TestProxyBackendTransport::untrustedCertificateIs502()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(), u"--retries"_s, u"0"_s}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get();
    QVERIFY2(r.complete && r.status == 502, qPrintable(r.describe()));
    QCOMPARE(m_backend->requestCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->failedHandshakes(), 1, kWaitMs);
    QVERIFY2(r.body.contains("could not connect to backend secure (TLS handshake failed: ") &&
                 r.body.contains("certificate"),
             r.body.constData());
    // The access log keeps the reason.
    QVERIFY(m_proxy->waitForOutputLines(1));
    QVERIFY2(m_proxy->outputLines().at(0).contains("TLS handshake failed"),
             m_proxy->outputLines().at(0).constData());
}

void TestProxyBackendTransport::verificationOffWorksAndWarns()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(), u"--backend-tls-no-verify"_s}),
             qPrintable(m_proxy->errorString()));
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"pool default: certificates of https backends are NOT "
                                                      u"verified"_s)),
             m_proxy->standardError().constData());
    const HttpResponse r = get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(m_backend->connections().at(0).encrypted);
}

void TestProxyBackendTransport::keepAliveReusesTheTlsConnection()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(), u"--backend-ca"_s, m_caPath}),
             qPrintable(m_proxy->errorString()));
    for (int i = 0; i < 3; ++i) {
        const HttpResponse r = get("/again");
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(m_backend->requestCount(), 3);
    QCOMPARE(m_backend->connections().size(), qsizetype(1)); // one handshake for all three
}

void TestProxyBackendTransport::slowClientHoldsBackTheTlsBackend()
{
    // Far more than the kernel buffers between the backend and the client hold, so only back-pressure
    // through fulcrumd keeps it out of fulcrumd's memory.
    constexpr qint64 kBodyBytes = 64 * 1024 * 1024;
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory in quarantine, so resident memory also counts what was buffered
    // and released; still well short of the 64 MiB that no back-pressure would buffer.
    constexpr qint64 kMaxGrowthBytes = 48 * 1024 * 1024;
#else
    constexpr qint64 kMaxGrowthBytes = 24 * 1024 * 1024;
#endif
    m_backend->setTls(m_serverCertificate, m_serverKey);
    m_backend->setLargeBodySize(kBodyBytes);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(), u"--backend-ca"_s, m_caPath}),
             qPrintable(m_proxy->errorString()));
    const qint64 residentBefore = residentBytes(m_proxy->pid());
    QVERIFY(residentBefore > 0);

    // A client that reads at most 64 KiB and then nothing.
    QTcpSocket client;
    client.setReadBufferSize(64 * 1024);
    client.connectToHost(QHostAddress::LocalHost, m_proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    client.write(RawClient::get("/large"));
    QTRY_VERIFY_WITH_TIMEOUT(m_backend->connections().value(0).largeBodyBytesWritten > 0, kWaitMs);
    // The backend must stall well short of the whole body: a bounded wait for something that must not happen.
    QVERIFY2(
        !QTest::qWaitFor(
            [this] { return m_backend->connections().value(0).largeBodyBytesWritten >= kBodyBytes; }, 3000),
        "the backend sent the whole body to a client that reads nothing");
    const qint64 growth = residentBytes(m_proxy->pid()) - residentBefore;
    QVERIFY2(growth < kMaxGrowthBytes, qPrintable(u"fulcrumd grew by %1 bytes"_s.arg(growth)));

    // Reading resumes the flow to the end.
    client.setReadBufferSize(0);
    qint64 received = 0;
    QTRY_VERIFY_WITH_TIMEOUT((received += client.readAll().size()) >= kBodyBytes, 60'000);
    QCOMPARE(m_backend->connections().value(0).largeBodyBytesWritten, kBodyBytes);
}

void TestProxyBackendTransport::healthChecksSpeakTls()
{
    m_backend->setTls(m_serverCertificate, m_serverKey);
    m_backend->setHealthStatus(503);
    QVERIFY(m_backend->start(localhostAddress()));
    const QJsonObject check{{u"path"_s, u"/health"_s},
                            {u"interval_ms"_s, 500},
                            {u"timeout_ms"_s, 400},
                            {u"rise"_s, 1},
                            {u"fall"_s, 1},
                            {u"jitter_percent"_s, 0}};
    const QJsonObject backend{{u"name"_s, u"secure"_s},
                              {u"url"_s, u"https://localhost:%1"_s.arg(m_backend->serverPort())}};
    QVERIFY2(startProxyWithConfig(QJsonObject{{u"version"_s, 1},
                                              {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
                                              {u"backend_tls"_s, QJsonObject{{u"ca_file"_s, m_caPath}}},
                                              {u"health_check"_s, check},
                                              {u"backends"_s, QJsonArray{backend}}}),
             qPrintable(m_proxy->errorString()));
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"backend secure: \\w+ up -> down"_s)),
             m_proxy->standardError().constData());
    m_backend->setHealthStatus(200);
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"backend secure: \\w+ down -> up"_s)),
             m_proxy->standardError().constData());
    const TransportConnection &probe = m_backend->connections().at(0);
    QVERIFY(probe.encrypted);
    QCOMPARE(probe.serverName, "localhost"_ba);
    QVERIFY(probe.requestLines.value(0).startsWith("GET /health "));
}

void TestProxyBackendTransport::unusableCaFileIsAConfigError()
{
    const QString missing = QFileInfo(m_caPath).dir().filePath(u"missing.pem"_s);
    const FulcrumProcess::Result flag = FulcrumProcess::run(
        {u"--check-config"_s, u"--backend"_s, u"https://127.0.0.1:9"_s, u"--backend-ca"_s, missing});
    QVERIFY(flag.finished);
    QVERIFY(flag.exitCode != 0);
    QVERIFY2(flag.standardError.contains("--backend-ca") && flag.standardError.contains(missing.toUtf8()),
             flag.standardError.constData());

    const QString notPem = m_notCertificatePath;
    ConfigFile config;
    QVERIFY(config.write(QJsonObject{
        {u"version"_s, 1},
        {u"pools"_s, QJsonArray{QJsonObject{
                         {u"name"_s, u"p"_s},
                         {u"backend_tls"_s, QJsonObject{{u"ca_file"_s, notPem}}},
                         {u"backends"_s, QJsonArray{QJsonObject{{u"url"_s, u"https://127.0.0.1:9"_s}}}}}}}}));
    const FulcrumProcess::Result file = FulcrumProcess::run({u"--config"_s, config.path()});
    QVERIFY(file.finished);
    QVERIFY(file.exitCode != 0);
    QVERIFY2(file.standardError.contains("pools[0].backend_tls.ca_file") &&
                 file.standardError.contains(notPem.toUtf8()) &&
                 file.standardError.contains("no PEM or DER certificate"),
             file.standardError.constData());
}

void TestProxyBackendTransport::sendProxyV1NamesTheClient()
{
    m_backend->setExpectProxyHeader(true);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, plainUrl(), u"--send-proxy"_s, u"v1"_s}),
             qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/v1"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const TransportConnection &seen = m_backend->connections().at(0);
    QVERIFY(seen.source.has_value());
    QCOMPARE(*seen.source, QHostAddress(u"127.0.0.1"_s));
    QVERIFY(seen.sourcePort != 0);
    // The destination is the listener the client connected to.
    QVERIFY2(seen.proxyHeader.startsWith("PROXY TCP4 127.0.0.1 127.0.0.1 ") &&
                 seen.proxyHeader.endsWith(QByteArray(" " + QByteArray::number(m_proxy->port()) + "\r\n")),
             seen.proxyHeader.constData());
    QCOMPARE(seen.requestLines.value(0), "GET /v1 HTTP/1.1"_ba);
}

void TestProxyBackendTransport::sendProxyV2NamesTheClient()
{
    m_backend->setExpectProxyHeader(true);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, plainUrl(), u"--send-proxy"_s, u"v2"_s}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get("/v2");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const TransportConnection &seen = m_backend->connections().at(0);
    QVERIFY(seen.proxyHeader.startsWith(QByteArray("\r\n\r\n\0\r\nQUIT\n\x21\x11", 14)));
    QVERIFY(seen.source.has_value());
    QCOMPARE(*seen.source, QHostAddress(u"127.0.0.1"_s));
    const quint16 destinationPort = static_cast<quint16>(static_cast<quint8>(seen.proxyHeader.at(26)) << 8 |
                                                         static_cast<quint8>(seen.proxyHeader.at(27)));
    QCOMPARE(destinationPort, m_proxy->port());
    QCOMPARE(seen.requestLines.value(0), "GET /v2 HTTP/1.1"_ba);
}

void TestProxyBackendTransport::sendProxyNamesTheForwardedClient()
{
    m_backend->setExpectProxyHeader(true);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, plainUrl(), u"--send-proxy"_s, u"v1"_s, u"--trusted-proxy"_s,
                             u"127.0.0.1/32"_s}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get("/", {{"X-Forwarded-For", "203.0.113.9"}});
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const TransportConnection &seen = m_backend->connections().at(0);
    QVERIFY(seen.source.has_value());
    QCOMPARE(*seen.source, QHostAddress(u"203.0.113.9"_s));
    QCOMPARE(seen.sourcePort, quint16(0)); // X-Forwarded-For names no port
}

void TestProxyBackendTransport::sendProxyConnectionsAreNotShared()
{
    m_backend->setExpectProxyHeader(true);
    QVERIFY(m_backend->start());
    QVERIFY2(m_proxy->start({u"--backend"_s, plainUrl(), u"--send-proxy"_s, u"v2"_s, u"--trusted-proxy"_s,
                             u"127.0.0.1/32"_s}),
             qPrintable(m_proxy->errorString()));
    // Each request on a new client connection: only the forwarded client tells them apart.
    for (const QByteArray &client :
         {"203.0.113.1"_ba, "203.0.113.2"_ba, "203.0.113.1"_ba, "203.0.113.2"_ba}) {
        const HttpResponse r = get("/", {{"X-Forwarded-For", client}});
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    const QList<TransportConnection> &seen = m_backend->connections();
    QCOMPARE(seen.size(), qsizetype(2));
    QCOMPARE(*seen.at(0).source, QHostAddress(u"203.0.113.1"_s));
    QCOMPARE(*seen.at(1).source, QHostAddress(u"203.0.113.2"_s));
    QCOMPARE(seen.at(0).requestLines.size(), qsizetype(2));
    QCOMPARE(seen.at(1).requestLines.size(), qsizetype(2));

    // Two direct clients differ by port: each gets its own connection, kept for its next request.
    RawClient first;
    RawClient second;
    QVERIFY(first.connectTo(m_proxy->port()));
    QVERIFY(second.connectTo(m_proxy->port()));
    for (RawClient *client : {&first, &second, &first}) {
        const HttpResponse r = client->request(RawClient::get("/direct"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QCOMPARE(m_backend->connections().size(), qsizetype(4));
    QCOMPARE(m_backend->connections().at(2).requestLines.size(), qsizetype(2));
    QCOMPARE(m_backend->connections().at(3).requestLines.size(), qsizetype(1));
}

void TestProxyBackendTransport::sendProxyComesBeforeTls()
{
    m_backend->setExpectProxyHeader(true);
    m_backend->setTls(m_serverCertificate, m_serverKey);
    QVERIFY(m_backend->start(localhostAddress()));
    QVERIFY2(m_proxy->start({u"--backend"_s, tlsUrl(u"localhost"_s), u"--backend-ca"_s, m_caPath,
                             u"--send-proxy"_s, u"v1"_s}),
             qPrintable(m_proxy->errorString()));
    const HttpResponse r = get("/both");
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    const TransportConnection &seen = m_backend->connections().at(0);
    QVERIFY(seen.proxyHeader.startsWith("PROXY TCP4 127.0.0.1 "));
    QCOMPARE(seen.serverName, "localhost"_ba);
    QVERIFY(seen.encrypted);
    QCOMPARE(seen.requestLines.value(0), "GET /both HTTP/1.1"_ba);
}

void TestProxyBackendTransport::healthChecksSendLocalProxyHeaders()
{
    m_backend->setExpectProxyHeader(true);
    QVERIFY(m_backend->start());
    const QJsonObject check{{u"path"_s, u"/health"_s}, {u"interval_ms"_s, 500}, {u"timeout_ms"_s, 400}};
    const QJsonObject backend{{u"name"_s, u"plain"_s},
                              {u"url"_s, u"http://127.0.0.1:%1"_s.arg(m_backend->serverPort())}};
    QVERIFY2(startProxyWithConfig(QJsonObject{{u"version"_s, 1},
                                              {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
                                              {u"send_proxy"_s, u"v2"_s},
                                              {u"health_check"_s, check},
                                              {u"backends"_s, QJsonArray{backend}}}),
             qPrintable(m_proxy->errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(m_backend->requestCount() > 0, kWaitMs);
    const TransportConnection &probe = m_backend->connections().at(0);
    QVERIFY(probe.proxyHeader.startsWith(QByteArray("\r\n\r\n\0\r\nQUIT\n\x20\x00", 14))); // LOCAL, no family
    QVERIFY(!probe.source.has_value());
    QVERIFY(probe.requestLines.value(0).startsWith("GET /health "));
}

QTEST_GUILESS_MAIN(TestProxyBackendTransport)
#include "tst_proxy_backend_transport.moc"
