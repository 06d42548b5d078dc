// SPDX-License-Identifier: GPL-3.0-or-later
#include "Router.h"

#include "routing/RequestPath.h"

namespace fulcrum {

RouteDecision routeRequest(const RoutingTable &routing, const RequestHead &head)
{
    RouteDecision decision;
    const RouteSet &routes = routing.routes();
    const TargetParts parts = splitTarget(head.target);
    RoutingRequest request;
    request.method = head.method;
    request.query = parts.query;
    request.headers = &head.headers;
    QByteArray pathStorage; // stays empty, and unallocated, for a path already in normal form
    if (routes.needsPath()) {
        const std::optional<QByteArrayView> normalised =
            normaliseRoutingPathView(parts.path, &pathStorage, &decision.reason);
        if (!normalised) {
            decision.status = 400;
            return decision;
        }
        request.path = *normalised;
    } else {
        request.path = parts.path;
    }
    QByteArray hostStorage;
    if (routes.needsHost())
        request.host = normaliseHostView(head.host, &hostStorage);
    decision.route = routes.match(request);
    if (decision.route == nullptr) {
        decision.status = 404;
        decision.reason = "no route matches the request";
        return decision;
    }
    const RouteConfig &config = decision.route->config();
    if (config.action != RouteActionKind::Forward && config.action != RouteActionKind::Split)
        return decision;
    decision.target = decision.route->chooseTarget(head, &decision.setCookie);
    const QByteArray prefix = config.rewrite.prefix.toUtf8();
    if (!prefix.isEmpty() && pathHasPrefix(request.path, prefix)) {
        decision.forwardTarget = replacePathPrefix(request.path, prefix, config.rewrite.replacement.toUtf8());
        if (parts.hasQuery)
            decision.forwardTarget += '?' + parts.query;
    }
    return decision;
}

QByteArray redirectLocation(const RedirectAction &redirect, const RequestHead &head)
{
    const TargetParts parts = splitTarget(head.target);
    QByteArray location = redirect.location.toUtf8();
    if (!parts.hasQuery || parts.query.isEmpty())
        location.replace("?{query}", "");
    location.replace("{host}", normaliseHost(head.host));
    location.replace("{path}", parts.path.toByteArray());
    location.replace("{query}", parts.query.toByteArray());
    return location;
}

QByteArray httpsRedirectLocation(const RequestHead &head, quint16 port)
{
    const QByteArray host = normaliseHost(head.host);
    if (host.isEmpty())
        return {};
    QByteArray location = "https://" + host;
    if (port != 443)
        location += ':' + QByteArray::number(port);
    // An origin-form target goes as it is; the others (absolute-form, "*") have no path of their own here.
    location += head.target.startsWith('/') ? head.target : QByteArray("/");
    return location;
}

} // namespace fulcrum
