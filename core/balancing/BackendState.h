// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace fulcrum {

enum class BackendState
{
    Up,          // in rotation
    Down,        // failed its health checks: out of rotation until it passes again
    Draining,    // takes no new requests or sticky sessions; what is in flight finishes
    Maintenance, // taken out by an operator
};

// "up", "down", "draining", "maintenance": the spelling of logs, config, the admin API and the console.
QString backendStateName(BackendState state);
std::optional<BackendState> parseBackendState(QStringView text);

// "up", "drain", "maintenance": the states people set (the admin API, the state file), where down is
// not one, since only health checks decide it.
QString adminStateName(BackendState operatorState);
std::optional<BackendState> parseAdminState(QStringView text);

} // namespace fulcrum
