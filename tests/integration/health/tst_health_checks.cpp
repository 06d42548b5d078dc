// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTest.h"
#include "FakeBackend.h"
#include "control/BackendRegistry.h"
#include "health/HealthMonitor.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {
const QByteArray kHealthPath = "/health";

HealthCheckConfig fastCheck(int intervalMs = 50)
{
    HealthCheckConfig check;
    check.enabled = true;
    check.path = QString::fromLatin1(kHealthPath);
    check.intervalMs = intervalMs;
    check.timeoutMs = 1'000;
    check.jitterPercent = 0;
    check.rise = 2;
    check.fall = 3;
    return check;
}

BackendConfig checked(const FakeBackend &backend, const HealthCheckConfig &check)
{
    BackendConfig config = backendConfigFor(backend);
    config.healthCheck = check;
    return config;
}

// A state change as the registry announced it, with what the backend had answered on the probe path
// at that moment: the count is taken on the control thread as the change happens, so it says how
// many probes it took, however late the test looks.
struct Transition
{
    BackendChange change;
    int answered200 = 0;
    int answered503 = 0;
    int requests = 0;    // probe requests received
    int connections = 0; // connections accepted
};

// A registry with its health monitor, recording state changes.
class Checked
{
public:
    explicit Checked(const FakeBackend &backend) : m_backend(backend)
    {
        QObject::connect(
            &registry, &BackendRegistry::backendChanged, &registry, [this](const BackendChange &change) {
                if (change.kind == BackendChange::Kind::StateChanged)
                    transitions.append({change, m_backend.responseCount(kHealthPath, 200),
                                        m_backend.responseCount(kHealthPath, 503),
                                        m_backend.requestCount(kHealthPath), m_backend.connectionCount()});
            });
    }

    bool start(const QList<BackendConfig> &backends)
    {
        QString error;
        if (!registry.apply({}, backends, u"test"_s, &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        monitor = std::make_unique<HealthMonitor>(registry);
        results = std::make_unique<QSignalSpy>(monitor.get(), &HealthMonitor::probeApplied);
        return true;
    }

    bool healthy(const QString &name) const { return registry.status(name)->healthy; }
    qsizetype resultCount() const { return results->size(); }
    QList<bool> passes() const
    {
        QList<bool> all;
        for (const QList<QVariant> &result : std::as_const(*results))
            all.append(result.at(1).toBool());
        return all;
    }

    BackendRegistry registry;
    std::unique_ptr<HealthMonitor> monitor;
    std::unique_ptr<QSignalSpy> results;
    QList<Transition> transitions;

private:
    const FakeBackend &m_backend;
};
} // namespace

// Active health checks against real sockets: HealthMonitor, its checker thread and HealthProbe,
// driving a real BackendRegistry, with FakeBackends on their own threads.
class TestHealthChecks : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void probeRequestShape();
    void unsafeSettingsAreNeverSent();
    void statusOutOfRangeTakesDownAfterExactlyFallAndBackAfterRise();
    void timeoutReason();
    void refusedReason();
    void bodySubstring();
    void longBodyIsJudgedOnItsStart();
    void probesReuseOneConnection();
    void closedKeepAliveConnectionIsNoFailure();
    void connectionCloseMeansAFreshConnectionEachTime();
    void closeOnAKeptConnectionIsRetriedOnce();
    void headProbeReusesTheConnection();
    void flappingBackendStaysUp_data();
    void flappingBackendStaysUp();
    void targetsFollowTheRegistry();
};

void TestHealthChecks::probeRequestShape()
{
    FakeBackend backend(u"shape"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    HealthCheckConfig check = fastCheck();
    check.method = u"OPTIONS"_s;
    check.path = u"/health?deep=1"_s;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_VERIFY_WITH_TIMEOUT(backend.requestCount(kHealthPath) >= 1, 5000);
    const RecordedRequest probe = backend.requests().constFirst();
    QCOMPARE(probe.method, "OPTIONS"_ba);
    QCOMPARE(probe.target, "/health?deep=1"_ba);
    QCOMPARE(probe.versionMinor, 1);
    QCOMPARE(probe.host, "127.0.0.1:" + QByteArray::number(backend.port()));
    QCOMPARE(probe.header("user-agent"), QByteArray("fulcrum-health/" FULCRUM_VERSION));
    QCOMPARE(probe.bodySize, qint64(0));

    // A configured Host replaces the backend's own authority.
    FakeBackend named(u"named"_s);
    QVERIFY(named.start());
    Checked namedChecks(named);
    HealthCheckConfig withHost = fastCheck();
    withHost.host = u"health.example"_s;
    QVERIFY(namedChecks.start({checked(named, withHost)}));
    QTRY_VERIFY_WITH_TIMEOUT(named.requestCount(kHealthPath) >= 1, 5000);
    QCOMPARE(named.requests().constFirst().host, "health.example"_ba);
    QTRY_VERIFY(namedChecks.resultCount() >= 1);
    QVERIFY(namedChecks.passes().constFirst());
    QVERIFY(namedChecks.registry.status(u"named"_s)->lastProbeLatencyUs >= 0);
}

void TestHealthChecks::unsafeSettingsAreNeverSent()
{
    FakeBackend backend(u"unsafe"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    HealthCheckConfig check = fastCheck();
    check.path = u"/health HTTP/1.1\r\nX-Injected: 1\r\n"_s;
    check.fall = 2;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    QVERIFY2(checks.transitions.at(0).change.reason.startsWith(u"2/2 probes failed: invalid probe request"_s),
             qPrintable(checks.transitions.at(0).change.reason));
    QCOMPARE(backend.connectionCount(), 0);
}

void TestHealthChecks::statusOutOfRangeTakesDownAfterExactlyFallAndBackAfterRise()
{
    FakeBackend backend(u"app"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    // 100 ms between probes: the counts taken at each transition cannot be overtaken by the next probe.
    QVERIFY(checks.start({checked(backend, fastCheck(100))}));
    QTRY_VERIFY_WITH_TIMEOUT(backend.responseCount(kHealthPath, 200) >= 2, 5000);
    QVERIFY(checks.transitions.isEmpty());
    QVERIFY(checks.healthy(u"app"_s));

    backend.setBehaviour(kHealthPath, Behaviour::fixed("unavailable", 503));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    const Transition down = checks.transitions.at(0);
    QCOMPARE(down.change.backend, u"app"_s);
    QCOMPARE(down.change.from, u"up"_s);
    QCOMPARE(down.change.to, u"down"_s);
    QCOMPARE(down.change.reason, u"3/3 probes failed: status 503 not in 200-399"_s);
    QCOMPARE(down.answered503, 3); // fall = 3: not on the 2nd failed probe, on the 3rd
    const BackendStatus status = *checks.registry.status(u"app"_s);
    QCOMPARE(status.state, BackendState::Down);
    QVERIFY(!status.healthy);
    QCOMPARE(status.healthReason, down.change.reason);
    QVERIFY(status.lastProbeLatencyUs >= 0);
    const BackendTablePtr table = checks.registry.table();
    QCOMPARE(table->at(table->indexOf(u"app"_s)).state, BackendState::Down);

    // Further failures are no news.
    const int failedSoFar = backend.responseCount(kHealthPath, 503);
    QTRY_VERIFY_WITH_TIMEOUT(backend.responseCount(kHealthPath, 503) >= failedSoFar + 2, 5000);
    QCOMPARE(checks.transitions.size(), 1);

    const int passedBefore = backend.responseCount(kHealthPath, 200);
    backend.setBehaviour(kHealthPath, Behaviour::fixed("ok"));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 2, 5000);
    const Transition up = checks.transitions.at(1);
    QCOMPARE(up.change.from, u"down"_s);
    QCOMPARE(up.change.to, u"up"_s);
    QCOMPARE(up.answered200 - passedBefore, 2); // rise = 2
    QVERIFY2(up.change.reason.startsWith(u"2/2 probes passed (last "_s) &&
                 up.change.reason.endsWith(u" ms)"_s),
             qPrintable(up.change.reason));
    QVERIFY(checks.healthy(u"app"_s));
    QCOMPARE(checks.registry.status(u"app"_s)->healthReason, up.change.reason);
}

void TestHealthChecks::timeoutReason()
{
    FakeBackend backend(u"slow"_s);
    QVERIFY(backend.start());
    backend.setBehaviour(kHealthPath, Behaviour::neverRespond());
    Checked checks(backend);
    HealthCheckConfig check = fastCheck(100);
    check.timeoutMs = 100;
    check.fall = 2;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    const Transition down = checks.transitions.at(0);
    QCOMPARE(down.change.reason, u"2/2 probes failed: timeout after 100 ms"_s);
    QCOMPARE(down.requests, 2);
    // A probe that timed out leaves its connection behind: every probe had a fresh one.
    QCOMPARE(down.connections, 2);
    QVERIFY(checks.registry.status(u"slow"_s)->lastProbeLatencyUs >= 100'000);
}

void TestHealthChecks::refusedReason()
{
    FakeBackend backend(u"gone"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    HealthCheckConfig check = fastCheck();
    check.fall = 2;
    const BackendConfig config = checked(backend, check);
    backend.stop();
    QVERIFY(checks.start({config}));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    QCOMPARE(checks.transitions.at(0).change.reason, u"2/2 probes failed: connection refused"_s);
    QVERIFY(!checks.healthy(u"gone"_s));

    // The backend comes back on its port: probes find it.
    QVERIFY(backend.start(config.port));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 2, 5000);
    QCOMPARE(checks.transitions.at(1).change.to, u"up"_s);
    QCOMPARE(checks.transitions.at(1).answered200, 2);
}

void TestHealthChecks::bodySubstring()
{
    FakeBackend backend(u"body"_s);
    QVERIFY(backend.start());
    backend.setBehaviour(kHealthPath, Behaviour::fixed("status: degraded"));
    Checked checks(backend);
    HealthCheckConfig check = fastCheck();
    check.expectBody = u"ok"_s;
    check.fall = 2;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    QCOMPARE(checks.transitions.at(0).change.reason, u"2/2 probes failed: body does not contain \"ok\""_s);

    // Chunked counts the same as Content-Length.
    backend.setBehaviour(kHealthPath, Behaviour::fixed("status: ok").withHeader("X-Check", "1"));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 2, 5000);
    QCOMPARE(checks.transitions.at(1).change.to, u"up"_s);
    Behaviour chunked = Behaviour::fixed("all is ok here");
    chunked.chunked = true;
    backend.setBehaviour(kHealthPath, chunked);
    const qsizetype seen = checks.resultCount();
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= seen + 4, 5000);
    QVERIFY(!checks.passes().mid(seen).contains(false));
    QCOMPARE(checks.transitions.size(), 2);
    // Every probe went over the one connection, chunked or not.
    QCOMPARE(backend.connectionCount(), 1);
}

void TestHealthChecks::longBodyIsJudgedOnItsStart()
{
    FakeBackend backend(u"long"_s);
    QVERIFY(backend.start());
    const QByteArray filler(200 * 1024, 'x');
    backend.setBehaviour(kHealthPath, Behaviour::fixed("ok" + filler));
    Checked checks(backend);
    HealthCheckConfig check = fastCheck();
    check.expectBody = u"ok"_s;
    check.fall = 2;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= 3, 5000);
    QVERIFY(!checks.passes().contains(false));
    // The rest of the body is not drained: the connection is closed instead.
    QVERIFY(backend.connectionCount() >= 3);

    backend.setBehaviour(kHealthPath, Behaviour::fixed(filler + "ok"));
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    QCOMPARE(checks.transitions.at(0).change.reason,
             u"2/2 probes failed: body does not contain \"ok\" in its first 65536 bytes"_s);
}

void TestHealthChecks::probesReuseOneConnection()
{
    FakeBackend backend(u"reuse"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    QVERIFY(checks.start({checked(backend, fastCheck(20))}));
    QTRY_VERIFY_WITH_TIMEOUT(backend.requestCount(kHealthPath) >= 8, 5000);
    for (const RecordedRequest &request : backend.requests())
        QCOMPARE(request.connection, 1);
    QCOMPARE(backend.connectionCount(), 1);
    QVERIFY(!checks.passes().contains(false));
}

void TestHealthChecks::closedKeepAliveConnectionIsNoFailure()
{
    FakeBackend backend(u"idle"_s);
    QVERIFY(backend.start());
    Checked checks(backend);
    QVERIFY(checks.start({checked(backend, fastCheck(20))}));
    // The backend's keep-alive timeout, again and again, at any moment relative to the probes: a probe
    // racing the close is sent again on a fresh connection instead of counting as a failure.
    int closes = 0;
    for (int round = 0; round < 10; ++round) {
        const int before = backend.requestCount(kHealthPath);
        QTRY_VERIFY_WITH_TIMEOUT(backend.requestCount(kHealthPath) > before, 5000);
        closes += backend.closeIdleConnections();
    }
    QVERIFY(closes > 0);
    QTRY_VERIFY_WITH_TIMEOUT(backend.connectionCount() > 1, 5000);
    QVERIFY(!checks.passes().contains(false));
    QVERIFY(checks.transitions.isEmpty());
}

void TestHealthChecks::connectionCloseMeansAFreshConnectionEachTime()
{
    FakeBackend backend(u"close"_s);
    QVERIFY(backend.start());
    backend.setBehaviour(kHealthPath, Behaviour::fixed("ok").withClose());
    Checked checks(backend);
    QVERIFY(checks.start({checked(backend, fastCheck(20))}));
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= 5, 5000);
    QVERIFY(!checks.passes().contains(false));
    const QList<RecordedRequest> requests = backend.requests();
    for (qsizetype i = 0; i < requests.size(); ++i)
        QCOMPARE(requests.at(i).connection, int(i + 1));
}

void TestHealthChecks::closeOnAKeptConnectionIsRetriedOnce()
{
    FakeBackend backend(u"racy"_s);
    QVERIFY(backend.start());
    // Every second request is dropped: each probe after the first meets a close on its kept
    // connection, which is the keep-alive race made deterministic, and passes on a fresh one.
    backend.setBehaviourSequence(kHealthPath, {Behaviour::fixed("ok"), Behaviour::drop()});
    Checked checks(backend);
    QVERIFY(checks.start({checked(backend, fastCheck(20))}));
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= 5, 5000);
    QVERIFY(!checks.passes().contains(false));
    QVERIFY(backend.connectionCount() >= 5);

    // Only once, and only for a kept connection: a fresh connection closed without an answer fails.
    backend.setBehaviourSequence(kHealthPath, {Behaviour::drop()});
    QTRY_COMPARE_WITH_TIMEOUT(checks.transitions.size(), 1, 5000);
    QCOMPARE(checks.transitions.at(0).change.reason,
             u"3/3 probes failed: connection closed before a response"_s);
}

void TestHealthChecks::headProbeReusesTheConnection()
{
    FakeBackend backend(u"head"_s);
    QVERIFY(backend.start());
    backend.setBehaviour(kHealthPath, Behaviour::large(4096)); // HEAD: Content-Length 4096, no body
    Checked checks(backend);
    HealthCheckConfig check = fastCheck(20);
    check.method = u"HEAD"_s;
    QVERIFY(checks.start({checked(backend, check)}));
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= 5, 5000);
    QVERIFY(!checks.passes().contains(false));
    QCOMPARE(backend.connectionCount(), 1);
    QCOMPARE(backend.lastRequest().method, "HEAD"_ba);
}

void TestHealthChecks::flappingBackendStaysUp_data()
{
    QTest::addColumn<QList<int>>("statuses");
    QTest::newRow("every other probe fails") << QList<int>{200, 503};
    QTest::newRow("two of three fail") << QList<int>{503, 503, 200};
}

void TestHealthChecks::flappingBackendStaysUp()
{
    QFETCH(QList<int>, statuses);
    FakeBackend backend(u"flappy"_s);
    QVERIFY(backend.start());
    QList<Behaviour> sequence;
    for (const int status : std::as_const(statuses))
        sequence.append(Behaviour::fixed("x", status));
    backend.setBehaviourSequence(kHealthPath, sequence);
    Checked checks(backend);
    QVERIFY(checks.start({checked(backend, fastCheck(20))}));
    QTRY_VERIFY_WITH_TIMEOUT(checks.resultCount() >= 15, 10'000);
    QVERIFY(checks.passes().contains(false));
    QVERIFY(checks.transitions.isEmpty());
    QVERIFY(checks.healthy(u"flappy"_s));
    QCOMPARE(checks.registry.status(u"flappy"_s)->state, BackendState::Up);
}

void TestHealthChecks::targetsFollowTheRegistry()
{
    FakeBackend backend(u"follow"_s), clock(u"clock"_s);
    QVERIFY(backend.start());
    QVERIFY(clock.start());
    Checked checks(backend);
    // No check configured: nothing probes it. The other backend's probes serve as a clock.
    const BackendConfig ticking = checked(clock, fastCheck());
    QVERIFY(checks.start({backendConfigFor(backend), ticking}));
    QCOMPARE(checks.monitor->targets().size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(clock.requestCount(kHealthPath) >= 3, 5000);
    QCOMPARE(backend.requestCount(kHealthPath), 0);

    // A reload turns checks on.
    HealthCheckConfig check = fastCheck();
    check.fall = 1;
    QString error;
    QVERIFY(checks.registry.apply({}, {checked(backend, check), ticking}, u"reload"_s, &error));
    QCOMPARE(checks.monitor->targets().size(), 2);
    QCOMPARE(checks.monitor->targets().constFirst().port, backend.port());
    QTRY_VERIFY_WITH_TIMEOUT(backend.requestCount(kHealthPath) >= 1, 5000);

    // Down by the checks, then checks off: nothing vouches against it any more.
    backend.setBehaviour(kHealthPath, Behaviour::fixed("no", 500));
    QTRY_VERIFY_WITH_TIMEOUT(!checks.healthy(u"follow"_s), 5000);
    QCOMPARE(checks.transitions.constLast().change.reason, u"1/1 probe failed: status 500 not in 200-399"_s);
    QVERIFY(checks.registry.apply({}, {backendConfigFor(backend), ticking}, u"reload"_s, &error));
    QVERIFY(checks.healthy(u"follow"_s));
    QCOMPARE(checks.registry.status(u"follow"_s)->state, BackendState::Up);
    QCOMPARE(checks.transitions.constLast().change.reason, u"health checks disabled"_s);
    QCOMPARE(checks.monitor->targets().size(), 1);
    // Its probes stop (one may have been under way) while the other backend's go on.
    const int probes = backend.requestCount(kHealthPath);
    const int ticks = clock.requestCount(kHealthPath);
    QTRY_VERIFY_WITH_TIMEOUT(clock.requestCount(kHealthPath) >= ticks + 4, 5000);
    QVERIFY(backend.requestCount(kHealthPath) <= probes + 1);

    // A backend that leaves the table is no longer probed either.
    QVERIFY(checks.registry.apply({}, {backendConfigFor(backend)}, u"reload"_s, &error));
    QTRY_VERIFY_WITH_TIMEOUT(checks.monitor->targets().isEmpty(), 5000);
}

QTEST_GUILESS_MAIN(TestHealthChecks)
#include "tst_health_checks.moc"
