// SPDX-License-Identifier: GPL-3.0-or-later
// The keeper with the real proxy it watches: what it saves as changes happen, and what it puts back at
// start and on a reload.
#include "config/ConfigLoader.h"
#include "control/RuntimeStateKeeper.h"
#include "proxy/ProxyServer.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace Qt::StringLiterals;

class TestRuntimeStateKeeper : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void savesAtStartAndOnEveryChange();
    void burstIsSavedOnce();
    void healthIsNeverSaved();
    void startRestoresBeforeServing();
    void reloadKeepsRuntimeChanges();
    void reloadWithChangedEntryTakesTheConfiguration();
    void reloadWithChangedSplitTakesTheConfiguration();
    void refusedReloadKeepsWhatWasDeclared();
    void brokenStateFileRefusesTheStart();
    void unwritableFileIsLoggedAndServingGoesOn();

private:
    // Starts a proxy on config, restored from the state file first.
    bool start(ProxyConfig config);
    bool reload(ProxyConfig config);
    // The file's state after the next save.
    RuntimeState nextSaved();
    RuntimeState fileState();
    BackendStatus backend(const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    std::unique_ptr<ProxyServer> m_server;
    std::unique_ptr<RuntimeStateKeeper> m_keeper;
    std::unique_ptr<QSignalSpy> m_saved;
};

namespace {

constexpr const char *kTopLevel = R"({"version": 1, "listen": ["127.0.0.1:0"], "workers": 1, "backends": [
    {"name": "b1", "url": "http://127.0.0.1:9001"},
    {"name": "b2", "url": "http://127.0.0.1:9002", "weight": 2}]})";

constexpr const char *kSplit = R"({"version": 1, "listen": ["127.0.0.1:0"], "workers": 1,
    "pools": [{"name": "web", "backends": [{"name": "w1", "url": "http://127.0.0.1:9001"}]},
              {"name": "api", "backends": [{"name": "a1", "url": "http://127.0.0.1:9002"}]}],
    "routes": [{"name": "canary", "split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 20}]}]})";

ProxyConfig load(QByteArray json, const char *from = nullptr, const char *to = nullptr)
{
    if (from)
        json.replace(from, to);
    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    if (!result.ok())
        qFatal("test configuration: %s", qPrintable(formatConfigErrors(result.errors)));
    return result.config;
}

QList<SplitTarget> split(int web, int api)
{
    return {{u"web"_s, web}, {u"api"_s, api}};
}

} // namespace

void TestRuntimeStateKeeper::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(u"state.json"_s);
    m_server = std::make_unique<ProxyServer>();
}

void TestRuntimeStateKeeper::cleanup()
{
    m_saved.reset();
    m_keeper.reset();
    m_server.reset();
}

bool TestRuntimeStateKeeper::start(ProxyConfig config)
{
    m_keeper = std::make_unique<RuntimeStateKeeper>(m_path, m_server->backends(), m_server->routing());
    m_saved = std::make_unique<QSignalSpy>(m_keeper.get(), &RuntimeStateKeeper::saved);
    QString error;
    if (!m_keeper->restore(config, &error) || !m_server->start(config, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return true;
}

bool TestRuntimeStateKeeper::reload(ProxyConfig config)
{
    QString error;
    if (!m_keeper->restore(config, &error) || !m_server->applyRouting(config, u"test reload"_s, &error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    return true;
}

RuntimeState TestRuntimeStateKeeper::nextSaved()
{
    if (!m_saved->wait(5000) || !m_saved->constLast().at(0).toString().isEmpty())
        return {};
    return fileState();
}

RuntimeState TestRuntimeStateKeeper::fileState()
{
    QList<ConfigError> errors;
    const std::optional<RuntimeState> state = loadRuntimeState(m_path, &errors);
    if (!state)
        qWarning("%s", qPrintable(formatConfigErrors(errors)));
    return state.value_or(RuntimeState{});
}

BackendStatus TestRuntimeStateKeeper::backend(const QString &name)
{
    return m_server->backends().status(name).value_or(BackendStatus{});
}

void TestRuntimeStateKeeper::savesAtStartAndOnEveryChange()
{
    QVERIFY(start(load(kTopLevel)));
    RuntimeState state = nextSaved();
    QCOMPARE(state.backends.size(), 2);
    QCOMPARE(state.backends.at(1).declared, (DeclaredBackend{u"default"_s, u"http://127.0.0.1:9002"_s, 2}));

    QString error;
    BackendRegistry &registry = m_server->backends();
    QVERIFY(registry.setWeight(u"b1"_s, 5, u"test"_s, &error));
    QCOMPARE(nextSaved().backends.at(0).weight, 5);
    QVERIFY(registry.setState(u"b2"_s, BackendState::Maintenance, u"test"_s, &error));
    QCOMPARE(nextSaved().backends.at(1).adminState, BackendState::Maintenance);
    BackendConfig added;
    added.name = u"b3"_s;
    added.host = u"127.0.0.1"_s;
    added.port = 9003;
    QVERIFY(registry.addBackend(added, u"test"_s, &error));
    state = nextSaved();
    QCOMPARE(state.backends.size(), 3);
    QVERIFY(!state.backends.at(2).declared);
    QVERIFY(registry.removeBackend(u"b1"_s, u"test"_s, &error));
    state = nextSaved();
    QCOMPARE(state.backends.size(), 2);
    QCOMPARE(state.removed,
             (QList<RemovedBackend>{{u"b1"_s, {u"default"_s, u"http://127.0.0.1:9001"_s, 1}}}));
}

void TestRuntimeStateKeeper::burstIsSavedOnce()
{
    QVERIFY(start(load(kTopLevel)));
    nextSaved();
    m_saved->clear();
    QString error;
    for (const int weight : {3, 4, 5})
        QVERIFY(m_server->backends().setWeight(u"b1"_s, weight, u"test"_s, &error));
    QVERIFY(m_saved->wait(5000));
    QCoreApplication::processEvents();
    QCOMPARE(m_saved->size(), 1);
    QCOMPARE(fileState().backends.at(0).weight, 5);
}

void TestRuntimeStateKeeper::healthIsNeverSaved()
{
    QVERIFY(start(load(kTopLevel)));
    nextSaved();
    m_saved->clear();
    QVERIFY(m_server->backends().setHealth(u"b1"_s, false, u"probe failed"_s, 1000));
    QCOMPARE(backend(u"b1"_s).state, BackendState::Down);
    // The change is announced, the keeper looks, and finds nothing of its own to save.
    bool looked = false;
    QTimer::singleShot(0, this, [&looked] { looked = true; });
    QTRY_VERIFY(looked);
    QCOMPARE(m_saved->size(), 0);

    QString error;
    QVERIFY(m_server->backends().setWeight(u"b2"_s, 4, u"test"_s, &error));
    const RuntimeState state = nextSaved();
    QCOMPARE(state.backends.at(0).adminState, BackendState::Up);
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray json = file.readAll();
    QVERIFY(!json.contains("down"));
    QVERIFY(!json.contains("health"));
    QVERIFY(!json.contains("probe"));
}

void TestRuntimeStateKeeper::startRestoresBeforeServing()
{
    RuntimeState saved;
    saved.backends = {
        {u"b1"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 7, BackendState::Maintenance,
         DeclaredBackend{u"default"_s, u"http://127.0.0.1:9001"_s, 1}},
        {u"b3"_s, u"default"_s, u"http://127.0.0.1:9003"_s, 2, BackendState::Draining, std::nullopt}};
    saved.removed = {{u"b2"_s, {u"default"_s, u"http://127.0.0.1:9002"_s, 2}}};
    QString error;
    QVERIFY2(saveRuntimeState(m_path, saved, &error), qPrintable(error));

    m_keeper = std::make_unique<RuntimeStateKeeper>(m_path, m_server->backends(), m_server->routing());
    ProxyConfig config = load(kTopLevel);
    QVERIFY2(m_keeper->restore(config, &error), qPrintable(error));
    // Before a worker runs, the registry knows what people had set.
    QCOMPARE(backend(u"b1"_s).operatorState, BackendState::Maintenance);
    QCOMPARE(backend(u"b3"_s).operatorState, BackendState::Draining);
    QVERIFY2(m_server->start(config, &error), qPrintable(error));

    const QList<BackendStatus> running = m_server->backends().status();
    QCOMPARE(running.size(), 2);
    QCOMPARE(backend(u"b1"_s).config.weight, 7);
    QCOMPARE(backend(u"b1"_s).operatorState, BackendState::Maintenance);
    QCOMPARE(backend(u"b3"_s).config.weight, 2);
    QCOMPARE(backend(u"b3"_s).operatorState, BackendState::Draining);
    QVERIFY(!m_server->backends().status(u"b2"_s));
    // Backends present at start take their full weight at once, restored or not.
    QCOMPARE(backend(u"b3"_s).effectiveWeight, 2);
}

void TestRuntimeStateKeeper::reloadKeepsRuntimeChanges()
{
    QVERIFY(start(load(kSplit)));
    nextSaved();
    QString error;
    BackendRegistry &registry = m_server->backends();
    QVERIFY(registry.setWeight(u"w1"_s, 7, u"test"_s, &error));
    QVERIFY(registry.setState(u"w1"_s, BackendState::Maintenance, u"test"_s, &error));
    BackendConfig added;
    added.name = u"a2"_s;
    added.host = u"127.0.0.1"_s;
    added.port = 9004;
    QVERIFY(registry.addBackend(added, u"test"_s, &error, u"api"_s));
    QVERIFY(registry.removeBackend(u"a1"_s, u"test"_s, &error));
    QVERIFY(m_server->routing().setSplit(u"canary"_s, split(30, 70), u"test"_s, &error));
    const RuntimeState before = nextSaved();

    QVERIFY(reload(load(kSplit)));
    // Nothing to save: the reload changed nothing of what runs.
    bool looked = false;
    QTimer::singleShot(0, this, [&looked] { looked = true; });
    QTRY_VERIFY(looked);
    QVERIFY(fileState() == before);
    QCOMPARE(backend(u"w1"_s).config.weight, 7);
    QCOMPARE(backend(u"w1"_s).operatorState, BackendState::Maintenance);
    QCOMPARE(backend(u"a2"_s).pool, u"api"_s);
    const std::optional<BackendStatus> a1 = registry.status(u"a1"_s);
    QVERIFY(!a1 || a1->removing);
    QCOMPARE(m_server->routing().routes().constFirst().split, split(30, 70));
}

void TestRuntimeStateKeeper::reloadWithChangedEntryTakesTheConfiguration()
{
    QVERIFY(start(load(kTopLevel)));
    nextSaved();
    QString error;
    QVERIFY(m_server->backends().setWeight(u"b1"_s, 7, u"test"_s, &error));
    QVERIFY(m_server->backends().setState(u"b1"_s, BackendState::Maintenance, u"test"_s, &error));
    QVERIFY(m_server->backends().setState(u"b2"_s, BackendState::Draining, u"test"_s, &error));
    nextSaved();

    QTest::ignoreMessage(QtInfoMsg,
                         QRegularExpression(u"backend b1: its entry in the configuration changed"_s));
    QVERIFY(reload(load(kTopLevel, R"(9001"})", R"(9001", "weight": 3})")));
    QCOMPARE(backend(u"b1"_s).config.weight, 3);
    QTRY_COMPARE(backend(u"b1"_s).operatorState, BackendState::Up);
    // b2's entry did not change: what people set stays.
    QCOMPARE(backend(u"b2"_s).operatorState, BackendState::Draining);
    QTRY_COMPARE(fileState().backends.at(0).declared,
                 std::optional(DeclaredBackend{u"default"_s, u"http://127.0.0.1:9001"_s, 3}));
}

void TestRuntimeStateKeeper::reloadWithChangedSplitTakesTheConfiguration()
{
    RuntimeState saved;
    saved.splits = {{u"canary"_s, split(50, 50), split(80, 20)}};
    QString error;
    QVERIFY(saveRuntimeState(m_path, saved, &error));
    QVERIFY(start(load(kSplit)));
    QCOMPARE(m_server->routing().routes().constFirst().split, split(50, 50));
    nextSaved();
    QVERIFY(m_server->routing().setSplit(u"canary"_s, split(10, 90), u"test"_s, &error));
    nextSaved();

    // The configuration now says what was restored at start: still a change of the configuration.
    QVERIFY(reload(load(kSplit, R"("weight": 80}, {"pool": "api", "weight": 20})",
                        R"("weight": 50}, {"pool": "api", "weight": 50})")));
    QTRY_COMPARE(m_server->routing().routes().constFirst().split, split(50, 50));
    QTRY_COMPARE(fileState().splits.constFirst().declared, split(50, 50));
}

void TestRuntimeStateKeeper::refusedReloadKeepsWhatWasDeclared()
{
    QVERIFY(start(load(kTopLevel)));
    nextSaved();
    QString error;
    QVERIFY(m_server->backends().setWeight(u"b1"_s, 7, u"test"_s, &error));
    nextSaved();

    // Restored into, but then refused before it ran.
    ProxyConfig refused = load(kTopLevel, R"(9001"})", R"(9001", "weight": 3})");
    QVERIFY(m_keeper->restore(refused, &error));
    QVERIFY(m_server->backends().setWeight(u"b2"_s, 5, u"test"_s, &error));
    const RuntimeState state = nextSaved();
    QCOMPARE(state.backends.at(0).weight, 7);
    QCOMPARE(state.backends.at(0).declared->weight, 1);
    QCOMPARE(backend(u"b1"_s).config.weight, 7);
}

void TestRuntimeStateKeeper::brokenStateFileRefusesTheStart()
{
    RuntimeState saved;
    saved.backends = {{u"b1"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 7, BackendState::Up, std::nullopt}};
    QString error;
    QVERIFY(saveRuntimeState(m_path, saved, &error));
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QByteArray json = file.readAll().replace("\"weight\": 7", "\"weight\": 7000");
    QVERIFY(file.resize(0) && file.write(json) == json.size());
    file.close();

    RuntimeStateKeeper keeper(m_path, m_server->backends(), m_server->routing());
    ProxyConfig config = load(kTopLevel);
    QVERIFY(!keeper.restore(config, &error));
    QVERIFY2(error.contains(m_path + u": backends[0].weight: \"7000\": must be an integer from 0 to 1000"),
             qPrintable(error));
    QCOMPARE(config, load(kTopLevel));
}

void TestRuntimeStateKeeper::unwritableFileIsLoggedAndServingGoesOn()
{
    m_path = m_dir->filePath(u"missing-directory/state.json"_s);
    const QRegularExpression warning(u"cannot save the runtime state to .*missing-directory"_s);
    QTest::ignoreMessage(QtWarningMsg, warning);
    QVERIFY(start(load(kTopLevel)));
    QVERIFY(m_saved->wait(5000));
    QVERIFY(!m_saved->constLast().at(0).toString().isEmpty());

    // Said once, not on every change.
    QTest::failOnWarning(warning);
    QString error;
    QVERIFY(m_server->backends().setWeight(u"b1"_s, 4, u"test"_s, &error));
    QVERIFY(m_saved->wait(5000));
    QCOMPARE(backend(u"b1"_s).config.weight, 4);
    QVERIFY(!QFile::exists(m_path));
}

QTEST_GUILESS_MAIN(TestRuntimeStateKeeper)
#include "tst_runtime_state_keeper.moc"
