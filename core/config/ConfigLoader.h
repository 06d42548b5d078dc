// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendOverrides.h"
#include "ConfigError.h"
#include "ProxyConfig.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace fulcrum {

struct ConfigLoadResult
{
    ProxyConfig config;        // every valid field applied over the defaults; meaningful only if ok()
    QList<ConfigError> errors; // all problems found, not just the first
    // The backends' own health_check and circuit_breaker settings, already resolved into the backends of
    // config.backends and config.pools (names are unique across pools); kept so they can be applied again
    // when a pool's settings change (the command line's --health-check changes the top-level pool's).
    QList<BackendOverrides> backendOverrides;

    bool ok() const { return errors.isEmpty(); }
};

// Reads the JSON configuration format (version 1) described in docs/configuration.md.
class ConfigLoader
{
public:
    // What an empty version-1 file means: ProxyConfig's defaults, listening on 127.0.0.1:8080.
    static ProxyConfig defaultConfig();

    // Errors about the file itself (missing, unreadable, not JSON) carry the path as their field.
    static ConfigLoadResult loadFile(const QString &path);
    // source names the document in errors that concern it as a whole; it may be empty.
    static ConfigLoadResult loadJson(const QByteArray &json, const QString &source = QString());
};

} // namespace fulcrum
