// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "routing/RouteSet.h"

namespace fulcrum {

// What a worker routes and balances with: the routes, and the current table of each pool they use.
// Immutable; a new one reaches the workers whenever routes, splits or any pool's backends change.
class RoutingTable
{
public:
    RoutingTable(RouteSetPtr routes, const PoolTables &tables);

    const RouteSet &routes() const { return *m_routes; }
    const RouteSetPtr &routeSet() const { return m_routes; }
    // The table of the route set's pool `pool`; null when that pool has no table (yet).
    const BackendTablePtr &table(qsizetype pool) const { return m_tables[std::size_t(pool)]; }
    // Every pool's table, routed to or not (a pool no route uses yet still has connections to keep).
    const PoolTables &allTables() const { return m_allTables; }

private:
    RouteSetPtr m_routes;
    PoolTables m_allTables;
    std::vector<BackendTablePtr> m_tables; // by the route set's pool index
};

using RoutingTablePtr = std::shared_ptr<const RoutingTable>;

} // namespace fulcrum
Q_DECLARE_METATYPE(fulcrum::RoutingTablePtr)
