// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "control/BackendRegistry.h"
#include "control/RuntimeState.h"

#include <QHash>
#include <QStringList>

namespace fulcrum {

// The configuration to run, once the runtime changes worth keeping are put back into it.
struct MergedRuntimeState
{
    ProxyConfig config; // its backends (or pools) and routes carry the restored weights and splits
    // The admin state of every backend of config: the saved one where the saved values win, else Up.
    QHash<QString, BackendState> adminStates;
    // Where the configuration overrode the saved state, or a saved change could not be put back; for the
    // log, one sentence each.
    QStringList notes;
};

// The precedence rule between the configuration and the saved state, name by name:
// - a backend of the configuration whose entry (pool, URL, weight) is as the state declared it keeps its
//   saved weight and admin state; one whose entry changed since takes the configuration's values, and
//   its admin state is up;
// - a backend of the configuration saved as removed stays removed while its entry is as it was then;
//   changed, it is back;
// - a backend added at runtime is added again, into its pool, unless the configuration now has a backend
//   of that name (the configuration's wins) or no longer has the pool (it is left out);
// - a backend the state knows from the configuration that the configuration no longer lists is gone;
// - a split whose configured weights are as the state declared them takes its saved weights (unless the
//   pools changed so that they no longer validate); changed, it takes the configuration's.
// Health is not part of the state and never comes into it.
MergedRuntimeState mergeRuntimeState(const ProxyConfig &config, const RuntimeState &saved);

// The state to save: what runs, against the configuration it was started or reloaded from (declared).
// Backends being removed are saved as removed (when declared) or left out (when added at runtime).
RuntimeState captureRuntimeState(const ProxyConfig &declared, const QList<BackendStatus> &backends,
                                 const QList<RouteConfig> &routes);

} // namespace fulcrum
