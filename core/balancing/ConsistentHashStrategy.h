// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"
#include "RequestHashKey.h"
#include "RoundRobinStrategy.h"

#include <vector>

namespace fulcrum {

// Weighted Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
// Load Balancer", NSDI 2016; weighted as in Envoy's maglev_lb). A lookup table of prime size M is
// filled by the backends taking turns, each claiming the next free slot of its own permutation of
// 0..M-1; a request's key hash picks a slot. A backend's permutation comes from hashes of its name,
// not its position, so when backends come and go the others keep nearly all their slots (about 1/N
// of the keys move when an N-th backend joins). Weights set how often a backend takes a turn, so its
// share of slots follows its weight.
//
// A request without the key (see RequestHashKey) is balanced by smooth weighted round robin instead,
// as HAProxy does.
class ConsistentHashStrategy final : public BalancingStrategy
{
public:
    static constexpr qint64 MinTableSize = 65537;
    static constexpr qint64 SlotsPerBackend = 100; // the paper's M >= 100 N keeps the imbalance near 1%

    ConsistentHashStrategy(const HashKey &key, const std::vector<RotationEntry> &rotation);

    qsizetype pick(const PickContext &context) const override;

    // The table index for a key hash; the rotation must not be empty.
    qsizetype lookup(quint64 hash) const noexcept
    {
        // The high 32 bits scaled to [0, M) by multiply and shift, no division.
        return m_table[std::size_t((quint64(quint32(hash >> 32)) * m_table.size()) >> 32)];
    }

    // The lookup table (table indices), for tests.
    const std::vector<qint32> &table() const { return m_table; }

private:
    RequestHashKey m_key;
    RoundRobinStrategy m_fallback;
    std::vector<qint32> m_table;
};

// The smallest prime at least n (n >= 2).
qint64 nextPrime(qint64 n);

} // namespace fulcrum
