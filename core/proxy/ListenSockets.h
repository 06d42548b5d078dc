// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

#include <vector>

namespace fulcrum {

// Opens `count` listening sockets on one address with SO_REUSEPORT, so that each worker accepts on
// its own socket and the kernel spreads connections across them. Port 0 binds the first socket to an
// ephemeral port and the rest to the same one. Returns non-blocking descriptors, or none with *error set.
std::vector<int> openListenSockets(const ListenAddress &address, int count, quint16 *boundPort,
                                   QString *error);

} // namespace fulcrum
