// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "routing/CompiledRoute.h"

#include <memory>
#include <vector>

namespace fulcrum {

// The routes in order, compiled, with the names of the pools they use. Built on the control thread when
// routes or a split change (not when backends do, so a split's cursor runs on across backend changes),
// then shared by every worker.
class RouteSet
{
public:
    // routes must have passed validateRouting against pools.
    RouteSet(const QList<RouteConfig> &routes, const QList<PoolConfig> &pools);

    // The first route that matches, or nullptr.
    const CompiledRoute *match(const RoutingRequest &request) const
    {
        for (const auto &route : m_routes) {
            if (route->matches(request))
                return route.get();
        }
        return nullptr;
    }

    const QStringList &poolNames() const { return m_poolNames; }
    qsizetype size() const { return qsizetype(m_routes.size()); }
    const CompiledRoute &at(qsizetype index) const { return *m_routes[std::size_t(index)]; }
    // Whether any route needs the normalised path (to match or to rewrite) or host; when none does,
    // routing does no normalising work at all.
    bool needsPath() const { return m_needsPath; }
    bool needsHost() const { return m_needsHost; }

private:
    QStringList m_poolNames;
    std::vector<std::unique_ptr<CompiledRoute>> m_routes;
    bool m_needsPath = false;
    bool m_needsHost = false;
};

using RouteSetPtr = std::shared_ptr<const RouteSet>;

} // namespace fulcrum
