// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendOverrides.h"
#include "JsonFieldReader.h"
#include "ProxyConfig.h"
#include "SettingsReaders.h"

#include <QHash>
#include <QList>
#include <QString>

#include <optional>

// Reading backends and pools, for ConfigLoader.
namespace fulcrum {

// Backend names taken so far, each with its pool's name (empty for the top-level "backends").
using BackendNames = QHash<QString, QString>;

// One accepted entry of a "backends" array, read but not yet resolved against its pool's settings (which
// may come later in the file).
struct BackendEntry
{
    BackendConfig config;
    BackendOverrides overrides;
    QString field; // "backends[2]"
};

// owner's "backends": nothing when absent or not an array (then reported). pool is the owning pool's name,
// empty for the top level. A name must not be in taken, which receives every accepted one.
std::optional<QList<BackendEntry>> readBackendEntries(JsonObjectReader &owner, const QString &pool,
                                                      BackendNames &taken);

// What a pool's backends start from.
struct BackendDefaults
{
    HealthCheckConfig healthCheck;
    bool healthCheckValid = true; // else backends' own health checks are not checked against it
    CircuitBreakerConfig circuitBreaker;
};

// The entries with the pool's health check and circuit breaker and their own settings on top, each backend's
// health check checked where the backend itself set it; overrides receives the settings of the backends
// that have their own.
QList<BackendConfig> resolveBackends(JsonDiagnostics &d, const QList<BackendEntry> &entries,
                                     const BackendDefaults &defaults, QList<BackendOverrides> &overrides);

// How the top level's own settings were read, which every pool starts from.
struct TopLevelStatus
{
    ReadStatus strategy = ReadStatus::Absent;
    bool healthCheckValid = true;
};

// The top-level "pools" into config.pools, each over the top-level settings config already holds; their
// backends' own settings are appended to overrides.
void readPools(JsonObjectReader &root, ProxyConfig &config, TopLevelStatus topLevel,
               QList<BackendOverrides> &overrides);

} // namespace fulcrum
