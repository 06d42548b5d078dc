// SPDX-License-Identifier: GPL-3.0-or-later
#include "RandomStrategy.h"

#include "FastRandom.h"

namespace fulcrum {

RandomStrategy::RandomStrategy(const std::vector<RotationEntry> &rotation)
{
    std::vector<int> weights;
    for (const RotationEntry &entry : rotation) {
        weights.push_back(entry.weight);
        m_tableIndex.push_back(entry.tableIndex);
    }
    m_sampler = WeightedSampler(weights);
}

qsizetype RandomStrategy::pick(const PickContext &) const
{
    if (m_tableIndex.empty())
        return -1;
    return m_tableIndex[std::size_t(m_sampler.sample(FastRandom::thisThread().next()))];
}

} // namespace fulcrum
