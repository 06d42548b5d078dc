// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

namespace fulcrum {

// The share of a backend that just came back: a linear ramp from kSlowStartFloor of its weight to
// all of it over the window, never below 1 so it is not starved. Starting above zero matters: a
// backend at zero weight would receive nothing and learn nothing about its readiness.
inline constexpr double kSlowStartFloor = 0.1;

int slowStartWeight(int weight, qint64 elapsedMs, int windowMs);

} // namespace fulcrum
