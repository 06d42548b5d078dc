// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"
#include "WeightedSampler.h"

#include <vector>

namespace fulcrum {

// Power of two choices: draw two different backends at random by weight, send the request to the one
// with fewer in-flight requests per unit of weight (the first drawn on a tie, so an idle pool is
// shared exactly by weight). Needs no shared cursor: the only shared state it reads is the in-flight
// counters, and it writes nothing.
class PowerOfTwoStrategy final : public BalancingStrategy
{
public:
    explicit PowerOfTwoStrategy(const std::vector<RotationEntry> &rotation);

    qsizetype pick(const PickContext &) const override;

    // A position other than `excluded`, drawn by weight among the others; `random` is 64 uniformly
    // random bits. For the rare case where rejection keeps drawing `excluded` (one heavy backend).
    qsizetype sampleExcluding(qsizetype excluded, quint64 random) const;

private:
    struct Candidate
    {
        const std::atomic<int> *inFlight;
        qint64 weight;
        qsizetype tableIndex;
    };
    WeightedSampler m_sampler;
    std::vector<Candidate> m_candidates;
    std::vector<qint64> m_cumulative; // m_cumulative[i]: sum of the weights of positions 0..i
};

} // namespace fulcrum
