// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "limits/ConnectionLimiter.h"
#include "limits/RateLimiter.h"

#include <memory>

namespace fulcrum {

// The per-client limiters every worker shares, made once at start; each is null when its limits are
// not configured, so that the workers' hot path costs a null check then.
struct ClientLimiters
{
    std::unique_ptr<RateLimiter> rate;
    std::unique_ptr<ConnectionLimiter> connections;

    static ClientLimiters from(const ProxyConfig &config);
};

} // namespace fulcrum
