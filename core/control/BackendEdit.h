// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendState.h"

#include <QString>

#include <optional>

namespace fulcrum {

// An operator's change to one backend's weight, state or both: several of them are applied together,
// all or none, as one new table.
struct BackendEdit
{
    QString name;
    std::optional<int> weight;
    std::optional<BackendState> state; // Up, Draining or Maintenance: what people set, never health
};

} // namespace fulcrum
