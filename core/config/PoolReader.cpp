// SPDX-License-Identifier: GPL-3.0-or-later
#include "PoolReader.h"

#include "TransportReader.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// "resolve": true keeps every address of the host name; an srv:// url discovers on its own.
void readDiscovery(JsonObjectReader &object, BackendConfig &backend)
{
    JsonDiagnostics &d = object.diagnostics();
    bool resolve = false;
    object.readBoolean("resolve"_L1, resolve);
    if (resolve && backend.discovery == BackendDiscovery::Srv)
        d.add(object.field("resolve"_L1), resolve, u"is implied by an srv:// url"_s);
    else if (resolve)
        backend.discovery = BackendDiscovery::Resolve;
    if (backend.host.isEmpty() || backend.name.isEmpty()) // already reported
        return;
    const QString problem = checkDiscoveredBackend(backend);
    if (!problem.isEmpty())
        d.add(object.field(backend.discovery == BackendDiscovery::Resolve ? "resolve"_L1 : "url"_L1),
              backend.discovery == BackendDiscovery::Resolve ? QJsonValue(resolve)
                                                             : QJsonValue(backend.url()),
              problem);
}

// Reads one entry of "backends"; nothing when any of its fields is invalid (each one reported).
std::optional<BackendEntry> readBackend(JsonObjectReader &object, qsizetype index, const QString &pool)
{
    JsonDiagnostics &d = object.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    BackendConfig backend;

    if (requirePresent(object, "url"_L1)) {
        const QJsonValue url = object.take("url"_L1);
        if (const std::optional<QString> text = d.string(object.field("url"_L1), url)) {
            const Parsed<BackendEndpoint> endpoint = parseBackendUrl(*text);
            if (endpoint.ok()) {
                applyEndpoint(backend, endpoint.value);
                if (endpoint.value.srv)
                    backend.discovery = BackendDiscovery::Srv;
            } else {
                d.add(object.field("url"_L1), url, endpoint.error);
            }
        }
    }

    std::optional<QString> name;
    readOptional(object, "name"_L1, checkBackendName, name);
    if (!object.contains("name"_L1)) {
        name = defaultBackendName(index, pool);
        // Only a pool name near the length limit leaves no room for the number.
        if (!checkBackendName(*name).isEmpty())
            d.add(object.field("name"_L1), QJsonValue::Undefined,
                  u"is required in this pool (the default name, \""_s + *name + u"\", would be too long)");
    }
    backend.name = name.value_or(QString());

    object.readInteger("weight"_L1, ranges::weight, backend.weight);
    object.readInteger("slow_start_ms"_L1, ranges::slowStartMs, backend.slowStartMs);
    readDiscovery(object, backend);

    BackendOverrides overrides;
    if (std::optional<JsonObjectReader> healthCheck = object.object("health_check"_L1)) {
        overrides.healthCheck = readHealthCheck(*healthCheck);
        healthCheck->reportUnknown();
    }
    if (std::optional<JsonObjectReader> circuitBreaker = object.object("circuit_breaker"_L1)) {
        overrides.circuitBreaker = readCircuitBreaker(*circuitBreaker);
        circuitBreaker->reportUnknown();
    }

    object.reportUnknown();
    if (d.errorCount() != errorsBefore)
        return std::nullopt;
    overrides.backend = backend.name;
    return BackendEntry{backend, overrides, object.path()};
}

QString duplicateBackendReason(const QString &pool, const QString &otherPool)
{
    if (otherPool == pool)
        return u"duplicate backend name"_s;
    return u"duplicate backend name (also in pool \""_s + otherPool + u"\"; names are unique across pools)";
}

std::optional<PoolConfig> readPool(JsonObjectReader &object, const ProxyConfig &top, TopLevelStatus topLevel,
                                   BackendNames &taken, QList<BackendOverrides> &overrides)
{
    JsonDiagnostics &d = object.diagnostics();
    PoolConfig pool;
    std::optional<QString> name;
    if (requirePresent(object, "name"_L1))
        readOptional(object, "name"_L1, checkBackendName, name);
    pool.name = name.value_or(QString());

    // Without a name, the backends' default names and their pool in errors would be made up.
    BackendNames unnamedPool;
    std::optional<QList<BackendEntry>> entries;
    if (requirePresent(object, "backends"_L1))
        entries = readBackendEntries(object, pool.name, name ? taken : unnamedPool);

    pool.balancing = top.balancing;
    readBalancing(object, pool.balancing, topLevel.strategy);
    pool.healthCheck = top.healthCheck;
    const bool healthCheckValid = readPoolHealthCheck(object, pool.healthCheck, topLevel.healthCheckValid);
    pool.circuitBreaker = top.circuitBreaker;
    readPoolCircuitBreaker(object, pool.circuitBreaker);
    pool.transport = top.transport;
    readTransport(object, pool.transport);

    pool.policy = top.defaultPolicy();
    readRetries(object, pool.policy.retries);
    PolicyOverrides timeouts;
    readUpstreamTimeouts(object, u"a pool"_s, timeouts.upstreamConnectMs, timeouts.upstreamResponseMs);
    pool.policy = timeouts.appliedTo(pool.policy);
    object.readInteger("max_body_bytes"_L1, ranges::maxBodyBytes, pool.policy.maxBodyBytes);

    if (entries) {
        pool.backends = resolveBackends(d, *entries,
                                        {pool.healthCheck, healthCheckValid, pool.circuitBreaker}, overrides);
    }
    object.reportUnknown();
    if (!name)
        return std::nullopt;
    return pool;
}

} // namespace

std::optional<QList<BackendEntry>> readBackendEntries(JsonObjectReader &owner, const QString &pool,
                                                      BackendNames &taken)
{
    QList<BackendEntry> accepted;
    const auto read = [&](JsonObjectReader &object, qsizetype index) {
        std::optional<BackendEntry> backend = readBackend(object, index, pool);
        if (!backend)
            return;
        const QString &name = backend->config.name;
        if (const auto other = taken.constFind(name); other != taken.cend()) {
            object.diagnostics().add(object.field("name"_L1), name,
                                     duplicateBackendReason(pool, other.value()));
            return;
        }
        taken.insert(name, pool);
        accepted.append(*backend);
    };
    if (!owner.readObjects("backends"_L1, read))
        return std::nullopt;
    return accepted;
}

QList<BackendConfig> resolveBackends(JsonDiagnostics &d, const QList<BackendEntry> &entries,
                                     const BackendDefaults &defaults, QList<BackendOverrides> &overrides)
{
    QList<BackendConfig> backends;
    for (const BackendEntry &entry : entries) {
        backends.append(entry.config);
        const BackendOverrides &own = entry.overrides;
        if (own.healthCheck != HealthCheckOverrides{} || own.circuitBreaker != CircuitBreakerOverrides{})
            overrides.append(own);
        if (defaults.healthCheckValid) {
            checkHealthCheckConsistency(d, entry.field + u".health_check", own.healthCheck,
                                        own.healthCheck.appliedTo(defaults.healthCheck));
        }
    }
    resolveBackendSettings(backends, defaults.healthCheck, defaults.circuitBreaker, overrides);
    return backends;
}

void readPools(JsonObjectReader &root, ProxyConfig &config, TopLevelStatus topLevel,
               QList<BackendOverrides> &overrides)
{
    BackendNames taken;
    QList<PoolConfig> pools;
    const auto read = [&](JsonObjectReader &object, qsizetype) {
        if (std::optional<PoolConfig> pool = readPool(object, config, topLevel, taken, overrides))
            pools.append(*pool);
    };
    if (root.readObjects("pools"_L1, read) == 0)
        root.diagnostics().add(
            root.field("pools"_L1), QJsonArray(),
            u"must list at least one pool (leave \"pools\" out to use the top-level \"backends\")"_s);
    config.pools = pools;
}

} // namespace fulcrum
