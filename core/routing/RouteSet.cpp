// SPDX-License-Identifier: GPL-3.0-or-later
#include "RouteSet.h"

namespace fulcrum {

RouteSet::RouteSet(const QList<RouteConfig> &routes, const QList<PoolConfig> &pools)
{
    QHash<QString, RequestPolicy> policies;
    for (const PoolConfig &pool : pools) {
        m_poolNames.append(pool.name);
        policies.insert(pool.name, pool.policy);
    }
    for (const RouteConfig &config : routes) {
        auto route = std::make_unique<CompiledRoute>(config, m_poolNames, policies);
        m_needsPath = m_needsPath || route->looksAtPath() || !config.rewrite.isEmpty();
        m_needsHost = m_needsHost || route->looksAtHost();
        m_routes.push_back(std::move(route));
    }
}

} // namespace fulcrum
