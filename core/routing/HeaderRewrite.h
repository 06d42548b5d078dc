// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/RoutingConfig.h"
#include "http/HttpHeaders.h"

namespace fulcrum {

// A route's header rules on a request or response: remove, then set (replacing every header of that
// name), then add.
void applyHeaderRules(HttpHeaders &headers, const HeaderRules &rules);

} // namespace fulcrum
