// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd's admin API keeps its contract (docs/admin-api.md): every route answers as specified, every
// refusal has its status and JSON error, tokens guard what they must, and a refused call changes nothing.
#include "AdminTestFixture.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype kMaxBodyBytes = 64 * 1024;
// How long a "/slow" request stays in flight on a backend: long enough for a few admin calls.
constexpr int kSlowMs = 3'000;
// Requests sent after a change before traffic is measured: a new table reaches the worker before
// its next turn, but one request may already be on its way.
constexpr int kSettleRequests = 3;
constexpr int kRemovalTimeoutMs = 15'000;

// Empty when `response` is what the contract says of a success: `status` and a JSON object.
QString successMismatch(const HttpResponse &response, int status)
{
    if (response.status != status || !response.complete)
        return u"expected %1, got %2"_s.arg(status).arg(response.describe());
    if (!response.header("content-type").startsWith("application/json"))
        return u"not application/json: "_s + response.describe();
    if (!QJsonDocument::fromJson(response.body).isObject())
        return u"body is not a JSON object: "_s + response.describe();
    return {};
}

// Empty when the Allow header of `response` names every method in `allowed` and not `method`.
QString allowMismatch(const HttpResponse &response, const QByteArray &method, const QStringList &allowed)
{
    QStringList named;
    for (const QByteArray &entry : response.header("allow").split(','))
        if (!entry.trimmed().isEmpty())
            named.append(QString::fromLatin1(entry.trimmed()).toUpper());
    bool asExpected = !named.contains(QString::fromLatin1(method));
    for (const QString &expected : allowed)
        asExpected = asExpected && named.contains(expected);
    return asExpected ? QString() : u"Allow: "_s + named.join(u", "_s);
}

// The columns of a table of admin API calls: the call, the status the contract answers it with, and the
// field its error names (null when it names none).
void addCallColumns()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");
}

// A row of an addCallColumns() table; a table with more columns streams their values after it.
QTestData &addCall(const char *name, QByteArrayView method, QByteArrayView target, QByteArrayView body,
                   int status, const QString &field = {})
{
    return QTest::newRow(name) << method.toByteArray() << target.toByteArray() << body.toByteArray() << status
                               << field;
}

// `body` padded with trailing white space (still the same JSON) to exactly `size` bytes.
QByteArray paddedTo(const QByteArray &body, qsizetype size)
{
    return body + QByteArray(size - body.size(), ' ');
}

// Checks that promtool accepts `exposition` as Prometheus text; skips the test when there is no promtool.
// A skip here does not end the calling test function, so call it last.
void verifyPromtoolAccepts(const QByteArray &exposition)
{
    const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
    if (promtool.isEmpty())
        QSKIP("promtool not found: install the Debian package \"prometheus\"");
    QProcess check;
    check.start(promtool, {u"check"_s, u"metrics"_s});
    QVERIFY2(check.waitForStarted(), "cannot start promtool");
    check.write(exposition);
    check.closeWriteChannel();
    QVERIFY2(check.waitForFinished(30'000), "promtool did not finish");
    const QByteArray output = check.readAllStandardOutput() + check.readAllStandardError();
    QVERIFY2(check.exitCode() == 0 && output.isEmpty(),
             qPrintable(u"promtool (exit %1): %2"_s.arg(check.exitCode()).arg(QString::fromUtf8(output))));
}

// The weight the route's split in `route` gives `pool`; -1 when the split does not name it.
int splitWeight(const QJsonObject &route, const QString &pool)
{
    for (const QJsonValue &entry : route.value("split"_L1).toArray()) {
        if (entry.toObject().value("pool"_L1).toString() == pool)
            return entry.toObject().value("weight"_L1).toInt(-1);
    }
    return -1;
}

// The "name" of every object in `objects`, sorted.
QStringList sortedNames(const QJsonArray &objects)
{
    QStringList names;
    for (const QJsonValue &value : objects)
        names.append(value.toObject().value("name"_L1).toString());
    names.sort();
    return names;
}

QByteArray splitBody(int stable, int canary)
{
    return compact(
        QJsonObject{{u"split"_s, QJsonArray{QJsonObject{{u"pool"_s, u"stable"_s}, {u"weight"_s, stable}},
                                            QJsonObject{{u"pool"_s, u"canary"_s}, {u"weight"_s, canary}}}}});
}

} // namespace

class TestAdminApi : public QObject, private AdminTestFixture
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void healthzAnswersAlive();
    void readyzWhileBackendsAreUp();
    void readyzRefusesWhenEveryBackendIsInMaintenance();
    void readyzRefusesWhileDrainingOnSigterm();
    void readsNeedNoTokenOnLoopback_data();
    void readsNeedNoTokenOnLoopback();
    void listsBackends();
    void getsOneBackend();

    void mutationsNeedTheToken_data();
    void mutationsNeedTheToken();
    void tokenFileIsTrimmed();
    void emptyTokenFileIsRefused();
    void tokenFromEnvironment();
    void tokenFileWinsOverEnvironment();
    void withoutTokenOnlyReads();
    void demoMakesUpAToken();
    void nonLoopbackWithoutTokenIsRefused_data();
    void nonLoopbackWithoutTokenIsRefused();

    void patchWeightShiftsTraffic();
    void patchWeightAcceptsRangeEnds_data();
    void patchWeightAcceptsRangeEnds();
    void patchDrainKeepsHealthApart();
    void patchInvalidChangesNothing_data();
    void patchInvalidChangesNothing();
    void patchListAppliesAll();
    void patchListIsAllOrNone_data();
    void patchListIsAllOrNone();
    void postAddsBackendThatTakesTraffic();
    void postDuplicateNameConflicts();
    void postInvalidChangesNothing_data();
    void postInvalidChangesNothing();
    void deleteDrainsThenRemoves();

    void malformedBodiesAreRefused_data();
    void malformedBodiesAreRefused();
    void unknownPathsAndBackends_data();
    void unknownPathsAndBackends();
    void wrongMethodNamesAllowedOnes_data();
    void wrongMethodNamesAllowedOnes();
    void bodyLimit_data();
    void bodyLimit();

    void routesListShowsTheSplit();
    void splitPatchShiftsTraffic();
    void splitPatchAnswersWithTheRoute();
    void splitPatchRefused_data();
    void splitPatchRefused();

    void reloadAppliesChangedConfig();
    void reloadRefusesBadConfig_data();
    void reloadRefusesBadConfig();
    void reloadWithoutConfigConflicts();

    void metricsExposition();
    void snapshotJson();
    void snapshotCsv();
    void snapshotProm();
    void snapshotUnknownFormat();

    void mutationIsAudited();

private:
    // How a refused call finds fulcrumd: startWithBackends() or startWithRoutes().
    enum class Setup
    {
        Backends,
        Routes,
    };

    // Makes the call, which `mismatch` finds answered as the contract says (an empty string), and
    // checks that the backends and routes stay as they were.
    void verifyRefused(QByteArrayView method, QByteArrayView target, QByteArrayView body,
                       const QByteArray &authorization,
                       const std::function<QString(const HttpResponse &)> &mismatch);
    // The same for a call answered `status` with the JSON error, naming `field` unless it is null.
    void verifyRefused(QByteArrayView method, QByteArrayView target, QByteArrayView body, int status,
                       const QString &field = {});
    // The call of the current addCallColumns() row, refused on fulcrumd started as `setup` says;
    // alsoMismatch, when given, judges the answer further.
    void verifyRowRefused(Setup setup = Setup::Backends,
                          const std::function<QString(const HttpResponse &)> &alsoMismatch = {});
    // What a refused call must leave as it was: each backend's settings and states by name, and the
    // routes.
    QByteArray stateView() const;
    QStringList backendNames() const;
    QJsonObject backend(const QString &name) const;
    // Sends `requests` requests through the proxy, one after another on a keep-alive connection; true
    // when every one was answered 200.
    bool sendTraffic(int requests);
    // Sends kSettleRequests requests, so that the last change has reached every worker, then `requests`
    // more: how many of those each of `backends` got, in order; empty when a request was not answered 200.
    QList<int> settledCounts(const QList<const FakeBackend *> &backends, int requests);
};

void TestAdminApi::initTestCase()
{
    writeTokenFile();
}

void TestAdminApi::init()
{
    startBackends();
}

void TestAdminApi::cleanup()
{
    stopAll();
}

void TestAdminApi::verifyRefused(QByteArrayView method, QByteArrayView target, QByteArrayView body,
                                 const QByteArray &authorization,
                                 const std::function<QString(const HttpResponse &)> &mismatch)
{
    const QByteArray before = stateView();
    const QString answered = mismatch(call(method, target, body, authorization));
    QVERIFY2(answered.isEmpty(), qPrintable(answered));
    QCOMPARE(stateView(), before);
}

void TestAdminApi::verifyRefused(QByteArrayView method, QByteArrayView target, QByteArrayView body,
                                 int status, const QString &field)
{
    verifyRefused(method, target, body, bearer(kAdminToken),
                  [&](const HttpResponse &response) { return errorMismatch(response, status, field); });
}

void TestAdminApi::verifyRowRefused(Setup setup,
                                    const std::function<QString(const HttpResponse &)> &alsoMismatch)
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, field);
    QVERIFY2(setup == Setup::Routes ? startWithRoutes() : startWithBackends(), qPrintable(m_error));
    verifyRefused(method, target, body, bearer(kAdminToken), [&](const HttpResponse &response) {
        const QString mismatch = errorMismatch(response, status, field);
        return mismatch.isEmpty() && alsoMismatch ? alsoMismatch(response) : mismatch;
    });
}

QByteArray TestAdminApi::stateView() const
{
    const HttpResponse backends = call("GET", "/api/v1/backends");
    const HttpResponse routes = call("GET", "/api/v1/routes");
    if (backends.status != 200 || routes.status != 200)
        return "GET /api/v1/backends, /api/v1/routes: " + backends.describe().toUtf8() + "; " +
               routes.describe().toUtf8();
    QJsonObject byName;
    for (const QJsonValue &value : jsonObject(backends).value("backends"_L1).toArray()) {
        const QJsonObject backend = value.toObject();
        QJsonObject kept;
        for (const QString &key :
             {u"name"_s, u"pool"_s, u"url"_s, u"weight"_s, u"admin_state"_s, u"state"_s, u"removing"_s})
            kept.insert(key, backend.value(key));
        byName.insert(backend.value("name"_L1).toString(), kept);
    }
    return compact(
        QJsonObject{{u"backends"_s, byName}, {u"routes"_s, jsonObject(routes).value("routes"_L1)}});
}

QStringList TestAdminApi::backendNames() const
{
    return sortedNames(jsonObject(call("GET", "/api/v1/backends")).value("backends"_L1).toArray());
}

QJsonObject TestAdminApi::backend(const QString &name) const
{
    const HttpResponse response = call("GET", QByteArray("/api/v1/backends/" + name.toUtf8()));
    return response.status == 200 ? jsonObject(response) : QJsonObject();
}

bool TestAdminApi::sendTraffic(int requests)
{
    RawClient client;
    if (!client.connectTo(m_proxy->port()))
        return false;
    for (int i = 0; i < requests; ++i) {
        if (client.request(RawClient::get("/traffic")).status != 200)
            return false;
    }
    return true;
}

QList<int> TestAdminApi::settledCounts(const QList<const FakeBackend *> &backends, int requests)
{
    if (!sendTraffic(kSettleRequests))
        return {};
    QList<int> before;
    for (const FakeBackend *backend : backends)
        before.append(backend->requestCount());
    if (!sendTraffic(requests))
        return {};
    QList<int> counts;
    for (qsizetype i = 0; i < backends.size(); ++i)
        counts.append(backends.at(i)->requestCount() - before.at(i));
    return counts;
}

// GET /healthz: 200 {"status": "alive"} while the process runs, no token needed on loopback.
void TestAdminApi::healthzAnswersAlive()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/healthz", {}, {});
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(jsonObject(response).value("status"_L1).toString(), u"alive"_s);
}

void TestAdminApi::readyzWhileBackendsAreUp()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/readyz", {}, {});
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(jsonObject(response).value("status"_L1).toString(), u"ready"_s);
}

// With every backend in maintenance none is in rotation: 503 with a reason, until one comes back up.
void TestAdminApi::readyzRefusesWhenEveryBackendIsInMaintenance()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    for (const QByteArray name : {"alpha", "beta"}) {
        const HttpResponse response =
            call("PATCH", QByteArray("/api/v1/backends/" + name), R"({"state": "maintenance"})");
        QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
        QCOMPARE(jsonObject(response).value("state"_L1).toString(), u"maintenance"_s);
        QCOMPARE(jsonObject(response).value("admin_state"_L1).toString(), u"maintenance"_s);
    }
    const HttpResponse notReady = call("GET", "/readyz", {}, {});
    QVERIFY2(errorMismatch(notReady, 503).isEmpty(), qPrintable(errorMismatch(notReady, 503)));

    const HttpResponse up = call("PATCH", "/api/v1/backends/alpha", R"({"state": "up"})");
    QVERIFY2(successMismatch(up, 200).isEmpty(), qPrintable(successMismatch(up, 200)));
    QCOMPARE(jsonObject(up).value("state"_L1).toString(), u"up"_s);
    const HttpResponse ready = call("GET", "/readyz", {}, {});
    QVERIFY2(successMismatch(ready, 200).isEmpty(), qPrintable(successMismatch(ready, 200)));
    QCOMPARE(jsonObject(ready).value("status"_L1).toString(), u"ready"_s);
}

// SIGTERM drains the proxy; while a request is still in flight, fulcrumd is no longer ready.
void TestAdminApi::readyzRefusesWhileDrainingOnSigterm()
{
    m_alpha->setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
    m_beta->setDefaultBehaviour(Behaviour::fixed().withDelay(kSlowMs));
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    RawClient slow;
    QVERIFY(slow.connectTo(m_proxy->port()));
    QVERIFY(slow.send(RawClient::get("/slow")));
    QTRY_COMPARE_WITH_TIMEOUT(m_alpha->headCount() + m_beta->headCount(), 1, 5'000);

    QVERIFY(m_proxy->sendSignal(SIGTERM));
    QVERIFY2(m_proxy->waitForError(QRegularExpression(u"received SIGTERM: draining"_s)),
             m_proxy->standardError().constData());
    const HttpResponse draining = call("GET", "/readyz", {}, {});
    QVERIFY2(errorMismatch(draining, 503).isEmpty(), qPrintable(errorMismatch(draining, 503)));
    const HttpResponse alive = call("GET", "/healthz", {}, {});
    QVERIFY2(successMismatch(alive, 200).isEmpty(), qPrintable(successMismatch(alive, 200)));

    const HttpResponse answer = slow.readResponse(false, kSlowMs + 5'000);
    QVERIFY2(answer.status == 200, qPrintable(answer.describe()));
    QCOMPARE(m_proxy->waitForExit(), std::optional<int>(0));
}

void TestAdminApi::readsNeedNoTokenOnLoopback_data()
{
    QTest::addColumn<QByteArray>("target");
    for (const char *target : {"/", "/healthz", "/readyz", "/metrics", "/api/v1/snapshot", "/api/v1/backends",
                               "/api/v1/backends/alpha", "/api/v1/routes"})
        QTest::newRow(target) << QByteArray(target);
}

// A token is configured, but reads on a loopback listener do without it.
void TestAdminApi::readsNeedNoTokenOnLoopback()
{
    QFETCH(QByteArray, target);
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", target, {}, {});
    QVERIFY2(response.status == 200 && response.complete, qPrintable(response.describe()));
}

// GET /api/v1/backends: every backend with every field of the contract's backend object.
void TestAdminApi::listsBackends()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/backends", {}, {});
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    const QJsonArray backends = jsonObject(response).value("backends"_L1).toArray();
    QCOMPARE(backends.size(), 2);
    for (const QJsonValue &value : backends) {
        const QJsonObject backend = value.toObject();
        const QString name = backend.value("name"_L1).toString();
        const FakeBackend &fake = name == u"alpha"_s ? *m_alpha : *m_beta;
        QVERIFY2(name == fake.name(), compact(backend).constData());
        QCOMPARE(backend.value("url"_L1).toString(), fake.url());
        QCOMPARE(backend.value("pool"_L1).toString(), u"default"_s);
        QCOMPARE(backend.value("weight"_L1).toInt(-1), 1);
        QCOMPARE(backend.value("effective_weight"_L1).toInt(-1), 1);
        QCOMPARE(backend.value("admin_state"_L1).toString(), u"up"_s);
        QCOMPARE(backend.value("state"_L1).toString(), u"up"_s);
        QCOMPARE(backend.value("removing"_L1), QJsonValue(false));
        QCOMPARE(backend.value("drained"_L1), QJsonValue(false));
        QCOMPARE(backend.value("in_flight"_L1).toInt(-1), 0);
        QVERIFY2(backend.value("active_connections"_L1).isDouble(), compact(backend).constData());
        QCOMPARE(backend.value("times_ejected"_L1).toInt(-1), 0);
        QCOMPARE(backend.value("ejected_for_ms"_L1).toInt(-1), 0);
        const QJsonObject health = backend.value("health"_L1).toObject();
        QCOMPARE(health.value("healthy"_L1), QJsonValue(true));
        QVERIFY2(health.value("reason"_L1).isString(), compact(backend).constData());
        // No health checks are configured, so there never was a probe.
        QVERIFY2(health.contains("last_probe_latency_ms"_L1) &&
                     health.value("last_probe_latency_ms"_L1).isNull(),
                 compact(backend).constData());
    }
}

void TestAdminApi::getsOneBackend()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/backends/beta", {}, {});
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(jsonObject(response).value("name"_L1).toString(), u"beta"_s);
    QCOMPARE(jsonObject(response).value("url"_L1).toString(), m_beta->url());
    QCOMPARE(jsonObject(response).value("state"_L1).toString(), u"up"_s);
}

void TestAdminApi::mutationsNeedTheToken_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("authorization");

    struct Mutation
    {
        const char *name;
        QByteArray method;
        QByteArray target;
        QByteArray body;
    };
    const QList<Mutation> mutations{
        {"patch backend", "PATCH", "/api/v1/backends/alpha", R"({"weight": 9})"},
        {"patch list", "PATCH", "/api/v1/backends", R"([{"name": "alpha", "state": "maintenance"}])"},
        {"post backend", "POST", "/api/v1/backends", R"({"name": "gamma", "url": "http://127.0.0.1:9"})"},
        {"delete backend", "DELETE", "/api/v1/backends/beta", {}},
        {"patch route", "PATCH", "/api/v1/routes/canary", splitBody(10, 90)},
        {"reload", "POST", "/api/v1/reload", {}},
    };
    const QList<std::pair<const char *, QByteArray>> authorizations{
        {"no token", QByteArray()},
        {"wrong token", bearer("not-the-token")},
        {"token prefix", bearer(kAdminToken.chopped(1))},
        {"token and more", bearer(QByteArray(kAdminToken + 'x'))},
        {"other scheme", QByteArray("Basic " + kAdminToken.toBase64())},
    };
    for (const Mutation &mutation : mutations) {
        for (const auto &[what, authorization] : authorizations)
            QTest::addRow("%s, %s", mutation.name, what)
                << mutation.method << mutation.target << mutation.body << authorization;
    }
}

// Every mutation without the right bearer token: 401 asking for one, and nothing changes. The
// configuration file has changed on disk meanwhile, so a reload that got through would show.
void TestAdminApi::mutationsNeedTheToken()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, authorization);
    QVERIFY2(startWithRoutes(), qPrintable(m_error));
    QVERIFY(m_config->write(routedConfig(*m_alpha, *m_beta, 7, 50)));
    verifyRefused(method, target, body, authorization, unauthorizedMismatch);
}

// The token is the file's content without the white space around it.
void TestAdminApi::tokenFileIsTrimmed()
{
    const QString path = m_dir.filePath(u"spaced-token"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("\n\t  spaced-out-token \r\n\n");
    file.close();
    QVERIFY2(startProxy(backendArgs({m_alpha.get(), m_beta.get()}) << u"--admin-token-file"_s << path,
                        Token::None),
             qPrintable(m_error));
    const HttpResponse response =
        call("PATCH", "/api/v1/backends/alpha", R"({"weight": 2})", bearer("spaced-out-token"));
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(backend(u"alpha"_s).value("weight"_L1).toInt(), 2);
}

// An empty token file is an error: fulcrumd does not start.
void TestAdminApi::emptyTokenFileIsRefused()
{
    const QString path = m_dir.filePath(u"empty-token"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const FulcrumProcess::Result result = FulcrumProcess::run(
        backendArgs({m_alpha.get()}) << u"--listen"_s << u"127.0.0.1:0"_s << u"--admin"_s << u"127.0.0.1:0"_s
                                     << u"--admin-token-file"_s << path);
    QVERIFY2(result.finished, "fulcrumd kept running with an empty token file");
    QVERIFY2(result.exitCode != 0, result.standardError.constData());
    QVERIFY2(result.standardError.toLower().contains("token"), result.standardError.constData());
}

// FULCRUM_ADMIN_TOKEN is the token when no token file is set.
void TestAdminApi::tokenFromEnvironment()
{
    m_proxy->setEnvironmentVariable(u"FULCRUM_ADMIN_TOKEN"_s, u"token-from-environment"_s);
    QVERIFY2(startWithBackends(Token::None), qPrintable(m_error));
    verifyRefused("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})", bearer("another-token"),
                  unauthorizedMismatch);

    const HttpResponse accepted =
        call("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})", bearer("token-from-environment"));
    QVERIFY2(successMismatch(accepted, 200).isEmpty(), qPrintable(successMismatch(accepted, 200)));
    QCOMPARE(backend(u"alpha"_s).value("weight"_L1).toInt(), 3);
}

// FULCRUM_ADMIN_TOKEN is used only when no token file is set.
void TestAdminApi::tokenFileWinsOverEnvironment()
{
    m_proxy->setEnvironmentVariable(u"FULCRUM_ADMIN_TOKEN"_s, u"token-from-environment"_s);
    QVERIFY2(startWithBackends(Token::File), qPrintable(m_error));
    verifyRefused("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})", bearer("token-from-environment"),
                  unauthorizedMismatch);

    const HttpResponse accepted = call("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})");
    QVERIFY2(successMismatch(accepted, 200).isEmpty(), qPrintable(successMismatch(accepted, 200)));
}

// No token at all on loopback: reads are served, mutations answer 401 and say how to set a token.
void TestAdminApi::withoutTokenOnlyReads()
{
    QVERIFY2(startWithBackends(Token::None), qPrintable(m_error));
    const HttpResponse read = call("GET", "/api/v1/backends", {}, {});
    QVERIFY2(successMismatch(read, 200).isEmpty(), qPrintable(successMismatch(read, 200)));
    for (const QByteArray &authorization : {QByteArray(), bearer(kAdminToken), bearer("")}) {
        verifyRefused("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})", authorization,
                      noTokenConfiguredMismatch);
    }
    verifyRefused("DELETE", "/api/v1/backends/beta", {}, bearer(kAdminToken), noTokenConfiguredMismatch);
}

// --demo without a token: fulcrumd makes one up and logs it, and that token steers the demo.
void TestAdminApi::demoMakesUpAToken()
{
    QVERIFY2(startProxy({u"--demo"_s}, Token::None), qPrintable(m_error));
    const QRegularExpression logged(uR"(token[^:\n]*:\s*(\S+)\s*$)"_s, QRegularExpression::MultilineOption);
    QVERIFY2(m_proxy->waitForError(logged), m_proxy->standardError().constData());
    const QByteArray token = logged.match(QString::fromUtf8(m_proxy->standardError())).captured(1).toUtf8();
    QVERIFY2(token.size() >= 16, token.constData());
    const QStringList names = backendNames();
    QVERIFY2(!names.isEmpty(), m_proxy->standardError().constData());
    const QByteArray target = "/api/v1/backends/" + names.constFirst().toUtf8();

    verifyRefused("PATCH", target, R"({"weight": 9})", bearer(kAdminToken), unauthorizedMismatch);
    const HttpResponse accepted = call("PATCH", target, R"({"weight": 9})", bearer(token));
    QVERIFY2(successMismatch(accepted, 200).isEmpty(), qPrintable(successMismatch(accepted, 200)));
    QCOMPARE(jsonObject(accepted).value("weight"_L1).toInt(), 9);
}

void TestAdminApi::nonLoopbackWithoutTokenIsRefused_data()
{
    QTest::addColumn<bool>("fromFile");
    QTest::addColumn<QByteArray>("setting"); // how the error names the listen address
    QTest::newRow("--admin") << false << QByteArray("--admin");
    QTest::newRow("admin.listen") << true << QByteArray("admin.listen");
}

// An admin listener that is not loopback needs a token: without one fulcrumd refuses to start and
// names the setting, as it was given.
void TestAdminApi::nonLoopbackWithoutTokenIsRefused()
{
    QFETCH(bool, fromFile);
    QFETCH(QByteArray, setting);
    QStringList args;
    if (fromFile) {
        QJsonObject config = configJson({m_alpha.get()});
        config.insert(u"admin"_s, QJsonObject{{u"listen"_s, u"0.0.0.0:0"_s}});
        QVERIFY(m_config->write(config));
        args << u"--config"_s << m_config->path();
    } else {
        args = backendArgs({m_alpha.get()})
               << u"--listen"_s << u"127.0.0.1:0"_s << u"--admin"_s << u"0.0.0.0:0"_s;
    }
    const FulcrumProcess::Result result = FulcrumProcess::run(args);
    QVERIFY2(result.finished, "fulcrumd kept running with a non-loopback admin listener and no token");
    QVERIFY2(result.exitCode != 0, result.standardError.constData());
    QVERIFY2(result.standardError.contains(setting), result.standardError.constData());
    QVERIFY2(result.standardError.contains("token"), result.standardError.constData());
    QVERIFY2(!result.standardError.contains("admin API listening"), result.standardError.constData());
}

// PATCH weight: the answer and GET show it, and the split of traffic follows it.
void TestAdminApi::patchWeightShiftsTraffic()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    QVERIFY(sendTraffic(20));
    QCOMPARE(m_alpha->requestCount(), 10);
    QCOMPARE(m_beta->requestCount(), 10);

    const HttpResponse response = call("PATCH", "/api/v1/backends/alpha", R"({"weight": 4})");
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(jsonObject(response).value("name"_L1).toString(), u"alpha"_s);
    QCOMPARE(jsonObject(response).value("weight"_L1).toInt(), 4);
    QCOMPARE(jsonObject(response).value("effective_weight"_L1).toInt(), 4);
    const QJsonObject alpha = backend(u"alpha"_s);
    QCOMPARE(alpha.value("weight"_L1).toInt(), 4);
    QCOMPARE(alpha.value("effective_weight"_L1).toInt(), 4);
    QCOMPARE(backend(u"beta"_s).value("weight"_L1).toInt(), 1);

    const QList<int> counts = settledCounts({m_alpha.get(), m_beta.get()}, 50);
    QCOMPARE(counts.size(), 2);
    QVERIFY2(std::abs(counts[0] - 40) <= 2 && counts[0] + counts[1] == 50,
             qPrintable(u"of 50 requests at 4:1, alpha got %1, beta %2"_s.arg(counts[0]).arg(counts[1])));
}

void TestAdminApi::patchWeightAcceptsRangeEnds_data()
{
    QTest::addColumn<int>("weight");
    QTest::newRow("0") << 0;
    QTest::newRow("1000") << 1000;
}

void TestAdminApi::patchWeightAcceptsRangeEnds()
{
    QFETCH(int, weight);
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response =
        call("PATCH", "/api/v1/backends/beta", u"{\"weight\": %1}"_s.arg(weight).toUtf8());
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(backend(u"beta"_s).value("weight"_L1).toInt(-1), weight);
}

// PATCH state drain: published as draining, set as drain, and the health checks' verdict stays its own.
// A drained backend gets no new requests.
void TestAdminApi::patchDrainKeepsHealthApart()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("PATCH", "/api/v1/backends/alpha", R"({"state": "drain"})");
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    for (const QJsonObject &alpha : {jsonObject(response), backend(u"alpha"_s)}) {
        QCOMPARE(alpha.value("state"_L1).toString(), u"draining"_s);
        QCOMPARE(alpha.value("admin_state"_L1).toString(), u"drain"_s);
        QCOMPARE(alpha.value("health"_L1).toObject().value("healthy"_L1), QJsonValue(true));
        QCOMPARE(alpha.value("removing"_L1), QJsonValue(false));
        QCOMPARE(alpha.value("drained"_L1), QJsonValue(true)); // nothing was in flight
    }
    QCOMPARE(backend(u"beta"_s).value("state"_L1).toString(), u"up"_s);

    QCOMPARE(settledCounts({m_alpha.get()}, 20), QList<int>{0});
}

void TestAdminApi::patchInvalidChangesNothing_data()
{
    addCallColumns();
    const QByteArray alpha = "/api/v1/backends/alpha";
    addCall("weight over 1000", "PATCH", alpha, R"({"weight": 1001})", 422, u"weight"_s);
    addCall("negative weight", "PATCH", alpha, R"({"weight": -1})", 422, u"weight"_s);
    addCall("unknown state", "PATCH", alpha, R"({"state": "sleeping"})", 422, u"state"_s);
    addCall("valid weight, unknown state", "PATCH", alpha, R"({"weight": 5, "state": "sleeping"})", 422,
            u"state"_s);
    addCall("unknown key", "PATCH", alpha, R"({"weight": 5, "colour": "blue"})", 422, u"colour"_s);
}

// PATCH with an invalid value: 422 naming the field, and the backend stays as it was (even the valid
// part of the call is not applied).
void TestAdminApi::patchInvalidChangesNothing()
{
    verifyRowRefused();
}

// PATCH /api/v1/backends with a list: every entry applied, the answer lists the backends.
void TestAdminApi::patchListAppliesAll()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response =
        call("PATCH", "/api/v1/backends",
             R"([{"name": "alpha", "weight": 6}, {"name": "beta", "state": "maintenance", "weight": 2}])");
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QHash<QString, QJsonObject> answered;
    for (const QJsonValue &value : jsonObject(response).value("backends"_L1).toArray())
        answered.insert(value.toObject().value("name"_L1).toString(), value.toObject());
    QVERIFY2(answered.contains(u"alpha"_s) && answered.contains(u"beta"_s), response.body.constData());

    for (const QJsonObject &alpha : {answered.value(u"alpha"_s), backend(u"alpha"_s)}) {
        QCOMPARE(alpha.value("weight"_L1).toInt(), 6);
        QCOMPARE(alpha.value("state"_L1).toString(), u"up"_s);
    }
    for (const QJsonObject &beta : {answered.value(u"beta"_s), backend(u"beta"_s)}) {
        QCOMPARE(beta.value("weight"_L1).toInt(), 2);
        QCOMPARE(beta.value("admin_state"_L1).toString(), u"maintenance"_s);
        QCOMPARE(beta.value("state"_L1).toString(), u"maintenance"_s);
    }
}

void TestAdminApi::patchListIsAllOrNone_data()
{
    addCallColumns();
    const QByteArray list = "/api/v1/backends";
    addCall("weight out of range", "PATCH", list,
            R"([{"name": "alpha", "weight": 6}, {"name": "beta", "weight": 1001}])", 422, u"weight"_s);
    addCall("unknown state", "PATCH", list,
            R"([{"name": "alpha", "state": "drain"}, {"name": "beta", "state": "asleep"}])", 422, u"state"_s);
    addCall("unknown key", "PATCH", list,
            R"([{"name": "alpha", "weight": 6}, {"name": "beta", "weight": 2, "colour": "red"}])", 422,
            u"colour"_s);
}

// A list with one invalid entry: 422 and none of the entries applied.
void TestAdminApi::patchListIsAllOrNone()
{
    verifyRowRefused();
}

// POST a backend: 201 with it, GET lists it, and it takes its share of the traffic.
void TestAdminApi::postAddsBackendThatTakesTraffic()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const QByteArray body =
        compact(QJsonObject{{u"name"_s, u"gamma"_s}, {u"url"_s, m_gamma->url()}, {u"weight"_s, 2}});
    const HttpResponse response = call("POST", "/api/v1/backends", body);
    QVERIFY2(successMismatch(response, 201).isEmpty(), qPrintable(successMismatch(response, 201)));
    const QJsonObject added = jsonObject(response);
    QCOMPARE(added.value("name"_L1).toString(), u"gamma"_s);
    QCOMPARE(added.value("url"_L1).toString(), m_gamma->url());
    QCOMPARE(added.value("weight"_L1).toInt(), 2);
    QCOMPARE(added.value("pool"_L1).toString(), u"default"_s);
    QCOMPARE(added.value("removing"_L1), QJsonValue(false));
    QCOMPARE(backendNames(), (QStringList{u"alpha"_s, u"beta"_s, u"gamma"_s}));
    QCOMPARE(backend(u"gamma"_s).value("url"_L1).toString(), m_gamma->url());

    const QList<int> toGamma = settledCounts({m_gamma.get()}, 40);
    QCOMPARE(toGamma.size(), 1);
    QVERIFY2(std::abs(toGamma[0] - 20) <= 2,
             qPrintable(u"gamma at weight 2 of 4 got %1 of 40"_s.arg(toGamma[0])));
}

// POST a name that exists: 409 naming "name", and the existing backend stays as it was.
void TestAdminApi::postDuplicateNameConflicts()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const QByteArray body = compact(QJsonObject{{u"name"_s, u"alpha"_s}, {u"url"_s, m_gamma->url()}});
    verifyRefused("POST", "/api/v1/backends", body, 409, u"name"_s);
    QCOMPARE(backend(u"alpha"_s).value("url"_L1).toString(), m_alpha->url());
}

void TestAdminApi::postInvalidChangesNothing_data()
{
    addCallColumns();
    // gamma with `settings` besides its name.
    const auto gamma = [](const QJsonObject &settings) {
        QJsonObject body = settings;
        body.insert(u"name"_s, u"gamma"_s);
        return compact(body);
    };
    const QString url = u"http://127.0.0.1:9"_s;
    const QByteArray list = "/api/v1/backends";
    addCall("weight over 1000", "POST", list, gamma({{u"url"_s, url}, {u"weight"_s, 1001}}), 422,
            u"weight"_s);
    addCall("negative weight", "POST", list, gamma({{u"url"_s, url}, {u"weight"_s, -3}}), 422, u"weight"_s);
    addCall("not a url", "POST", list, gamma({{u"url"_s, u"not a url"_s}}), 422, u"url"_s);
    addCall("other scheme", "POST", list, gamma({{u"url"_s, u"ftp://127.0.0.1:21"_s}}), 422, u"url"_s);
    addCall("unknown pool", "POST", list, gamma({{u"url"_s, url}, {u"pool"_s, u"nope"_s}}), 422, u"pool"_s);
    addCall("unknown key", "POST", list, gamma({{u"url"_s, url}, {u"colour"_s, u"red"_s}}), 422, u"colour"_s);
}

// POST with an invalid value: 422 naming the field, and no backend is added.
void TestAdminApi::postInvalidChangesNothing()
{
    verifyRowRefused();
}

// DELETE: 202 with "removing": true; the backend keeps its request in flight, gets no new ones, and
// leaves the list once that request has finished.
void TestAdminApi::deleteDrainsThenRemoves()
{
    m_alpha->setBehaviour("/slow", Behaviour::fixed().withDelay(kSlowMs));
    m_beta->setBehaviour("/slow", Behaviour::fixed().withDelay(kSlowMs));
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    // Round robin alternates, so beta has a slow request in flight after the first or the second.
    std::vector<std::unique_ptr<RawClient>> slow;
    for (int i = 0; i < 2 && m_beta->headCount() == 0; ++i) {
        slow.push_back(std::make_unique<RawClient>());
        QVERIFY(slow.back()->connectTo(m_proxy->port()));
        QVERIFY(slow.back()->send(RawClient::get("/slow")));
        QTRY_COMPARE_WITH_TIMEOUT(m_alpha->headCount() + m_beta->headCount(), i + 1, 5'000);
    }
    QCOMPARE(m_beta->headCount(), 1);

    const HttpResponse response = call("DELETE", "/api/v1/backends/beta");
    QVERIFY2(successMismatch(response, 202).isEmpty(), qPrintable(successMismatch(response, 202)));
    QCOMPARE(jsonObject(response).value("name"_L1).toString(), u"beta"_s);
    QCOMPARE(jsonObject(response).value("removing"_L1), QJsonValue(true));
    const QJsonObject removing = backend(u"beta"_s);
    QCOMPARE(removing.value("removing"_L1), QJsonValue(true));
    QCOMPARE(removing.value("in_flight"_L1).toInt(-1), 1);
    QCOMPARE(removing.value("drained"_L1), QJsonValue(false));

    QCOMPARE(settledCounts({m_beta.get()}, 10), QList<int>{0});
    QVERIFY(backendNames().contains(u"beta"_s)); // still in flight

    for (const std::unique_ptr<RawClient> &client : slow) {
        const HttpResponse answer = client->readResponse(false, kSlowMs + 5'000);
        QVERIFY2(answer.status == 200, qPrintable(answer.describe()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(!backendNames().contains(u"beta"_s), kRemovalTimeoutMs);
    QCOMPARE(backendNames(), QStringList{u"alpha"_s});
    const HttpResponse gone = call("GET", "/api/v1/backends/beta");
    QVERIFY2(errorMismatch(gone, 404).isEmpty(), qPrintable(errorMismatch(gone, 404)));
}

void TestAdminApi::malformedBodiesAreRefused_data()
{
    addCallColumns();
    const QByteArray alpha = "/api/v1/backends/alpha";
    const QByteArray list = "/api/v1/backends";
    addCall("patch backend, cut short", "PATCH", alpha, R"({"weight": 5)", 400);
    addCall("patch backend, not JSON", "PATCH", alpha, "weight=5", 400);
    addCall("patch backend, a list", "PATCH", alpha, R"([{"weight": 5}])", 400);
    addCall("patch backend, a number", "PATCH", alpha, "5", 400);
    addCall("patch list, cut short", "PATCH", list, R"([{"name": "alpha", "weight": 5})", 400);
    addCall("patch list, an object", "PATCH", list, R"({"name": "alpha", "weight": 5})", 400);
    addCall("post, cut short", "POST", list, R"({"name": "gamma", "url": "http://127.0.0.1:9")", 400);
    addCall("post, a list", "POST", list, R"([{"name": "gamma", "url": "http://127.0.0.1:9"}])", 400);
    addCall("post, a string", "POST", list, R"("gamma")", 400);
}

// A body that is not JSON, or not the object or list the route expects: 400, nothing changes.
void TestAdminApi::malformedBodiesAreRefused()
{
    verifyRowRefused();
}

void TestAdminApi::unknownPathsAndBackends_data()
{
    addCallColumns();
    addCall("get unknown backend", "GET", "/api/v1/backends/nope", {}, 404);
    addCall("patch unknown backend", "PATCH", "/api/v1/backends/nope", R"({"weight": 5})", 404);
    addCall("delete unknown backend", "DELETE", "/api/v1/backends/nope", {}, 404);
    addCall("unknown api path", "GET", "/api/v1/nothing", {}, 404);
    addCall("unknown api version", "GET", "/api/v2/backends", {}, 404);
    addCall("unknown path", "GET", "/nothing", {}, 404);
    addCall("post to unknown path", "POST", "/api/v1/nothing", R"({"weight": 5})", 404);
    addCall("below a backend", "GET", "/api/v1/backends/alpha/more", {}, 404);
}

// Unknown backends, routes and paths: 404 with the JSON error, nothing changes.
void TestAdminApi::unknownPathsAndBackends()
{
    verifyRowRefused();
}

void TestAdminApi::wrongMethodNamesAllowedOnes_data()
{
    addCallColumns();
    QTest::addColumn<QStringList>("allowed");
    addCall("PUT a backend", "PUT", "/api/v1/backends/alpha", R"({"weight": 5})", 405)
        << QStringList{u"GET"_s, u"PATCH"_s, u"DELETE"_s};
    addCall("DELETE the list", "DELETE", "/api/v1/backends", {}, 405)
        << QStringList{u"GET"_s, u"POST"_s, u"PATCH"_s};
    addCall("GET reload", "GET", "/api/v1/reload", {}, 405) << QStringList{u"POST"_s};
    addCall("POST healthz", "POST", "/healthz", {}, 405) << QStringList{u"GET"_s};
    addCall("POST readyz", "POST", "/readyz", {}, 405) << QStringList{u"GET"_s};
    addCall("DELETE metrics", "DELETE", "/metrics", {}, 405) << QStringList{u"GET"_s};
    addCall("POST snapshot", "POST", "/api/v1/snapshot", {}, 405) << QStringList{u"GET"_s};
    addCall("PATCH routes", "PATCH", "/api/v1/routes", {}, 405) << QStringList{u"GET"_s};
    addCall("POST events", "POST", "/api/v1/events", {}, 405) << QStringList{u"GET"_s};
}

// A method the path does not take: 405 with Allow naming the ones it does, nothing changes.
void TestAdminApi::wrongMethodNamesAllowedOnes()
{
    QFETCH(QByteArray, method);
    QFETCH(QStringList, allowed);
    verifyRowRefused(Setup::Backends,
                     [&](const HttpResponse &response) { return allowMismatch(response, method, allowed); });
}

void TestAdminApi::bodyLimit_data()
{
    addCallColumns();
    const QByteArray weight = R"({"weight": 7})";
    const QByteArray added = R"({"name": "gamma", "url": "http://127.0.0.1:9"})";
    addCall("patch of 64 KiB", "PATCH", "/api/v1/backends/alpha", paddedTo(weight, kMaxBodyBytes), 200);
    addCall("patch over 64 KiB", "PATCH", "/api/v1/backends/alpha", paddedTo(weight, kMaxBodyBytes + 1), 413);
    addCall("post over 64 KiB", "POST", "/api/v1/backends", paddedTo(added, kMaxBodyBytes + 1), 413);
    addCall("patch list over 64 KiB", "PATCH", "/api/v1/backends",
            paddedTo(R"([{"name": "alpha", "weight": 7}])", 4 * kMaxBodyBytes), 413);
}

// Bodies up to 64 KiB are read (white space is JSON too), larger ones answered 413 and not applied.
void TestAdminApi::bodyLimit()
{
    QFETCH(int, status);
    if (status != 200) {
        verifyRowRefused();
        return;
    }
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call(method, target, body);
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(backend(u"alpha"_s).value("weight"_L1).toInt(), 7);
}

// GET /api/v1/routes names the route, describes it and gives its split, which the traffic follows.
void TestAdminApi::routesListShowsTheSplit()
{
    QVERIFY2(startWithRoutes(), qPrintable(m_error));
    const HttpResponse listed = call("GET", "/api/v1/routes", {}, {});
    QVERIFY2(successMismatch(listed, 200).isEmpty(), qPrintable(successMismatch(listed, 200)));
    const QJsonArray routes = jsonObject(listed).value("routes"_L1).toArray();
    QCOMPARE(routes.size(), 1);
    const QJsonObject canary = routes.at(0).toObject();
    QCOMPARE(canary.value("name"_L1).toString(), u"canary"_s);
    QVERIFY2(!canary.value("description"_L1).toString().isEmpty(), listed.body.constData());
    QCOMPARE(splitWeight(canary, u"stable"_s), 90);
    QCOMPARE(splitWeight(canary, u"canary"_s), 10);
    QVERIFY(sendTraffic(20));
    QCOMPARE(m_alpha->requestCount(), 18);
    QCOMPARE(m_beta->requestCount(), 2);
}

// PATCH a route's split: GET shows the new one and the traffic follows it.
void TestAdminApi::splitPatchShiftsTraffic()
{
    QVERIFY2(startWithRoutes(), qPrintable(m_error));
    const HttpResponse patched = call("PATCH", "/api/v1/routes/canary", splitBody(50, 50));
    QVERIFY2(successMismatch(patched, 200).isEmpty(), qPrintable(successMismatch(patched, 200)));
    const QJsonObject after =
        jsonObject(call("GET", "/api/v1/routes")).value("routes"_L1).toArray().at(0).toObject();
    QCOMPARE(splitWeight(after, u"stable"_s), 50);
    QCOMPARE(splitWeight(after, u"canary"_s), 50);

    const QList<int> toAlpha = settledCounts({m_alpha.get()}, 40);
    QCOMPARE(toAlpha.size(), 1);
    QVERIFY2(std::abs(toAlpha[0] - 20) <= 2, qPrintable(u"stable got %1 of 40 at 50/50"_s.arg(toAlpha[0])));
}

// PATCH a route's split answers with the route as GET /api/v1/routes shows it: the new split included.
void TestAdminApi::splitPatchAnswersWithTheRoute()
{
    QVERIFY2(startWithRoutes(), qPrintable(m_error));
    const HttpResponse patched = call("PATCH", "/api/v1/routes/canary", splitBody(30, 70));
    QVERIFY2(successMismatch(patched, 200).isEmpty(), qPrintable(successMismatch(patched, 200)));
    const QJsonObject route = jsonObject(patched);
    QCOMPARE(route.value("name"_L1).toString(), u"canary"_s);
    QVERIFY2(!route.value("description"_L1).toString().isEmpty(), patched.body.constData());
    QVERIFY2(splitWeight(route, u"stable"_s) == 30 && splitWeight(route, u"canary"_s) == 70,
             patched.body.constData());
}

void TestAdminApi::splitPatchRefused_data()
{
    addCallColumns();
    const QByteArray canary = "/api/v1/routes/canary";
    addCall("unknown pool", "PATCH", canary,
            R"({"split": [{"pool": "stable", "weight": 50}, {"pool": "nope", "weight": 50}]})", 422,
            u"pool"_s);
    addCall("negative weight", "PATCH", canary, splitBody(-5, 50), 422, u"weight"_s);
    addCall("unknown key", "PATCH", canary,
            R"({"split": [{"pool": "stable", "weight": 50}], "colour": "red"})", 422, u"colour"_s);
    addCall("cut short", "PATCH", canary, R"({"split": [)", 400);
    addCall("a list", "PATCH", canary, "[]", 400);
    addCall("unknown route", "PATCH", "/api/v1/routes/nope", splitBody(50, 50), 404);
}

// A refused split change leaves the routes as they were.
void TestAdminApi::splitPatchRefused()
{
    verifyRowRefused(Setup::Routes);
}

// POST /api/v1/reload reads the changed file and applies it, as SIGHUP does.
void TestAdminApi::reloadAppliesChangedConfig()
{
    QVERIFY(m_config->write(configJson({m_alpha.get(), m_beta.get()}, {}, {}, {1, 1})));
    QVERIFY2(startProxy({u"--config"_s, m_config->path()}), qPrintable(m_error));
    QVERIFY(m_config->write(configJson({m_alpha.get(), m_beta.get()}, {}, {}, {4, 1})));
    const HttpResponse response = call("POST", "/api/v1/reload");
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    QCOMPARE(jsonObject(response).value("status"_L1).toString(), u"reloaded"_s);
    QCOMPARE(backend(u"alpha"_s).value("weight"_L1).toInt(), 4);
    QCOMPARE(backend(u"beta"_s).value("weight"_L1).toInt(), 1);
}

void TestAdminApi::reloadRefusesBadConfig_data()
{
    QTest::addColumn<bool>("syntax");
    QTest::newRow("broken JSON") << true;
    QTest::newRow("weight out of range") << false;
}

// A file that does not load: 422, and the running configuration stays.
void TestAdminApi::reloadRefusesBadConfig()
{
    QFETCH(bool, syntax);
    QVERIFY(m_config->write(configJson({m_alpha.get(), m_beta.get()}, {}, {}, {1, 1})));
    QVERIFY2(startProxy({u"--config"_s, m_config->path()}), qPrintable(m_error));
    if (syntax)
        QVERIFY(m_config->writeRaw(R"({"version": 1, "backends": [)"));
    else
        QVERIFY(m_config->write(configJson({m_alpha.get(), m_beta.get()}, {}, {}, {4, 5000})));
    verifyRefused("POST", "/api/v1/reload", {}, 422);
}

void TestAdminApi::reloadWithoutConfigConflicts()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    verifyRefused("POST", "/api/v1/reload", {}, 409);
}

// GET /metrics: Prometheus text 0.0.4 that promtool accepts, counting the requests each backend got.
void TestAdminApi::metricsExposition()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    QVERIFY(sendTraffic(4));
    const QRegularExpression alphaRequests(
        uR"(^fulcrum_backend_requests_total\{[^}]*backend="alpha"[^}]*\} 2$)"_s,
        QRegularExpression::MultilineOption);
    HttpResponse response;
    QTRY_VERIFY2_WITH_TIMEOUT((response = call("GET", "/metrics", {}, {}),
                               alphaRequests.match(QString::fromUtf8(response.body)).hasMatch()),
                              qPrintable(response.describe()), 10'000);
    QCOMPARE(response.status, 200);
    QVERIFY2(response.header("content-type").startsWith("text/plain; version=0.0.4"),
             qPrintable(response.describe()));
    QVERIFY(response.body.contains("fulcrum_backend_requests_total{"));
    verifyPromtoolAccepts(response.body);
}

// GET /api/v1/snapshot: the JSON snapshot, schema fulcrum.snapshot/1, one entry per backend.
void TestAdminApi::snapshotJson()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/snapshot", {}, {});
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    const QJsonObject snapshot = jsonObject(response);
    QCOMPARE(snapshot.value("schema"_L1).toString(), u"fulcrum.snapshot/1"_s);
    QCOMPARE(sortedNames(snapshot.value("backends"_L1).toArray()), (QStringList{u"alpha"_s, u"beta"_s}));
}

// ?format=csv: a header row, then one row per backend.
void TestAdminApi::snapshotCsv()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/snapshot?format=csv", {}, {});
    QVERIFY2(response.status == 200, qPrintable(response.describe()));
    QList<QByteArray> rows = response.body.split('\n');
    if (!rows.isEmpty() && rows.constLast().isEmpty())
        rows.removeLast();
    QCOMPARE(rows.size(), 3);
    QVERIFY2(rows.at(0).startsWith("time,name,pool,"), rows.at(0).constData());
    QStringList names;
    for (qsizetype i = 1; i < rows.size(); ++i)
        names.append(QString::fromUtf8(rows.at(i).split(',').value(1)));
    names.sort();
    QCOMPARE(names, (QStringList{u"alpha"_s, u"beta"_s}));
}

// ?format=prom: Prometheus text that promtool accepts.
void TestAdminApi::snapshotProm()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/snapshot?format=prom", {}, {});
    QVERIFY2(response.status == 200, qPrintable(response.describe()));
    QVERIFY(response.body.contains("fulcrum_backend_requests_total{"));
    QVERIFY(response.body.contains("backend=\"alpha\""));
    verifyPromtoolAccepts(response.body);
}

void TestAdminApi::snapshotUnknownFormat()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("GET", "/api/v1/snapshot?format=xml", {}, {});
    QVERIFY2(errorMismatch(response, 400, u"format"_s).isEmpty(),
             qPrintable(errorMismatch(response, 400, u"format"_s)));
}

// A mutation is logged with the caller's address and the change.
void TestAdminApi::mutationIsAudited()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response = call("PATCH", "/api/v1/backends/alpha", R"({"weight": 5})");
    QVERIFY2(successMismatch(response, 200).isEmpty(), qPrintable(successMismatch(response, 200)));
    const QRegularExpression audit(
        uR"(admin API 127\.0\.0\.1:(\d+): [^\n]*\balpha\b[^\n]*weight[^\n]*\b5\b)"_s);
    QVERIFY2(m_proxy->waitForError(audit), m_proxy->standardError().constData());
    const quint16 callerPort =
        quint16(audit.match(QString::fromUtf8(m_proxy->standardError())).captured(1).toUInt());
    QVERIFY(callerPort != 0 && callerPort != m_adminPort);
}

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_admin_api.moc"
