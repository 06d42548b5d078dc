// SPDX-License-Identifier: GPL-3.0-or-later
#include "SmoothWeightedRoundRobin.h"

namespace fulcrum {

void SmoothWeightedRoundRobin::tableChanged(const BackendTable &table)
{
    m_current.assign(static_cast<std::size_t>(table.size()), 0);
}

qsizetype SmoothWeightedRoundRobin::pick(const BackendTable &table)
{
    if (m_current.size() != static_cast<std::size_t>(table.size()))
        tableChanged(table);
    qsizetype best = -1;
    qint64 total = 0;
    for (qsizetype i = 0; i < table.size(); ++i) {
        const Backend &backend = table.at(i);
        if (!backend.inRotation())
            continue;
        qint64 &current = m_current[static_cast<std::size_t>(i)];
        current += backend.config.weight;
        total += backend.config.weight;
        if (best < 0 || current > m_current[static_cast<std::size_t>(best)])
            best = i;
    }
    if (best >= 0)
        m_current[static_cast<std::size_t>(best)] -= total;
    return best;
}

} // namespace fulcrum
