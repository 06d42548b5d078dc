// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestPath.h"

#include <algorithm>

namespace fulcrum {

namespace {

const char UpperHexDigits[] = "0123456789ABCDEF";

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    const char lower = char(c | 0x20);
    if (lower >= 'a' && lower <= 'f')
        return lower - 'a' + 10;
    return -1;
}

// The byte the escape "%XY" starting at percent stands for; -1 when X or Y is missing or not hex.
int escapedByte(QByteArrayView bytes, qsizetype percent)
{
    if (percent + 2 >= bytes.size())
        return -1;
    const int high = hexValue(bytes[percent + 1]);
    const int low = hexValue(bytes[percent + 2]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

bool isUnreserved(uchar c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool isControl(uchar c)
{
    return c < 0x20 || c == 0x7f;
}

bool isDotSegment(QByteArrayView segment)
{
    return segment == "." || segment == "..";
}

// The escape as normalisation leaves it: "%2f" and "%2F" must end up the same bytes.
bool isCanonicalEscape(QByteArrayView path, qsizetype percent, int byte)
{
    return path[percent + 1] == UpperHexDigits[byte >> 4] && path[percent + 2] == UpperHexDigits[byte & 0xf];
}

// Nearly every request's path is already normal; this one read-only pass lets those skip the rewrite and
// its allocation. Anything doubtful (even an escape that will be refused) takes the slow path.
bool isNormalPath(QByteArrayView path)
{
    qsizetype segment = 1;
    for (qsizetype i = 1; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            const QByteArrayView bytes = path.sliced(segment, i - segment);
            // An empty segment is a trailing slash when it ends the path, else part of a run of '/'.
            if ((bytes.isEmpty() && i < path.size()) || isDotSegment(bytes))
                return false;
            segment = i + 1;
        } else if (path[i] == '%') {
            const int byte = escapedByte(path, i);
            if (byte < 0 || isUnreserved(uchar(byte)) || isControl(uchar(byte)) ||
                !isCanonicalEscape(path, i, byte))
                return false;
            i += 2;
        } else if (isControl(uchar(path[i]))) {
            return false;
        }
    }
    return true;
}

// Why the path cannot be routed on (a 400), or null. A control byte, raw or escaped, has no business in a
// path and may be read differently by the backend than by the router.
const char *refusalOf(QByteArrayView path)
{
    for (qsizetype i = 0; i < path.size(); ++i) {
        if (path[i] == '%') {
            const int byte = escapedByte(path, i);
            if (byte < 0)
                return "malformed percent-escape in the request path";
            if (isControl(uchar(byte)))
                return "percent-escape of a control character in the request path";
            i += 2;
        } else if (isControl(uchar(path[i]))) {
            return "control character in the request path";
        }
    }
    return nullptr;
}

// For a path refusalOf accepts. One pass, segment by segment: each segment is decoded onto the output first,
// so that a dot segment is recognised however it was spelled, then dropped (with its parent for "..")
// before the next is read.
QByteArray rewritePath(QByteArrayView path)
{
    QByteArray out;
    out.reserve(path.size());
    qsizetype i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/')
            ++i;
        const qsizetype segment = out.size();
        out.append('/');
        for (; i < path.size() && path[i] != '/'; ++i) {
            if (path[i] != '%') {
                out.append(path[i]);
                continue;
            }
            const int byte = escapedByte(path, i);
            if (isUnreserved(uchar(byte))) {
                out.append(char(byte));
            } else {
                const char escape[] = {'%', UpperHexDigits[byte >> 4], UpperHexDigits[byte & 0xf]};
                out.append(escape, sizeof escape);
            }
            i += 2;
        }
        const QByteArrayView decoded = QByteArrayView(out).sliced(segment + 1);
        if (isDotSegment(decoded)) {
            const bool toParent = decoded.size() == 2;
            out.truncate(segment);
            if (toParent)
                out.truncate(std::max<qsizetype>(out.lastIndexOf('/'), 0));
            // RFC 3986 §5.2.4 keeps the directory a final dot segment names: "/a/b/.." is "/a/".
            if (i == path.size())
                out.append('/');
        }
    }
    return out;
}

// Whether the application/x-www-form-urlencoded bytes decode to plain, decoding as it compares so that
// matching a query costs no allocation.
bool formDecodedEquals(QByteArrayView encoded, QByteArrayView plain)
{
    qsizetype matched = 0;
    for (qsizetype i = 0; i < encoded.size(); ++i, ++matched) {
        char c = encoded[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (const int byte = escapedByte(encoded, i); byte >= 0) {
                c = char(byte);
                i += 2;
            }
        }
        if (matched == plain.size() || plain[matched] != c)
            return false;
    }
    return matched == plain.size();
}

bool hasUpperCase(QByteArrayView bytes)
{
    return std::any_of(bytes.begin(), bytes.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

} // namespace

TargetParts splitTarget(QByteArrayView target)
{
    const qsizetype question = target.indexOf('?');
    if (question < 0)
        return {target, {}, false};
    return {target.first(question), target.sliced(question + 1), true};
}

std::optional<QByteArrayView> normaliseRoutingPathView(QByteArrayView path, QByteArray *storage,
                                                       QByteArray *error)
{
    const bool absolute = path.startsWith('/');
    if (absolute && isNormalPath(path))
        return path;
    if (const char *reason = refusalOf(path)) {
        if (error)
            *error = reason;
        return std::nullopt;
    }
    if (!absolute)
        return path;
    *storage = rewritePath(path);
    return QByteArrayView(*storage);
}

std::optional<QByteArray> normaliseRoutingPath(QByteArrayView path, QByteArray *error)
{
    QByteArray storage;
    const std::optional<QByteArrayView> normalised = normaliseRoutingPathView(path, &storage, error);
    if (!normalised)
        return std::nullopt;
    // A rewritten path is never empty (it is "/" at least), so a null storage means path comes back
    // unchanged.
    return storage.isNull() ? normalised->toByteArray() : storage;
}

QByteArrayView normaliseHostView(QByteArrayView hostHeader, QByteArray *storage)
{
    QByteArrayView host = hostHeader;
    if (host.startsWith('[')) {
        // An IPv6 literal holds colons of its own: only what follows the bracket can be the port.
        if (const qsizetype close = host.indexOf(']'); close >= 0)
            host = host.first(close + 1);
    } else if (const qsizetype colon = host.indexOf(':'); colon >= 0) {
        host = host.first(colon);
    }
    if (host.endsWith('.'))
        host.chop(1);
    if (!hasUpperCase(host))
        return host;
    *storage = host.toByteArray().toLower();
    return QByteArrayView(*storage);
}

QByteArray normaliseHost(QByteArrayView hostHeader)
{
    QByteArray storage;
    const QByteArrayView host = normaliseHostView(hostHeader, &storage);
    return storage.isNull() ? host.toByteArray() : storage;
}

bool hostMatches(QByteArrayView pattern, QByteArrayView normalisedHost)
{
    if (!pattern.startsWith("*."))
        return pattern == normalisedHost;
    // Keeping the dot in the suffix is what stops "*.example.com" from matching "badexample.com"; the host
    // must be longer than the suffix so that the wildcard stands for at least one label.
    const QByteArrayView suffix = pattern.sliced(1);
    return normalisedHost.size() > suffix.size() && normalisedHost.endsWith(suffix);
}

bool pathHasPrefix(QByteArrayView path, QByteArrayView prefix)
{
    if (!path.startsWith(prefix))
        return false;
    return prefix.endsWith('/') || path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool queryHasParameter(QByteArrayView query, QByteArrayView name, QByteArrayView value)
{
    QByteArrayView rest = query;
    while (!rest.isEmpty()) {
        const qsizetype end = rest.indexOf('&');
        const QByteArrayView pair = end < 0 ? rest : rest.first(end);
        rest = end < 0 ? QByteArrayView() : rest.sliced(end + 1);
        if (pair.isEmpty())
            continue;
        const qsizetype equals = pair.indexOf('=');
        const QByteArrayView pairName = equals < 0 ? pair : pair.first(equals);
        const QByteArrayView pairValue = equals < 0 ? QByteArrayView() : pair.sliced(equals + 1);
        if (formDecodedEquals(pairName, name) && formDecodedEquals(pairValue, value))
            return true;
    }
    return false;
}

QByteArray replacePathPrefix(QByteArrayView path, QByteArrayView prefix, QByteArrayView replacement)
{
    if (!pathHasPrefix(path, prefix))
        return path.toByteArray();
    // A prefix's trailing slash separates it from the rest: it stays with the rest, so that "/api/" and
    // "/api" cut "/api/x" the same way.
    const QByteArrayView rest = path.sliced(prefix.endsWith('/') ? prefix.size() - 1 : prefix.size());
    QByteArrayView head = replacement;
    if (head.endsWith('/') && rest.startsWith('/'))
        head.chop(1);

    QByteArray result;
    result.reserve(1 + head.size() + rest.size());
    result.append(head).append(rest);
    // The upstream sees this as its request target: it must be origin-form, and "//x" would read as a
    // network-path reference to host "x" to some backends' URL parsers.
    const qsizetype slashes =
        std::find_if(result.cbegin(), result.cend(), [](char c) { return c != '/'; }) - result.cbegin();
    if (slashes == 0)
        result.prepend('/');
    else
        result.remove(0, slashes - 1);
    return result;
}

} // namespace fulcrum
