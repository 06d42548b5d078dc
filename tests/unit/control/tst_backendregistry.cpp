// SPDX-License-Identifier: GPL-3.0-or-later
#include "control/BackendRegistry.h"

#include <QSignalSpy>
#include <QTest>

using namespace fulcrum;
Q_DECLARE_METATYPE(fulcrum::BackendEdit)
using namespace Qt::StringLiterals;

namespace {
BackendConfig backend(const QString &name, int weight = 1, quint16 port = 9001)
{
    BackendConfig config;
    config.name = name;
    config.host = u"127.0.0.1"_s;
    config.port = port;
    config.weight = weight;
    return config;
}

BackendChange changeAt(const QSignalSpy &spy, qsizetype index)
{
    return spy.at(index).at(0).value<BackendChange>();
}

const Backend &backendIn(const BackendRegistry &registry, const QString &name)
{
    const BackendTablePtr table = registry.table();
    const qsizetype index = table->indexOf(name);
    Q_ASSERT(index >= 0);
    return table->at(index);
}
} // namespace

class TestBackendRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initialApplyPublishesFullWeights();
    void refusedChangesLeaveEverything_data();
    void refusedChangesLeaveEverything();
    void addAndSetWeightAnnounceChanges();
    void stateTakesBackendOutOfRotation();
    void removeDrainsUntilIdle();
    void removeGivesUpAfterDrainTimeout();
    void removeWaitsForEveryWorkerToSeeItDrain();
    void slowStartRampsAfterReturn();
    void reloadDiffsByName();
    void reloadCancelsPendingRemoval();
    void healthVerdictOverridesUpButNotMaintenance();
    void ejectionLastsLongerEachTimeAndEnds();
    void ejectionNeverEmptiesMoreThanTheShare();
    void failOpenPanicUsesDownBackends();
    void editsApplyAsOneTable();
    void oneRefusedEditRefusesAll_data();
    void oneRefusedEditRefusesAll();
};

void TestBackendRegistry::initialApplyPublishesFullWeights()
{
    BackendRegistry registry;
    QSignalSpy tables(&registry, &BackendRegistry::tablesChanged);
    BalancingConfig balancing;
    balancing.slowStartMs = 60'000;
    QString error;
    QVERIFY2(registry.apply(balancing, {backend(u"a"_s, 5), backend(u"b"_s, 0)}, u"test"_s, &error),
             qPrintable(error));
    QCOMPARE(tables.size(), 1);
    QCOMPARE(registry.table()->size(), 2);
    // Slow start is for backends that come back, not for the first table.
    QCOMPARE(backendIn(registry, u"a"_s).effectiveWeight, 5);
    QVERIFY(backendIn(registry, u"a"_s).inRotation());
    QVERIFY(!backendIn(registry, u"b"_s).inRotation());
    QCOMPARE(backendIn(registry, u"a"_s).authority, QByteArray("127.0.0.1:9001"));
}

void TestBackendRegistry::refusedChangesLeaveEverything_data()
{
    QTest::addColumn<int>("operation");
    QTest::addColumn<QString>("expectedError");
    QTest::newRow("add duplicate") << 0 << u"duplicate backend name \"a\""_s;
    QTest::newRow("add bad name") << 1 << u"backend name \"no spaces\""_s;
    QTest::newRow("add weight out of range") << 2 << u"weight 1001 must be"_s;
    QTest::newRow("add unresolvable host") << 3 << u"cannot resolve host \"nowhere.invalid\""_s;
    QTest::newRow("weight of unknown backend") << 4 << u"unknown backend \"zz\""_s;
    QTest::newRow("negative weight") << 5 << u"weight -1 must be"_s;
    QTest::newRow("state of unknown backend") << 6 << u"unknown backend \"zz\""_s;
    QTest::newRow("remove unknown backend") << 7 << u"unknown backend \"zz\""_s;
    QTest::newRow("reload with duplicate") << 8 << u"duplicate backend name \"c\""_s;
    QTest::newRow("reload with unresolvable host") << 9 << u"cannot resolve host"_s;
    QTest::newRow("add without port") << 10 << u"port from 1 to 65535"_s;
}

void TestBackendRegistry::refusedChangesLeaveEverything()
{
    QFETCH(int, operation);
    QFETCH(QString, expectedError);
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s, 3)}, u"test"_s, &error));
    const BackendTablePtr before = registry.table();
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QSignalSpy tables(&registry, &BackendRegistry::tablesChanged);

    BackendConfig unresolvable = backend(u"c"_s);
    unresolvable.host = u"nowhere.invalid"_s;
    BackendConfig portless = backend(u"c"_s);
    portless.port = 0;
    bool accepted = true;
    switch (operation) {
    case 0:
        accepted = registry.addBackend(backend(u"a"_s), u"test"_s, &error);
        break;
    case 1:
        accepted = registry.addBackend(backend(u"no spaces"_s), u"test"_s, &error);
        break;
    case 2:
        accepted = registry.addBackend(backend(u"c"_s, 1001), u"test"_s, &error);
        break;
    case 3:
        accepted = registry.addBackend(unresolvable, u"test"_s, &error);
        break;
    case 4:
        accepted = registry.setWeight(u"zz"_s, 2, u"test"_s, &error);
        break;
    case 5:
        accepted = registry.setWeight(u"a"_s, -1, u"test"_s, &error);
        break;
    case 6:
        accepted = registry.setState(u"zz"_s, BackendState::Maintenance, u"test"_s, &error);
        break;
    case 7:
        accepted = registry.removeBackend(u"zz"_s, u"test"_s, &error);
        break;
    case 8:
        accepted = registry.apply({}, {backend(u"a"_s), backend(u"c"_s), backend(u"c"_s)}, u"test"_s, &error);
        break;
    case 9:
        accepted = registry.apply({}, {backend(u"a"_s, 7), unresolvable}, u"test"_s, &error);
        break;
    case 10:
        accepted = registry.addBackend(portless, u"test"_s, &error);
        break;
    }
    QVERIFY(!accepted);
    QVERIFY2(error.contains(expectedError), qPrintable(error));
    QCOMPARE(registry.table(), before);
    QCOMPARE(changes.size(), 0);
    QCOMPARE(tables.size(), 0);
    QCOMPARE(backendIn(registry, u"a"_s).config.weight, 1);
}

void TestBackendRegistry::addAndSetWeightAnnounceChanges()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s)}, u"test"_s, &error));
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);

    QVERIFY(registry.addBackend(backend(u"b"_s, 4, 9002), u"console"_s, &error));
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changeAt(changes, 0).kind, BackendChange::Kind::Added);
    QCOMPARE(changeAt(changes, 0).to, u"http://127.0.0.1:9002"_s);
    QCOMPARE(changeAt(changes, 0).reason, u"console"_s);
    QCOMPARE(registry.table()->size(), 2);

    QVERIFY(registry.setWeight(u"b"_s, 9, u"admin API"_s, &error));
    QCOMPARE(changes.size(), 2);
    QCOMPARE(changeAt(changes, 1).describe(), u"backend b: weight 4 -> 9 (admin API)"_s);
    QCOMPARE(backendIn(registry, u"b"_s).effectiveWeight, 9);

    // Setting what is already set changes nothing and says nothing.
    const BackendTablePtr table = registry.table();
    QVERIFY(registry.setWeight(u"b"_s, 9, u"admin API"_s, &error));
    QCOMPARE(changes.size(), 2);
    QCOMPARE(registry.table(), table);
}

void TestBackendRegistry::stateTakesBackendOutOfRotation()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    for (const BackendState state : {BackendState::Maintenance, BackendState::Down, BackendState::Draining}) {
        QVERIFY(registry.setState(u"a"_s, state, u"operator"_s, &error));
        QCOMPARE(backendIn(registry, u"a"_s).state, state);
        QVERIFY(!backendIn(registry, u"a"_s).inRotation());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(registry.table()->pick({}), registry.table()->indexOf(u"b"_s));
    }
    QVERIFY(registry.setState(u"a"_s, BackendState::Up, u"operator"_s, &error));
    QVERIFY(backendIn(registry, u"a"_s).inRotation());
    QCOMPARE(changes.size(), 4);
    QCOMPARE(changeAt(changes, 0).describe(), u"backend a: state up -> maintenance (operator)"_s);
    QCOMPARE(changeAt(changes, 3).to, u"up"_s);
    QCOMPARE(registry.status(u"a"_s)->state, BackendState::Up);
}

void TestBackendRegistry::removeDrainsUntilIdle()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    const std::shared_ptr<BackendRuntime> runtime = backendIn(registry, u"a"_s).runtime;
    runtime->inFlight = 2; // two requests still on their way
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);

    QVERIFY(registry.removeBackend(u"a"_s, u"operator"_s, &error));
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changeAt(changes, 0).to, u"draining"_s);
    QCOMPARE(backendIn(registry, u"a"_s).state, BackendState::Draining);
    QVERIFY(registry.status(u"a"_s)->removing);
    QCOMPARE(registry.status(u"a"_s)->inFlight, 2);
    QVERIFY(!registry.setState(u"a"_s, BackendState::Up, u"operator"_s, &error));
    QVERIFY2(error.contains(u"being removed"_s), qPrintable(error));
    QVERIFY(!registry.removeBackend(u"a"_s, u"operator"_s, &error));

    runtime->inFlight = 0;
    QTRY_COMPARE(changes.size(), 2);
    QCOMPARE(changeAt(changes, 1).kind, BackendChange::Kind::Removed);
    QCOMPARE(changeAt(changes, 1).reason, u"drained"_s);
    QCOMPARE(registry.table()->indexOf(u"a"_s), -1);
    QVERIFY(!registry.status(u"a"_s));
}

void TestBackendRegistry::removeGivesUpAfterDrainTimeout()
{
    BackendRegistry registry;
    registry.setRemovalDrainTimeout(100);
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    const std::shared_ptr<BackendRuntime> runtime = backendIn(registry, u"a"_s).runtime;
    runtime->inFlight = 1;
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QVERIFY(registry.removeBackend(u"a"_s, u"operator"_s, &error));
    QTRY_COMPARE(changes.size(), 2);
    QCOMPARE(changeAt(changes, 1).kind, BackendChange::Kind::Removed);
    QCOMPARE(changeAt(changes, 1).reason, u"drain timeout with 1 requests still in flight"_s);
    QCOMPARE(registry.table()->indexOf(u"a"_s), -1);
}

// Nothing in flight is not enough while a worker still chooses from a table without the drain: it may
// pick the backend right after it was dropped. The removal waits for the adoption probe.
void TestBackendRegistry::removeWaitsForEveryWorkerToSeeItDrain()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    quint64 adopted = registry.table()->generation();
    registry.setTableAdoptionProbe([&adopted] { return adopted; });
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QVERIFY(registry.removeBackend(u"a"_s, u"operator"_s, &error));
    QCOMPARE(changes.size(), 1);
    QVERIFY(!QTest::qWaitFor([&changes] { return changes.size() > 1; }, 300));
    QVERIFY(registry.status(u"a"_s));

    adopted = registry.table()->generation();
    QTRY_COMPARE(changes.size(), 2);
    QCOMPARE(changeAt(changes, 1).kind, BackendChange::Kind::Removed);
    QCOMPARE(changeAt(changes, 1).reason, u"drained"_s);
}

void TestBackendRegistry::slowStartRampsAfterReturn()
{
    BackendRegistry registry;
    BalancingConfig balancing;
    balancing.slowStartMs = 600;
    QString error;
    QVERIFY(registry.apply(balancing, {backend(u"a"_s, 100), backend(u"b"_s, 100)}, u"test"_s, &error));
    QVERIFY(registry.setState(u"a"_s, BackendState::Down, u"health"_s, &error));
    QVERIFY(registry.setState(u"a"_s, BackendState::Up, u"health"_s, &error));
    const int first = backendIn(registry, u"a"_s).effectiveWeight;
    QVERIFY2(first >= 10 && first < 100, qPrintable(QString::number(first)));
    QCOMPARE(registry.status(u"a"_s)->config.weight, 100);
    // The ramp climbs in steps, each published as a new table, until the full weight.
    QList<int> seen{first};
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const int now = backendIn(registry, u"a"_s).effectiveWeight;
            if (now != seen.constLast())
                seen.append(now);
            return now == 100;
        }(),
        5000);
    QVERIFY2(seen.size() >= 3, "the ramp should pass through intermediate weights");
    QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
    // An unaffected backend never ramped.
    QCOMPARE(backendIn(registry, u"b"_s).effectiveWeight, 100);
    // A backend-level window overrides the pool's: zero means no ramp at all.
    BackendConfig immediate = backend(u"c"_s, 50, 9003);
    immediate.slowStartMs = 0;
    QVERIFY(registry.addBackend(immediate, u"test"_s, &error));
    QCOMPARE(backendIn(registry, u"c"_s).effectiveWeight, 50);
    QVERIFY(registry.addBackend(backend(u"d"_s, 50, 9004), u"test"_s, &error));
    QVERIFY(backendIn(registry, u"d"_s).effectiveWeight < 50);
}

void TestBackendRegistry::reloadDiffsByName()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(
        registry.apply({}, {backend(u"a"_s), backend(u"b"_s), backend(u"c"_s)}, u"configuration"_s, &error));
    QVERIFY(registry.setState(u"b"_s, BackendState::Maintenance, u"operator"_s, &error));
    const std::shared_ptr<BackendRuntime> runtimeOfA = backendIn(registry, u"a"_s).runtime;
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);

    BalancingConfig leastConnections;
    leastConnections.strategy = StrategyKind::LeastConnections;
    QVERIFY(registry.apply(leastConnections, {backend(u"a"_s, 3, 9100), backend(u"b"_s), backend(u"d"_s)},
                           u"SIGHUP reload"_s, &error));
    QStringList described;
    for (qsizetype i = 0; i < changes.size(); ++i)
        described.append(changeAt(changes, i).describe());
    QCOMPARE(described,
             QStringList(
                 {u"backend a: weight 1 -> 3 (SIGHUP reload)"_s,
                  u"backend a: address http://127.0.0.1:9001 -> http://127.0.0.1:9100 (SIGHUP reload)"_s,
                  u"backend d: added at http://127.0.0.1:9001 (SIGHUP reload)"_s,
                  u"backend c: state up -> draining (SIGHUP reload)"_s, u"backend c: removed (drained)"_s}));
    // Counters follow the name; the state an operator set survives a reload.
    QCOMPARE(backendIn(registry, u"a"_s).runtime, runtimeOfA);
    QCOMPARE(backendIn(registry, u"b"_s).state, BackendState::Maintenance);
    QCOMPARE(registry.table()->balancing().strategy, StrategyKind::LeastConnections);
    QCOMPARE(registry.table()->size(), 3);
}

void TestBackendRegistry::reloadCancelsPendingRemoval()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    backendIn(registry, u"b"_s).runtime->inFlight = 1;
    QVERIFY(registry.removeBackend(u"b"_s, u"operator"_s, &error));
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"SIGHUP reload"_s, &error));
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changeAt(changes, 0).describe(), u"backend b: state draining -> up (SIGHUP reload)"_s);
    QVERIFY(backendIn(registry, u"b"_s).inRotation());
    QVERIFY(!registry.status(u"b"_s)->removing);
    backendIn(registry, u"b"_s).runtime->inFlight = 0;
}

void TestBackendRegistry::healthVerdictOverridesUpButNotMaintenance()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);

    QVERIFY(registry.setHealth(u"a"_s, false, u"3/3 probes failed: timeout after 1000 ms"_s, 1'000'000));
    QCOMPARE(backendIn(registry, u"a"_s).state, BackendState::Down);
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changeAt(changes, 0).describe(),
             u"backend a: state up -> down (3/3 probes failed: timeout after 1000 ms)"_s);
    QCOMPARE(registry.status(u"a"_s)->healthReason, u"3/3 probes failed: timeout after 1000 ms"_s);
    QCOMPARE(registry.status(u"a"_s)->lastProbeLatencyUs, 1'000'000);

    // A result that changes nothing only updates the latency.
    QVERIFY(registry.setHealth(u"a"_s, false, u"3/3 probes failed: timeout after 1000 ms"_s, 5));
    QCOMPARE(changes.size(), 1);
    QCOMPARE(registry.status(u"a"_s)->lastProbeLatencyUs, 5);

    // An operator's maintenance outranks health; coming out of it, the verdict decides.
    QVERIFY(registry.setState(u"a"_s, BackendState::Maintenance, u"operator"_s, &error));
    QCOMPARE(changeAt(changes, 1).describe(), u"backend a: state down -> maintenance (operator)"_s);
    QVERIFY(registry.setHealth(u"a"_s, true, u"2/2 probes passed"_s, 800));
    QCOMPARE(changes.size(), 2);
    QCOMPARE(backendIn(registry, u"a"_s).state, BackendState::Maintenance);
    QVERIFY(registry.setHealth(u"a"_s, false, u"3/3 probes failed: status 503 not in 200-399"_s, 800));
    QVERIFY(registry.setState(u"a"_s, BackendState::Up, u"operator"_s, &error));
    QCOMPARE(changeAt(changes, 2).describe(), u"backend a: state maintenance -> down (operator)"_s);
    QCOMPARE(registry.status(u"a"_s)->operatorState, BackendState::Up);
    QVERIFY(registry.setHealth(u"a"_s, true, u"2/2 probes passed"_s, 800));
    QCOMPARE(changeAt(changes, 3).describe(), u"backend a: state down -> up (2/2 probes passed)"_s);
    QVERIFY(!registry.setHealth(u"gone"_s, true, u"2/2 probes passed"_s, 1));
}

void TestBackendRegistry::ejectionLastsLongerEachTimeAndEnds()
{
    BackendRegistry registry;
    OutlierDetectionConfig outlier;
    outlier.baseEjectionMs = 150;
    outlier.maxEjectionMs = 250;
    registry.setOutlierDetection(outlier);
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);

    QVERIFY(registry.eject(u"a"_s, u"5 consecutive failures"_s));
    QCOMPARE(backendIn(registry, u"a"_s).state, BackendState::Down);
    QCOMPARE(changeAt(changes, 0).reason, u"5 consecutive failures; ejected for 150 ms"_s);
    QVERIFY(!registry.eject(u"a"_s, u"again"_s)); // already out
    QTRY_COMPARE(changes.size(), 2);
    QCOMPARE(changeAt(changes, 1).describe(), u"backend a: state down -> up (ejection ended)"_s);

    QVERIFY(registry.eject(u"a"_s, u"5 consecutive failures"_s));
    QCOMPARE(changeAt(changes, 2).reason, u"5 consecutive failures; ejected for 250 ms"_s); // 300, capped
    QCOMPARE(registry.status(u"a"_s)->timesEjected, 2);
    QTRY_COMPARE(backendIn(registry, u"a"_s).state, BackendState::Up);
}

void TestBackendRegistry::ejectionNeverEmptiesMoreThanTheShare()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply({}, {backend(u"a"_s), backend(u"b"_s), backend(u"c"_s)}, u"test"_s, &error));
    QVERIFY(registry.eject(u"a"_s, u"failing"_s));
    // A second ejection would take two of three (67%) out, above the default 50%.
    QVERIFY(!registry.eject(u"b"_s, u"failing"_s));
    QCOMPARE(backendIn(registry, u"b"_s).state, BackendState::Up);
    OutlierDetectionConfig off;
    off.enabled = false;
    registry.setOutlierDetection(off);
    QVERIFY(!registry.eject(u"c"_s, u"failing"_s));
}

void TestBackendRegistry::failOpenPanicUsesDownBackends()
{
    BackendRegistry registry;
    BalancingConfig balancing;
    balancing.panicMode = PanicMode::FailOpen;
    QString error;
    QVERIFY(
        registry.apply(balancing, {backend(u"a"_s), backend(u"b"_s), backend(u"c"_s)}, u"test"_s, &error));
    QVERIFY(registry.setState(u"c"_s, BackendState::Maintenance, u"operator"_s, &error));
    QVERIFY(registry.setHealth(u"a"_s, false, u"down"_s, 1));
    QVERIFY(!registry.table()->isPanicking());
    QVERIFY(registry.setHealth(u"b"_s, false, u"down"_s, 1));
    const BackendTablePtr table = registry.table();
    QVERIFY(table->isPanicking());
    QSet<qsizetype> picked;
    for (int i = 0; i < 10; ++i)
        picked.insert(table->pick({}));
    QCOMPARE(picked, (QSet<qsizetype>{table->indexOf(u"a"_s), table->indexOf(u"b"_s)}));

    balancing.panicMode = PanicMode::FailClosed;
    QVERIFY(
        registry.apply(balancing, {backend(u"a"_s), backend(u"b"_s), backend(u"c"_s)}, u"test"_s, &error));
    QCOMPARE(registry.table()->pick({}), -1);
}

void TestBackendRegistry::editsApplyAsOneTable()
{
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply(BalancingConfig{}, {backend(u"a"_s), backend(u"b"_s), backend(u"c"_s)}, u"test"_s,
                           &error));
    QSignalSpy tables(&registry, &BackendRegistry::tablesChanged);
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QVERIFY2(registry.applyEdits({{u"a"_s, 7, std::nullopt},
                                  {u"b"_s, 3, BackendState::Maintenance},
                                  {u"c"_s, std::nullopt, BackendState::Draining}},
                                 u"batch"_s, &error),
             qPrintable(error));
    // Workers never see a table with some of the edits and not the others.
    QCOMPARE(tables.size(), 1);
    QCOMPARE(changes.size(), 4);
    QCOMPARE(backendIn(registry, u"a"_s).config.weight, 7);
    QCOMPARE(backendIn(registry, u"b"_s).config.weight, 3);
    QCOMPARE(backendIn(registry, u"b"_s).state, BackendState::Maintenance);
    QCOMPARE(backendIn(registry, u"c"_s).state, BackendState::Draining);
    QCOMPARE(changeAt(changes, 0).reason, u"batch"_s);
}

void TestBackendRegistry::oneRefusedEditRefusesAll_data()
{
    QTest::addColumn<BackendEdit>("bad");
    QTest::addColumn<QString>("why");
    QTest::newRow("unknown backend") << BackendEdit{u"zz"_s, 2, std::nullopt} << u"unknown backend"_s;
    QTest::newRow("weight out of range") << BackendEdit{u"b"_s, 1001, std::nullopt} << u"weight 1001"_s;
    QTest::newRow("down is for health checks")
        << BackendEdit{u"b"_s, std::nullopt, BackendState::Down} << u"health checks"_s;
    QTest::newRow("edited twice") << BackendEdit{u"a"_s, 4, std::nullopt} << u"edited twice"_s;
}

void TestBackendRegistry::oneRefusedEditRefusesAll()
{
    QFETCH(BackendEdit, bad);
    QFETCH(QString, why);
    BackendRegistry registry;
    QString error;
    QVERIFY(registry.apply(BalancingConfig{}, {backend(u"a"_s), backend(u"b"_s)}, u"test"_s, &error));
    QSignalSpy tables(&registry, &BackendRegistry::tablesChanged);
    QSignalSpy changes(&registry, &BackendRegistry::backendChanged);
    QVERIFY(!registry.applyEdits({{u"a"_s, 9, BackendState::Maintenance}, bad}, u"batch"_s, &error));
    QVERIFY2(error.contains(why), qPrintable(error));
    QCOMPARE(tables.size(), 0);
    QCOMPARE(changes.size(), 0);
    QCOMPARE(backendIn(registry, u"a"_s).config.weight, 1);
    QCOMPARE(backendIn(registry, u"a"_s).state, BackendState::Up);
}

QTEST_GUILESS_MAIN(TestBackendRegistry)
#include "tst_backendregistry.moc"
