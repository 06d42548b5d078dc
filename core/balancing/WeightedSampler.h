// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <span>
#include <vector>

namespace fulcrum {

// Draws index i with probability weight[i] / sum of weights in O(1), by Walker's alias method as
// Vose describes it: n columns of equal height, each split between its own index and at most one
// "alias". A draw takes one random 64-bit value: its high half picks the column (by multiply and
// shift, no division), its low half picks the side. Built once, then read-only: safe to share.
class WeightedSampler
{
public:
    WeightedSampler() = default;
    // Weights must be at least 1 each.
    explicit WeightedSampler(std::span<const int> weights);

    qsizetype size() const { return qsizetype(m_columns.size()); }

    // An index into the weights the sampler was built from, for 64 uniformly random bits. The
    // sampler must not be empty.
    qsizetype sample(quint64 random) const noexcept
    {
        const auto column = quint32((quint64(quint32(random >> 32)) * m_columns.size()) >> 32);
        const Column &entry = m_columns[column];
        return quint32(random) < entry.threshold ? column : entry.alias;
    }

    // The exact probability of index i as built, for tests: within 2^-32 of weight[i] / total.
    double probability(qsizetype index) const;

private:
    struct Column
    {
        quint32 threshold; // the column's own index wins when the low 32 bits are below this
        quint32 alias;     // the index that takes the rest of the column
    };
    std::vector<Column> m_columns;
};

} // namespace fulcrum
