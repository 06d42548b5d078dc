// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendJson.h"

#include <QJsonValue>

using namespace Qt::StringLiterals;

namespace fulcrum {

QJsonObject backendToJson(const BackendStatus &status)
{
    const bool draining = status.removing || status.operatorState == BackendState::Draining;
    const QJsonValue probeLatency = status.lastProbeLatencyUs < 0
                                        ? QJsonValue(QJsonValue::Null)
                                        : QJsonValue(static_cast<double>(status.lastProbeLatencyUs) / 1000.0);
    return {
        {u"name"_s, status.config.name},
        {u"pool"_s, status.pool},
        {u"url"_s, status.config.url()},
        {u"weight"_s, status.config.weight},
        {u"effective_weight"_s, status.effectiveWeight},
        {u"admin_state"_s, adminStateName(status.operatorState)},
        {u"health"_s, QJsonObject{{u"healthy"_s, status.healthy},
                                  {u"reason"_s, status.healthReason},
                                  {u"last_probe_latency_ms"_s, probeLatency}}},
        {u"state"_s, backendStateName(status.state)},
        {u"removing"_s, status.removing},
        {u"in_flight"_s, status.inFlight},
        {u"active_connections"_s, status.activeConnections},
        {u"drained"_s, draining && status.inFlight == 0},
        {u"times_ejected"_s, status.timesEjected},
        {u"ejected_for_ms"_s, status.ejectedForMs},
    };
}

} // namespace fulcrum
