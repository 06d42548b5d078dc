// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "JsonFieldReader.h"
#include "ProxyConfig.h"

namespace fulcrum {

// owner's "backend_tls" ({"ca_file", "verify", "server_name"}) and "send_proxy" over target, field by field:
// at the top level the defaults of every pool, in a pool that pool's own. The CA file is read here, so a file
// that cannot be used is reported with the field that names it.
void readTransport(JsonObjectReader &owner, UpstreamTransport &target);

} // namespace fulcrum
