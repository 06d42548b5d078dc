// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"

#include <vector>

namespace fulcrum {

// nginx's smooth weighted round robin: each pick adds every weight to its running score, takes the
// highest and subtracts the total from it, which interleaves picks (5,1,1 gives a a b a c a a).
class SmoothWeightedRoundRobin final : public BalancingStrategy
{
public:
    void tableChanged(const BackendTable &table) override;
    qsizetype pick(const BackendTable &table) override;

private:
    std::vector<qint64> m_current;
};

} // namespace fulcrum
