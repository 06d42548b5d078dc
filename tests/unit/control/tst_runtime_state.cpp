// SPDX-License-Identifier: GPL-3.0-or-later
// The state file's format and the rule that merges it with the configuration.
#include "config/ConfigLoader.h"
#include "control/RuntimeState.h"
#include "control/RuntimeStateMerge.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>

using namespace fulcrum;
using namespace Qt::StringLiterals;

using ConfigEdit = std::function<void(ProxyConfig &)>;
Q_DECLARE_METATYPE(ConfigEdit)

namespace {

// Two pools, a split between them and a route to one: {"web": w1, w2; "api": a1}.
const char *const kPoolsConfig = R"({"version": 1,
    "health_check": {"path": "/top"},
    "pools": [
        {"name": "web", "health_check": {"path": "/web"}, "backends": [
            {"name": "w1", "url": "http://127.0.0.1:9001", "weight": 2},
            {"name": "w2", "url": "http://127.0.0.1:9002"}]},
        {"name": "api", "backends": [{"name": "a1", "url": "http://127.0.0.1:9003"}]}],
    "routes": [
        {"name": "canary", "match": {"path_prefix": "/beta"}, "split": [{"pool": "web", "weight": 80}, {"pool": "api", "weight": 20}]},
        {"name": "rest", "pool": "web"}]})";

ProxyConfig load(const QByteArray &json)
{
    const ConfigLoadResult result = ConfigLoader::loadJson(json);
    if (!result.ok())
        qFatal("test configuration: %s", qPrintable(formatConfigErrors(result.errors)));
    return result.config;
}

ProxyConfig poolsConfig()
{
    return load(kPoolsConfig);
}

// The same with one substitution made in the file's text.
ProxyConfig poolsConfigWith(const char *from, const char *to)
{
    QByteArray json(kPoolsConfig);
    Q_ASSERT(json.contains(from));
    return load(json.replace(from, to));
}

ProxyConfig topLevelConfig()
{
    return load(R"({"version": 1, "backends": [
        {"name": "b1", "url": "http://127.0.0.1:9001"}, {"name": "b2", "url": "http://127.0.0.1:9002", "weight": 3}]})");
}

std::optional<BackendConfig> findBackend(const ProxyConfig &config, const QString &name,
                                         QString *pool = nullptr)
{
    for (const PoolConfig &candidate : config.effectivePools()) {
        for (const BackendConfig &backend : candidate.backends) {
            if (backend.name != name)
                continue;
            if (pool)
                *pool = candidate.name;
            return backend;
        }
    }
    return std::nullopt;
}

QStringList backendNames(const ProxyConfig &config)
{
    QStringList names;
    for (const PoolConfig &pool : config.effectivePools()) {
        for (const BackendConfig &backend : pool.backends)
            names.append(pool.name + u'/' + backend.name);
    }
    return names;
}

const RouteConfig &route(const ProxyConfig &config, const QString &name)
{
    const auto found = std::find_if(config.routes.cbegin(), config.routes.cend(),
                                    [&](const RouteConfig &r) { return r.name == name; });
    Q_ASSERT(found != config.routes.cend());
    return *found;
}

// The state a run of config saves when people changed w1 as given.
SavedBackend savedFromConfig(const ProxyConfig &config, const QString &name, int weight, BackendState state)
{
    QString pool;
    const std::optional<BackendConfig> backend = findBackend(config, name, &pool);
    Q_ASSERT(backend);
    return {name, pool, backend->url(), weight, state, declaredBackend(*backend, pool)};
}

QList<SplitTarget> split(int web, int api)
{
    return {{u"web"_s, web}, {u"api"_s, api}};
}

bool notesMention(const MergedRuntimeState &merged, const QString &text)
{
    return std::any_of(merged.notes.cbegin(), merged.notes.cend(),
                       [&](const QString &note) { return note.contains(text); });
}

BackendStatus status(const QString &name, const QString &pool, quint16 port, int weight,
                     BackendState operatorState = BackendState::Up)
{
    BackendStatus s;
    s.config.name = name;
    s.config.host = u"127.0.0.1"_s;
    s.config.port = port;
    s.config.weight = weight;
    s.pool = pool;
    s.operatorState = operatorState;
    s.state = operatorState;
    return s;
}

RuntimeState sampleState()
{
    RuntimeState state;
    state.backends = {
        {u"w1"_s, u"web"_s, u"http://127.0.0.1:9001"_s, 5, BackendState::Draining,
         DeclaredBackend{u"web"_s, u"http://127.0.0.1:9001"_s, 2}},
        {u"extra"_s, u"api"_s, u"http://[::1]:9010"_s, 0, BackendState::Maintenance, std::nullopt},
        {u"a1"_s, u"api"_s, u"http://127.0.0.1:9003"_s, 1, BackendState::Up,
         DeclaredBackend{u"api"_s, u"http://127.0.0.1:9003"_s, 1}},
    };
    state.removed = {{u"w2"_s, {u"web"_s, u"http://127.0.0.1:9002"_s, 1}}};
    state.splits = {{u"canary"_s, split(50, 50), split(80, 20)}};
    return state;
}

QByteArray withMember(const QByteArray &json, const QString &path, const QJsonValue &value)
{
    // path: "backends.0.weight" -- enough for the few edits the tests make.
    QJsonObject root = QJsonDocument::fromJson(json).object();
    const QStringList parts = path.split(u'.');
    std::function<QJsonValue(QJsonValue, qsizetype)> edit = [&](QJsonValue node, qsizetype i) -> QJsonValue {
        if (i == parts.size())
            return value;
        if (node.isArray()) {
            QJsonArray array = node.toArray();
            const int index = parts.at(i).toInt();
            array[index] = edit(array.at(index), i + 1);
            return array;
        }
        QJsonObject object = node.toObject();
        if (i + 1 == parts.size() && value.isUndefined())
            object.remove(parts.at(i));
        else
            object[parts.at(i)] = edit(object.value(parts.at(i)), i + 1);
        return object;
    };
    return QJsonDocument(edit(root, 0).toObject()).toJson();
}

} // namespace

class TestRuntimeState : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The file
    void jsonRoundTrip();
    void jsonHasTheDocumentedShape();
    void invalidDocuments_data();
    void invalidDocuments();
    void everyProblemIsReported();
    void missingFileIsAnEmptyState();
    void saveAndLoadFile();
    void saveToAnUnwritablePlaceFails();
    void adminStateSpelling();

    // The merge
    void withoutSavedStateTheConfigurationRuns();
    void unchangedEntryKeepsTheSavedValues();
    void changedEntryTakesTheConfiguration_data();
    void changedEntryTakesTheConfiguration();
    void removedBackendStaysRemoved();
    void removedBackendReturnsWhenItsEntryChanged();
    void runtimeBackendIsAddedToItsPool();
    void runtimeBackendYieldsToTheConfiguration();
    void runtimeBackendOfAGonePoolIsLeftOut();
    void runtimeBackendWithABadUrlIsLeftOut();
    void runtimeBackendMayReplaceARemovedOne();
    void backendTheConfigurationDroppedIsGone();
    void topLevelBackendsStayTopLevel();
    void unchangedSplitKeepsTheSavedWeights();
    void changedSplitTakesTheConfiguration();
    void savedSplitThatNoLongerFitsIsDropped();
    void equalSplitIsNoNews();

    // Capture
    void captureKeepsAdminStateApartFromHealth();
    void captureTellsConfigFromRuntime();
    void captureSavesRemovalsAndSplits();
    void captureThenMergeReproducesWhatRuns();
};

void TestRuntimeState::jsonRoundTrip()
{
    const RuntimeState state = sampleState();
    QList<ConfigError> errors;
    const std::optional<RuntimeState> read = runtimeStateFromJson(runtimeStateToJson(state), u"x"_s, &errors);
    QVERIFY2(read, qPrintable(formatConfigErrors(errors)));
    QVERIFY(*read == state);
    QVERIFY(runtimeStateFromJson(runtimeStateToJson(RuntimeState{}), u"x"_s, &errors) == RuntimeState{});
}

void TestRuntimeState::jsonHasTheDocumentedShape()
{
    const QJsonObject root = QJsonDocument::fromJson(runtimeStateToJson(sampleState())).object();
    QCOMPARE(root.value(u"schema"_s).toString(), u"fulcrum.state/1"_s);
    const QJsonObject w1 = root.value(u"backends"_s).toArray().at(0).toObject();
    QCOMPARE(w1.value(u"name"_s).toString(), u"w1"_s);
    QCOMPARE(w1.value(u"pool"_s).toString(), u"web"_s);
    QCOMPARE(w1.value(u"url"_s).toString(), u"http://127.0.0.1:9001"_s);
    QCOMPARE(w1.value(u"weight"_s).toInt(), 5);
    QCOMPARE(w1.value(u"admin_state"_s).toString(), u"drain"_s);
    QCOMPARE(w1.value(u"origin"_s).toString(), u"config"_s);
    QCOMPARE(w1.value(u"declared"_s).toObject(),
             (QJsonObject{{u"pool"_s, u"web"_s}, {u"url"_s, u"http://127.0.0.1:9001"_s}, {u"weight"_s, 2}}));
    const QJsonObject extra = root.value(u"backends"_s).toArray().at(1).toObject();
    QCOMPARE(extra.value(u"origin"_s).toString(), u"runtime"_s);
    QVERIFY(!extra.contains(u"declared"_s));
    QCOMPARE(root.value(u"removed"_s).toArray().at(0).toObject().value(u"name"_s).toString(), u"w2"_s);
    const QJsonObject canary = root.value(u"routes"_s).toArray().at(0).toObject();
    QCOMPARE(canary.value(u"name"_s).toString(), u"canary"_s);
    QCOMPARE(canary.value(u"split"_s).toArray().at(0).toObject().value(u"weight"_s).toInt(), 50);
    QCOMPARE(canary.value(u"declared"_s).toObject().value(u"split"_s).toArray().size(), 2);
    // Health belongs to the checks, which find it again after a restart.
    const QByteArray json = runtimeStateToJson(sampleState());
    QVERIFY(!json.contains("health"));
    QVERIFY(!json.contains("down"));
}

void TestRuntimeState::invalidDocuments_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("reason");

    const QByteArray valid = runtimeStateToJson(sampleState());
    QTest::newRow("syntax") << QByteArray("{\"schema\": ") << u"f.json"_s << u"JSON syntax error"_s;
    QTest::newRow("array") << QByteArray("[]") << u"f.json"_s << u"must be a JSON object"_s;
    QTest::newRow("no schema") << withMember(valid, u"schema"_s, QJsonValue::Undefined) << u"schema"_s
                               << u"is required (this build reads \"fulcrum.state/1\")"_s;
    QTest::newRow("other schema") << withMember(valid, u"schema"_s, u"fulcrum.state/2"_s) << u"schema"_s
                                  << u"unsupported schema"_s;
    QTest::newRow("weight") << withMember(valid, u"backends.0.weight"_s, 1001) << u"backends[0].weight"_s
                            << u"must be an integer from 0 to 1000"_s;
    QTest::newRow("admin state down") << withMember(valid, u"backends.0.admin_state"_s, u"down"_s)
                                      << u"backends[0].admin_state"_s << u"must be \"up\", \"drain\""_s;
    QTest::newRow("origin") << withMember(valid, u"backends.0.origin"_s, u"file"_s) << u"backends[0].origin"_s
                            << u"must be \"config\" or \"runtime\""_s;
    QTest::newRow("config origin without declared")
        << withMember(valid, u"backends.0.declared"_s, QJsonValue::Undefined) << u"backends[0].declared"_s
        << u"is required"_s;
    QTest::newRow("runtime origin with declared")
        << withMember(valid, u"backends.1.declared"_s, QJsonObject{}) << u"backends[1].declared"_s
        << u"only a backend of origin \"config\""_s;
    QTest::newRow("declared url") << withMember(valid, u"backends.0.declared.url"_s, u"ftp://x"_s)
                                  << u"backends[0].declared.url"_s << u"http"_s;
    QTest::newRow("url") << withMember(valid, u"backends.1.url"_s, u"http://[::1]:0"_s)
                         << u"backends[1].url"_s << u"port must be 1..65535"_s;
    QTest::newRow("name") << withMember(valid, u"backends.1.name"_s, u"no spaces"_s) << u"backends[1].name"_s
                          << u"A-Z"_s;
    QTest::newRow("missing pool") << withMember(valid, u"backends.1.pool"_s, QJsonValue::Undefined)
                                  << u"backends[1].pool"_s << u"is required"_s;
    QTest::newRow("duplicate name") << withMember(valid, u"removed.0.name"_s, u"w1"_s) << u"removed[0].name"_s
                                    << u"duplicate name"_s;
    QTest::newRow("split weight") << withMember(valid, u"routes.0.split.1.weight"_s, -1)
                                  << u"routes[0].split[1].weight"_s
                                  << u"must be an integer from 0 to 10000"_s;
    QTest::newRow("declared split missing") << withMember(valid, u"routes.0.declared"_s, QJsonObject{})
                                            << u"routes[0].declared.split"_s << u"is required"_s;
    QTest::newRow("unknown field") << withMember(valid, u"backends.0.healthy"_s, true)
                                   << u"backends[0].healthy"_s << u"unknown field"_s;
    QTest::newRow("backends not a list")
        << withMember(valid, u"backends"_s, QJsonObject{}) << u"backends"_s << u"must be an array"_s;
}

void TestRuntimeState::invalidDocuments()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QFETCH(QString, reason);

    QList<ConfigError> errors;
    QVERIFY(!runtimeStateFromJson(json, u"f.json"_s, &errors));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.constFirst().field, field);
    QVERIFY2(errors.constFirst().reason.contains(reason), qPrintable(errors.constFirst().toString()));
}

void TestRuntimeState::everyProblemIsReported()
{
    QByteArray json = runtimeStateToJson(sampleState());
    json = withMember(json, u"backends.0.weight"_s, -1);
    json = withMember(json, u"backends.2.admin_state"_s, u"off"_s);
    json = withMember(json, u"routes.0.name"_s, 5);
    QList<ConfigError> errors;
    QVERIFY(!runtimeStateFromJson(json, u"f.json"_s, &errors));
    QStringList fields;
    for (const ConfigError &error : errors)
        fields.append(error.field);
    QCOMPARE(fields,
             (QStringList{u"backends[0].weight"_s, u"backends[2].admin_state"_s, u"routes[0].name"_s}));
}

void TestRuntimeState::missingFileIsAnEmptyState()
{
    QTemporaryDir dir;
    QList<ConfigError> errors;
    const std::optional<RuntimeState> state = loadRuntimeState(dir.filePath(u"state.json"_s), &errors);
    QVERIFY(state);
    QVERIFY(*state == RuntimeState{});
    QVERIFY(errors.isEmpty());
    // A directory is no state file.
    QVERIFY(!loadRuntimeState(dir.path(), &errors));
    QCOMPARE(errors.constFirst().field, dir.path());
}

void TestRuntimeState::saveAndLoadFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.json"_s);
    QString error;
    QVERIFY2(saveRuntimeState(path, sampleState(), &error), qPrintable(error));
    RuntimeState changed = sampleState();
    changed.backends[0].weight = 9;
    QVERIFY2(saveRuntimeState(path, changed, &error), qPrintable(error));
    QList<ConfigError> errors;
    const std::optional<RuntimeState> read = loadRuntimeState(path, &errors);
    QVERIFY2(read, qPrintable(formatConfigErrors(errors)));
    QVERIFY(*read == changed);
    // Written through a temporary file renamed into place: nothing else is left in the directory.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{u"state.json"_s});
}

void TestRuntimeState::saveToAnUnwritablePlaceFails()
{
    QTemporaryDir dir;
    QString error;
    QVERIFY(!saveRuntimeState(dir.filePath(u"missing/state.json"_s), sampleState(), &error));
    QVERIFY(!error.isEmpty());
}

void TestRuntimeState::adminStateSpelling()
{
    QCOMPARE(adminStateName(BackendState::Up), u"up"_s);
    QCOMPARE(adminStateName(BackendState::Draining), u"drain"_s);
    QCOMPARE(adminStateName(BackendState::Maintenance), u"maintenance"_s);
    QCOMPARE(parseAdminState(u"drain"), std::optional(BackendState::Draining));
    QCOMPARE(parseAdminState(u"draining"), std::nullopt);
    QCOMPARE(parseAdminState(u"down"), std::nullopt);
}

void TestRuntimeState::withoutSavedStateTheConfigurationRuns()
{
    const ProxyConfig config = poolsConfig();
    const MergedRuntimeState merged = mergeRuntimeState(config, RuntimeState{});
    QCOMPARE(merged.config, config);
    QVERIFY(merged.notes.isEmpty());
    QCOMPARE(merged.adminStates.size(), 3);
    for (const BackendState state : merged.adminStates)
        QCOMPARE(state, BackendState::Up);
}

void TestRuntimeState::unchangedEntryKeepsTheSavedValues()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.backends = {savedFromConfig(config, u"w1"_s, 7, BackendState::Maintenance),
                      savedFromConfig(config, u"a1"_s, 0, BackendState::Draining)};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(findBackend(merged.config, u"w1"_s)->weight, 7);
    QCOMPARE(findBackend(merged.config, u"a1"_s)->weight, 0);
    QCOMPARE(merged.adminStates.value(u"w1"_s), BackendState::Maintenance);
    QCOMPARE(merged.adminStates.value(u"a1"_s), BackendState::Draining);
    // Everything else is the configuration's.
    QCOMPARE(findBackend(merged.config, u"w1"_s)->healthCheck.path, u"/web"_s);
    QCOMPARE(findBackend(merged.config, u"w2"_s)->weight, 1);
    QCOMPARE(merged.adminStates.value(u"w2"_s), BackendState::Up);
    QVERIFY(merged.notes.isEmpty());
}

void TestRuntimeState::changedEntryTakesTheConfiguration_data()
{
    QTest::addColumn<ConfigEdit>("edit");
    QTest::addColumn<QString>("pool");
    QTest::addColumn<int>("weight");

    QTest::newRow("weight") << ConfigEdit([](ProxyConfig &c) { c.pools[0].backends[0].weight = 4; })
                            << u"web"_s << 4;
    QTest::newRow("url") << ConfigEdit([](ProxyConfig &c) { c.pools[0].backends[0].port = 9011; }) << u"web"_s
                         << 2;
    QTest::newRow("pool") << ConfigEdit([](ProxyConfig &c) {
        c.pools[1].backends.append(c.pools[0].backends.takeFirst());
    }) << u"api"_s << 2;
}

void TestRuntimeState::changedEntryTakesTheConfiguration()
{
    QFETCH(ConfigEdit, edit);
    QFETCH(QString, pool);
    QFETCH(int, weight);

    const ProxyConfig before = poolsConfig();
    RuntimeState saved;
    saved.backends = {savedFromConfig(before, u"w1"_s, 9, BackendState::Maintenance)};
    ProxyConfig after = before;
    edit(after);
    const MergedRuntimeState merged = mergeRuntimeState(after, saved);
    QString mergedPool;
    const std::optional<BackendConfig> w1 = findBackend(merged.config, u"w1"_s, &mergedPool);
    QVERIFY(w1);
    QCOMPARE(mergedPool, pool);
    QCOMPARE(w1->weight, weight);
    QCOMPARE(merged.adminStates.value(u"w1"_s), BackendState::Up);
    QVERIFY2(notesMention(merged, u"backend w1: its entry in the configuration changed"_s),
             qPrintable(merged.notes.join(u'\n')));
}

void TestRuntimeState::removedBackendStaysRemoved()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.removed = {{u"w2"_s, declaredBackend(*findBackend(config, u"w2"_s), u"web"_s)}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"api/a1"_s}));
    QVERIFY(!merged.adminStates.contains(u"w2"_s));
    QVERIFY(merged.notes.isEmpty());
}

void TestRuntimeState::removedBackendReturnsWhenItsEntryChanged()
{
    const ProxyConfig before = poolsConfig();
    RuntimeState saved;
    saved.removed = {{u"w2"_s, declaredBackend(*findBackend(before, u"w2"_s), u"web"_s)}};
    const ProxyConfig after = poolsConfigWith("127.0.0.1:9002", "127.0.0.1:9012");
    const MergedRuntimeState merged = mergeRuntimeState(after, saved);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"web/w2"_s, u"api/a1"_s}));
    QCOMPARE(merged.adminStates.value(u"w2"_s), BackendState::Up);
    QVERIFY(notesMention(merged, u"backend w2: back"_s));
}

void TestRuntimeState::runtimeBackendIsAddedToItsPool()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.backends = {
        {u"extra"_s, u"web"_s, u"http://[::1]:9010"_s, 6, BackendState::Draining, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(backendNames(merged.config),
             (QStringList{u"web/w1"_s, u"web/w2"_s, u"web/extra"_s, u"api/a1"_s}));
    const std::optional<BackendConfig> extra = findBackend(merged.config, u"extra"_s);
    QCOMPARE(extra->host, u"::1"_s);
    QCOMPARE(extra->port, quint16(9010));
    QCOMPARE(extra->weight, 6);
    // The pool's settings, as for any backend added at runtime.
    QCOMPARE(extra->healthCheck.path, u"/web"_s);
    QCOMPARE(extra->slowStartMs, -1);
    QCOMPARE(merged.adminStates.value(u"extra"_s), BackendState::Draining);
    QVERIFY(merged.notes.isEmpty());
}

void TestRuntimeState::runtimeBackendYieldsToTheConfiguration()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.backends = {
        {u"a1"_s, u"web"_s, u"http://127.0.0.1:9999"_s, 6, BackendState::Maintenance, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"web/w2"_s, u"api/a1"_s}));
    QCOMPARE(findBackend(merged.config, u"a1"_s)->port, quint16(9003));
    QCOMPARE(merged.adminStates.value(u"a1"_s), BackendState::Up);
    QVERIFY(notesMention(merged, u"backend a1: the configuration's entry takes the place"_s));
}

void TestRuntimeState::runtimeBackendOfAGonePoolIsLeftOut()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.backends = {{u"extra"_s, u"old"_s, u"http://127.0.0.1:9010"_s, 1, BackendState::Up, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(merged.config, config);
    QVERIFY(!merged.adminStates.contains(u"extra"_s));
    QVERIFY(notesMention(merged, u"backend extra: not restored"_s));
    QVERIFY(notesMention(merged, u"\"old\""_s));
}

void TestRuntimeState::runtimeBackendWithABadUrlIsLeftOut()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.backends = {{u"extra"_s, u"web"_s, u"gopher://x"_s, 1, BackendState::Up, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(merged.config, config);
    QVERIFY(notesMention(merged, u"backend extra: not restored: URL"_s));
}

void TestRuntimeState::runtimeBackendMayReplaceARemovedOne()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.removed = {{u"w2"_s, declaredBackend(*findBackend(config, u"w2"_s), u"web"_s)}};
    saved.backends = {{u"w2"_s, u"api"_s, u"http://127.0.0.1:9020"_s, 3, BackendState::Up, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"api/a1"_s, u"api/w2"_s}));
    QCOMPARE(findBackend(merged.config, u"w2"_s)->port, quint16(9020));
}

void TestRuntimeState::backendTheConfigurationDroppedIsGone()
{
    const ProxyConfig before = poolsConfig();
    RuntimeState saved;
    saved.backends = {savedFromConfig(before, u"w2"_s, 5, BackendState::Maintenance)};
    ProxyConfig after = before;
    after.pools[0].backends.removeLast();
    const MergedRuntimeState merged = mergeRuntimeState(after, saved);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"api/a1"_s}));
    QVERIFY(!merged.adminStates.contains(u"w2"_s));
}

void TestRuntimeState::topLevelBackendsStayTopLevel()
{
    const ProxyConfig config = topLevelConfig();
    RuntimeState saved;
    saved.backends = {
        savedFromConfig(config, u"b2"_s, 8, BackendState::Up),
        {u"b3"_s, u"default"_s, u"http://127.0.0.1:9003"_s, 2, BackendState::Maintenance, std::nullopt}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QVERIFY(merged.config.pools.isEmpty());
    QCOMPARE(merged.config.backends.size(), 3);
    QCOMPARE(merged.config.backends.at(1).weight, 8);
    QCOMPARE(merged.config.backends.at(2).name, u"b3"_s);
    QCOMPARE(merged.adminStates.value(u"b3"_s), BackendState::Maintenance);
}

void TestRuntimeState::unchangedSplitKeepsTheSavedWeights()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.splits = {{u"canary"_s, split(0, 100), split(80, 20)}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(route(merged.config, u"canary"_s).split, split(0, 100));
    QVERIFY(merged.notes.isEmpty());
}

void TestRuntimeState::changedSplitTakesTheConfiguration()
{
    RuntimeState saved;
    saved.splits = {{u"canary"_s, split(0, 100), split(80, 20)}};
    const ProxyConfig after = poolsConfigWith(R"("weight": 80)", R"("weight": 90)");
    const MergedRuntimeState merged = mergeRuntimeState(after, saved);
    QCOMPARE(route(merged.config, u"canary"_s).split, split(90, 20));
    QVERIFY(notesMention(merged, u"route canary: its split in the configuration changed"_s));
}

void TestRuntimeState::savedSplitThatNoLongerFitsIsDropped()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    // Set live with a pool the configuration does not have (any more).
    saved.splits = {{u"canary"_s, {{u"web"_s, 1}, {u"gone"_s, 1}}, split(80, 20)}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(route(merged.config, u"canary"_s).split, split(80, 20));
    QVERIFY(notesMention(merged, u"route canary: the saved split"_s));
    QVERIFY(notesMention(merged, u"gone"_s));
}

void TestRuntimeState::equalSplitIsNoNews()
{
    const ProxyConfig config = poolsConfig();
    RuntimeState saved;
    saved.splits = {{u"canary"_s, split(80, 20), split(10, 10)}, {u"rest"_s, split(1, 1), split(1, 1)}};
    const MergedRuntimeState merged = mergeRuntimeState(config, saved);
    QCOMPARE(merged.config, config);
    QVERIFY(merged.notes.isEmpty());
}

void TestRuntimeState::captureKeepsAdminStateApartFromHealth()
{
    const ProxyConfig config = topLevelConfig();
    BackendStatus unhealthy = status(u"b1"_s, u"default"_s, 9001, 1);
    unhealthy.state = BackendState::Down;
    unhealthy.healthy = false;
    BackendStatus draining = status(u"b2"_s, u"default"_s, 9002, 3, BackendState::Draining);
    draining.healthy = false;
    const RuntimeState state = captureRuntimeState(config, {unhealthy, draining}, config.effectiveRoutes());
    QCOMPARE(state.backends.size(), 2);
    QCOMPARE(state.backends.at(0).adminState, BackendState::Up);
    QCOMPARE(state.backends.at(1).adminState, BackendState::Draining);
    // Not even a Down set as an admin state gets in.
    const RuntimeState forced =
        captureRuntimeState(config, {status(u"b1"_s, u"default"_s, 9001, 1, BackendState::Down)}, {});
    QCOMPARE(forced.backends.at(0).adminState, BackendState::Up);
}

void TestRuntimeState::captureTellsConfigFromRuntime()
{
    const ProxyConfig config = topLevelConfig();
    const RuntimeState state =
        captureRuntimeState(config,
                            {status(u"b1"_s, u"default"_s, 9001, 4), status(u"b2"_s, u"default"_s, 9022, 3),
                             status(u"b3"_s, u"default"_s, 9003, 1, BackendState::Maintenance)},
                            {});
    QCOMPARE(state.backends.size(), 3);
    QCOMPARE(state.backends.at(0).declared, (DeclaredBackend{u"default"_s, u"http://127.0.0.1:9001"_s, 1}));
    QCOMPARE(state.backends.at(0).weight, 4);
    // Same name, another address: added at runtime after the declared b2 left.
    QVERIFY(!state.backends.at(1).declared);
    QVERIFY(!state.backends.at(2).declared);
    QCOMPARE(state.removed,
             (QList<RemovedBackend>{{u"b2"_s, {u"default"_s, u"http://127.0.0.1:9002"_s, 3}}}));
}

void TestRuntimeState::captureSavesRemovalsAndSplits()
{
    const ProxyConfig config = poolsConfig();
    BackendStatus leaving = status(u"w2"_s, u"web"_s, 9002, 1, BackendState::Draining);
    leaving.removing = true;
    BackendStatus addedLeaving = status(u"extra"_s, u"web"_s, 9010, 1, BackendState::Draining);
    addedLeaving.removing = true;
    QList<RouteConfig> routes = config.routes;
    routes[0].split = split(50, 50);
    const RuntimeState state = captureRuntimeState(
        config,
        {status(u"w1"_s, u"web"_s, 9001, 2), leaving, addedLeaving, status(u"a1"_s, u"api"_s, 9003, 1)},
        routes);
    QCOMPARE(state.backends.size(), 2);
    QCOMPARE(state.removed, (QList<RemovedBackend>{{u"w2"_s, {u"web"_s, u"http://127.0.0.1:9002"_s, 1}}}));
    QCOMPARE(state.splits, (QList<SavedSplit>{{u"canary"_s, split(50, 50), split(80, 20)}}));
}

void TestRuntimeState::captureThenMergeReproducesWhatRuns()
{
    const ProxyConfig config = poolsConfig();
    QList<RouteConfig> routes = config.routes;
    routes[0].split = split(30, 70);
    const QList<BackendStatus> running = {status(u"w1"_s, u"web"_s, 9001, 9, BackendState::Maintenance),
                                          status(u"a1"_s, u"api"_s, 9003, 1),
                                          status(u"extra"_s, u"api"_s, 9010, 2, BackendState::Draining)};
    const RuntimeState state = captureRuntimeState(config, running, routes);
    QList<ConfigError> errors;
    const std::optional<RuntimeState> reread =
        runtimeStateFromJson(runtimeStateToJson(state), u"x"_s, &errors);
    QVERIFY2(reread, qPrintable(formatConfigErrors(errors)));
    const MergedRuntimeState merged = mergeRuntimeState(config, *reread);
    QCOMPARE(backendNames(merged.config), (QStringList{u"web/w1"_s, u"api/a1"_s, u"api/extra"_s}));
    QCOMPARE(findBackend(merged.config, u"w1"_s)->weight, 9);
    QCOMPARE(findBackend(merged.config, u"extra"_s)->weight, 2);
    QCOMPARE(merged.adminStates.value(u"w1"_s), BackendState::Maintenance);
    QCOMPARE(merged.adminStates.value(u"extra"_s), BackendState::Draining);
    QCOMPARE(route(merged.config, u"canary"_s).split, split(30, 70));
    QVERIFY(merged.notes.isEmpty());
}

QTEST_GUILESS_MAIN(TestRuntimeState)
#include "tst_runtime_state.moc"
