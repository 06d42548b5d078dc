// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "proxy/BackendLimits.h"

#include <QVarLengthArray>

namespace fulcrum {

class UpstreamPool;

// The backends a request has already failed on, by runtime (stable across tables).
using TriedBackends = QVarLengthArray<const BackendRuntime *, 4>;

struct BackendChoice
{
    qsizetype index = -1;              // into the table; -1 when no backend can take the request
    std::optional<LimitKind> limitHit; // why the last candidate passed over was refused, if a limit
};

// The backend for one attempt: the strategy's pick, unless it was tried already or is at a
// circuit-breaker limit, in which case the next usable backend of the rotation in table order. When
// every other backend is tried, a retry may go back to one tried before (a fresh connection can
// succeed where a stale one failed). Each refusal by a limit is counted on that backend.
BackendChoice chooseBackend(const BackendTable &table, const PickContext &context, const TriedBackends &tried,
                            const UpstreamPool &pool, int workerIndex);

} // namespace fulcrum
