// SPDX-License-Identifier: GPL-3.0-or-later
#include "RuntimeStateKeeper.h"

#include <QLoggingCategory>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

Q_LOGGING_CATEGORY(lcState, "fulcrum.state")

namespace {
const QString kReason = u"state file"_s;
}

RuntimeStateKeeper::RuntimeStateKeeper(QString path, BackendRegistry &backends, RoutingRegistry &routing,
                                       QObject *parent)
    : QObject(parent), m_path(std::move(path)), m_backends(backends), m_routing(routing)
{
    // One save for a burst of changes: a reload or a batch of edits announces many at once.
    m_settleTimer.setSingleShot(true);
    m_settleTimer.setInterval(0);
    connect(&m_settleTimer, &QTimer::timeout, this, &RuntimeStateKeeper::settle);
    connect(&m_backends, &BackendRegistry::backendChanged, this, &RuntimeStateKeeper::scheduleSave);
    connect(&m_routing, &RoutingRegistry::splitChanged, this, &RuntimeStateKeeper::scheduleSave);
    // The routing registry takes a configuration only once it has been checked whole: the sign that a
    // restore's configuration runs, which a refused reload never gives.
    connect(&m_routing, &RoutingRegistry::routesChanged, this, [this] {
        if (m_pending)
            m_pending->applied = true;
    });
}

RuntimeStateKeeper::~RuntimeStateKeeper()
{
    if (m_settleTimer.isActive())
        settle();
}

bool RuntimeStateKeeper::restore(ProxyConfig &config, QString *error)
{
    RuntimeState saved;
    if (m_declared) {
        saved = captureRuntimeState(*m_declared, m_backends.status(), m_routing.routes());
    } else {
        QList<ConfigError> errors;
        const std::optional<RuntimeState> loaded = loadRuntimeState(m_path, &errors);
        if (!loaded) {
            QStringList problems;
            for (const ConfigError &problem : std::as_const(errors))
                problems.append(problem.field == m_path ? problem.toString()
                                                        : m_path + u": " + problem.toString());
            *error = u"state file: "_s + problems.join(u"; "_s);
            return false;
        }
        saved = *loaded;
    }
    MergedRuntimeState merged = mergeRuntimeState(config, saved);
    for (const QString &note : std::as_const(merged.notes))
        qCInfo(lcState, "state file: %s", qPrintable(note));
    if (m_backends.tables().isEmpty() && !seedAdminStates(merged, error))
        return false;
    m_pending = PendingRestore{config, merged, false};
    config = merged.config;
    m_settleTimer.start();
    return true;
}

// Before the proxy starts, its registry is filled with the merged backends and their admin states, so no
// worker ever sees a backend in a state people had taken it out of. Starting then applies the same
// backends again, which keeps the states an operator set.
bool RuntimeStateKeeper::seedAdminStates(const MergedRuntimeState &merged, QString *error)
{
    const bool allUp = std::all_of(merged.adminStates.cbegin(), merged.adminStates.cend(),
                                   [](BackendState state) { return state == BackendState::Up; });
    if (allUp)
        return true;
    if (!m_backends.apply(merged.config.effectivePools(), kReason, error))
        return false;
    applyAdminStates(merged.adminStates);
    return true;
}

void RuntimeStateKeeper::applyAdminStates(const QHash<QString, BackendState> &states)
{
    for (const BackendStatus &status : m_backends.status()) {
        const auto state = states.constFind(status.config.name);
        if (status.removing || state == states.cend() || *state == status.operatorState)
            continue;
        QString error;
        if (!m_backends.setState(status.config.name, *state, kReason, &error))
            qCWarning(lcState, "state file: backend %s: %s", qPrintable(status.config.name),
                      qPrintable(error));
    }
}

// A reload keeps a split's live weights whenever its configured weights look unchanged to the routing
// registry, which knows only the restored weights it was last given: where the rule says the
// configuration wins, its weights are set here.
void RuntimeStateKeeper::applySplits(const QList<RouteConfig> &routes)
{
    const QList<RouteConfig> running = m_routing.routes();
    for (const RouteConfig &route : routes) {
        const auto live = std::find_if(running.cbegin(), running.cend(),
                                       [&route](const RouteConfig &r) { return r.name == route.name; });
        if (route.action != RouteActionKind::Split || live == running.cend() || live->split == route.split)
            continue;
        QString error;
        if (!m_routing.setSplit(route.name, route.split, kReason, &error))
            qCWarning(lcState, "state file: route %s: %s", qPrintable(route.name), qPrintable(error));
    }
}

void RuntimeStateKeeper::scheduleSave()
{
    m_settleTimer.start();
}

void RuntimeStateKeeper::settle()
{
    if (std::optional<PendingRestore> pending = std::exchange(m_pending, std::nullopt)) {
        // A refused reload: the running configuration, and what it declared, stay.
        if (pending->applied) {
            m_declared = std::move(pending->declared);
            applyAdminStates(pending->merged.adminStates);
            applySplits(pending->merged.config.routes);
        }
    }
    if (m_declared)
        save();
}

void RuntimeStateKeeper::save()
{
    const RuntimeState state = captureRuntimeState(*m_declared, m_backends.status(), m_routing.routes());
    if (state == m_lastSaved)
        return;
    QString error;
    if (!saveRuntimeState(m_path, state, &error)) {
        if (error != m_lastFailure)
            qCWarning(lcState,
                      "cannot save the runtime state to %s: %s (serving on; runtime changes will not "
                      "survive a restart until it can be written)",
                      qPrintable(m_path), qPrintable(error));
        m_lastFailure = error;
        Q_EMIT saved(error);
        return;
    }
    if (!m_lastFailure.isEmpty())
        qCInfo(lcState, "runtime state saved to %s again", qPrintable(m_path));
    m_lastFailure.clear();
    m_lastSaved = state;
    Q_EMIT saved(QString());
}

} // namespace fulcrum
