// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendState.h"
#include "config/ConfigError.h"
#include "config/RoutingConfig.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

// What the configuration declared of one backend, as far as a runtime change can conflict with it. The
// state remembers it so that a configuration edited since can be told apart from one left as it was.
struct DeclaredBackend
{
    QString pool;
    QString url;
    int weight = 1;
    friend bool operator==(const DeclaredBackend &, const DeclaredBackend &) = default;
};

// One running backend as people left it: its weight and admin state, never its health.
struct SavedBackend
{
    QString name;
    QString pool;
    QString url;
    int weight = 1;
    BackendState adminState = BackendState::Up; // Up, Draining or Maintenance
    std::optional<DeclaredBackend>
        declared; // origin "config": the entry it runs from; none: added at runtime
    friend bool operator==(const SavedBackend &, const SavedBackend &) = default;
};

// A backend of the configuration that was removed at runtime.
struct RemovedBackend
{
    QString name;
    DeclaredBackend declared;
    friend bool operator==(const RemovedBackend &, const RemovedBackend &) = default;
};

// A route's traffic split as running, and as the configuration declared it.
struct SavedSplit
{
    QString route;
    QList<SplitTarget> split;
    QList<SplitTarget> declared;
    friend bool operator==(const SavedSplit &, const SavedSplit &) = default;
};

// The runtime changes a restart would otherwise lose, in the form of the state file (fulcrum.state/1).
struct RuntimeState
{
    QList<SavedBackend> backends;
    QList<RemovedBackend> removed;
    QList<SavedSplit> splits;
    friend bool operator==(const RuntimeState &, const RuntimeState &) = default;
};

inline constexpr QLatin1StringView RuntimeStateSchema{"fulcrum.state/1"};

DeclaredBackend declaredBackend(const BackendConfig &backend, const QString &pool);

QByteArray runtimeStateToJson(const RuntimeState &state);
// Every problem is reported, each naming its field ("backends[1].weight"); source names the document in
// problems with it as a whole.
std::optional<RuntimeState> runtimeStateFromJson(const QByteArray &json, const QString &source,
                                                 QList<ConfigError> *errors);

// A missing file is an empty state: nothing was changed at runtime yet.
std::optional<RuntimeState> loadRuntimeState(const QString &path, QList<ConfigError> *errors);
// Whole or not at all: a crash or a full disk leaves the previous file as it was.
bool saveRuntimeState(const QString &path, const RuntimeState &state, QString *error);

} // namespace fulcrum
