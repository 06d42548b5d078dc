// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "control/BackendRegistry.h"

#include <QJsonObject>

namespace fulcrum {

// One backend as GET /api/v1/backends shows it (docs/admin-api.md, "A backend"): the state people set
// and the health checks' verdict side by side, and how far a drain has got.
QJsonObject backendToJson(const BackendStatus &status);

} // namespace fulcrum
