// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace fulcrum {

constexpr int kMaxWorkers = 64;

// A counter with a single writer (its worker) and any number of readers (the aggregator): a relaxed
// load and store instead of a locked read-modify-write keeps the request path free of contention.
// Built with FULCRUM_NO_METRICS (CMake FULCRUM_METRICS=OFF) it counts nothing, so that a benchmark can
// measure what counting costs; nothing that balances or breaks circuits may rely on it.
class SlotCounter
{
public:
    void add([[maybe_unused]] std::uint64_t n = 1)
    {
#ifndef FULCRUM_NO_METRICS
        m_value.store(m_value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
#endif
    }
    std::uint64_t value() const
    {
        return m_value.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t> m_value{0};
};

// A gauge with the same single-writer discipline as SlotCounter, and like it a no-op without metrics.
class SlotGauge
{
public:
    void change([[maybe_unused]] std::int64_t delta)
    {
#ifndef FULCRUM_NO_METRICS
        m_value.store(m_value.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
#endif
    }
    std::int64_t value() const
    {
        return m_value.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::int64_t> m_value{0};
};

// One cache-line-aligned copy of T per worker, so workers never write to the same line.
template <typename T>
class WorkerSlots
{
public:
    T &slot(int worker) { return m_slots[static_cast<std::size_t>(worker)].value; }
    const T &slot(int worker) const { return m_slots[static_cast<std::size_t>(worker)].value; }

private:
    struct alignas(64) Padded
    {
        T value;
    };
    std::array<Padded, kMaxWorkers> m_slots;
};

} // namespace fulcrum
