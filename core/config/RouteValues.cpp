// SPDX-License-Identifier: GPL-3.0-or-later
#include "RouteValues.h"

#include <QStringList>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

int hexValue(QChar c)
{
    if (c >= u'0' && c <= u'9')
        return c.unicode() - u'0';
    if (c >= u'a' && c <= u'f')
        return c.unicode() - u'a' + 10;
    if (c >= u'A' && c <= u'F')
        return c.unicode() - u'A' + 10;
    return -1;
}

bool isAsciiAlnum(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
}

bool isUnreserved(QChar c)
{
    return isAsciiAlnum(c) || c == u'-' || c == u'.' || c == u'_' || c == u'~';
}

// RFC 3986 pchar but for percent-escapes, which are read on their own.
bool isPathChar(QChar c)
{
    static constexpr QStringView kOthers = u"!$&'()*+,;=:@";
    return isUnreserved(c) || kOthers.contains(c);
}

QString describeChar(QChar c)
{
    if (c == u' ')
        return u"a space"_s;
    if (c.unicode() < 0x20 || c.unicode() == 0x7f)
        return u"a control character"_s;
    return u"'"_s + c + u'\'';
}

// text's segments checked and its escapes put in normal form.
Parsed<QString> normalisePath(QStringView text)
{
    if (!text.startsWith(u'/'))
        return reject(u"must start with \"/\""_s);
    QString out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c == u'/' || isPathChar(c)) {
            out += c;
            continue;
        }
        if (c == u'?')
            return reject(u"must not contain '?' (match the query with \"query\")"_s);
        if (c == u'#')
            return reject(u"must not contain '#' (a fragment is never sent to a server)"_s);
        if (c != u'%')
            return reject(u"must not contain "_s + describeChar(c) +
                          u" (percent-encode it, as clients send it)");
        const int high = i + 2 < text.size() ? hexValue(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
        if (high < 0 || low < 0)
            return reject(u"'%' must be followed by two hex digits"_s);
        const QChar decoded(high * 16 + low);
        if (decoded.unicode() < 0x20 || decoded.unicode() == 0x7f)
            return reject(u"must not encode a control character (requests with one are refused)"_s);
        if (isUnreserved(decoded))
            out += decoded;
        else
            out += u'%' + text.sliced(i + 1, 2).toString().toUpper();
        i += 2;
    }
    const QList<QStringView> segments = QStringView(out).sliced(1).split(u'/');
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QStringView segment = segments.at(i);
        if (segment == u"." || segment == u"..")
            return reject(u"must not have \".\" or \"..\" segments (request paths are compared with them "
                          u"resolved)"_s);
        if (segment.isEmpty() && i + 1 < segments.size())
            return reject(u"must not have empty segments (\"//\"; request paths are compared with them "
                          u"merged)"_s);
    }
    return out;
}

} // namespace

Parsed<QString> parseRoutePath(QStringView text)
{
    return normalisePath(text);
}

Parsed<QString> parsePathPrefix(QStringView text)
{
    Parsed<QString> path = normalisePath(text);
    if (path.ok() && path.value.size() > 1 && path.value.endsWith(u'/'))
        path.value.chop(1);
    return path;
}

Parsed<QString> parseRouteMethod(QStringView text)
{
    const QString problem = checkHttpMethod(text);
    if (!problem.isEmpty())
        return reject(problem);
    return text.toString().toUpper();
}

QString checkRedirectLocation(QStringView location)
{
    if (location.isEmpty())
        return u"must not be empty"_s;
    const bool visibleAscii = std::all_of(location.begin(), location.end(),
                                          [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
    if (!visibleAscii)
        return u"must be visible ASCII characters: no spaces or control characters (percent-encode anything "
               u"else)"_s;
    QString rest = location.toString();
    for (const QStringView placeholder : {u"{host}", u"{path}", u"{query}"})
        rest.remove(placeholder.toString());
    const qsizetype open = rest.indexOf(u'{');
    const qsizetype close = open < 0 ? -1 : rest.indexOf(u'}', open);
    if (close >= 0)
        return u"unknown placeholder "_s + rest.sliced(open, close - open + 1) +
               u" (use {host}, {path} or {query})";
    if (open >= 0 || rest.contains(u'}'))
        return u"a brace must be part of {host}, {path} or {query} (write a literal one as %7B or %7D)"_s;
    return {};
}

QString checkRewritableHeader(QStringView name, bool request, HeaderRuleKind kind)
{
    static const QStringList kFraming = {u"content-length"_s, u"transfer-encoding"_s};
    static const QStringList kHopByHop = {u"connection"_s, u"keep-alive"_s, u"proxy-connection"_s,
                                          u"te"_s,         u"trailer"_s,    u"upgrade"_s};
    const QString lower = name.toString().toLower();
    if (kFraming.contains(lower))
        return u"must not be changed: it frames the message, which Fulcrum does for each connection"_s;
    if (kHopByHop.contains(lower))
        return u"must not be changed: a hop-by-hop header concerns one connection and is never forwarded"_s;
    if (request && lower == u"host" && kind != HeaderRuleKind::Set)
        return u"may only be replaced (\"set\"): a request needs exactly one Host header"_s;
    return {};
}

} // namespace fulcrum
