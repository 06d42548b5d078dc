// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"
#include "WeightedSampler.h"

#include <vector>

namespace fulcrum {

// Weighted random: each pick draws a backend with probability weight / total weight, in O(1) by the
// alias method, from the calling thread's own generator. Shares nothing between workers.
class RandomStrategy final : public BalancingStrategy
{
public:
    explicit RandomStrategy(const std::vector<RotationEntry> &rotation);

    qsizetype pick(const PickContext &) const override;

private:
    WeightedSampler m_sampler;
    std::vector<qsizetype> m_tableIndex;
};

} // namespace fulcrum
