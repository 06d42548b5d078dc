// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "metrics/Counters.h"

#include <QHostAddress>

#include <memory>

namespace fulcrum {

// State that outlives any one backend table: counters keep counting across reloads and weight
// changes as long as the backend keeps its name.
struct BackendRuntime
{
    WorkerSlots<BackendCounterSlot> counters;
};

struct Backend
{
    BackendConfig config;
    QHostAddress address; // resolved once when the table is built, never on the request path
    QByteArray authority; // "host:port", the Host for clients that sent none
    std::shared_ptr<BackendRuntime> runtime;

    bool inRotation() const { return config.weight > 0; }
};

} // namespace fulcrum
