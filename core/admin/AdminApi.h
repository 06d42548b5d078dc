// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "admin/AdminAccess.h"
#include "admin/AdminEvents.h"
#include "admin/AdminMessages.h"
#include "config/ConfigTypes.h"
#include "metrics/SnapshotExport.h"

#include <QObject>

#include <functional>

namespace fulcrum {

class ProxyServer;

struct AdminSettings
{
    QByteArray token; // empty: reads only, and only on a loopback listener
    bool loopbackListener = true;
    ExportInfo exportInfo;
    QString statusPage = QStringLiteral(":/admin/status.html");
};

// What the admin API asks of the program around it.
struct AdminHooks
{
    // Reloads the configuration file as SIGHUP does; empty when there is no file to reload.
    std::function<bool(const QString &reason, QString *error)> reload;
    // A backend added through the API, completed with its pool's health check and limits.
    std::function<BackendConfig(const BackendConfig &backend, const QString &pool)> completeBackend;
};

// The admin REST API of docs/admin-api.md, apart from any transport: a call in, an answer out. Every
// change goes through the same registries as reloads and the console, is logged with the caller's
// address, and reaches the event stream. Lives on the control thread.
class AdminApi final : public QObject
{
    Q_OBJECT
public:
    AdminApi(ProxyServer &server, AdminSettings settings, AdminHooks hooks, QObject *parent = nullptr);

    AdminResponse handle(const AdminRequest &request);
    AdminEvents &events() { return m_events; }

private:
    struct Route;
    using Handler = AdminResponse (AdminApi::*)(const AdminRequest &request, const QString &name);

    MetricsSnapshotPtr latestSnapshot();

    AdminResponse statusPage(const AdminRequest &request, const QString &);
    AdminResponse healthz(const AdminRequest &request, const QString &);
    AdminResponse readyz(const AdminRequest &request, const QString &);
    AdminResponse metrics(const AdminRequest &request, const QString &);
    AdminResponse snapshot(const AdminRequest &request, const QString &);
    AdminResponse listBackends(const AdminRequest &request, const QString &);
    AdminResponse getBackend(const AdminRequest &request, const QString &name);
    AdminResponse addBackend(const AdminRequest &request, const QString &);
    AdminResponse editBackend(const AdminRequest &request, const QString &name);
    AdminResponse editBackends(const AdminRequest &request, const QString &);
    AdminResponse removeBackend(const AdminRequest &request, const QString &name);
    AdminResponse listRoutes(const AdminRequest &request, const QString &);
    AdminResponse editRoute(const AdminRequest &request, const QString &name);
    AdminResponse reload(const AdminRequest &request, const QString &);
    AdminResponse openEvents(const AdminRequest &request, const QString &);

    // The backend as it is now, or 404.
    AdminResponse backendReply(int status, const QString &name);
    // Logs a change and who made it; the registries announce it to the event stream.
    void audit(const AdminRequest &request, const QString &what) const;
    static QString reasonFor(const AdminRequest &request);

    ProxyServer &m_server;
    AdminSettings m_settings;
    AdminHooks m_hooks;
    AdminAccess m_access;
    AdminEvents m_events;
    MetricsSnapshotPtr m_latest;
};

} // namespace fulcrum
