// SPDX-License-Identifier: GPL-3.0-or-later
// The per-client rate limit and the connection limits, seen from clients of the real fulcrumd.
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <memory>
#include <vector>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
const QHostAddress kOtherClient(u"127.0.0.2"_s);
} // namespace

class TestClientLimits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void burstThenTooManyRequests();
    void addressesAreLimitedApart();
    void rateLimitIsSharedByWorkers();
    void listenerConnectionLimit();
    void perClientConnectionLimit();
    void countsInMetrics();
    void pathRuleLimitsItsPathsOnly();

private:
    bool startProxy(const QStringList &arguments, int workers = 1);
    // A connection that has had one request answered, so the proxy has surely taken it on.
    std::unique_ptr<RawClient> servedClient(const QHostAddress &source = {});
    // Polls until a new connection is served again, once a place came free.
    bool servedWithin(int timeoutMs);
    // The proxy closes a refused connection without writing a byte.
    bool isRefused(const QHostAddress &source = {});
    QJsonObject listenerMetrics();

    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestClientLimits::init()
{
    m_backend = std::make_unique<FakeBackend>(u"limited"_s);
    QVERIFY(m_backend->start());
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestClientLimits::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
}

bool TestClientLimits::startProxy(const QStringList &arguments, int workers)
{
    const QStringList all =
        QStringList{u"--backend"_s, m_backend->backendFlag(), u"--admin"_s, u"127.0.0.1:0"_s} + arguments;
    if (!m_proxy->start(all, workers)) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return true;
}

std::unique_ptr<RawClient> TestClientLimits::servedClient(const QHostAddress &source)
{
    auto client = std::make_unique<RawClient>();
    client->setSourceAddress(source);
    if (!client->connectTo(m_proxy->port()))
        return nullptr;
    const HttpResponse response = client->request(RawClient::get("/"));
    if (!response.complete || response.status != 200)
        return nullptr;
    return client;
}

bool TestClientLimits::servedWithin(int timeoutMs)
{
    constexpr int kPollMs = 50;
    const QDeadlineTimer deadline(timeoutMs);
    while (servedClient() == nullptr) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(kPollMs);
    }
    return true;
}

bool TestClientLimits::isRefused(const QHostAddress &source)
{
    RawClient client;
    client.setSourceAddress(source);
    if (!client.connectTo(m_proxy->port()))
        return true; // the kernel may already report the close as a failed connect
    bool closed = false;
    const QByteArray bytes = client.readUntilClosed(&closed, 5'000);
    return closed && bytes.isEmpty();
}

QJsonObject TestClientLimits::listenerMetrics()
{
    const HttpResponse response = fetch(m_proxy->adminPort(), RawClient::get("/api/v1/snapshot"));
    return QJsonDocument::fromJson(response.body).object().value(u"listener"_s).toObject();
}

// burst=5 at 1 per minute: no token comes back during the test, so the count is exact.
void TestClientLimits::burstThenTooManyRequests()
{
    QVERIFY(startProxy({u"--rate-limit"_s, u"1/m,burst=5"_s}));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < 5; ++i) {
        const HttpResponse ok = client.request(RawClient::get("/"));
        QVERIFY2(ok.complete && ok.status == 200, qPrintable(ok.describe()));
    }
    for (int i = 0; i < 3; ++i) {
        const HttpResponse limited = client.request(RawClient::get("/"));
        QVERIFY2(limited.complete && limited.status == 429, qPrintable(limited.describe()));
        bool numeric = false;
        const int retryAfter = limited.header("retry-after").toInt(&numeric);
        QVERIFY2(numeric && retryAfter >= 1 && retryAfter <= 60, qPrintable(limited.describe()));
        QVERIFY(!limited.body.isEmpty());
    }
    // A complete request keeps its connection.
    QVERIFY(client.isConnected());
    QVERIFY(!client.peerClosed());
    QCOMPARE(m_backend->requestCount(), 5);
}

void TestClientLimits::addressesAreLimitedApart()
{
    QVERIFY(startProxy({u"--rate-limit"_s, u"1/m,burst=2"_s}));
    RawClient first;
    RawClient second;
    second.setSourceAddress(kOtherClient);
    QVERIFY(first.connectTo(m_proxy->port()));
    QVERIFY2(second.connectTo(m_proxy->port()), qPrintable(second.errorString()));
    for (RawClient *client : {&first, &second}) {
        QCOMPARE(client->request(RawClient::get("/")).status, 200);
        QCOMPARE(client->request(RawClient::get("/")).status, 200);
    }
    QCOMPARE(first.request(RawClient::get("/")).status, 429);
    QCOMPARE(second.request(RawClient::get("/")).status, 429);
}

// Connections of one client spread over the workers draw on one bucket.
void TestClientLimits::rateLimitIsSharedByWorkers()
{
    QVERIFY(startProxy({u"--rate-limit"_s, u"1/m,burst=10"_s}, 4));
    int ok = 0;
    int limited = 0;
    for (int i = 0; i < 30; ++i) {
        const int status = fetch(m_proxy->port(), RawClient::get("/")).status;
        ok += status == 200;
        limited += status == 429;
    }
    QCOMPARE(ok, 10);
    QCOMPARE(limited, 20);
}

void TestClientLimits::listenerConnectionLimit()
{
    QVERIFY(startProxy({u"--max-connections"_s, u"3"_s}, 2));
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(servedClient(i % 2 == 0 ? QHostAddress() : kOtherClient));
        QVERIFY(held.back());
    }
    QVERIFY(isRefused());
    QVERIFY(isRefused(kOtherClient));
    QTRY_COMPARE_WITH_TIMEOUT(
        listenerMetrics().value(u"connections_refused"_s).toObject().value(u"listener_limit"_s).toInteger(),
        2, 10'000);
    // The held connections still work, and a closed one frees its place.
    QCOMPARE(held.front()->request(RawClient::get("/")).status, 200);
    held.front()->close();
    QVERIFY(servedWithin(10'000));
}

void TestClientLimits::perClientConnectionLimit()
{
    QVERIFY(startProxy({u"--max-connections-per-client"_s, u"2"_s}, 2));
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(servedClient());
        QVERIFY(held.back());
    }
    QVERIFY(isRefused());
    // Another address has its own allowance.
    std::unique_ptr<RawClient> other = servedClient(kOtherClient);
    QVERIFY(other);
    QTRY_COMPARE_WITH_TIMEOUT(
        listenerMetrics().value(u"connections_refused"_s).toObject().value(u"client_limit"_s).toInteger(), 1,
        10'000);
    held.clear();
    QVERIFY(servedWithin(10'000));
}

void TestClientLimits::countsInMetrics()
{
    QVERIFY(startProxy({u"--rate-limit"_s, u"1/m,burst=1"_s, u"--max-connections-per-client"_s, u"1"_s}));
    std::unique_ptr<RawClient> held = servedClient();
    QVERIFY(held);
    QCOMPARE(held->request(RawClient::get("/")).status, 429);
    QCOMPARE(held->request(RawClient::get("/")).status, 429);
    QVERIFY(isRefused());

    QTRY_COMPARE_WITH_TIMEOUT(listenerMetrics().value(u"rate_limited"_s).toInteger(), 2, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(
        listenerMetrics().value(u"connections_refused"_s).toObject().value(u"client_limit"_s).toInteger(), 1,
        10'000);
    const QJsonObject listener = listenerMetrics();
    QCOMPARE(listener.value(u"connections_refused"_s).toObject().value(u"client_limit"_s).toInteger(), 1);
    QCOMPARE(listener.value(u"connections_refused"_s).toObject().value(u"listener_limit"_s).toInteger(), 0);

    const HttpResponse prom = fetch(m_proxy->adminPort(), RawClient::get("/metrics"));
    QCOMPARE(prom.status, 200);
    const QString text = QString::fromUtf8(prom.body);
    QVERIFY2(text.contains(u"\nfulcrum_rate_limited_total 2\n"), qPrintable(text));
    QVERIFY2(text.contains(u"\nfulcrum_connections_refused_total{reason=\"client_limit\"} 1\n"),
             qPrintable(text));
    QVERIFY2(text.contains(u"\nfulcrum_connections_refused_total{reason=\"listener_limit\"} 0\n"),
             qPrintable(text));

    const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
    if (promtool.isEmpty())
        QSKIP("promtool not found: install the Debian package \"prometheus\"");
    QProcess check;
    check.start(promtool, {u"check"_s, u"metrics"_s});
    QVERIFY(check.waitForStarted());
    check.write(prom.body);
    check.closeWriteChannel();
    QVERIFY(check.waitForFinished(30'000));
    const QByteArray complaints = check.readAllStandardOutput() + check.readAllStandardError();
    QVERIFY2(check.exitCode() == 0 && complaints.isEmpty(), complaints.constData());
}

// "rate_limit.paths" alone: /login has a bucket of 2 per client, the other paths no limit at all; the
// rule matches the normalised path, so another spelling of /login takes from the same bucket.
void TestClientLimits::pathRuleLimitsItsPathsOnly()
{
    ConfigFile config;
    QVERIFY(config.write(QJsonObject{
        {u"version"_s, 1},
        {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
        {u"backends"_s, QJsonArray{QJsonObject{{u"url"_s, m_backend->url()}}}},
        {u"rate_limit"_s, QJsonObject{{u"paths"_s, QJsonArray{QJsonObject{{u"prefix"_s, u"/login"_s},
                                                                          {u"rate"_s, 1},
                                                                          {u"per"_s, u"minute"_s},
                                                                          {u"burst"_s, 2}}}}}},
    }));
    QVERIFY2(m_proxy->start({u"--config"_s, config.path()}), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QCOMPARE(client.request(RawClient::get("/login")).status, 200);
    QCOMPARE(client.request(RawClient::get("/login/otp")).status, 200);
    const HttpResponse refused = client.request(RawClient::get("/%6Cogin"));
    QCOMPARE(refused.status, 429);
    QVERIFY(refused.header("retry-after").toInt() >= 1);
    QCOMPARE(client.request(RawClient::get("/x/../login")).status, 429);
    // Outside the prefix nothing is limited, "/loginx" included (the prefix is segment-aware).
    for (int i = 0; i < 10; ++i)
        QCOMPARE(client.request(RawClient::get("/loginx")).status, 200);
    QCOMPARE(m_backend->requestCount("/login") + m_backend->requestCount("/login/otp"), 2);
}

QTEST_GUILESS_MAIN(TestClientLimits)
#include "tst_client_limits.moc"
