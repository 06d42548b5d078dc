// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

// The request-side primitives routes match on. They run for every request, so they work on bytes, never
// allocate when the input is already in normal form (the ...View variants), and use no regular expressions.
namespace fulcrum {

// The target split at the first '?': path and query (query without the '?'; null when there is no '?').
struct TargetParts
{
    QByteArrayView path;
    QByteArrayView query;
    bool hasQuery = false;
};
TargetParts splitTarget(QByteArrayView target);

// The path routing matches on: percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) decoded, every
// other percent-escape kept but with its hex digits upper-cased (so %2f and %2F compare equal and an encoded
// slash is never a segment boundary), runs of '/' merged into one, and dot segments removed as RFC 3986
// §5.2.4 does (after the decoding, so "%2e%2e" counts as ".."; ".." above the root stays at the root). A path
// that does not start with '/' (asterisk-form "*") is returned as is. Nothing, whatever the form, when a '%'
// is not followed by two hex digits, or when the path holds or decoding would yield a NUL/control byte
// (reason in *error, for a 400).
std::optional<QByteArray> normaliseRoutingPath(QByteArrayView path, QByteArray *error = nullptr);

// As normaliseRoutingPath, for the data plane: path itself when it is already normal (nearly every request,
// and then nothing is copied), else the normalised bytes, kept in *storage. The result lives as long as both
// path's buffer and *storage.
std::optional<QByteArrayView> normaliseRoutingPathView(QByteArrayView path, QByteArray *storage,
                                                       QByteArray *error = nullptr);

// The host routing matches on: lower case, without the port (also for "[v6]:port" → "[v6]"), without one
// trailing dot.
QByteArray normaliseHost(QByteArrayView hostHeader);

// As normaliseHost, for the data plane: a view into hostHeader unless it has upper-case letters, else the
// lowered bytes kept in *storage. The result lives as long as both hostHeader's buffer and *storage.
QByteArrayView normaliseHostView(QByteArrayView hostHeader, QByteArray *storage);

// pattern is lower case: "example.com" matches exactly; "*.example.com" matches "a.example.com" and
// "a.b.example.com" but not "example.com" nor "badexample.com".
bool hostMatches(QByteArrayView pattern, QByteArrayView normalisedHost);

// Segment-aware: "/api" matches "/api", "/api/" and "/api/x", not "/apix". The prefix "/" matches every path.
// A prefix given with a trailing slash ("/api/") matches "/api/" and "/api/x" but not "/api".
bool pathHasPrefix(QByteArrayView path, QByteArrayView prefix);

// Whether the query string carries the parameter name=value, comparing both percent-decoded ('+' as space).
// A parameter may repeat; any occurrence matching is enough. "a" with no '=' has the empty value. name and
// value are given decoded; a '%' in the query not followed by two hex digits stands for itself.
bool queryHasParameter(QByteArrayView query, QByteArrayView name, QByteArrayView value);

// For strip_prefix / replace_prefix: path with its leading prefix (segment-aware, as pathHasPrefix) replaced
// by replacement; the result starts with exactly one '/' (so is "/" rather than empty). Only called when
// pathHasPrefix holds (otherwise path comes back unchanged). A trailing slash of prefix or replacement
// stays the separator before the rest: "/api/x" with "/api/" → "/v2/" is "/v2/x".
QByteArray replacePathPrefix(QByteArrayView path, QByteArrayView prefix, QByteArrayView replacement);

} // namespace fulcrum
