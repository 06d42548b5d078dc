// SPDX-License-Identifier: GPL-3.0-or-later
#include "LeastConnectionsStrategy.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace fulcrum {

namespace {

__extension__ typedef unsigned __int128 Uint128;

// The packed scan's limits: the least common multiple of the weights and the doubled rotation must
// each fit in 16 bits (see the constructor).
constexpr qint64 MaxPackedMultiple = 0xFFFF;
constexpr qsizetype MaxPackedSlots = 0x10000;

} // namespace

LeastConnectionsStrategy::LeastConnectionsStrategy(const std::vector<RotationEntry> &rotation)
    : m_count(quint32(rotation.size()))
{
    if (rotation.empty())
        return;
    // inFlight / weight is compared exactly. When the least common multiple L of the weights is small,
    // inFlight × (L / weight) is an integer proportional to it, and one 64-bit value holds that key in
    // its high 48 bits and the slot's position in its low 16: the smallest value is then the least
    // loaded backend and, among equals, the first one scanned. Each slot's value is computed on its
    // own, so the scan is a branch-free running minimum. Otherwise each slot is cross-multiplied with
    // the best so far.
    qint64 multiple = 1;
    for (const RotationEntry &entry : rotation) {
        multiple = std::lcm(multiple, qint64(entry.weight));
        if (multiple > MaxPackedMultiple)
            break;
    }
    m_packed = multiple <= MaxPackedMultiple && qsizetype(2 * rotation.size()) <= MaxPackedSlots;
    for (int copy = 0; copy < 2; ++copy) {
        for (const RotationEntry &entry : rotation) {
            const quint64 factor = m_packed ? quint64(multiple / entry.weight) << 16 : quint64(entry.weight);
            m_slots.push_back({entry.inFlight, factor});
            m_tableIndex.push_back(entry.tableIndex);
        }
    }
    m_startMagic = std::numeric_limits<quint64>::max() / m_count + 1;
}

qsizetype LeastConnectionsStrategy::pick(const PickContext &) const
{
    if (m_count <= 1)
        return m_count == 0 ? -1 : m_tableIndex[0];
    // Where the scan starts: the cursor modulo the count, by Lemire's multiply-based remainder (a
    // division would hold up the whole scan, which starts from it). The cursor only spreads ties, so it
    // advances by a relaxed load and store rather than a locked increment, which on x86 is also a full
    // memory barrier: two workers that read the same value just start from the same backend, and the
    // cursor wrapping at 2^32 shifts where ties start once.
    const quint32 cursor = m_cursor.load(std::memory_order_relaxed);
    m_cursor.store(cursor + 1, std::memory_order_relaxed);
    const auto start = qsizetype((Uint128(m_startMagic * cursor) * m_count) >> 64);
    return m_tableIndex[std::size_t(m_packed ? scanPacked(start) : scanCrossMultiplied(start))];
}

qsizetype LeastConnectionsStrategy::scanPacked(qsizetype start) const noexcept
{
    // inFlight is read as unsigned 32 bits and the factor is below 2^32, so the product cannot
    // overflow; the position (below 2^16) fills the low bits the factor's shift left free. Two
    // independent running minima keep the comparisons from queuing behind each other.
    const Slot *const slots = m_slots.data();
    const qsizetype stop = start + qsizetype(m_count);
    quint64 best0 = std::numeric_limits<quint64>::max();
    quint64 best1 = best0;
    qsizetype i = start;
    for (; i + 1 < stop; i += 2) {
        const quint64 value0 =
            quint64(quint32(slots[i].inFlight->load(std::memory_order_relaxed))) * slots[i].factor +
            quint64(i);
        const quint64 value1 =
            quint64(quint32(slots[i + 1].inFlight->load(std::memory_order_relaxed))) * slots[i + 1].factor +
            quint64(i + 1);
        best0 = std::min(best0, value0);
        best1 = std::min(best1, value1);
    }
    if (i < stop) {
        best0 = std::min(best0, quint64(quint32(slots[i].inFlight->load(std::memory_order_relaxed))) *
                                        slots[i].factor +
                                    quint64(i));
    }
    return qsizetype(std::min(best0, best1) & 0xFFFF);
}

qsizetype LeastConnectionsStrategy::scanCrossMultiplied(qsizetype start) const noexcept
{
    const Slot *const slots = m_slots.data();
    const qsizetype stop = start + qsizetype(m_count);
    qsizetype best = start;
    qint64 bestLoad = slots[start].inFlight->load(std::memory_order_relaxed);
    auto bestWeight = qint64(slots[start].factor);
    for (qsizetype i = start + 1; i < stop; ++i) {
        const qint64 load = slots[i].inFlight->load(std::memory_order_relaxed);
        const auto weight = qint64(slots[i].factor);
        // load / weight < bestLoad / bestWeight; both weights positive, both products below 2^62
        if (load * bestWeight < bestLoad * weight) {
            bestLoad = load;
            bestWeight = weight;
            best = i;
        }
    }
    return best;
}

} // namespace fulcrum
