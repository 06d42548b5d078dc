// SPDX-License-Identifier: GPL-3.0-or-later
#include "RuntimeStateMerge.h"

#include "config/ConfigValues.h"
#include "config/RoutingValidation.h"

#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

template <typename T, typename Name>
const T *findByName(const QList<T> &list, const QString &name, Name T::*member)
{
    const auto found =
        std::find_if(list.cbegin(), list.cend(), [&](const T &entry) { return entry.*member == name; });
    return found == list.cend() ? nullptr : &*found;
}

// Puts pools back where config keeps them: "pools", or the top-level backends as the one pool "default".
void setPools(ProxyConfig &config, const QList<PoolConfig> &pools)
{
    if (config.pools.isEmpty())
        config.backends = pools.constFirst().backends;
    else
        config.pools = pools;
}

// A backend the configuration lists: dropped (false) when it stays removed, else given what wins.
bool mergeConfigured(BackendConfig &backend, const QString &pool, const RuntimeState &saved,
                     MergedRuntimeState &merged)
{
    const DeclaredBackend declared = declaredBackend(backend, pool);
    BackendState adminState = BackendState::Up;
    if (const RemovedBackend *removed = findByName(saved.removed, backend.name, &RemovedBackend::name)) {
        if (removed->declared == declared)
            return false;
        merged.notes.append(u"backend %1: back, since its entry in the configuration changed after it was "
                            u"removed"_s.arg(backend.name));
    } else if (const SavedBackend *running = findByName(saved.backends, backend.name, &SavedBackend::name)) {
        if (!running->declared) {
            merged.notes.append(
                u"backend %1: the configuration's entry takes the place of the backend of that "
                u"name added at runtime"_s.arg(backend.name));
        } else if (*running->declared == declared) {
            backend.weight = running->weight;
            adminState = running->adminState;
        } else {
            merged.notes.append(
                u"backend %1: its entry in the configuration changed since the state was saved, "
                u"so the configuration's values apply (weight %2, admin state up)"_s.arg(backend.name)
                    .arg(backend.weight));
        }
    }
    merged.adminStates.insert(backend.name, adminState);
    return true;
}

void addRuntimeBackends(const ProxyConfig &config, const RuntimeState &saved, const QSet<QString> &configured,
                        QList<PoolConfig> &pools, MergedRuntimeState &merged)
{
    for (const SavedBackend &running : saved.backends) {
        if (running.declared || configured.contains(running.name))
            continue;
        const auto pool = std::find_if(pools.begin(), pools.end(),
                                       [&running](const PoolConfig &p) { return p.name == running.pool; });
        if (pool == pools.end()) {
            merged.notes.append(
                u"backend %1: not restored: it was added at runtime to the pool \"%2\", which "
                u"the configuration no longer has"_s.arg(running.name, running.pool));
            continue;
        }
        const Parsed<BackendEndpoint> endpoint = parseBackendUrl(running.url);
        if (!endpoint.ok()) {
            merged.notes.append(
                u"backend %1: not restored: URL \"%2\": %3"_s.arg(running.name, running.url, endpoint.error));
            continue;
        }
        BackendConfig backend;
        backend.name = running.name;
        applyEndpoint(backend, endpoint.value);
        backend.weight = running.weight;
        pool->backends.append(config.withPoolSettings(backend, pool->name));
        merged.adminStates.insert(running.name, running.adminState);
    }
}

void mergeSplits(const RuntimeState &saved, MergedRuntimeState &merged)
{
    const QList<PoolConfig> pools = merged.config.effectivePools();
    QList<RouteConfig> &routes = merged.config.routes;
    for (qsizetype i = 0; i < routes.size(); ++i) {
        RouteConfig &route = routes[i];
        const SavedSplit *running = findByName(saved.splits, route.name, &SavedSplit::route);
        if (route.action != RouteActionKind::Split || running == nullptr || running->split == route.split)
            continue;
        if (running->declared != route.split) {
            merged.notes.append(
                u"route %1: its split in the configuration changed since the state was saved, so "
                u"the configuration's weights apply (%2)"_s.arg(route.name, describeSplit(route.split)));
            continue;
        }
        QList<RouteConfig> candidate = routes;
        candidate[i].split = running->split;
        const QList<ConfigError> problems = validateRouting(pools, candidate);
        if (!problems.isEmpty()) {
            merged.notes.append(
                u"route %1: the saved split (%2) no longer fits the configuration (%3), so the "
                u"configuration's applies"_s.arg(route.name, describeSplit(running->split),
                                                 problems.constFirst().toString()));
            continue;
        }
        route.split = running->split;
    }
}

} // namespace

MergedRuntimeState mergeRuntimeState(const ProxyConfig &config, const RuntimeState &saved)
{
    MergedRuntimeState merged;
    merged.config = config;
    QList<PoolConfig> pools = config.effectivePools();
    QSet<QString> configured;
    for (PoolConfig &pool : pools) {
        QList<BackendConfig> kept;
        for (BackendConfig backend : std::as_const(pool.backends)) {
            if (!mergeConfigured(backend, pool.name, saved, merged))
                continue;
            configured.insert(backend.name);
            kept.append(backend);
        }
        pool.backends = kept;
    }
    addRuntimeBackends(config, saved, configured, pools, merged);
    setPools(merged.config, pools);
    mergeSplits(saved, merged);
    return merged;
}

RuntimeState captureRuntimeState(const ProxyConfig &declared, const QList<BackendStatus> &backends,
                                 const QList<RouteConfig> &routes)
{
    const QList<PoolConfig> declaredPools = declared.effectivePools();
    QHash<QString, DeclaredBackend> declaredBackends;
    for (const PoolConfig &pool : declaredPools) {
        for (const BackendConfig &backend : pool.backends)
            declaredBackends.insert(backend.name, declaredBackend(backend, pool.name));
    }

    RuntimeState state;
    QSet<QString> runningAsDeclared;
    for (const BackendStatus &status : backends) {
        if (status.removing)
            continue;
        // Health's verdict is never an admin state.
        const BackendState adminState =
            status.operatorState == BackendState::Down ? BackendState::Up : status.operatorState;
        SavedBackend saved{status.config.name,   status.pool, status.config.url(),
                           status.config.weight, adminState,  std::nullopt};
        // One of that name added at runtime after the declared one was removed is not the declared one.
        const auto found = declaredBackends.constFind(saved.name);
        if (found != declaredBackends.cend() && found->pool == saved.pool && found->url == saved.url) {
            saved.declared = *found;
            runningAsDeclared.insert(saved.name);
        }
        state.backends.append(saved);
    }
    for (const PoolConfig &pool : declaredPools) {
        for (const BackendConfig &backend : pool.backends) {
            if (!runningAsDeclared.contains(backend.name))
                state.removed.append({backend.name, declaredBackend(backend, pool.name)});
        }
    }

    for (const RouteConfig &route : routes) {
        const RouteConfig *configured = findByName(declared.routes, route.name, &RouteConfig::name);
        if (route.action == RouteActionKind::Split && configured &&
            configured->action == RouteActionKind::Split)
            state.splits.append({route.name, route.split, configured->split});
    }
    return state;
}

} // namespace fulcrum
