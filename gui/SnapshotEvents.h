// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QList>

namespace fulcrum::console {

// What no source reports as an event but the counters show between two snapshots: circuit breakers
// refusing requests, and requests failed with every retry spent.
QList<ConsoleEvent> eventsBetween(const MetricsSnapshot &before, const MetricsSnapshot &after);

} // namespace fulcrum::console
