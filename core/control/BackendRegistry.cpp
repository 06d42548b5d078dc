// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendRegistry.h"

#include "config/ConfigValues.h"
#include "control/BackendResolver.h"
#include "control/SlowStart.h"

#include <QSet>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
// Often enough for a ramp to look smooth and for a drained backend to leave promptly, rarely enough
// that rebuilding tables costs nothing worth measuring.
constexpr int kTickMs = 50;

QString unknownBackend(const QString &name)
{
    return u"unknown backend \"%1\""_s.arg(name);
}
} // namespace

BackendRegistry::BackendRegistry(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<BackendTablePtr>();
    qRegisterMetaType<BackendChange>();
    m_clock.start();
    connect(&m_ticker, &QTimer::timeout, this, &BackendRegistry::tick);
}

qsizetype BackendRegistry::find(const QString &name) const
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        if (m_entries.at(i).backend.config.name == name)
            return i;
    }
    return -1;
}

qsizetype BackendRegistry::findPool(const QString &name) const
{
    for (qsizetype i = 0; i < m_pools.size(); ++i) {
        if (m_pools.at(i).name == name)
            return i;
    }
    return -1;
}

const BalancingConfig &BackendRegistry::balancingOf(const Entry &entry) const
{
    static const BalancingConfig none;
    const qsizetype pool = findPool(entry.pool);
    return pool >= 0 ? m_pools.at(pool).balancing : none;
}

BackendTablePtr BackendRegistry::table(const QString &pool) const
{
    for (const PoolTable &table : m_tables) {
        if (pool.isEmpty() || table.name == pool)
            return table.table;
    }
    return {};
}

BalancingConfig BackendRegistry::balancing(const QString &pool) const
{
    const qsizetype index = pool.isEmpty() ? (m_pools.isEmpty() ? -1 : 0) : findPool(pool);
    return index >= 0 ? m_pools.at(index).balancing : BalancingConfig{};
}

QStringList BackendRegistry::poolNames() const
{
    QStringList names;
    for (const Pool &pool : m_pools) {
        if (!pool.retired)
            names.append(pool.name);
    }
    return names;
}

bool BackendRegistry::validate(const BackendConfig &config, Backend *resolved, QString *error) const
{
    const QString nameProblem = checkBackendName(config.name);
    if (!nameProblem.isEmpty()) {
        *error = u"backend name \"%1\" %2"_s.arg(config.name, nameProblem);
        return false;
    }
    if (!ranges::weight.contains(config.weight)) {
        *error = u"backend %1: weight %2 %3"_s.arg(config.name)
                     .arg(config.weight)
                     .arg(ranges::weight.requirement());
        return false;
    }
    // Only DnsDiscovery's expansion of it can run: the name stands for many backends.
    if (config.discovery != BackendDiscovery::None) {
        *error = u"backend %1: DNS discovery (resolve, srv://) needs fulcrumd"_s.arg(config.name);
        return false;
    }
    if (config.host.isEmpty() || config.port == 0) {
        *error = u"backend %1: needs a host and a port from 1 to 65535"_s.arg(config.name);
        return false;
    }
    resolved->config = config;
    return resolveBackend(resolved, error);
}

bool BackendRegistry::apply(const BalancingConfig &balancing, const QList<BackendConfig> &backends,
                            const QString &reason, QString *error)
{
    PoolConfig pool;
    pool.name = ProxyConfig::DefaultPoolName;
    pool.balancing = balancing;
    pool.backends = backends;
    return apply({pool}, reason, error);
}

bool BackendRegistry::resolve(const QList<PoolConfig> &pools, QList<Backend> *resolved, QStringList *poolOf,
                              QString *error) const
{
    QSet<QString> names;
    QSet<QString> poolNames;
    for (const PoolConfig &pool : pools) {
        if (poolNames.contains(pool.name)) {
            *error = u"duplicate pool name \"%1\""_s.arg(pool.name);
            return false;
        }
        poolNames.insert(pool.name);
        for (const BackendConfig &config : pool.backends) {
            if (names.contains(config.name)) {
                *error = u"duplicate backend name \"%1\""_s.arg(config.name);
                return false;
            }
            names.insert(config.name);
            Backend backend;
            if (!validate(config, &backend, error))
                return false;
            resolved->append(std::move(backend));
            poolOf->append(pool.name);
        }
    }
    return true;
}

bool BackendRegistry::check(const QList<PoolConfig> &pools, QString *error) const
{
    QList<Backend> resolved;
    QStringList poolOf;
    return resolve(pools, &resolved, &poolOf, error);
}

bool BackendRegistry::apply(const QList<PoolConfig> &pools, const QString &reason, QString *error)
{
    // Everything is checked before anything changes.
    QList<Backend> resolved;
    QStringList poolOf;
    if (!resolve(pools, &resolved, &poolOf, error))
        return false;
    QSet<QString> names;
    QSet<QString> poolNames;
    for (const Backend &backend : std::as_const(resolved))
        names.insert(backend.config.name);
    for (const PoolConfig &pool : pools)
        poolNames.insert(pool.name);

    const bool initial = m_tables.isEmpty();
    QList<BackendChange> changes;
    QList<Entry> next;
    for (qsizetype i = 0; i < resolved.size(); ++i) {
        Backend &backend = resolved[i];
        const QString name = backend.config.name;
        const qsizetype existing = find(name);
        if (existing < 0) {
            backend.runtime = std::make_shared<BackendRuntime>();
            Entry entry;
            entry.pool = poolOf.at(i);
            entry.backend = std::move(backend);
            if (!initial)
                startRamp(entry);
            changes.append({BackendChange::Kind::Added, name, {}, entry.backend.config.url(), reason});
            next.append(std::move(entry));
            continue;
        }
        Entry entry = m_entries.at(existing);
        entry.pool = poolOf.at(i);
        if (entry.removeDeadlineMs >= 0) {
            entry.removeDeadlineMs = -1;
            entry.backend.state = BackendState::Up;
            changes.append({BackendChange::Kind::StateChanged, name, backendStateName(BackendState::Draining),
                            backendStateName(BackendState::Up), reason});
        }
        const BackendConfig &old = entry.backend.config;
        if (old.weight != backend.config.weight)
            changes.append({BackendChange::Kind::WeightChanged, name, QString::number(old.weight),
                            QString::number(backend.config.weight), reason});
        if (old.url() != backend.config.url())
            changes.append(
                {BackendChange::Kind::AddressChanged, name, old.url(), backend.config.url(), reason});
        entry.backend.config = backend.config;
        entry.backend.address = backend.address;
        entry.backend.authority = backend.authority;
        next.append(std::move(entry));
    }
    for (const Entry &entry : std::as_const(m_entries)) {
        if (names.contains(entry.backend.config.name))
            continue;
        Entry leaving = entry;
        if (leaving.removeDeadlineMs < 0) {
            changes.append({BackendChange::Kind::StateChanged, leaving.backend.config.name,
                            backendStateName(leaving.backend.state), backendStateName(BackendState::Draining),
                            reason});
            beginRemoval(leaving);
        }
        next.append(std::move(leaving));
    }
    QList<Pool> nextPools;
    for (const PoolConfig &pool : pools)
        nextPools.append({pool.name, pool.balancing, false});
    for (const Pool &pool : std::as_const(m_pools)) {
        if (!poolNames.contains(pool.name))
            nextPools.append({pool.name, pool.balancing, true});
    }
    m_entries = std::move(next);
    m_pools = std::move(nextPools);
    publish();
    for (const BackendChange &change : std::as_const(changes))
        Q_EMIT backendChanged(change);
    tick(); // a removed backend that is already idle leaves now
    return true;
}

bool BackendRegistry::addBackend(const BackendConfig &config, const QString &reason, QString *error,
                                 const QString &pool)
{
    if (find(config.name) >= 0) {
        *error = u"duplicate backend name \"%1\""_s.arg(config.name);
        return false;
    }
    const qsizetype poolIndex = pool.isEmpty() ? (m_pools.isEmpty() ? -1 : 0) : findPool(pool);
    if (poolIndex < 0 || m_pools.at(poolIndex).retired) {
        *error =
            pool.isEmpty() ? u"there is no pool to add a backend to"_s : u"unknown pool \"%1\""_s.arg(pool);
        return false;
    }
    Entry entry;
    entry.pool = m_pools.at(poolIndex).name;
    if (!validate(config, &entry.backend, error))
        return false;
    entry.backend.runtime = std::make_shared<BackendRuntime>();
    if (!m_tables.isEmpty())
        startRamp(entry);
    m_entries.append(entry);
    publish();
    announce(BackendChange::Kind::Added, config.name, {}, config.url(), reason);
    return true;
}

bool BackendRegistry::removeBackend(const QString &name, const QString &reason, QString *error)
{
    Entry *entry = entryToChange(name, error);
    if (entry == nullptr)
        return false;
    const BackendState before = entry->backend.state;
    beginRemoval(*entry);
    publish();
    if (before != BackendState::Draining)
        announce(BackendChange::Kind::StateChanged, name, backendStateName(before),
                 backendStateName(BackendState::Draining), reason);
    tick();
    return true;
}

bool BackendRegistry::setWeight(const QString &name, int weight, const QString &reason, QString *error)
{
    const qsizetype index = find(name);
    if (index < 0) {
        *error = unknownBackend(name);
        return false;
    }
    if (!ranges::weight.contains(weight)) {
        *error = u"weight %1 %2"_s.arg(weight).arg(ranges::weight.requirement());
        return false;
    }
    Entry &entry = m_entries[index];
    const int before = entry.backend.config.weight;
    if (before == weight)
        return true;
    entry.backend.config.weight = weight;
    publish();
    announce(BackendChange::Kind::WeightChanged, name, QString::number(before), QString::number(weight),
             reason);
    return true;
}

bool BackendRegistry::setState(const QString &name, BackendState state, const QString &reason, QString *error)
{
    Entry *entry = entryToChange(name, error);
    if (entry == nullptr)
        return false;
    if (entry->backend.state != state)
        transition(*entry, reason, [state](Entry &e) { e.backend.state = state; });
    return true;
}

bool BackendRegistry::applyEdits(const QList<BackendEdit> &edits, const QString &reason, QString *error)
{
    QSet<QString> seen;
    for (const BackendEdit &edit : edits) {
        if (entryToChange(edit.name, error) == nullptr)
            return false;
        if (seen.contains(edit.name)) {
            *error = u"backend %1 is edited twice"_s.arg(edit.name);
            return false;
        }
        seen.insert(edit.name);
        if (edit.weight && !ranges::weight.contains(*edit.weight)) {
            *error = u"backend %1: weight %2 %3"_s.arg(edit.name)
                         .arg(*edit.weight)
                         .arg(ranges::weight.requirement());
            return false;
        }
        if (edit.state == BackendState::Down) {
            *error = u"backend %1: state down is for health checks to set, not people"_s.arg(edit.name);
            return false;
        }
    }
    beginBatch();
    for (const BackendEdit &edit : edits) {
        // Checked above: neither can fail now.
        if (edit.weight)
            setWeight(edit.name, *edit.weight, reason, error);
        if (edit.state)
            setState(edit.name, *edit.state, reason, error);
    }
    endBatch();
    return true;
}

void BackendRegistry::beginBatch()
{
    m_batching = true;
    m_publishHeld = false;
}

void BackendRegistry::endBatch()
{
    m_batching = false;
    if (m_publishHeld)
        publish();
    const QList<BackendChange> held = std::exchange(m_heldAnnouncements, {});
    for (const BackendChange &change : held)
        Q_EMIT backendChanged(change);
}

bool BackendRegistry::setHealth(const QString &name, bool healthy, const QString &reason,
                                qint64 probeLatencyUs)
{
    const qsizetype index = find(name);
    if (index < 0)
        return false;
    Entry &entry = m_entries[index];
    entry.lastProbeLatencyUs = probeLatencyUs;
    if (entry.healthy != healthy) {
        transition(entry, reason, [healthy, &reason](Entry &e) {
            e.healthy = healthy;
            e.healthReason = reason;
        });
    }
    return true;
}

bool BackendRegistry::eject(const QString &name, const QString &reason)
{
    const qsizetype index = find(name);
    if (index < 0 || !m_outlier.enabled)
        return false;
    Entry &entry = m_entries[index];
    if (entry.ejectedUntilMs >= 0 || publishedState(entry) != BackendState::Up)
        return false;
    qsizetype ejected = 0;
    qsizetype poolSize = 0;
    for (const Entry &other : std::as_const(m_entries)) {
        if (other.pool != entry.pool)
            continue;
        ++poolSize;
        ejected += other.ejectedUntilMs >= 0 ? 1 : 0;
    }
    // The cap keeps passive health from emptying the pool on a fleet-wide hiccup.
    if ((ejected + 1) * 100 > qsizetype(m_outlier.maxEjectionPercent) * poolSize)
        return false;
    const qint64 durationMs = std::min<qint64>(qint64(m_outlier.baseEjectionMs) * (entry.timesEjected + 1),
                                               m_outlier.maxEjectionMs);
    transition(entry, u"%1; ejected for %2 ms"_s.arg(reason).arg(durationMs), [this, durationMs](Entry &e) {
        e.ejectedUntilMs = m_clock.elapsed() + durationMs;
        ++e.timesEjected;
    });
    return true;
}

BackendState BackendRegistry::publishedState(const Entry &entry) const
{
    if (entry.backend.state != BackendState::Up)
        return entry.backend.state;
    return entry.healthy && entry.ejectedUntilMs < 0 ? BackendState::Up : BackendState::Down;
}

template <typename Change>
void BackendRegistry::transition(Entry &entry, const QString &reason, Change change)
{
    const BackendState before = publishedState(entry);
    change(entry);
    const BackendState after = publishedState(entry);
    if (after == BackendState::Up && (before == BackendState::Down || before == BackendState::Maintenance))
        startRamp(entry);
    else if (after != BackendState::Up)
        entry.rampStartMs = -1;
    if (before == after)
        return;
    publish();
    announce(BackendChange::Kind::StateChanged, entry.backend.config.name, backendStateName(before),
             backendStateName(after), reason);
}

BackendRegistry::Entry *BackendRegistry::entryToChange(const QString &name, QString *error)
{
    const qsizetype index = find(name);
    if (index < 0) {
        *error = unknownBackend(name);
        return nullptr;
    }
    // Its state is settled: it leaves once idle, unless a reload lists it again.
    if (m_entries.at(index).removeDeadlineMs >= 0) {
        *error = u"backend %1 is being removed"_s.arg(name);
        return nullptr;
    }
    return &m_entries[index];
}

QList<BackendStatus> BackendRegistry::status() const
{
    QList<BackendStatus> all;
    for (const Entry &entry : m_entries)
        all.append({entry.backend.config, entry.pool, publishedState(entry), entry.backend.state,
                    effectiveWeight(entry), entry.backend.runtime->inFlight.load(std::memory_order_relaxed),
                    entry.removeDeadlineMs >= 0, entry.healthy, entry.healthReason, entry.lastProbeLatencyUs,
                    entry.ejectedUntilMs >= 0 ? entry.ejectedUntilMs - m_clock.elapsed() : 0,
                    entry.timesEjected,
                    entry.backend.runtime->openConnections.load(std::memory_order_relaxed)});
    return all;
}

std::optional<BackendStatus> BackendRegistry::status(const QString &name) const
{
    const qsizetype index = find(name);
    if (index < 0)
        return std::nullopt;
    return status().at(index);
}

void BackendRegistry::beginRemoval(Entry &entry)
{
    entry.backend.state = BackendState::Draining;
    entry.rampStartMs = -1;
    entry.removeDeadlineMs = m_clock.elapsed() + m_removalDrainTimeoutMs;
    entry.drainingGeneration = m_generation + 1; // every beginRemoval is followed by a publish
}

void BackendRegistry::startRamp(Entry &entry)
{
    if (slowStartWindow(entry) > 0)
        entry.rampStartMs = m_clock.elapsed();
}

int BackendRegistry::slowStartWindow(const Entry &entry) const
{
    return entry.backend.config.slowStartMs >= 0 ? entry.backend.config.slowStartMs
                                                 : balancingOf(entry).slowStartMs;
}

int BackendRegistry::effectiveWeight(const Entry &entry) const
{
    if (entry.rampStartMs < 0)
        return entry.backend.config.weight;
    return slowStartWeight(entry.backend.config.weight, m_clock.elapsed() - entry.rampStartMs,
                           slowStartWindow(entry));
}

void BackendRegistry::publish()
{
    if (m_batching) {
        m_publishHeld = true;
        return;
    }
    // A retired pool goes once its last backend has left.
    m_pools.removeIf([this](const Pool &pool) {
        return pool.retired && std::none_of(m_entries.cbegin(), m_entries.cend(),
                                            [&pool](const Entry &entry) { return entry.pool == pool.name; });
    });
    ++m_generation;
    PoolTables tables;
    for (const Pool &pool : std::as_const(m_pools)) {
        QList<Backend> backends;
        for (Entry &entry : m_entries) {
            if (entry.pool != pool.name)
                continue;
            Backend backend = entry.backend;
            backend.state = publishedState(entry);
            backend.effectiveWeight = entry.publishedWeight = effectiveWeight(entry);
            backends.append(std::move(backend));
        }
        tables.append({pool.name, std::make_shared<const BackendTable>(std::move(backends), m_generation,
                                                                       pool.balancing)});
    }
    m_tables = std::move(tables);
    Q_EMIT tablesChanged(m_tables);
    scheduleTicks();
}

void BackendRegistry::tick()
{
    const qint64 now = m_clock.elapsed();
    bool changed = false;
    QList<BackendChange> removals;
    for (qsizetype i = m_entries.size() - 1; i >= 0; --i) {
        const Entry &entry = m_entries.at(i);
        if (entry.removeDeadlineMs < 0)
            continue;
        // Generation first: once every worker has the draining table, all its choices are counted.
        const bool everyoneSeesDraining =
            !m_oldestAdoptedGeneration || m_oldestAdoptedGeneration() >= entry.drainingGeneration;
        const int inFlight = entry.backend.runtime->inFlight.load(std::memory_order_acquire);
        if ((inFlight > 0 || !everyoneSeesDraining) && now < entry.removeDeadlineMs)
            continue;
        const QString why =
            inFlight == 0 ? u"drained"_s : u"drain timeout with %1 requests still in flight"_s.arg(inFlight);
        removals.append({BackendChange::Kind::Removed, entry.backend.config.name, {}, {}, why});
        m_entries.removeAt(i);
        changed = true;
    }
    for (Entry &entry : m_entries) {
        if (entry.ejectedUntilMs >= 0 && now >= entry.ejectedUntilMs) {
            entry.backend.runtime->consecutiveFailures.store(0, std::memory_order_relaxed);
            transition(entry, u"ejection ended"_s, [](Entry &e) { e.ejectedUntilMs = -1; });
        }
    }
    for (Entry &entry : m_entries) {
        if (entry.rampStartMs < 0)
            continue;
        if (now - entry.rampStartMs >= slowStartWindow(entry))
            entry.rampStartMs = -1;
        if (entry.publishedWeight != effectiveWeight(entry))
            changed = true;
    }
    if (changed)
        publish();
    else
        scheduleTicks();
    for (const BackendChange &change : std::as_const(removals))
        Q_EMIT backendChanged(change);
}

void BackendRegistry::scheduleTicks()
{
    bool busy = false;
    for (const Entry &entry : std::as_const(m_entries))
        busy = busy || entry.rampStartMs >= 0 || entry.removeDeadlineMs >= 0 || entry.ejectedUntilMs >= 0;
    if (!busy)
        m_ticker.stop();
    else if (!m_ticker.isActive())
        m_ticker.start(kTickMs);
}

void BackendRegistry::announce(BackendChange::Kind kind, const QString &name, QString from, QString to,
                               QString reason)
{
    BackendChange change{kind, name, std::move(from), std::move(to), std::move(reason)};
    if (m_batching)
        m_heldAnnouncements.append(std::move(change));
    else
        Q_EMIT backendChanged(change);
}

} // namespace fulcrum
