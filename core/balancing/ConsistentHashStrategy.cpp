// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConsistentHashStrategy.h"

#include "Hash64.h"

#include <algorithm>

namespace fulcrum {

namespace {

// Seeds of the two name hashes that make a backend's permutation.
constexpr quint64 OffsetSeed = 0x6d61676c65762d6fULL; // "maglev-o"
constexpr quint64 SkipSeed = 0x6d61676c65762d73ULL;   // "maglev-s"

struct Filler
{
    QByteArray name;
    qsizetype tableIndex;
    qint64 weight;
    qint64 skip;     // 1..M-1: M is prime, so the permutation visits every slot
    qint64 position; // the next slot of its permutation to try
    // How far its turns are booked: it takes a turn in an iteration while iteration × weight >= turns.
    qint64 turns = 0;
};

std::vector<qint32> buildTable(const std::vector<RotationEntry> &rotation)
{
    if (rotation.empty())
        return {};
    const qint64 size =
        nextPrime(std::max(ConsistentHashStrategy::MinTableSize,
                           ConsistentHashStrategy::SlotsPerBackend * qint64(rotation.size())));
    std::vector<Filler> fillers;
    qint64 maxWeight = 1;
    for (const RotationEntry &entry : rotation) {
        QByteArray name = entry.name.toUtf8();
        const auto offset = qint64(hash64(name, OffsetSeed) % quint64(size));
        const auto skip = qint64(hash64(name, SkipSeed) % quint64(size - 1)) + 1;
        fillers.push_back({std::move(name), entry.tableIndex, entry.weight, skip, offset});
        maxWeight = std::max<qint64>(maxWeight, entry.weight);
    }
    // Turn order by name, so the table depends on the set of backends, not on their order.
    std::sort(fillers.begin(), fillers.end(), [](const Filler &a, const Filler &b) {
        return a.name != b.name ? a.name < b.name : a.tableIndex < b.tableIndex;
    });

    std::vector<qint32> table(std::size_t(size), -1);
    qint64 filled = 0;
    // Envoy's weighted fill: a backend of the largest weight takes a turn in every iteration, one of a
    // third of it in every third, and so on.
    for (qint64 iteration = 1; filled < size; ++iteration) {
        for (Filler &filler : fillers) {
            if (iteration * filler.weight < filler.turns)
                continue;
            filler.turns += maxWeight;
            while (table[std::size_t(filler.position)] >= 0) {
                filler.position += filler.skip;
                if (filler.position >= size)
                    filler.position -= size;
            }
            table[std::size_t(filler.position)] = qint32(filler.tableIndex);
            if (++filled == size)
                break;
        }
    }
    return table;
}

} // namespace

qint64 nextPrime(qint64 n)
{
    for (;; ++n) {
        bool prime = n >= 2;
        for (qint64 d = 2; prime && d * d <= n; ++d)
            prime = n % d != 0;
        if (prime)
            return n;
    }
}

ConsistentHashStrategy::ConsistentHashStrategy(const HashKey &key, const std::vector<RotationEntry> &rotation)
    : m_key(key), m_fallback(rotation), m_table(buildTable(rotation))
{}

qsizetype ConsistentHashStrategy::pick(const PickContext &context) const
{
    if (m_table.empty())
        return -1;
    if (const std::optional<quint64> hash = m_key.hash(context))
        return lookup(*hash);
    return m_fallback.next();
}

} // namespace fulcrum
