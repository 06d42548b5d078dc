// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "routing/RoutingTable.h"

namespace fulcrum {

// Where one request goes, decided once its head is parsed.
struct RouteDecision
{
    const CompiledRoute *route = nullptr; // null when the request could not be routed (see status)
    qsizetype target = -1;    // forward and split: into route->target(); -1 when no split weight is left
    QByteArray setCookie;     // the split's Set-Cookie value, when the client is pinned anew
    QByteArray forwardTarget; // the request target with the route's prefix rewrite; null: as sent
    int status = 0;           // 400 or 404 when route is null
    QByteArray reason;
};

// Matches the request against the routes on its normalised host and path; the request target itself is
// forwarded as sent unless the route rewrites it, so matching on a normalised form cannot be bypassed by
// spelling the same path differently.
RouteDecision routeRequest(const RoutingTable &routing, const RequestHead &head);

// A redirect's Location: {host} (normalised, without port), {path} and {query} (both as sent) filled in;
// "?{query}" disappears whole when the request has no query.
QByteArray redirectLocation(const RedirectAction &redirect, const RequestHead &head);
// Where a plain-HTTP listener with redirect-https sends a request: the same host and target on https at
// port (left out when 443). Empty when the request names no host.
QByteArray httpsRedirectLocation(const RequestHead &head, quint16 port);

} // namespace fulcrum
