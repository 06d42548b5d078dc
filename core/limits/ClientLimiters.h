// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "limits/ConnectionLimiter.h"
#include "limits/RateLimiter.h"

#include <QByteArray>

#include <memory>
#include <vector>

namespace fulcrum {

// The per-client limiters every worker shares, made once at start; each is null when its limits are
// not configured, so that the workers' hot path costs a null check then.
struct ClientLimiters
{
    // A "rate_limit.paths" rule: its own buckets, for requests under prefix.
    struct PathRule
    {
        QByteArray prefix;
        std::unique_ptr<RateLimiter> limiter;
    };

    std::unique_ptr<RateLimiter> rate;
    std::vector<PathRule> paths; // longest prefix first, so the most specific rule is found first
    std::unique_ptr<ConnectionLimiter> connections;

    static ClientLimiters from(const ProxyConfig &config);
    // The limiter of the most specific path rule normalisedPath falls under; null when none does.
    RateLimiter *forPath(QByteArrayView normalisedPath) const;
};

} // namespace fulcrum
