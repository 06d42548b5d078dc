// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

namespace fulcrum::console {

// The weight a backend takes new requests with now: its effective weight while up, 0 while it is
// draining, in maintenance or down. Shares of weight are over these, so that they are comparable
// with the shares of traffic the backends really get.
int rotationWeight(const BackendMetrics &backend);

} // namespace fulcrum::console
