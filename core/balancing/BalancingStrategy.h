// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendTable.h"

namespace fulcrum {

// Chooses a backend for each request. One instance per worker, so a strategy keeps its state
// without locks; it is told of every new table before picking from it.
class BalancingStrategy
{
public:
    virtual ~BalancingStrategy() = default;
    virtual void tableChanged(const BackendTable &table) = 0;
    // Index into the table, or -1 when no backend is in rotation.
    virtual qsizetype pick(const BackendTable &table) = 0;
};

} // namespace fulcrum
