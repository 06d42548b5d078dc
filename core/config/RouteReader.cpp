// SPDX-License-Identifier: GPL-3.0-or-later
#include "RouteReader.h"

#include "RouteValues.h"
#include "SettingsReaders.h"

#include <QStringList>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// An object, or an array of them, each read by read (which reports its own errors); nothing when any
// is invalid.
template <typename T>
std::optional<QList<T>> readObjectOrArray(JsonObjectReader &owner, QLatin1StringView key,
                                          std::optional<T> (*read)(JsonObjectReader &))
{
    const QJsonValue value = owner.take(key);
    if (value.isUndefined())
        return QList<T>{};
    JsonDiagnostics &d = owner.diagnostics();
    const QString field = owner.field(key);
    QList<std::pair<QString, QJsonValue>> items;
    if (value.isObject()) {
        items.append({field, value});
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i)
            items.append({indexedField(field, i), array.at(i)});
    } else {
        d.wrongType(field, value, u"an object or an array of objects"_s);
        return std::nullopt;
    }
    const qsizetype errorsBefore = d.errorCount();
    QList<T> accepted;
    for (const auto &[itemField, item] : std::as_const(items)) {
        if (!item.isObject()) {
            d.wrongType(itemField, item, u"an object"_s);
            continue;
        }
        JsonObjectReader object(d, item.toObject(), itemField);
        const std::optional<T> parsed = read(object);
        object.reportUnknown();
        if (parsed)
            accepted.append(*parsed);
    }
    if (d.errorCount() != errorsBefore)
        return std::nullopt;
    return accepted;
}

QString checkQueryName(QStringView name)
{
    if (name.isEmpty())
        return u"must not be empty"_s;
    return checkHeaderValue(name); // the same characters as a header value: no control ones
}

std::optional<HeaderMatch> readHeaderMatch(JsonObjectReader &object)
{
    JsonDiagnostics &d = object.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    std::optional<QString> name;
    std::optional<QString> value;
    std::optional<bool> present;
    if (requirePresent(object, "name"_L1))
        readOptional(object, "name"_L1, checkHeaderName, name);
    readOptional(object, "value"_L1, checkHeaderValue, value);
    readOptional(object, "present"_L1, present);
    if (present == false)
        d.add(object.field("present"_L1), false, u"must be true (a header's absence cannot be matched)"_s);
    if (object.contains("value"_L1) && object.contains("present"_L1))
        d.add(object.field("present"_L1), QJsonValue::Undefined,
              u"must not be given with \"value\" (give one of them)"_s);
    else if (!object.contains("value"_L1) && !object.contains("present"_L1))
        d.add(object.path(), QJsonValue::Undefined, u"needs \"value\", or \"present\": true"_s);
    if (d.errorCount() != errorsBefore)
        return std::nullopt;
    return HeaderMatch{*name, value.value_or(QString()), present.has_value()};
}

std::optional<QueryMatch> readQueryMatch(JsonObjectReader &object)
{
    JsonDiagnostics &d = object.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    std::optional<QString> name;
    std::optional<QString> value;
    if (requirePresent(object, "name"_L1))
        readOptional(object, "name"_L1, checkQueryName, name);
    if (requirePresent(object, "value"_L1))
        readOptional(object, "value"_L1, checkHeaderValue, value);
    if (d.errorCount() != errorsBefore)
        return std::nullopt;
    return QueryMatch{*name, *value};
}

std::optional<RouteMatch> readMatch(JsonObjectReader &route)
{
    std::optional<JsonObjectReader> object = route.object("match"_L1);
    if (!object)
        return std::nullopt;
    RouteMatch match;
    readParsed(*object, "host"_L1, parseHostPattern, match.host);
    const ReadStatus path = readParsed(*object, "path"_L1, parseRoutePath, match.path);
    const ReadStatus prefix = readParsed(*object, "path_prefix"_L1, parsePathPrefix, match.pathPrefix);
    if (path != ReadStatus::Absent && prefix != ReadStatus::Absent)
        object->diagnostics().add(object->field("path_prefix"_L1), QJsonValue::Undefined,
                                  u"must not be given with \"path\" (give one of them)"_s);
    readParsed(*object, "method"_L1, parseRouteMethod, match.method);
    if (const auto headers = readObjectOrArray(*object, "header"_L1, readHeaderMatch))
        match.headers = *headers;
    if (const auto query = readObjectOrArray(*object, "query"_L1, readQueryMatch))
        match.query = *query;
    object->reportUnknown();
    return match;
}

struct ActionSpelling
{
    RouteActionKind action;
    QLatin1StringView key;
};

constexpr ActionSpelling kActions[] = {
    {RouteActionKind::Forward, "pool"_L1},
    {RouteActionKind::Split, "split"_L1},
    {RouteActionKind::Redirect, "redirect"_L1},
    {RouteActionKind::Respond, "respond"_L1},
};

// The one action key route has; nothing when it has none or several (then reported).
std::optional<RouteActionKind> findAction(JsonObjectReader &route)
{
    QStringList given;
    std::optional<RouteActionKind> action;
    for (const ActionSpelling &spelling : kActions) {
        if (route.contains(spelling.key)) {
            given.append(u'"' + spelling.key + u'"');
            action = spelling.action;
        }
    }
    if (given.size() == 1)
        return action;
    if (given.isEmpty())
        route.diagnostics().add(route.path(), QJsonValue::Undefined,
                                u"needs an action: \"pool\", \"split\", \"redirect\" or \"respond\""_s);
    else
        route.diagnostics().add(route.path(), QJsonValue::Undefined,
                                u"has more than one action ("_s + given.join(u", "_s) +
                                    u"): give exactly one");
    return std::nullopt;
}

QList<SplitTarget> readSplit(JsonObjectReader &route)
{
    QList<SplitTarget> split;
    route.readObjects("split"_L1, [&split](JsonObjectReader &object, qsizetype) {
        std::optional<QString> pool;
        std::optional<int> weight;
        if (requirePresent(object, "pool"_L1))
            readOptional(object, "pool"_L1, checkBackendName, pool);
        if (requirePresent(object, "weight"_L1))
            readOptional(object, "weight"_L1, ranges::splitWeight, weight);
        object.reportUnknown();
        if (pool && weight)
            split.append({*pool, *weight});
    });
    return split;
}

RedirectAction readRedirect(JsonObjectReader &route)
{
    RedirectAction redirect;
    std::optional<JsonObjectReader> object = route.object("redirect"_L1);
    if (!object)
        return redirect;
    const QJsonValue status = object->take("status"_L1);
    constexpr int kRedirectStatuses[] = {301, 302, 303, 307, 308};
    if (!status.isUndefined()) {
        const auto found =
            std::find(std::begin(kRedirectStatuses), std::end(kRedirectStatuses), status.toDouble());
        if (!status.isDouble() || found == std::end(kRedirectStatuses))
            object->diagnostics().add(object->field("status"_L1), status,
                                      u"must be 301, 302, 303, 307 or 308"_s);
        else
            redirect.status = *found;
    }
    std::optional<QString> location;
    if (requirePresent(*object, "location"_L1))
        readOptional(*object, "location"_L1, checkRedirectLocation, location);
    redirect.location = location.value_or(QString());
    object->reportUnknown();
    return redirect;
}

QString checkContentType(QStringView value)
{
    if (value.isEmpty())
        return u"must not be empty"_s;
    return checkHeaderValue(value);
}

RespondAction readRespond(JsonObjectReader &route)
{
    RespondAction respond;
    std::optional<JsonObjectReader> object = route.object("respond"_L1);
    if (!object)
        return respond;
    object->readInteger("status"_L1, ranges::respondStatus, respond.status);
    std::optional<QString> body;
    readOptional(*object, "body"_L1, nullptr, body);
    respond.body = body.value_or(QString()).toUtf8();
    std::optional<QString> contentType;
    readOptional(*object, "content_type"_L1, checkContentType, contentType);
    respond.contentType = contentType.value_or(respond.contentType);
    // RFC 9110 §15.3.5, §15.3.6, §15.4.5: such responses end with their headers.
    const bool bodiless = respond.status == 204 || respond.status == 205 || respond.status == 304;
    if (bodiless && !respond.body.isEmpty())
        object->diagnostics().add(
            object->field("body"_L1), *body,
            u"must be empty with status %1 (such a response has no body)"_s.arg(respond.status));
    object->reportUnknown();
    return respond;
}

// Reads one "add" or "set" member of a header rules object: header names and their values.
QList<HeaderValue> readHeaderValues(JsonObjectReader &rules, QLatin1StringView key, bool request,
                                    HeaderRuleKind kind)
{
    const QJsonValue json = rules.take(key);
    if (json.isUndefined())
        return {};
    JsonDiagnostics &d = rules.diagnostics();
    const QString field = rules.field(key);
    if (!json.isObject()) {
        d.wrongType(field, json, u"an object of header names and values"_s);
        return {};
    }
    const QJsonObject object = json.toObject();
    QList<HeaderValue> headers;
    QStringList seen; // lower case
    // QJsonObject hands out its members in name order, not in the file's: headers are added in that order.
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString name = it.key();
        QString problem = checkHeaderName(name);
        if (problem.isEmpty())
            problem = checkRewritableHeader(name, request, kind);
        if (problem.isEmpty() && kind == HeaderRuleKind::Set && seen.contains(name.toLower()))
            problem = u"duplicate header name (names are compared without regard to case)"_s;
        if (!problem.isEmpty()) {
            d.add(field, name, problem);
            continue;
        }
        seen.append(name.toLower());
        const QString valueField = field + u'.' + name;
        const std::optional<QString> text = d.string(valueField, it.value());
        if (!text)
            continue;
        if (const QString valueProblem = checkHeaderValue(*text); !valueProblem.isEmpty())
            d.add(valueField, it.value(), valueProblem);
        else
            headers.append({name.toLatin1(), text->toUtf8()});
    }
    return headers;
}

QList<QByteArray> readHeaderRemovals(JsonObjectReader &rules, bool request)
{
    const QLatin1StringView key = "remove"_L1;
    const std::optional<QJsonArray> entries = rules.array(key, u"strings"_s);
    if (!entries)
        return {};
    JsonDiagnostics &d = rules.diagnostics();
    QList<QByteArray> names;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexedField(rules.field(key), i);
        const std::optional<QString> name = d.string(field, entries->at(i));
        if (!name)
            continue;
        QString problem = checkHeaderName(*name);
        if (problem.isEmpty())
            problem = checkRewritableHeader(*name, request, HeaderRuleKind::Remove);
        if (problem.isEmpty() && std::any_of(names.cbegin(), names.cend(), [&name](const QByteArray &n) {
                return name->compare(QLatin1StringView(n), Qt::CaseInsensitive) == 0;
            }))
            problem = u"duplicate header name (names are compared without regard to case)"_s;
        if (problem.isEmpty())
            names.append(name->toLatin1());
        else
            d.add(field, *name, problem);
    }
    return names;
}

HeaderRules readHeaderRules(JsonObjectReader &route, QLatin1StringView key, bool request)
{
    HeaderRules rules;
    std::optional<JsonObjectReader> object = route.object(key);
    if (!object)
        return rules;
    rules.add = readHeaderValues(*object, "add"_L1, request, HeaderRuleKind::Add);
    rules.set = readHeaderValues(*object, "set"_L1, request, HeaderRuleKind::Set);
    rules.remove = readHeaderRemovals(*object, request);
    object->reportUnknown();
    return rules;
}

// Segment-aware, as routing compares paths: "/api" is a prefix of "/api" and "/api/x", not of "/apix".
bool isPathPrefix(const QString &prefix, const QString &path)
{
    return prefix == u"/" || path == prefix || path.startsWith(prefix + u'/');
}

// A rewrite of a prefix no path this route matches has would silently never happen.
void checkRewriteApplies(JsonDiagnostics &d, const QString &field, const QString &prefix,
                         const std::optional<RouteMatch> &match)
{
    if (!match)
        return;
    if (!match->path.isEmpty() && !isPathPrefix(prefix, match->path))
        d.add(field, prefix, u"never applies: this route only matches the path \""_s + match->path + u'"');
    const QString &matched = match->pathPrefix;
    if (!matched.isEmpty() && !isPathPrefix(prefix, matched) && !isPathPrefix(matched, prefix))
        d.add(field, prefix, u"never applies: this route only matches paths under \""_s + matched + u'"');
}

PathRewrite readRewrite(JsonObjectReader &route, const std::optional<RouteMatch> &match)
{
    JsonDiagnostics &d = route.diagnostics();
    PathRewrite rewrite;
    if (readParsed(route, "strip_prefix"_L1, parsePathPrefix, rewrite.prefix) == ReadStatus::Valid)
        checkRewriteApplies(d, route.field("strip_prefix"_L1), rewrite.prefix, match);
    std::optional<JsonObjectReader> replace = route.object("replace_prefix"_L1);
    if (!replace)
        return rewrite;
    if (route.contains("strip_prefix"_L1))
        d.add(replace->path(), QJsonValue::Undefined,
              u"must not be given with \"strip_prefix\" (give one of them)"_s);
    QString from;
    QString to;
    const bool hasFrom = requirePresent(*replace, "from"_L1) &&
                         readParsed(*replace, "from"_L1, parsePathPrefix, from) == ReadStatus::Valid;
    const bool hasTo = requirePresent(*replace, "to"_L1) &&
                       readParsed(*replace, "to"_L1, parsePathPrefix, to) == ReadStatus::Valid;
    replace->reportUnknown();
    if (hasFrom)
        checkRewriteApplies(d, replace->field("from"_L1), from, match);
    if (hasFrom && hasTo) {
        rewrite.prefix = from;
        // Replacing with "/" is stripping: the rest of the path keeps its own leading '/'.
        rewrite.replacement = to == u"/" ? QString() : to;
    }
    return rewrite;
}

PolicyOverrides readOverrides(JsonObjectReader &route, const RetryConfig &retriesBase)
{
    PolicyOverrides overrides;
    if (route.contains("retries"_L1)) {
        RetryConfig retries = retriesBase;
        readRetries(route, retries);
        overrides.retries = retries;
    }
    readUpstreamTimeouts(route, u"a route"_s, overrides.upstreamConnectMs, overrides.upstreamResponseMs);
    readOptional(route, "max_body_bytes"_L1, ranges::maxBodyBytes, overrides.maxBodyBytes);
    return overrides;
}

bool forwards(RouteActionKind action)
{
    return action == RouteActionKind::Forward || action == RouteActionKind::Split;
}

// Reports each of keys route has (and takes it, so it is not also unknown) without reading it.
void rejectKeys(JsonObjectReader &route, std::initializer_list<QLatin1StringView> keys, const QString &reason)
{
    for (const QLatin1StringView key : keys) {
        if (!route.take(key).isUndefined())
            route.diagnostics().add(route.field(key), QJsonValue::Undefined, reason);
    }
}

// The retries a route's own "retries" starts from: its pool's, or for a split (whose pools may differ) the
// top level's.
RetryConfig retriesBase(const RouteConfig &route, const QList<PoolConfig> &pools, const RetryConfig &topLevel)
{
    if (route.action != RouteActionKind::Forward)
        return topLevel;
    const auto pool = std::find_if(pools.cbegin(), pools.cend(),
                                   [&route](const PoolConfig &p) { return p.name == route.pool; });
    return pool == pools.cend() ? topLevel : pool->policy.retries;
}

std::optional<RouteConfig> readRoute(JsonObjectReader &object, qsizetype index,
                                     const QList<PoolConfig> &pools, const RetryConfig &topLevelRetries)
{
    JsonDiagnostics &d = object.diagnostics();
    const qsizetype errorsBefore = d.errorCount();
    RouteConfig route;
    std::optional<QString> name;
    readOptional(object, "name"_L1, checkBackendName, name);
    route.name = name.value_or(u"route-"_s + QString::number(index));
    route.match = readMatch(object);

    const std::optional<RouteActionKind> action = findAction(object);
    route.action = action.value_or(RouteActionKind::Forward);
    std::optional<QString> pool;
    readOptional(object, "pool"_L1, checkBackendName, pool);
    route.pool = pool.value_or(QString());
    route.split = readSplit(object);
    route.redirect = readRedirect(object);
    route.respond = readRespond(object);

    // With no single action known, every option is read for its own errors.
    if (!action || forwards(*action)) {
        route.requestHeaders = readHeaderRules(object, "request_headers"_L1, true);
        route.rewrite = readRewrite(object, route.match);
        route.overrides = readOverrides(object, retriesBase(route, pools, topLevelRetries));
    } else {
        rejectKeys(object,
                   {"request_headers"_L1, "strip_prefix"_L1, "replace_prefix"_L1, "retries"_L1, "timeouts"_L1,
                    "max_body_bytes"_L1},
                   u"only applies to a route that forwards (with \"pool\" or \"split\")"_s);
    }
    if (!action || *action == RouteActionKind::Split)
        readStickyCookie(object, route.stickyCookie);
    else
        rejectKeys(
            object, {"sticky_cookie"_L1},
            u"only applies to a \"split\" route (it keeps a client on the pool it was first sent to)"_s);
    route.responseHeaders = readHeaderRules(object, "response_headers"_L1, false);
    object.reportUnknown();
    if (d.errorCount() != errorsBefore)
        return std::nullopt;
    return route;
}

} // namespace

void readRoutes(JsonObjectReader &root, ProxyConfig &config)
{
    const QList<PoolConfig> pools = config.effectivePools();
    QList<RouteConfig> routes;
    root.readObjects("routes"_L1, [&](JsonObjectReader &object, qsizetype index) {
        if (std::optional<RouteConfig> route = readRoute(object, index, pools, config.retries))
            routes.append(*route);
    });
    config.routes = routes;
}

} // namespace fulcrum
