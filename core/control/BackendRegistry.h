// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "control/BackendChange.h"
#include "control/BackendEdit.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace fulcrum {

// What an operator sees of one backend.
struct BackendStatus
{
    BackendConfig config;
    QString pool;
    BackendState state = BackendState::Up;         // as published: down when unhealthy or ejected
    BackendState operatorState = BackendState::Up; // as an operator (or the configuration) set it
    int effectiveWeight = 0;
    int inFlight = 0;
    bool removing = false;          // draining before it leaves the table
    bool healthy = true;            // the active checks' verdict (true when there are none)
    QString healthReason;           // why the checks last changed their verdict
    qint64 lastProbeLatencyUs = -1; // -1: never probed
    qint64 ejectedForMs = 0;        // time left of a passive-health ejection
    int timesEjected = 0;
    int activeConnections = 0; // open upstream connections, idle ones included
};

// The one place backends change: configuration loads, SIGHUP reloads, the admin API, the console
// and health checks all come through here. Backends belong to pools, each with its own balancing;
// names are unique across pools, so every operation names just the backend. Each change is validated
// whole (a refused change leaves everything as it was), published as a new immutable table per pool
// through tablesChanged, and announced through backendChanged. Lives on the control thread.
class BackendRegistry final : public QObject
{
    Q_OBJECT
public:
    explicit BackendRegistry(QObject *parent = nullptr);

    // How long a removed backend may keep requests in flight before it is dropped anyway.
    void setRemovalDrainTimeout(int ms) { m_removalDrainTimeoutMs = ms; }
    // The oldest table generation that something choosing backends may still use (the proxy's workers
    // take each new table when their event loops get to it). A removed backend leaves only once that
    // has reached a table where it drains: until then a worker may still choose it, with nothing yet
    // in flight. Without a probe, a published table counts as taken at once.
    void setTableAdoptionProbe(std::function<quint64()> oldestAdoptedGeneration)
    {
        m_oldestAdoptedGeneration = std::move(oldestAdoptedGeneration);
    }

    // Makes the running pools match a configuration: adds, removes (draining first), reweighs,
    // readdresses and moves between pools by name, keeping the state an operator set on backends that
    // stay. A pool that is gone keeps its draining backends until they leave.
    bool apply(const QList<PoolConfig> &pools, const QString &reason, QString *error);
    // Whether apply would accept these pools (names, weights, addresses), changing nothing.
    bool check(const QList<PoolConfig> &pools, QString *error) const;
    // The same for one pool named "default".
    bool apply(const BalancingConfig &balancing, const QList<BackendConfig> &backends, const QString &reason,
               QString *error);
    // Into the named pool; an empty name means the first one.
    bool addBackend(const BackendConfig &backend, const QString &reason, QString *error,
                    const QString &pool = {});
    // The backend drains first: no new requests, then it leaves the table once idle.
    bool removeBackend(const QString &name, const QString &reason, QString *error);
    bool setWeight(const QString &name, int weight, const QString &reason, QString *error);
    bool setState(const QString &name, BackendState state, const QString &reason, QString *error);
    // Every edit is checked before any is made: one refused edit refuses them all. The accepted ones
    // reach the workers as one new table, and are announced after it.
    bool applyEdits(const QList<BackendEdit> &edits, const QString &reason, QString *error);

    // Health: the active checks' verdict and the latency of the probe that gave it. A backend that is
    // not healthy is published as down whatever an operator set, until the checks pass again.
    // False for an unknown backend (one removed while its probe was under way).
    bool setHealth(const QString &name, bool healthy, const QString &reason, qint64 probeLatencyUs);
    // Passive health: takes the backend out for base × (times ejected) ms, capped, unless that would
    // eject more than the configured share of backends. False when refused or unknown.
    bool eject(const QString &name, const QString &reason);
    void setOutlierDetection(const OutlierDetectionConfig &config) { m_outlier = config; }

    // The named pool's table; an empty name means the first pool (the only one without "pools").
    BackendTablePtr table(const QString &pool = {}) const;
    const PoolTables &tables() const { return m_tables; }
    // The named pool's balancing; an empty name means the first pool.
    BalancingConfig balancing(const QString &pool = {}) const;
    QStringList poolNames() const;
    QList<BackendStatus> status() const;
    std::optional<BackendStatus> status(const QString &name) const;

Q_SIGNALS:
    void tablesChanged(const fulcrum::PoolTables &tables);
    void backendChanged(const fulcrum::BackendChange &change);

private:
    struct Pool
    {
        QString name;
        BalancingConfig balancing;
        bool retired = false; // gone from the configuration; kept while its backends drain
    };

    struct Entry
    {
        QString pool;
        int publishedWeight = -1; // the effective weight in the last table published
        Backend backend;          // config, address and runtime; state and weight as the operator set them
        qint64 rampStartMs = -1;  // slow start began here; -1 when not ramping
        qint64 removeDeadlineMs = -1;   // removal was asked for; -1 when staying
        quint64 drainingGeneration = 0; // the first table generation in which it drains for removal
        bool healthy = true;
        QString healthReason;
        qint64 lastProbeLatencyUs = -1;
        qint64 ejectedUntilMs = -1; // -1 when not ejected
        int timesEjected = 0;
    };

    qsizetype find(const QString &name) const;
    qsizetype findPool(const QString &name) const;
    const BalancingConfig &balancingOf(const Entry &entry) const;
    // The entry an operator's change applies to, or nullptr with *error saying why there is none.
    Entry *entryToChange(const QString &name, QString *error);
    bool validate(const BackendConfig &config, Backend *resolved, QString *error) const;
    // Every backend of the pools validated and resolved, with its pool's name; false on the first problem.
    bool resolve(const QList<PoolConfig> &pools, QList<Backend> *resolved, QStringList *poolOf,
                 QString *error) const;
    BackendState publishedState(const Entry &entry) const;
    // Runs change on the entry, then publishes and announces the state transition it caused, if any,
    // starting slow start when the backend comes back.
    template <typename Change>
    void transition(Entry &entry, const QString &reason, Change change);
    void beginRemoval(Entry &entry);
    void startRamp(Entry &entry);
    int slowStartWindow(const Entry &entry) const;
    int effectiveWeight(const Entry &entry) const;
    void publish();
    // Holds publish() and announce() while a batch of edits is made, then does both once.
    void beginBatch();
    void endBatch();
    void tick();
    void scheduleTicks();
    void announce(BackendChange::Kind kind, const QString &name, QString from, QString to, QString reason);

    QList<Entry> m_entries;
    QList<Pool> m_pools;
    PoolTables m_tables;
    quint64 m_generation = 0;
    int m_removalDrainTimeoutMs = 30'000;
    OutlierDetectionConfig m_outlier;
    std::function<quint64()> m_oldestAdoptedGeneration;
    QElapsedTimer m_clock;
    QTimer m_ticker; // runs only while a backend ramps up or drains for removal
    bool m_batching = false;
    bool m_publishHeld = false;
    QList<BackendChange> m_heldAnnouncements;
};

} // namespace fulcrum
