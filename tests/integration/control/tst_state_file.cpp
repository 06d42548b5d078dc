// SPDX-License-Identifier: GPL-3.0-or-later
// Runtime changes outlast a restart and a reload with --state-file, in the real fulcrumd: restored at start
// by the precedence rule (an entry the configuration changed since takes the configuration's values),
// saved on every change made through the admin API or a reload, never with health, and a state file that
// cannot be written costs only the saving.
#include "ProxyTest.h"
#include "control/RuntimeState.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

class TestStateFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void restoresWeightsAndAdminStatesAtStart();
    void changedConfigEntryTakesTheConfiguration();
    void removedBackendStaysRemovedAcrossReload();
    void reloadSavesTheNewConfiguration();
    void adminChangesSurviveARestart();
    void healthIsNeverSaved();
    void unwritableStateFileIsLoggedAndServingGoesOn();
    void brokenStateFileRefusesToStart();

private:
    // fulcrumd on the configuration file with the state file (and the admin API when admin is set).
    bool startProxy(bool admin = false);
    bool writeConfig(const QList<int> &weights, const QJsonObject &extra = {});
    // requests GETs; the count each backend served.
    QHash<QString, int> spread(int requests);
    bool saveState(const RuntimeState &state);
    RuntimeState readState();
    QByteArray stateText();
    HttpResponse admin(QByteArrayView method, QByteArrayView target, const QJsonObject &body = {});
    QString describeProxy() { return QString::fromUtf8(m_proxy->standardError()); }

    QList<std::shared_ptr<FakeBackend>> m_backends;
    std::unique_ptr<ConfigFile> m_config;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_statePath;
    std::unique_ptr<FulcrumProcess> m_proxy;
    quint16 m_adminPort = 0;
};

namespace {

const QByteArray kToken = "state-file-test-token";

QRegularExpression literal(const QString &text)
{
    return QRegularExpression(QRegularExpression::escape(text));
}

DeclaredBackend declared(const FakeBackend &backend, int weight)
{
    return {u"default"_s, backend.url(), weight};
}

} // namespace

void TestStateFile::init()
{
    m_backends.clear();
    for (const QString &name : {u"a"_s, u"b"_s, u"c"_s, u"d"_s}) {
        auto backend = std::make_shared<FakeBackend>(name);
        QVERIFY(backend->start());
        m_backends.append(backend);
    }
    m_config = std::make_unique<ConfigFile>();
    QVERIFY(m_config->isValid());
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_statePath = m_dir->filePath(u"state.json"_s);
    m_proxy = std::make_unique<FulcrumProcess>();
    m_adminPort = 0;
}

void TestStateFile::cleanup()
{
    m_proxy.reset();
    m_backends.clear();
}

bool TestStateFile::writeConfig(const QList<int> &weights, const QJsonObject &extra)
{
    QList<const FakeBackend *> backends;
    for (const auto &backend : std::as_const(m_backends))
        backends.append(backend.get());
    QJsonObject config = configJson(backends, {}, {}, weights);
    config.insert(u"access_log"_s, false);
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        config.insert(it.key(), it.value());
    return m_config->write(config);
}

bool TestStateFile::startProxy(bool withAdmin)
{
    QStringList arguments{u"--config"_s, m_config->path(), u"--state-file"_s, m_statePath};
    if (withAdmin) {
        const QString tokenFile = m_dir->filePath(u"token"_s);
        QFile file(tokenFile);
        if (!file.open(QIODevice::WriteOnly) || file.write(kToken) != kToken.size())
            return false;
        file.close();
        arguments << u"--admin"_s << u"127.0.0.1:0"_s << u"--admin-token-file"_s << tokenFile;
    }
    if (!m_proxy->start(arguments, 1))
        return false;
    if (withAdmin)
        m_adminPort = m_proxy->adminPort();
    return !withAdmin || m_adminPort != 0;
}

QHash<QString, int> TestStateFile::spread(int requests)
{
    QHash<QString, int> before;
    for (const auto &backend : std::as_const(m_backends))
        before.insert(backend->name(), backend->requestCount());
    for (int i = 0; i < requests; ++i) {
        const HttpResponse response = fetch(m_proxy->port(), RawClient::get("/"));
        if (response.status != 200)
            qWarning("request %d: %s", i, qPrintable(response.describe()));
    }
    QHash<QString, int> served;
    for (const auto &backend : std::as_const(m_backends))
        served.insert(backend->name(), backend->requestCount() - before.value(backend->name()));
    return served;
}

bool TestStateFile::saveState(const RuntimeState &state)
{
    QString error;
    if (!saveRuntimeState(m_statePath, state, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return true;
}

RuntimeState TestStateFile::readState()
{
    QList<ConfigError> errors;
    return loadRuntimeState(m_statePath, &errors).value_or(RuntimeState{});
}

QByteArray TestStateFile::stateText()
{
    QFile file(m_statePath);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

HttpResponse TestStateFile::admin(QByteArrayView method, QByteArrayView target, const QJsonObject &body)
{
    QList<std::pair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + kToken}};
    QByteArray json;
    if (!body.isEmpty()) {
        json = QJsonDocument(body).toJson(QJsonDocument::Compact);
        headers.emplaceBack("Content-Type", "application/json");
    }
    return fetch(m_adminPort, RawClient::buildRequest(method, target, headers, json));
}

// Saved: a at weight 3, c in maintenance, d removed; b as configured. Round robin then serves a and b
// 3 to 1, and neither c nor d.
void TestStateFile::restoresWeightsAndAdminStatesAtStart()
{
    QVERIFY(writeConfig({1, 1, 1, 1}));
    const FakeBackend &a = *m_backends[0], &b = *m_backends[1], &c = *m_backends[2], &d = *m_backends[3];
    RuntimeState state;
    state.backends = {{u"a"_s, u"default"_s, a.url(), 3, BackendState::Up, declared(a, 1)},
                      {u"b"_s, u"default"_s, b.url(), 1, BackendState::Up, declared(b, 1)},
                      {u"c"_s, u"default"_s, c.url(), 1, BackendState::Maintenance, declared(c, 1)}};
    state.removed = {{u"d"_s, declared(d, 1)}};
    QVERIFY(saveState(state));

    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    QVERIFY2(m_proxy->waitForError(literal(u"backend a at "_s + a.url() + u" weight 3"_s)),
             qPrintable(describeProxy()));
    QVERIFY2(m_proxy->waitForError(literal(u"route default:"_s)), qPrintable(describeProxy()));
    QVERIFY(!m_proxy->errorContains("backend d at"));
    const QHash<QString, int> served = spread(40);
    QCOMPARE(served.value(u"a"_s), 30);
    QCOMPARE(served.value(u"b"_s), 10);
    QCOMPARE(served.value(u"c"_s), 0);
    QCOMPARE(served.value(u"d"_s), 0);
    // Saved again, unchanged but for what it is: the same state.
    QTRY_VERIFY(readState() == state);
}

// The configuration gave a weight 1 when a was set to 5 and put in maintenance; it now says 2: the
// configuration's weight applies and a is back in rotation. b's entry is as it was, so b stays drained.
void TestStateFile::changedConfigEntryTakesTheConfiguration()
{
    QVERIFY(writeConfig({2, 1, 1, 1}));
    const FakeBackend &a = *m_backends[0], &b = *m_backends[1];
    RuntimeState state;
    state.backends = {{u"a"_s, u"default"_s, a.url(), 5, BackendState::Maintenance, declared(a, 1)},
                      {u"b"_s, u"default"_s, b.url(), 1, BackendState::Draining, declared(b, 1)}};
    state.removed = {{u"c"_s, declared(*m_backends[2], 1)}, {u"d"_s, declared(*m_backends[3], 1)}};
    QVERIFY(saveState(state));

    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    QVERIFY2(m_proxy->errorContains("backend a: its entry in the configuration changed"),
             qPrintable(describeProxy()));
    const QHash<QString, int> served = spread(20);
    QCOMPARE(served.value(u"a"_s), 20);
    QCOMPARE(served.value(u"b"_s), 0);
    QTRY_COMPARE(readState().backends.value(0).declared, std::optional(declared(a, 2)));
    QCOMPARE(readState().backends.value(0).adminState, BackendState::Up);
    QCOMPARE(readState().backends.value(1).adminState, BackendState::Draining);
}

// A reload rereads the configuration, which lists d again as it did when d was removed: d stays out.
void TestStateFile::removedBackendStaysRemovedAcrossReload()
{
    QVERIFY(writeConfig({1, 1, 1, 1}));
    RuntimeState state;
    state.removed = {{u"d"_s, declared(*m_backends[3], 1)}};
    QVERIFY(saveState(state));
    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    QCOMPARE(spread(30).value(u"d"_s), 0);

    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QVERIFY2(m_proxy->waitForError(literal(u"configuration reloaded"_s)), qPrintable(describeProxy()));
    const QHash<QString, int> served = spread(30);
    QCOMPARE(served.value(u"a"_s), 10);
    QCOMPARE(served.value(u"d"_s), 0);
    QVERIFY(!m_proxy->errorContains("backend d: added"));
    QCOMPARE(readState().removed, state.removed);
}

// What a reload changes is saved, against the entries of the configuration it read.
void TestStateFile::reloadSavesTheNewConfiguration()
{
    QVERIFY(writeConfig({1, 1, 1, 1}));
    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    QTRY_COMPARE(readState().backends.size(), 4);

    QVERIFY(writeConfig({4, 1, 1, 1}));
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QVERIFY2(m_proxy->waitForError(literal(u"backend a: weight 1 -> 4 (SIGHUP reload)"_s)),
             qPrintable(describeProxy()));
    QTRY_COMPARE(readState().backends.value(0).declared, std::optional(declared(*m_backends[0], 4)));
    QCOMPARE(readState().backends.value(0).weight, 4);
}

// Weights, admin states, an added and a removed backend, changed through the admin API, then a restart
// with the same configuration: all of it is back.
void TestStateFile::adminChangesSurviveARestart()
{
    const std::shared_ptr<FakeBackend> d = m_backends.takeLast(); // not configured: added at runtime
    QVERIFY(writeConfig({1, 1, 1}));
    QVERIFY2(startProxy(true), qPrintable(m_proxy->errorString()));

    HttpResponse response = admin("PATCH", "/api/v1/backends/a", {{u"weight"_s, 3}});
    QVERIFY2(response.status == 200, qPrintable(response.describe()));
    response = admin("PATCH", "/api/v1/backends/b", {{u"state"_s, u"maintenance"_s}});
    QVERIFY2(response.status == 200, qPrintable(response.describe()));
    response =
        admin("POST", "/api/v1/backends", {{u"name"_s, u"d"_s}, {u"url"_s, d->url()}, {u"weight"_s, 1}});
    QVERIFY2(response.status == 201, qPrintable(response.describe()));
    response = admin("DELETE", "/api/v1/backends/c");
    QVERIFY2(response.status == 202, qPrintable(response.describe()));
    QTRY_COMPARE(readState().backends.size(), 3);
    const RuntimeState saved = readState();
    QCOMPARE(saved.backends.value(0).weight, 3);
    QCOMPARE(saved.backends.value(1).adminState, BackendState::Maintenance);
    QVERIFY(!saved.backends.value(2).declared);
    QCOMPARE(saved.removed.value(0).name, u"c"_s);

    QVERIFY(m_proxy->sendSignal(SIGTERM));
    QCOMPARE(m_proxy->waitForExit(), std::optional(0));
    m_proxy = std::make_unique<FulcrumProcess>();
    m_backends.append(d);
    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    const QHash<QString, int> served = spread(40);
    QCOMPARE(served.value(u"a"_s), 30);
    QCOMPARE(served.value(u"b"_s), 0);
    QCOMPARE(served.value(u"c"_s), 0);
    QCOMPARE(served.value(u"d"_s), 10);
}

// A backend found down by its health checks is saved as people left it: up.
void TestStateFile::healthIsNeverSaved()
{
    QVERIFY(writeConfig({1, 1, 1, 1}, {{u"health_check"_s, QJsonObject{{u"interval_ms"_s, 100},
                                                                       {u"timeout_ms"_s, 100},
                                                                       {u"jitter_percent"_s, 0},
                                                                       {u"fall"_s, 1}}}}));
    QVERIFY2(startProxy(true), qPrintable(m_proxy->errorString()));
    m_backends[0]->stop();
    QVERIFY2(m_proxy->waitForError(literal(u"backend a: state up -> down"_s)), qPrintable(describeProxy()));
    // A change of people's own, so that the file is written while a is down.
    const HttpResponse response = admin("PATCH", "/api/v1/backends/b", {{u"weight"_s, 2}});
    QVERIFY2(response.status == 200, qPrintable(response.describe()));
    QTRY_COMPARE(readState().backends.value(1).weight, 2);
    QCOMPARE(readState().backends.value(0).adminState, BackendState::Up);
    const QByteArray text = stateText();
    QVERIFY2(!text.contains("down") && !text.contains("health"), text.constData());
}

void TestStateFile::unwritableStateFileIsLoggedAndServingGoesOn()
{
    QVERIFY(writeConfig({1, 1, 1, 1}));
    m_statePath = m_dir->filePath(u"no-such-directory/state.json"_s);
    QVERIFY2(startProxy(), qPrintable(m_proxy->errorString()));
    QVERIFY2(m_proxy->waitForError(literal(u"cannot save the runtime state to "_s + m_statePath)),
             qPrintable(describeProxy()));
    const QHash<QString, int> served = spread(8);
    for (const auto &backend : std::as_const(m_backends))
        QCOMPARE(served.value(backend->name()), 2);
    QVERIFY(m_proxy->isRunning());
}

void TestStateFile::brokenStateFileRefusesToStart()
{
    QVERIFY(writeConfig({1, 1, 1, 1}));
    QFile file(m_statePath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QVERIFY(file.write(R"({"schema": "fulcrum.state/1", "backends": [{"name": "a", "weight": 1}]})") > 0);
    file.close();
    const FulcrumProcess::Result result = FulcrumProcess::run(
        {u"--config"_s, m_config->path(), u"--state-file"_s, m_statePath, u"--listen"_s, u"127.0.0.1:0"_s});
    QVERIFY(result.finished);
    QVERIFY(result.exitCode != 0);
    QVERIFY2(
        result.standardError.contains(QByteArray(m_statePath.toUtf8() + ": backends[0].pool: is required")),
        result.standardError.constData());
}

QTEST_GUILESS_MAIN(TestStateFile)
#include "tst_state_file.moc"
