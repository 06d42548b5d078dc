// SPDX-License-Identifier: GPL-3.0-or-later
#include "SlowStart.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {

int slowStartWeight(int weight, qint64 elapsedMs, int windowMs)
{
    if (weight <= 0 || windowMs <= 0 || elapsedMs >= windowMs)
        return weight;
    const double progress = static_cast<double>(std::max<qint64>(elapsedMs, 0)) / windowMs;
    const double fraction = kSlowStartFloor + (1.0 - kSlowStartFloor) * progress;
    return std::clamp(static_cast<int>(std::lround(weight * fraction)), 1, weight);
}

} // namespace fulcrum
