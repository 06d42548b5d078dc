// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientLimiters.h"

#include "routing/RequestPath.h"

#include <algorithm>

namespace fulcrum {

ClientLimiters ClientLimiters::from(const ProxyConfig &config)
{
    ClientLimiters limiters;
    if (config.rateLimit.enabled())
        limiters.rate = std::make_unique<RateLimiter>(config.rateLimit);
    for (const PathRateLimit &rule : config.pathRateLimits)
        limiters.paths.push_back({rule.prefix.toUtf8(), std::make_unique<RateLimiter>(rule.limit)});
    std::stable_sort(limiters.paths.begin(), limiters.paths.end(),
                     [](const PathRule &a, const PathRule &b) { return a.prefix.size() > b.prefix.size(); });
    const Limits &limits = config.limits;
    if (limits.maxClientConnections > 0 || limits.maxConnectionsPerClient > 0)
        limiters.connections =
            std::make_unique<ConnectionLimiter>(limits.maxClientConnections, limits.maxConnectionsPerClient,
                                                static_cast<int>(config.listen.size()));
    return limiters;
}

RateLimiter *ClientLimiters::forPath(QByteArrayView normalisedPath) const
{
    for (const PathRule &rule : paths) {
        if (pathHasPrefix(normalisedPath, rule.prefix))
            return rule.limiter.get();
    }
    return nullptr;
}

} // namespace fulcrum
