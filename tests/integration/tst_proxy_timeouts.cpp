// SPDX-License-Identifier: GPL-3.0-or-later
// The timeouts of the configuration file, each set short and observed from outside.
#include "ProxyTest.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

class TestProxyTimeouts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void idleClientConnectionIsClosed();
    void headerTimeoutStartsWithEachRequest();
    void idleBackendConnectionIsClosed();
    void drainTimeoutEndsStuckRequests();

private:
    bool startProxy(const QJsonObject &timeouts, const QJsonObject &limits = {});

    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<ConfigFile> m_config;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyTimeouts::init()
{
    m_backend = std::make_unique<FakeBackend>(u"t"_s);
    QVERIFY(m_backend->start());
    m_config = std::make_unique<ConfigFile>();
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyTimeouts::cleanup()
{
    m_proxy.reset();
    m_config.reset();
    m_backend.reset();
}

bool TestProxyTimeouts::startProxy(const QJsonObject &timeouts, const QJsonObject &limits)
{
    if (!m_config->write(configJson({m_backend.get()}, timeouts, limits)))
        return false;
    if (!m_proxy->start({u"--config"_s, m_config->path()})) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return true;
}

void TestProxyTimeouts::idleClientConnectionIsClosed()
{
    QVERIFY(startProxy(QJsonObject{{u"client_idle_ms"_s, 300}}));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse r = client.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QElapsedTimer timer;
    timer.start();
    bool closed = false;
    const QByteArray after = client.readUntilClosed(&closed, 5'000);
    QVERIFY(closed);
    QVERIFY2(after.isEmpty(), after.constData()); // an idle connection just ends, no 408
    QVERIFY2(timer.elapsed() >= 250 && timer.elapsed() < 3'000, qPrintable(QString::number(timer.elapsed())));
}

void TestProxyTimeouts::headerTimeoutStartsWithEachRequest()
{
    constexpr int kHeaderMs = 400;
    QVERIFY(startProxy(QJsonObject{{u"client_header_ms"_s, kHeaderMs}, {u"client_idle_ms"_s, 10'000}}));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/first"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    // Idle longer than client_header_ms: only client_idle_ms applies between requests.
    QVERIFY(client.staysSilent(kHeaderMs + 200));
    r = client.request(RawClient::get("/second"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));

    QElapsedTimer timer;
    timer.start();
    QVERIFY(client.send("GET /third HTTP/1.1\r\nHost: localhost\r\n"));
    r = client.readResponse(false, 5'000);
    QVERIFY2(r.complete && r.status == 408, qPrintable(r.describe()));
    QVERIFY2(timer.elapsed() >= kHeaderMs - 50 && timer.elapsed() < 3'000,
             qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(m_backend->requestCount(), 2);
}

void TestProxyTimeouts::idleBackendConnectionIsClosed()
{
    QVERIFY(startProxy(QJsonObject{{u"upstream_idle_ms"_s, 300}}));
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QElapsedTimer timer;
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(m_backend->openConnectionCount(), 0, 5'000);
    QVERIFY2(timer.elapsed() >= 150, qPrintable(QString::number(timer.elapsed())));
    // A later request opens a new connection.
    const HttpResponse again = fetch(m_proxy->port(), RawClient::get("/"));
    QVERIFY2(again.complete && again.status == 200, qPrintable(again.describe()));
    QCOMPARE(m_backend->connectionCount(), 2);
}

void TestProxyTimeouts::drainTimeoutEndsStuckRequests()
{
    m_backend->setDefaultBehaviour(Behaviour::neverRespond());
    QVERIFY(startProxy(QJsonObject{{u"drain_ms"_s, 300}}));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send(RawClient::get("/stuck")));
    QTRY_COMPARE(m_backend->requestCount(), 1);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QVERIFY2(timer.elapsed() >= 250 && timer.elapsed() < 5'000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(m_proxy->errorContains("drain timeout"));
    // The stuck request never got a success.
    const HttpResponse r = client.readResponse(false, 5'000);
    QVERIFY2(!(r.complete && r.status == 200), qPrintable(r.describe()));
    QVERIFY(client.peerClosed());
}

QTEST_GUILESS_MAIN(TestProxyTimeouts)
#include "tst_proxy_timeouts.moc"
