// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "routing/RouteSet.h"

#include <QObject>

namespace fulcrum {

// The one place routes and traffic splits change: configuration loads, SIGHUP reloads and the live
// control API (the console's canary slider). Each change is validated whole against the pools, then
// published as a new compiled route set through routesChanged. Lives on the control thread.
class RoutingRegistry final : public QObject
{
    Q_OBJECT
public:
    explicit RoutingRegistry(QObject *parent = nullptr);

    // A split a configuration changed: its route and its weights before and after.
    struct SplitChange
    {
        QString route;
        QString from;
        QString to;
    };

    // routes must already have passed validateRouting against pools (the configuration loader and
    // ProxyServer::applyRouting check first). A split that the configuration leaves as it was keeps the
    // weights set live since; one the configuration changed takes the configured weights. Returns those
    // changes for announceSplitChanges, which the caller makes once the workers have the new routes.
    QList<SplitChange> apply(const QList<PoolConfig> &pools, const QList<RouteConfig> &routes);
    void announceSplitChanges(const QList<SplitChange> &changes, const QString &reason);
    // The named split route's pools and weights, taking effect from the next request.
    bool setSplit(const QString &route, const QList<SplitTarget> &split, const QString &reason,
                  QString *error);

    // As running: configured, with live split weights.
    const QList<RouteConfig> &routes() const { return m_routes; }
    const QList<PoolConfig> &pools() const { return m_pools; }
    RouteSetPtr routeSet() const { return m_routeSet; }

Q_SIGNALS:
    void routesChanged(fulcrum::RouteSetPtr routes);
    // "web 80, api 20" -> "web 50, api 50"
    void splitChanged(const QString &route, const QString &from, const QString &to, const QString &reason);

private:
    void publish();

    QList<PoolConfig> m_pools;
    QList<RouteConfig> m_configured; // as the configuration gave them
    QList<RouteConfig> m_routes;
    RouteSetPtr m_routeSet;
};

} // namespace fulcrum
