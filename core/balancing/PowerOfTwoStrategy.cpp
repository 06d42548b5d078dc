// SPDX-License-Identifier: GPL-3.0-or-later
#include "PowerOfTwoStrategy.h"

#include "FastRandom.h"

#include <algorithm>

namespace fulcrum {

PowerOfTwoStrategy::PowerOfTwoStrategy(const std::vector<RotationEntry> &rotation)
{
    std::vector<int> weights;
    qint64 total = 0;
    for (const RotationEntry &entry : rotation) {
        weights.push_back(entry.weight);
        m_candidates.push_back({entry.inFlight, entry.weight, entry.tableIndex});
        total += entry.weight;
        m_cumulative.push_back(total);
    }
    m_sampler = WeightedSampler(weights);
}

qsizetype PowerOfTwoStrategy::sampleExcluding(qsizetype excluded, quint64 random) const
{
    const qint64 excludedWeight = m_candidates[std::size_t(excluded)].weight;
    const qint64 excludedStart = m_cumulative[std::size_t(excluded)] - excludedWeight;
    // A point on the weight line with the excluded backend's stretch cut out.
    qint64 point = qint64(random % quint64(m_cumulative.back() - excludedWeight));
    if (point >= excludedStart)
        point += excludedWeight;
    return qsizetype(std::upper_bound(m_cumulative.begin(), m_cumulative.end(), point) -
                     m_cumulative.begin());
}

qsizetype PowerOfTwoStrategy::pick(const PickContext &) const
{
    const auto count = qsizetype(m_candidates.size());
    if (count <= 1)
        return count == 0 ? -1 : m_candidates[0].tableIndex;
    FastRandom &random = FastRandom::thisThread();
    const qsizetype first = m_sampler.sample(random.next());
    // The second candidate is drawn by weight among the others: by rejection, which almost always
    // succeeds at once, then exactly over the rest when one backend carries nearly all the weight.
    // Either way it follows the same distribution.
    qsizetype second = first;
    for (int attempt = 0; attempt < 4 && second == first; ++attempt)
        second = m_sampler.sample(random.next());
    if (second == first)
        second = sampleExcluding(first, random.next());

    const Candidate &a = m_candidates[std::size_t(first)];
    const Candidate &b = m_candidates[std::size_t(second)];
    const qint64 loadA = a.inFlight->load(std::memory_order_relaxed);
    const qint64 loadB = b.inFlight->load(std::memory_order_relaxed);
    // loadB / b.weight < loadA / a.weight, both weights positive
    return loadB * a.weight < loadA * b.weight ? b.tableIndex : a.tableIndex;
}

} // namespace fulcrum
