// SPDX-License-Identifier: GPL-3.0-or-later
#include "RoutingTable.h"

namespace fulcrum {

RoutingTable::RoutingTable(RouteSetPtr routes, const PoolTables &tables)
    : m_routes(std::move(routes)), m_allTables(tables)
{
    for (const QString &pool : m_routes->poolNames()) {
        BackendTablePtr table;
        for (const PoolTable &candidate : tables) {
            if (candidate.name == pool)
                table = candidate.table;
        }
        m_tables.push_back(std::move(table));
    }
}

} // namespace fulcrum
