// SPDX-License-Identifier: GPL-3.0-or-later
// The process around the proxy: draining on SIGTERM, reloading backends on SIGHUP without dropping a
// request, and --check-config.
#include "ProxyTest.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

class TestProxySignals : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void sigtermLetsInFlightRequestFinish();
    void sigtermClosesIdleConnections();
    void secondSignalExitsAtOnce();
    void sighupSwitchesBackendsWithoutFailures();
    void sighupWithInvalidFileKeepsRunningConfiguration();
    void checkConfigAcceptsValidFile();
    void checkConfigRejectsInvalidFile();

private:
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxySignals::init()
{
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxySignals::cleanup()
{
    m_proxy.reset();
}

void TestProxySignals::sigtermLetsInFlightRequestFinish()
{
    FakeBackend slow(u"slow"_s);
    QVERIFY(slow.start());
    slow.setDefaultBehaviour(Behaviour::fixed().withDelay(500));
    QVERIFY2(m_proxy->start(backendArgs({&slow})), qPrintable(m_proxy->errorString()));

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send(RawClient::get("/slow")));
    QTRY_COMPARE(slow.requestCount(), 1); // the request is with the backend now
    QVERIFY(m_proxy->sendSignal(SIGTERM));

    const HttpResponse r = client.readResponse();
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from slow"_ba);
    // Draining: the response tells the client this connection ends.
    QCOMPARE(r.header("connection").toLower(), "close"_ba);
    bool closed = false;
    client.readUntilClosed(&closed);
    QVERIFY(closed);

    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY2(code.has_value(), m_proxy->standardError().constData());
    QCOMPARE(*code, 0);
    QVERIFY(m_proxy->errorContains("drained"));
}

void TestProxySignals::sigtermClosesIdleConnections()
{
    FakeBackend backend(u"idle"_s);
    QVERIFY(backend.start());
    QVERIFY2(m_proxy->start(backendArgs({&backend})), qPrintable(m_proxy->errorString()));
    RawClient idle;
    QVERIFY(idle.connectTo(m_proxy->port()));
    const HttpResponse r = idle.request(RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));

    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    bool closed = false;
    idle.readUntilClosed(&closed, 5'000);
    QVERIFY(closed);
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QCOMPARE(*code, 0);
    // Far below drain_ms (30 s): nothing was in flight.
    QVERIFY2(timer.elapsed() < 5'000, qPrintable(QString::number(timer.elapsed())));
    RawClient late;
    QVERIFY(!late.connectTo(m_proxy->port(), 2'000));
}

void TestProxySignals::secondSignalExitsAtOnce()
{
    FakeBackend stuck(u"stuck"_s);
    QVERIFY(stuck.start());
    stuck.setDefaultBehaviour(Behaviour::neverRespond());
    QVERIFY2(m_proxy->start(backendArgs({&stuck})), qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send(RawClient::get("/")));
    QTRY_COMPARE(stuck.requestCount(), 1);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_proxy->sendSignal(SIGINT)); // drains like SIGTERM, for up to drain_ms (30 s)
    QVERIFY(m_proxy->waitForError(QRegularExpression(u"received SIGINT"_s)));
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QCOMPARE(*code, 1);
    QVERIFY2(timer.elapsed() < 5'000, qPrintable(QString::number(timer.elapsed())));
}

void TestProxySignals::sighupSwitchesBackendsWithoutFailures()
{
    FakeBackend a1(u"a1"_s), a2(u"a2"_s), b1(u"b1"_s), b2(u"b2"_s);
    QVERIFY(a1.start() && a2.start() && b1.start() && b2.start());
    ConfigFile config;
    QVERIFY(config.write(configJson({&a1, &a2})));
    QVERIFY2(m_proxy->start({u"--config"_s, config.path()}, 2), qPrintable(m_proxy->errorString()));

    constexpr int kRequests = 300;
    constexpr int kReloadAt = 100;
    RawClient keepAlive;
    QVERIFY(keepAlive.connectTo(m_proxy->port()));
    int reloadedAt = -1;
    int aAtSwitch = 0;
    QHash<QByteArray, int> served;
    for (int i = 0; i < kRequests; ++i) {
        const QByteArray request = RawClient::get(QByteArray("/loop/" + QByteArray::number(i)));
        HttpResponse r;
        if (i % 3 == 2) {
            r = fetch(m_proxy->port(), request);
        } else if (i == kReloadAt) {
            // The reload lands while this request is in flight on the keep-alive connection.
            QVERIFY(keepAlive.send(request));
            QVERIFY(config.write(configJson({&b1, &b2})));
            QVERIFY(m_proxy->sendSignal(SIGHUP));
            r = keepAlive.readResponse();
        } else {
            r = keepAlive.request(request);
        }
        QVERIFY2(r.complete && r.status == 200, qPrintable(u"request %1: "_s.arg(i) + r.describe()));
        const QByteArray backend = r.header("x-backend");
        ++served[backend];
        if (i < kReloadAt)
            QVERIFY2(backend.startsWith('a'), backend.constData());
        if (i == kReloadAt) {
            // Wait for the switch before going on, so that every later request must reach B.
            QTRY_VERIFY_WITH_TIMEOUT(m_proxy->errorContains("configuration reloaded"), 10'000);
            reloadedAt = i;
            aAtSwitch = a1.requestCount() + a2.requestCount();
        }
        if (reloadedAt >= 0 && i > reloadedAt)
            QVERIFY2(backend.startsWith('b'), qPrintable(u"request %1 after the reload went to "_s.arg(i) +
                                                         QString::fromLatin1(backend)));
    }
    QCOMPARE(a1.requestCount() + a2.requestCount(), aAtSwitch);
    QCOMPARE(served.value("a1") + served.value("a2") + served.value("b1") + served.value("b2"), kRequests);
    // Both new backends share the load.
    QVERIFY(b1.requestCount() > 50 && b2.requestCount() > 50);
    QVERIFY(keepAlive.isConnected());
    QVERIFY(m_proxy->errorContains("backend b1: added at http://127.0.0.1:"));
    QVERIFY(m_proxy->errorContains("backend b2: added at http://127.0.0.1:"));
    QVERIFY(m_proxy->errorContains("backend a1: state up -> draining (SIGHUP reload)"));
    QTRY_VERIFY(m_proxy->errorContains("backend a2: removed (drained)"));
}

void TestProxySignals::sighupWithInvalidFileKeepsRunningConfiguration()
{
    FakeBackend a(u"a"_s);
    QVERIFY(a.start());
    ConfigFile config;
    QVERIFY(config.write(configJson({&a})));
    QVERIFY2(m_proxy->start({u"--config"_s, config.path()}), qPrintable(m_proxy->errorString()));
    const QByteArray invalid =
        "{\"version\": 1, \"backends\": [{\"name\": \"x\", \"url\": \"ftp://nowhere\"}]}";
    QVERIFY(config.writeRaw(invalid));
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QTRY_VERIFY_WITH_TIMEOUT(m_proxy->errorContains("reload refused"), 10'000);
    QVERIFY(m_proxy->errorContains("backends[0].url"));
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(r.body, "hello from a"_ba);
    QVERIFY(m_proxy->isRunning());
}

void TestProxySignals::checkConfigAcceptsValidFile()
{
    ConfigFile config;
    QVERIFY(config.write(
        QJsonObject{{u"version"_s, 1},
                    {u"backends"_s,
                     QJsonArray{QJsonObject{{u"name"_s, u"ok"_s}, {u"url"_s, u"http://127.0.0.1:9"_s}}}}}));
    const FulcrumProcess::Result result =
        FulcrumProcess::run({u"--config"_s, config.path(), u"--check-config"_s});
    QVERIFY(result.finished);
    QVERIFY2(result.exitCode == 0, result.standardError.constData());
}

void TestProxySignals::checkConfigRejectsInvalidFile()
{
    ConfigFile config;
    QVERIFY(
        config.write(QJsonObject{{u"version"_s, 1},
                                 {u"backends"_s, QJsonArray{QJsonObject{{u"name"_s, u"heavy"_s},
                                                                        {u"url"_s, u"http://127.0.0.1:9"_s},
                                                                        {u"weight"_s, 5000}}}},
                                 {u"limits"_s, QJsonObject{{u"max_header_bytes"_s, 10}}}}));
    const FulcrumProcess::Result result =
        FulcrumProcess::run({u"--config"_s, config.path(), u"--check-config"_s});
    QVERIFY(result.finished);
    QVERIFY(result.exitCode != 0);
    // Every error is reported, each naming its field.
    QVERIFY2(result.standardError.contains("backends[0].weight"), result.standardError.constData());
    QVERIFY2(result.standardError.contains("limits.max_header_bytes"), result.standardError.constData());
}

QTEST_GUILESS_MAIN(TestProxySignals)
#include "tst_proxy_signals.moc"
