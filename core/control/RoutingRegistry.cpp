// SPDX-License-Identifier: GPL-3.0-or-later
#include "RoutingRegistry.h"

#include "config/RoutingValidation.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

RoutingRegistry::RoutingRegistry(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<RouteSetPtr>();
}

QList<RoutingRegistry::SplitChange> RoutingRegistry::apply(const QList<PoolConfig> &pools,
                                                           const QList<RouteConfig> &routes)
{
    QList<RouteConfig> running = routes;
    QList<SplitChange> changedSplits;
    for (RouteConfig &route : running) {
        if (route.action != RouteActionKind::Split)
            continue;
        const auto sameName = [&route](const RouteConfig &other) { return other.name == route.name; };
        const auto before = std::find_if(m_configured.cbegin(), m_configured.cend(), sameName);
        const auto live = std::find_if(m_routes.cbegin(), m_routes.cend(), sameName);
        if (live == m_routes.cend() || live->action != RouteActionKind::Split)
            continue;
        // What an operator set live outlasts a reload that did not touch this split.
        if (before != m_configured.cend() && before->split == route.split)
            route.split = live->split;
        else if (live->split != route.split)
            changedSplits.append({route.name, describeSplit(live->split), describeSplit(route.split)});
    }
    m_pools = pools;
    m_configured = routes;
    m_routes = running;
    publish();
    return changedSplits;
}

void RoutingRegistry::announceSplitChanges(const QList<SplitChange> &changes, const QString &reason)
{
    for (const SplitChange &change : changes)
        Q_EMIT splitChanged(change.route, change.from, change.to, reason);
}

bool RoutingRegistry::setSplit(const QString &route, const QList<SplitTarget> &split, const QString &reason,
                               QString *error)
{
    const auto found = std::find_if(m_routes.cbegin(), m_routes.cend(),
                                    [&route](const RouteConfig &r) { return r.name == route; });
    if (found == m_routes.cend()) {
        *error = u"unknown route \"%1\""_s.arg(route);
        return false;
    }
    if (found->action != RouteActionKind::Split) {
        *error = u"route \"%1\" does not split traffic"_s.arg(route);
        return false;
    }
    for (const SplitTarget &target : split) {
        if (target.weight < 0 || target.weight > MaxSplitWeight) {
            *error = u"pool %1: weight %2 must be an integer from 0 to %3"_s.arg(target.pool)
                         .arg(target.weight)
                         .arg(MaxSplitWeight);
            return false;
        }
    }
    if (found->split == split)
        return true;
    const QString before = describeSplit(found->split);
    QList<RouteConfig> candidate = m_routes;
    candidate[found - m_routes.cbegin()].split = split;
    const QList<ConfigError> problems = validateRouting(m_pools, candidate);
    if (!problems.isEmpty()) {
        *error = problems.constFirst().toString();
        return false;
    }
    m_routes = candidate;
    publish();
    Q_EMIT splitChanged(route, before, describeSplit(split), reason);
    return true;
}

void RoutingRegistry::publish()
{
    m_routeSet = std::make_shared<const RouteSet>(m_routes, m_pools);
    Q_EMIT routesChanged(m_routeSet);
}

} // namespace fulcrum
