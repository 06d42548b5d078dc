// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "control/BackendRegistry.h"
#include "control/RoutingRegistry.h"
#include "control/RuntimeStateMerge.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <optional>

namespace fulcrum {

// Keeps the runtime changes to backends and splits in a state file (--state-file), so that they outlast a
// restart and a reload. Every change the registries announce is saved, a burst of them once, whole or not
// at all; a file that cannot be written is logged and the proxy serves on. Health is never saved. Lives on
// the control thread, beside the registries it watches.
class RuntimeStateKeeper final : public QObject
{
    Q_OBJECT
public:
    RuntimeStateKeeper(QString path, BackendRegistry &backends, RoutingRegistry &routing,
                       QObject *parent = nullptr);
    // Saves a change still waiting to be saved.
    ~RuntimeStateKeeper() override;

    const QString &path() const { return m_path; }

    // Puts the runtime changes worth keeping into config by the rule of mergeRuntimeState, and logs where
    // the configuration won. At start, call it before ProxyServer::start: the changes come from the file (a
    // missing file holds none; one that cannot be read or is no state file is an error), and the saved
    // admin states are set before any request is served. On a reload, call it before
    // ProxyServer::applyRouting: the changes are those running, which the file mirrors, and the admin states
    // follow once the reload is applied; a refused reload leaves everything as it was.
    bool restore(ProxyConfig &config, QString *error);

Q_SIGNALS:
    // After each write of the file; error is empty when it succeeded.
    void saved(const QString &error);

private:
    struct PendingRestore
    {
        ProxyConfig declared;      // as the configuration gave it, before the merge
        MergedRuntimeState merged; // as it was handed on to run
        bool applied = false;      // the routing registry took it
    };

    bool seedAdminStates(const MergedRuntimeState &merged, QString *error);
    void applyAdminStates(const QHash<QString, BackendState> &states);
    void applySplits(const QList<RouteConfig> &routes);
    void scheduleSave();
    void settle();
    void save();

    QString m_path;
    BackendRegistry &m_backends;
    RoutingRegistry &m_routing;
    std::optional<ProxyConfig> m_declared; // the running configuration as declared; none before it runs
    std::optional<PendingRestore> m_pending;
    std::optional<RuntimeState> m_lastSaved;
    QString m_lastFailure; // logged once until the next success
    QTimer m_settleTimer;
};

} // namespace fulcrum
