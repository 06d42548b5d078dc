// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "JsonFieldReader.h"
#include "ProxyConfig.h"

// Reading routes, for ConfigLoader.
namespace fulcrum {

// The top-level "routes" into config.routes, each entry checked on its own (validateRouting relates them to
// one another and to the pools). Reads after the pools: a route's retries start from its pool's.
void readRoutes(JsonObjectReader &root, ProxyConfig &config);

} // namespace fulcrum
