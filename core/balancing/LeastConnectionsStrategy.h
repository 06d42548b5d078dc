// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"
#include "CacheLine.h"

#include <atomic>
#include <vector>

namespace fulcrum {

// Weighted least connections: the backend with the fewest in-flight requests per unit of weight.
// Loads are compared exactly, without division. Among equally loaded backends the scan start
// rotates (a shared atomic cursor), so ties, such as an idle pool, are served in turn: each pick, the
// first least loaded backend from one position further on wins. The scan reads every backend's
// counter, so its cost grows with the pool: about 45 ns at 64 backends (docs/benchmarks.md).
class LeastConnectionsStrategy final : public BalancingStrategy
{
public:
    explicit LeastConnectionsStrategy(const std::vector<RotationEntry> &rotation);

    qsizetype pick(const PickContext &) const override;

private:
    qsizetype scanPacked(qsizetype start) const noexcept;
    qsizetype scanCrossMultiplied(qsizetype start) const noexcept;

    struct Slot
    {
        const std::atomic<int> *inFlight;
        quint64 factor; // packed scan: (L / weight) << 16; cross-multiplied scan: the weight
    };
    // The rotation twice over, so a scan from any start runs straight through.
    std::vector<Slot> m_slots;
    std::vector<qsizetype> m_tableIndex; // likewise twice over
    quint32 m_count = 0;
    quint64 m_startMagic = 0; // for the cursor modulo the count by multiplication
    bool m_packed = false;
    alignas(CacheLineSize) mutable std::atomic<quint32> m_cursor{0};
};

} // namespace fulcrum
