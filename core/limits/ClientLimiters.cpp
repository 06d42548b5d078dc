// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientLimiters.h"

namespace fulcrum {

ClientLimiters ClientLimiters::from(const ProxyConfig &config)
{
    ClientLimiters limiters;
    if (config.rateLimit.enabled())
        limiters.rate = std::make_unique<RateLimiter>(config.rateLimit);
    const Limits &limits = config.limits;
    if (limits.maxClientConnections > 0 || limits.maxConnectionsPerClient > 0)
        limiters.connections =
            std::make_unique<ConnectionLimiter>(limits.maxClientConnections, limits.maxConnectionsPerClient,
                                                static_cast<int>(config.listen.size()));
    return limiters;
}

} // namespace fulcrum
