// SPDX-License-Identifier: GPL-3.0-or-later
#include "RotationWeight.h"

using namespace Qt::StringLiterals;

namespace fulcrum::console {

int rotationWeight(const BackendMetrics &backend)
{
    return backend.state == u"up"_s ? backend.effectiveWeight : 0;
}

} // namespace fulcrum::console
