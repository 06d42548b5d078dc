// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigValues.h"

#include <QString>
#include <QStringView>

// The textual forms of a route's values, as ConfigValues.h has them for the rest of the file: reasons never
// repeat the value or the field.
namespace fulcrum {

// A path a route compares with the request's normalised path (see docs/configuration.md): '/' and then
// segments of RFC 3986 path characters and percent-escapes, no empty, "." or ".." segment, no query or
// fragment. Comes back in the same normal form as request paths: escapes of unreserved characters
// decoded, every other escape with upper-case hex digits.
Parsed<QString> parseRoutePath(QStringView text);
// As parseRoutePath, but a prefix of whole segments: without its trailing '/' ("/api/" is "/api"), but for
// "/" itself.
Parsed<QString> parsePathPrefix(QStringView text);
// An HTTP token, upper-cased: routes compare methods exactly, and methods are sent in upper case.
Parsed<QString> parseRouteMethod(QStringView text);

// Empty when location can be sent as a redirect's Location: visible ASCII, with no placeholder but {host},
// {path} and {query}; else the reason.
QString checkRedirectLocation(QStringView location);

enum class HeaderRuleKind
{
    Add,
    Set,
    Remove,
};
// Empty when a route may change the header name this way (request: true for request_headers), else the
// reason: framing and hop-by-hop headers belong to each connection, which only Fulcrum may manage.
QString checkRewritableHeader(QStringView name, bool request, HeaderRuleKind kind);

} // namespace fulcrum
