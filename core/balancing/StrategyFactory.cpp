// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingStrategy.h"
#include "ConsistentHashStrategy.h"
#include "LeastConnectionsStrategy.h"
#include "PowerOfTwoStrategy.h"
#include "RandomStrategy.h"
#include "RoundRobinStrategy.h"

#include <algorithm>

namespace fulcrum {

std::unique_ptr<const BalancingStrategy> makeStrategy(const BalancingConfig &config,
                                                      std::vector<RotationEntry> rotation)
{
    // The table only puts backends with a positive weight in rotation; hold every strategy to that.
    std::erase_if(rotation, [](const RotationEntry &entry) { return entry.weight <= 0; });
    switch (config.strategy) {
    case StrategyKind::RoundRobin:
        break;
    case StrategyKind::LeastConnections:
        return std::make_unique<LeastConnectionsStrategy>(rotation);
    case StrategyKind::PowerOfTwo:
        return std::make_unique<PowerOfTwoStrategy>(rotation);
    case StrategyKind::Random:
        return std::make_unique<RandomStrategy>(rotation);
    case StrategyKind::ConsistentHash:
        return std::make_unique<ConsistentHashStrategy>(config.hashKey, rotation);
    }
    return std::make_unique<RoundRobinStrategy>(rotation);
}

} // namespace fulcrum
