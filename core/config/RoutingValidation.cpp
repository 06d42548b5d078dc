// SPDX-License-Identifier: GPL-3.0-or-later
#include "RoutingValidation.h"

#include "ConfigValues.h"
#include "JsonFieldReader.h"

#include <QHash>
#include <QStringList>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

QString routeField(qsizetype index)
{
    return indexedField(u"routes"_s, index);
}

QString quotedList(const QStringList &names)
{
    QStringList quoted;
    for (const QString &name : names)
        quoted.append(u'"' + name + u'"');
    return quoted.join(u", "_s);
}

void checkPools(const QList<PoolConfig> &pools, QList<ConfigError> &errors)
{
    QHash<QString, qsizetype> seen;
    for (qsizetype i = 0; i < pools.size(); ++i) {
        const QString field = indexedField(u"pools"_s, i) + u".name";
        const QString &name = pools.at(i).name;
        if (const QString problem = checkBackendName(name); !problem.isEmpty())
            errors.append({field, name, problem});
        else if (seen.contains(name))
            errors.append({field, name, u"duplicate pool name (also pools[%1])"_s.arg(seen.value(name))});
        else
            seen.insert(name, i);
    }
}

// Names an operator can pick from, so a typo is obvious from the error alone.
QString unknownPoolReason(const QStringList &known)
{
    if (known.isEmpty())
        return u"unknown pool (there are no pools)"_s;
    return u"unknown pool (the pools are "_s + quotedList(known) + u')';
}

void checkSplit(const RouteConfig &route, const QString &field, const QStringList &known,
                QList<ConfigError> &errors)
{
    if (route.split.isEmpty()) {
        errors.append({field + u".split", QString(), u"must list at least one pool"_s});
        return;
    }
    QHash<QString, qsizetype> seen;
    bool anyTraffic = false;
    for (qsizetype i = 0; i < route.split.size(); ++i) {
        const SplitTarget &target = route.split.at(i);
        const QString entry = indexedField(field + u".split", i);
        if (!known.contains(target.pool))
            errors.append({entry + u".pool", target.pool, unknownPoolReason(known)});
        else if (seen.contains(target.pool))
            errors.append({entry + u".pool", target.pool,
                           u"pool already in this split (split[%1])"_s.arg(seen.value(target.pool))});
        else
            seen.insert(target.pool, i);
        if (!ranges::splitWeight.contains(target.weight))
            errors.append(
                {entry + u".weight", QString::number(target.weight), ranges::splitWeight.requirement()});
        anyTraffic = anyTraffic || target.weight > 0;
    }
    if (!anyTraffic)
        errors.append(
            {field + u".split", QString(), u"weights must not all be 0 (no pool would get a request)"_s});
}

void checkTarget(const RouteConfig &route, const QString &field, const QStringList &known,
                 QList<ConfigError> &errors)
{
    if (route.action == RouteActionKind::Forward && !known.contains(route.pool))
        errors.append({field + u".pool", route.pool, unknownPoolReason(known)});
    else if (route.action == RouteActionKind::Split)
        checkSplit(route, field, known, errors);
}

// First match wins, so a route behind one that takes every request it could match never sees any.
// catchAll is the index of the first catch-all route before index, or -1.
void checkReachable(const QList<RouteConfig> &routes, qsizetype index, qsizetype catchAll,
                    QList<ConfigError> &errors)
{
    if (catchAll >= 0) {
        errors.append({routeField(index), QString(),
                       u"unreachable: routes[%1] before it matches every request"_s.arg(catchAll)});
        return;
    }
    for (qsizetype j = 0; j < index; ++j) {
        if (routes.at(j).match == routes.at(index).match) {
            errors.append({routeField(index), QString(),
                           u"unreachable: routes[%1] before it has the same match"_s.arg(j)});
            return;
        }
    }
}

} // namespace

QList<ConfigError> validateRouting(const QList<PoolConfig> &pools, const QList<RouteConfig> &routes)
{
    QList<ConfigError> errors;
    checkPools(pools, errors);
    QStringList known;
    for (const PoolConfig &pool : pools)
        known.append(pool.name);
    known.removeDuplicates();
    QHash<QString, qsizetype> names;
    qsizetype catchAll = -1;
    for (qsizetype i = 0; i < routes.size(); ++i) {
        const RouteConfig &route = routes.at(i);
        const QString field = routeField(i);
        if (names.contains(route.name))
            errors.append({field + u".name", route.name,
                           u"duplicate route name (also routes[%1])"_s.arg(names.value(route.name))});
        else
            names.insert(route.name, i);
        checkTarget(route, field, known, errors);
        checkReachable(routes, i, catchAll, errors);
        if (catchAll < 0 && route.isCatchAll())
            catchAll = i;
    }
    return errors;
}

} // namespace fulcrum
