// SPDX-License-Identifier: GPL-3.0-or-later
#include "WeightedSampler.h"

#include <cmath>
#include <limits>

namespace fulcrum {

WeightedSampler::WeightedSampler(std::span<const int> weights)
{
    const auto n = qint64(weights.size());
    if (n == 0)
        return;
    // Exact integer arithmetic: index i brings weight[i] * n units and every column holds `total`,
    // so the columns are filled exactly and no rounding is left over for the last ones.
    qint64 total = 0;
    for (const int weight : weights)
        total += weight;
    std::vector<qint64> units(weights.size());
    std::vector<quint32> small;
    std::vector<quint32> large;
    for (qint64 i = 0; i < n; ++i) {
        units[i] = qint64(weights[i]) * n;
        (units[i] < total ? small : large).push_back(quint32(i));
    }
    m_columns.resize(weights.size());
    while (!small.empty() && !large.empty()) {
        const quint32 s = small.back();
        small.pop_back();
        const quint32 l = large.back();
        // The column of s keeps units[s] for s and gives the rest to l.
        const double share = std::ldexp(double(units[s]) / double(total), 32);
        m_columns[s] = {quint32(std::min(share, double(std::numeric_limits<quint32>::max()))), l};
        units[l] -= total - units[s];
        if (units[l] < total) {
            large.pop_back();
            small.push_back(l);
        }
    }
    // What remains fills its own column exactly.
    for (const quint32 i : small)
        m_columns[i] = {std::numeric_limits<quint32>::max(), i};
    for (const quint32 i : large)
        m_columns[i] = {std::numeric_limits<quint32>::max(), i};
}

double WeightedSampler::probability(qsizetype index) const
{
    const double columns = double(m_columns.size());
    double p = 0;
    for (std::size_t c = 0; c < m_columns.size(); ++c) {
        const Column &entry = m_columns[c];
        const double own = entry.alias == c ? 1.0 : std::ldexp(double(entry.threshold), -32);
        if (qsizetype(c) == index)
            p += own / columns;
        if (qsizetype(entry.alias) == index && entry.alias != c)
            p += (1.0 - own) / columns;
    }
    return p;
}

} // namespace fulcrum
