// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace fulcrum {

// How one health probe ended.
struct ProbeResult
{
    bool passed = false;
    // Why it failed, as operators read it: "timeout after 1000 ms", "connection refused",
    // "status 503 not in 200-399", "body does not contain \"ok\""; empty when it passed.
    QString reason;
    qint64 latencyUs = 0; // from the start of the probe (connecting included) to its verdict
};

// "1.2 ms": how probe latencies appear in reasons and logs.
QString formatProbeLatency(qint64 latencyUs);

} // namespace fulcrum
