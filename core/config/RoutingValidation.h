// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "RoutingConfig.h"

#include <QList>

namespace fulcrum {

// The checks that relate pools and routes to one another, each entry being valid on its own: pool names
// valid and unique, route names unique, every pool a route names known, splits that can take traffic
// (not empty, each pool once, weights 0..MaxSplitWeight and not all 0), and no route that can never be
// reached (after a catch-all, or after a route with the same match). Run at load and before every
// reload or live change. Fields name entries by index: "pools[1].name", "routes[2].split[1].pool".
// Empty when everything holds.
QList<ConfigError> validateRouting(const QList<PoolConfig> &pools, const QList<RouteConfig> &routes);

} // namespace fulcrum
