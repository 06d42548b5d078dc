// SPDX-License-Identifier: GPL-3.0-or-later
#include "RoutingConfig.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

RequestPolicy PolicyOverrides::appliedTo(RequestPolicy base) const
{
    if (retries)
        base.retries = *retries;
    if (upstreamConnectMs)
        base.upstreamConnectMs = *upstreamConnectMs;
    if (upstreamResponseMs)
        base.upstreamResponseMs = *upstreamResponseMs;
    if (maxBodyBytes)
        base.maxBodyBytes = *maxBodyBytes;
    return base;
}

QStringList RouteConfig::pools() const
{
    switch (action) {
    case RouteActionKind::Forward:
        return {pool};
    case RouteActionKind::Split: {
        QStringList names;
        for (const SplitTarget &target : split)
            names.append(target.pool);
        return names;
    }
    case RouteActionKind::Redirect:
    case RouteActionKind::Respond:
        break;
    }
    return {};
}

QString describeSplit(const QList<SplitTarget> &split)
{
    QStringList parts;
    for (const SplitTarget &target : split)
        parts.append(u"%1 %2"_s.arg(target.pool).arg(target.weight));
    return parts.join(u", "_s);
}

QString describeRoute(const RouteConfig &route)
{
    QStringList conditions;
    if (route.match) {
        const RouteMatch &match = *route.match;
        if (!match.host.isEmpty())
            conditions.append(u"host "_s + match.host);
        if (!match.method.isEmpty())
            conditions.append(u"method "_s + match.method);
        if (!match.path.isEmpty())
            conditions.append(u"path "_s + match.path);
        if (!match.pathPrefix.isEmpty())
            conditions.append(u"path_prefix "_s + match.pathPrefix);
        for (const HeaderMatch &header : match.headers)
            conditions.append(header.presentOnly ? u"header "_s + header.name
                                                 : u"header %1: %2"_s.arg(header.name, header.value));
        for (const QueryMatch &parameter : match.query)
            conditions.append(u"query %1=%2"_s.arg(parameter.name, parameter.value));
    }
    QString action;
    switch (route.action) {
    case RouteActionKind::Forward:
        action = u"pool "_s + route.pool;
        break;
    case RouteActionKind::Split:
        action = u"split "_s + describeSplit(route.split);
        break;
    case RouteActionKind::Redirect:
        action = u"redirect %1 %2"_s.arg(route.redirect.status).arg(route.redirect.location);
        break;
    case RouteActionKind::Respond:
        action = u"respond %1"_s.arg(route.respond.status);
        break;
    }
    return (conditions.isEmpty() ? u"every request"_s : conditions.join(u", "_s)) + u" -> "_s + action;
}

} // namespace fulcrum
