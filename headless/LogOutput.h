// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

namespace fulcrum {

// Routes Qt's messages (state changes, errors) to stderr as text or one JSON object per line; the
// access log goes to stdout, so the two can be collected separately. Messages less severe than level are
// dropped; an error is always written.
void installLogOutput(LogFormat format, LogLevel level);
// A reload may change the level; messages from any thread see it.
void setLogLevel(LogLevel level);

} // namespace fulcrum
