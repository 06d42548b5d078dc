// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/Backend.h"

#include <optional>

namespace fulcrum {

// The circuit-breaker limits of CircuitBreakerConfig, in the order of their counters.
enum class LimitKind
{
    MaxRequests,
    MaxConnections,
    MaxPendingRequests,
};

// The limit a new request to this backend would exceed, if any. With an idle pooled connection at
// hand the request opens no connection, so only the request limit applies. The counts are shared by
// every worker and read without locking: two workers may both take the last slot, so a limit can be
// passed by at most the number of workers, which is the price of a lock-free request path.
std::optional<LimitKind> exceededLimit(const Backend &backend, bool hasIdleConnection);

QByteArray limitName(LimitKind kind);

} // namespace fulcrum
