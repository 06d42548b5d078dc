// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "JsonFieldReader.h"
#include "ProxyConfig.h"

namespace fulcrum {

// The top level's settings for what fulcrumd does beside proxying: "admin" (the admin API's listener and
// token file), "state_file" (where runtime changes are kept), "snapshots" (metrics written to files) and
// "dns" (how discovered backends are looked up). Each replaces what config has only when valid; problems are
// reported through root.
void readOperations(JsonObjectReader &root, ProxyConfig &config);

} // namespace fulcrum
