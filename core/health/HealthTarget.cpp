// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthTarget.h"

#include "balancing/BackendTable.h"

namespace fulcrum {

QList<HealthTarget> healthTargetsOf(const BackendTable &table)
{
    QList<HealthTarget> targets;
    for (const Backend &backend : table.backends()) {
        if (!backend.config.healthCheck.enabled)
            continue;
        targets.append({backend.config.name, backend.address, backend.config.port, backend.authority,
                        backend.config.healthCheck, backend.config.https, backend.config.host,
                        backend.config.transport});
    }
    return targets;
}

} // namespace fulcrum
