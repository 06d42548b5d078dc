// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminApi.h"

#include "admin/AdminBodies.h"
#include "admin/AdminReplies.h"
#include "admin/BackendJson.h"
#include "proxy/ProxyServer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <variant>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

enum class Access
{
    Open, // probes: orchestrators reach them without the secret
    Read,
    Control,
};

// A path pattern's "{}" segment matches any one segment: the name of a backend or route.
constexpr QStringView kNameSegment = u"{}";

bool matchPath(QStringView pattern, QStringView path, QString *name)
{
    const QList<QStringView> want = pattern.split(u'/');
    const QList<QStringView> have = path.split(u'/');
    if (want.size() != have.size())
        return false;
    for (qsizetype i = 0; i < want.size(); ++i) {
        if (want.at(i) == kNameSegment && !have.at(i).isEmpty())
            *name = have.at(i).toString();
        else if (want.at(i) != have.at(i))
            return false;
    }
    return true;
}

QString describeBody(const QByteArray &body)
{
    constexpr qsizetype kShown = 200;
    const QByteArray compact = QJsonDocument::fromJson(body).toJson(QJsonDocument::Compact);
    const QByteArray shown = compact.isEmpty() ? body.trimmed() : compact;
    return QString::fromUtf8(shown.size() > kShown ? shown.first(kShown) + "..." : shown);
}

QJsonObject routeToJson(const RouteConfig &route)
{
    QJsonObject entry{{u"name"_s, route.name}, {u"description"_s, describeRoute(route)}};
    if (route.action == RouteActionKind::Split) {
        QJsonArray split;
        for (const SplitTarget &target : route.split)
            split.append(QJsonObject{{u"pool"_s, target.pool}, {u"weight"_s, target.weight}});
        entry.insert(u"split"_s, split);
    }
    return entry;
}

template <typename T>
const AdminResponse *refusalIn(const BodyOr<T> &parsed)
{
    return std::get_if<AdminResponse>(&parsed);
}

} // namespace

struct AdminApi::Route
{
    QByteArray method;
    QStringView path;
    Access access;
    Handler handler;
};

AdminApi::AdminApi(ProxyServer &server, AdminSettings settings, AdminHooks hooks, QObject *parent)
    : QObject(parent), m_server(server), m_settings(std::move(settings)), m_hooks(std::move(hooks)),
      m_access(m_settings.token, m_settings.loopbackListener), m_events(server, m_settings.exportInfo)
{
    connect(&server, &ProxyServer::snapshotPublished, this,
            [this](const MetricsSnapshotPtr &snapshot) { m_latest = snapshot; });
}

AdminResponse AdminApi::handle(const AdminRequest &request)
{
    static const Route routes[] = {
        {"GET", u"/", Access::Read, &AdminApi::statusPage},
        {"GET", u"/healthz", Access::Open, &AdminApi::healthz},
        {"GET", u"/readyz", Access::Open, &AdminApi::readyz},
        {"GET", u"/metrics", Access::Read, &AdminApi::metrics},
        {"GET", u"/api/v1/snapshot", Access::Read, &AdminApi::snapshot},
        {"GET", u"/api/v1/backends", Access::Read, &AdminApi::listBackends},
        {"POST", u"/api/v1/backends", Access::Control, &AdminApi::addBackend},
        {"PATCH", u"/api/v1/backends", Access::Control, &AdminApi::editBackends},
        {"GET", u"/api/v1/backends/{}", Access::Read, &AdminApi::getBackend},
        {"PATCH", u"/api/v1/backends/{}", Access::Control, &AdminApi::editBackend},
        {"DELETE", u"/api/v1/backends/{}", Access::Control, &AdminApi::removeBackend},
        {"GET", u"/api/v1/routes", Access::Read, &AdminApi::listRoutes},
        {"PATCH", u"/api/v1/routes/{}", Access::Control, &AdminApi::editRoute},
        {"POST", u"/api/v1/reload", Access::Control, &AdminApi::reload},
        {"GET", u"/api/v1/events", Access::Control, &AdminApi::openEvents},
    };
    QByteArrayList allowed;
    for (const Route &route : routes) {
        QString name;
        if (!matchPath(route.path, request.path, &name))
            continue;
        if (route.method != request.method) {
            allowed.append(route.method);
            continue;
        }
        if (route.access != Access::Open) {
            const auto need =
                route.access == Access::Read ? AdminAccess::Need::Read : AdminAccess::Need::Control;
            if (std::optional<AdminResponse> refused = m_access.refusal(request, need)) {
                if (need == AdminAccess::Need::Control)
                    audit(request, u"refused (401)"_s);
                return *refused;
            }
        }
        AdminResponse response = (this->*route.handler)(request, name);
        if (route.access == Access::Control && !response.opensEventStream)
            audit(request, response.status < 300 ? u"%1"_s.arg(response.status)
                                                 : u"refused (%1): %2"_s.arg(response.status)
                                                       .arg(QString::fromUtf8(response.body.trimmed())));
        return response;
    }
    if (allowed.isEmpty())
        return errorReply(404, u"no such path: %1"_s.arg(request.path));
    AdminResponse response =
        errorReply(405, u"%1 is not allowed on %2"_s.arg(QString::fromLatin1(request.method), request.path));
    response.headers.emplaceBack("Allow", allowed.join(", "));
    return response;
}

MetricsSnapshotPtr AdminApi::latestSnapshot()
{
    // Before the first tick there is no published snapshot yet: collect one rather than answer nothing.
    if (!m_latest)
        m_latest = m_server.collectSnapshot();
    return m_latest;
}

AdminResponse AdminApi::statusPage(const AdminRequest &, const QString &)
{
    QFile page(m_settings.statusPage);
    if (!page.open(QIODevice::ReadOnly))
        return errorReply(500, u"the status page is missing from this build: %1"_s.arg(page.errorString()));
    return textReply(200, "text/html; charset=utf-8", page.readAll());
}

AdminResponse AdminApi::healthz(const AdminRequest &, const QString &)
{
    return jsonReply(200, {{u"status"_s, u"alive"_s}});
}

AdminResponse AdminApi::readyz(const AdminRequest &, const QString &)
{
    if (m_server.boundAddresses().isEmpty())
        return errorReply(503, u"not listening"_s);
    if (m_server.isDraining())
        return errorReply(503, u"draining before exit"_s);
    const QList<BackendStatus> statuses = m_server.backends().status();
    const bool usable = std::any_of(statuses.cbegin(), statuses.cend(), [](const BackendStatus &status) {
        return status.state == BackendState::Up && status.effectiveWeight > 0;
    });
    if (!usable)
        return errorReply(503, statuses.isEmpty() ? u"no backends configured"_s
                                                  : u"no backend in rotation: all down, draining, in "
                                                    "maintenance or at weight 0"_s);
    return jsonReply(200, {{u"status"_s, u"ready"_s}});
}

AdminResponse AdminApi::metrics(const AdminRequest &, const QString &)
{
    return textReply(200, "text/plain; version=0.0.4; charset=utf-8",
                     snapshotToPrometheus(*latestSnapshot(), m_settings.exportInfo));
}

AdminResponse AdminApi::snapshot(const AdminRequest &request, const QString &)
{
    const QString format = request.query.queryItemValue(u"format"_s);
    const MetricsSnapshotPtr latest = latestSnapshot();
    if (format.isEmpty() || format == u"json"_s)
        return textReply(200, "application/json", snapshotToJson(*latest, m_settings.exportInfo));
    if (format == u"csv"_s)
        return textReply(200, "text/csv; charset=utf-8; header=present", snapshotToCsv(*latest));
    if (format == u"prom"_s)
        return textReply(200, "text/plain; version=0.0.4; charset=utf-8",
                         snapshotToPrometheus(*latest, m_settings.exportInfo));
    return errorReply(400, u"format must be json, csv or prom"_s, u"format"_s);
}

AdminResponse AdminApi::listBackends(const AdminRequest &, const QString &)
{
    QJsonArray backends;
    for (const BackendStatus &status : m_server.backends().status())
        backends.append(backendToJson(status));
    return jsonReply(200, {{u"backends"_s, backends}});
}

AdminResponse AdminApi::backendReply(int status, const QString &name)
{
    const std::optional<BackendStatus> backend = m_server.backends().status(name);
    if (!backend)
        return errorReply(404, u"no backend named \"%1\""_s.arg(name), u"name"_s);
    return jsonReply(status, backendToJson(*backend));
}

AdminResponse AdminApi::getBackend(const AdminRequest &, const QString &name)
{
    return backendReply(200, name);
}

AdminResponse AdminApi::addBackend(const AdminRequest &request, const QString &)
{
    const BodyOr<QJsonDocument> document = parseJsonBody(request);
    if (const AdminResponse *refused = refusalIn(document))
        return *refused;
    if (!std::get<QJsonDocument>(document).isObject())
        return errorReply(400, u"the body must be a JSON object {\"name\", \"url\", \"weight\", \"pool\"}"_s);
    const BodyOr<NewBackend> parsed = parseNewBackend(std::get<QJsonDocument>(document).object());
    if (const AdminResponse *refused = refusalIn(parsed))
        return *refused;
    const NewBackend &added = std::get<NewBackend>(parsed);
    BackendRegistry &registry = m_server.backends();
    if (registry.status(added.config.name))
        return errorReply(409, u"a backend named \"%1\" exists already"_s.arg(added.config.name), u"name"_s);
    if (!added.pool.isEmpty() && !registry.poolNames().contains(added.pool))
        return errorReply(422, u"pool \"%1\" does not exist"_s.arg(added.pool), u"pool"_s);
    const QString pool = added.pool.isEmpty() ? registry.poolNames().value(0) : added.pool;
    const BackendConfig config =
        m_hooks.completeBackend ? m_hooks.completeBackend(added.config, pool) : added.config;
    QString error;
    if (!registry.addBackend(config, reasonFor(request), &error, pool))
        return errorReply(422, error, u"url"_s);
    return backendReply(201, added.config.name);
}

AdminResponse AdminApi::editBackend(const AdminRequest &request, const QString &name)
{
    if (!m_server.backends().status(name))
        return errorReply(404, u"no backend named \"%1\""_s.arg(name), u"name"_s);
    const BodyOr<QJsonDocument> document = parseJsonBody(request);
    if (const AdminResponse *refused = refusalIn(document))
        return *refused;
    if (!std::get<QJsonDocument>(document).isObject())
        return errorReply(400, u"the body must be a JSON object {\"weight\", \"state\"}"_s);
    const BodyOr<BackendEdit> edit = parseBackendEdit(std::get<QJsonDocument>(document).object(), name, {});
    if (const AdminResponse *refused = refusalIn(edit))
        return *refused;
    QString error;
    if (!m_server.backends().applyEdits({std::get<BackendEdit>(edit)}, reasonFor(request), &error))
        return errorReply(409, error, u"name"_s);
    return backendReply(200, name);
}

AdminResponse AdminApi::editBackends(const AdminRequest &request, const QString &)
{
    const BodyOr<QJsonDocument> document = parseJsonBody(request);
    if (const AdminResponse *refused = refusalIn(document))
        return *refused;
    if (!std::get<QJsonDocument>(document).isArray())
        return errorReply(400, u"the body must be a JSON list of {\"name\", \"weight\", \"state\"}"_s);
    const QJsonArray entries = std::get<QJsonDocument>(document).array();
    QList<BackendEdit> edits;
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QString where = u"[%1]."_s.arg(i);
        if (!entries.at(i).isObject())
            return errorReply(400, u"[%1] must be an object {\"name\", \"weight\", \"state\"}"_s.arg(i),
                              u"[%1]"_s.arg(i));
        const BodyOr<BackendEdit> edit = parseBackendEdit(entries.at(i).toObject(), {}, where);
        if (const AdminResponse *refused = refusalIn(edit))
            return *refused;
        const QString &name = std::get<BackendEdit>(edit).name;
        if (!m_server.backends().status(name))
            return errorReply(404, u"no backend named \"%1\""_s.arg(name), where + u"name"_s);
        edits.append(std::get<BackendEdit>(edit));
    }
    QString error;
    if (!m_server.backends().applyEdits(edits, reasonFor(request), &error))
        return errorReply(409, error);
    QJsonArray backends;
    for (const BackendEdit &edit : std::as_const(edits))
        backends.append(backendToJson(*m_server.backends().status(edit.name)));
    return jsonReply(200, {{u"backends"_s, backends}});
}

AdminResponse AdminApi::removeBackend(const AdminRequest &request, const QString &name)
{
    if (!m_server.backends().status(name))
        return errorReply(404, u"no backend named \"%1\""_s.arg(name), u"name"_s);
    QString error;
    if (!m_server.backends().removeBackend(name, reasonFor(request), &error))
        return errorReply(409, error, u"name"_s);
    // An idle backend may have left at once: say so rather than 404.
    if (!m_server.backends().status(name))
        return jsonReply(202, {{u"name"_s, name}, {u"removing"_s, true}, {u"drained"_s, true}});
    return backendReply(202, name);
}

AdminResponse AdminApi::listRoutes(const AdminRequest &, const QString &)
{
    QJsonArray routes;
    for (const RouteConfig &route : m_server.routing().routes())
        routes.append(routeToJson(route));
    return jsonReply(200, {{u"routes"_s, routes}});
}

AdminResponse AdminApi::editRoute(const AdminRequest &request, const QString &name)
{
    const QList<RouteConfig> &routes = m_server.routing().routes();
    if (std::none_of(routes.cbegin(), routes.cend(),
                     [&name](const RouteConfig &route) { return route.name == name; }))
        return errorReply(404, u"no route named \"%1\""_s.arg(name), u"name"_s);
    const BodyOr<QJsonDocument> document = parseJsonBody(request);
    if (const AdminResponse *refused = refusalIn(document))
        return *refused;
    if (!std::get<QJsonDocument>(document).isObject())
        return errorReply(400, u"the body must be a JSON object {\"split\": [...]}"_s);
    const BodyOr<QList<SplitTarget>> split = parseSplitBody(std::get<QJsonDocument>(document).object());
    if (const AdminResponse *refused = refusalIn(split))
        return *refused;
    const QList<SplitTarget> &targets = std::get<QList<SplitTarget>>(split);
    const QList<PoolConfig> &pools = m_server.routing().pools();
    for (qsizetype i = 0; i < targets.size(); ++i) {
        const QString &pool = targets.at(i).pool;
        if (std::none_of(pools.cbegin(), pools.cend(),
                         [&pool](const PoolConfig &known) { return known.name == pool; }))
            return errorReply(422, u"pool \"%1\" does not exist"_s.arg(pool), u"split[%1].pool"_s.arg(i));
    }
    QString error;
    if (!m_server.routing().setSplit(name, targets, reasonFor(request), &error))
        return errorReply(422, error, u"split"_s);
    for (const RouteConfig &route : m_server.routing().routes()) {
        if (route.name == name)
            return jsonReply(200, routeToJson(route));
    }
    return errorReply(404, u"no route named \"%1\""_s.arg(name), u"name"_s);
}

AdminResponse AdminApi::reload(const AdminRequest &request, const QString &)
{
    if (!m_hooks.reload)
        return errorReply(409, u"fulcrumd was started without --config: there is no file to reload"_s);
    QString error;
    if (!m_hooks.reload(reasonFor(request), &error))
        return errorReply(422, error);
    return jsonReply(200, {{u"status"_s, u"reloaded"_s}});
}

AdminResponse AdminApi::openEvents(const AdminRequest &request, const QString &)
{
    AdminResponse response;
    response.contentType = "text/event-stream";
    response.headers.emplaceBack("Cache-Control", "no-cache");
    response.opensEventStream = true;
    response.streamsSnapshots = request.query.queryItemValue(u"snapshots"_s) != u"false"_s;
    if (response.streamsSnapshots)
        response.body = m_events.snapshotFrame(*latestSnapshot());
    qInfo("admin API %s: event stream opened", qPrintable(request.caller()));
    return response;
}

void AdminApi::audit(const AdminRequest &request, const QString &what) const
{
    const QString body = describeBody(request.body);
    qInfo("admin API %s: %s %s%s: %s", qPrintable(request.caller()), request.method.constData(),
          qPrintable(request.path), qPrintable(body.isEmpty() ? body : u" "_s + body), qPrintable(what));
}

QString AdminApi::reasonFor(const AdminRequest &request)
{
    return u"admin API "_s + request.caller();
}

} // namespace fulcrum
