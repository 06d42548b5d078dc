// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/Backend.h"

namespace fulcrum {

// Fills address and authority from backend->config, resolving a host name once, here on the control
// thread, so that no worker ever waits on DNS. False with *error naming the backend when it cannot.
bool resolveBackend(Backend *backend, QString *error);

} // namespace fulcrum
