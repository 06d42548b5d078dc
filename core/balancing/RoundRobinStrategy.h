// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"
#include "CacheLine.h"

#include <atomic>
#include <vector>

namespace fulcrum {

// Smooth weighted round robin, nginx's algorithm: at each step every backend adds its weight to its
// score, the highest score wins (the first one on a tie) and loses the sum of the weights. Weights
// 5, 1, 1 give "a a b a c a a": the heavy backend's turns are spread out, not bunched.
//
// The sequence is periodic, so it is computed once here, for one period, and every worker takes the
// next step from one shared atomic cursor. However many workers pick, each period of picks is
// exactly one period of the sequence, so weights hold exactly over all workers together.
class RoundRobinStrategy final : public BalancingStrategy
{
public:
    // The period is the sum of the weights divided by their greatest common divisor. Beyond this
    // length (or when building it would take more than MaxScheduleWork steps), weights are scaled
    // down in proportion, each kept at 1 at least.
    static constexpr qsizetype MaxScheduleLength = qsizetype(1) << 20;
    static constexpr qint64 MaxScheduleWork = qint64(1) << 26; // period length × backends

    explicit RoundRobinStrategy(const std::vector<RotationEntry> &rotation);

    qsizetype pick(const PickContext &) const override { return next(); }

    qsizetype next() const noexcept
    {
        if (m_schedule.empty())
            return -1;
        return m_schedule[m_cursor.fetch_add(1, std::memory_order_relaxed) % m_schedule.size()];
    }

    // One period of table indices, for tests.
    const std::vector<qint32> &schedule() const { return m_schedule; }

private:
    std::vector<qint32> m_schedule;
    // Alone on its cache line: every worker increments it on every pick.
    alignas(CacheLineSize) mutable std::atomic<quint64> m_cursor{0};
};

// One period of smooth weighted round robin over these weights (at least 1 each), as positions in
// `weights`; the weights are first reduced by their greatest common divisor and, if needed, scaled
// down as described above. Public for the tests.
std::vector<qint32> smoothWeightedSchedule(std::vector<qint64> weights, qsizetype maxLength, qint64 maxWork);

} // namespace fulcrum
