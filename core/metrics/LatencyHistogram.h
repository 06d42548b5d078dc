// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <atomic>
#include <bit>
#include <memory>
#include <vector>

namespace fulcrum {

// The bucket layout shared by the writer and the snapshot side: HdrHistogram's with 2 significant
// decimal digits (sub-bucket count 256), which keeps one recorder at 32 KiB:
//   - values 0..255 each have their own bucket (recorded exactly);
//   - every power of two above, [2^k, 2^(k+1)) for k = 8..37, is split into 128 equal buckets of width
//     2^(k-7), so a bucket is never wider than 1/128 (0.78%) of the values it holds.
// 256 + 30 × 128 = 4096 buckets cover 0 .. 2^38 - 1 µs (≈ 76 h); larger values are clamped into the
// last bucket. A bucket's index is computed with one bit_width and two shifts, no loop and no log():
//   shift = max(0, bit_width(v) - 8),  index = shift × 128 + (v >> shift)
// (v >> shift is in [128, 256) whenever shift > 0, which is what makes the ranges line up).
struct LatencyBuckets
{
    static constexpr int kSubBucketBits = 7;
    static constexpr int kSubBuckets = 1 << kSubBucketBits; // buckets per power of two
    static constexpr int kExactBits = kSubBucketBits + 1;   // values below 2^8 are exact
    static constexpr int kCount = 4096;
    static constexpr quint64 kHighestTrackable = (quint64(1) << 38) - 1;

    static constexpr int indexOf(quint64 micros) noexcept
    {
        // The cast: libstdc++ 12 returns bit_width as the argument's type, not int (LWG 3656).
        const int shift = std::max(0, static_cast<int>(std::bit_width(micros)) - kExactBits);
        return (shift << kSubBucketBits) + static_cast<int>(micros >> shift);
    }
    static constexpr quint64 lowestIn(int index) noexcept
    {
        if (index < kSubBuckets)
            return static_cast<quint64>(index);
        const int shift = (index >> kSubBucketBits) - 1;
        return static_cast<quint64>((index & (kSubBuckets - 1)) | kSubBuckets) << shift;
    }
    static constexpr quint64 highestIn(int index) noexcept
    {
        const int shift = std::max(0, (index >> kSubBucketBits) - 1);
        return lowestIn(index) + (quint64(1) << shift) - 1;
    }

    static_assert(kCount == (2 << kSubBucketBits) + (38 - kExactBits) * kSubBuckets);
};
static_assert(LatencyBuckets::indexOf(LatencyBuckets::kHighestTrackable) == LatencyBuckets::kCount - 1);
static_assert(LatencyBuckets::highestIn(LatencyBuckets::kCount - 1) == LatencyBuckets::kHighestTrackable);
static_assert(LatencyBuckets::kCount * sizeof(quint64) <= 48 * 1024, "a recorder per worker and backend");

// One worker's latencies. Single writer (the worker that owns it, as SlotCounter): record() is a
// relaxed load and store per field, never a read-modify-write or a lock, so it costs a few plain
// instructions and cannot contend with the aggregator's reads.
// Memory: 4096 buckets × 8 bytes = 32 KiB on the heap, allocated once here, plus 24 bytes of totals.
class LatencyRecorder
{
public:
    LatencyRecorder();
    LatencyRecorder(const LatencyRecorder &) = delete;
    LatencyRecorder &operator=(const LatencyRecorder &) = delete;

    // A no-op when built with FULCRUM_NO_METRICS, as SlotCounter::add.
    void record([[maybe_unused]] quint64 micros) noexcept
    {
#ifndef FULCRUM_NO_METRICS
        if (micros > LatencyBuckets::kHighestTrackable) [[unlikely]] {
            micros = LatencyBuckets::kHighestTrackable;
            bump(m_clamped, 1);
        }
        bump(m_buckets[static_cast<std::size_t>(LatencyBuckets::indexOf(micros))], 1);
        bump(m_count, 1);
        // The clamped value, so that the sum agrees with the buckets and cannot overflow.
        bump(m_sum, micros);
#endif
    }

    // Readable from any thread; each is monotonic, but they are not read together atomically.
    quint64 count() const noexcept
    {
        return m_count.load(std::memory_order_relaxed);
    }
    quint64 sumMicros() const noexcept
    {
        return m_sum.load(std::memory_order_relaxed);
    }
    quint64 clampedCount() const noexcept
    {
        return m_clamped.load(std::memory_order_relaxed);
    }
    quint64 bucketCount(int index) const noexcept
    {
        return m_buckets[static_cast<std::size_t>(index)].load(std::memory_order_relaxed);
    }

private:
    static void bump(std::atomic<quint64> &value, quint64 by) noexcept
    {
        value.store(value.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }

    std::unique_ptr<std::atomic<quint64>[]> m_buckets;
    std::atomic<quint64> m_count{0};
    std::atomic<quint64> m_sum{0};
    std::atomic<quint64> m_clamped{0};
};

// Merged latencies of any number of recorders at one moment: plain integers, a value type for
// snapshots. Memory: 32 KiB of buckets on the heap plus 24 bytes.
class LatencyDistribution
{
public:
    LatencyDistribution();

    // Safe while the recorder's worker keeps recording: each bucket read is an atomic load of a
    // counter that only grows, so a later add() of the same recorder never sees fewer. count() is the
    // sum of the buckets read, so percentiles always agree with it; sumMicros() comes from the
    // recorder's own total and may be off by the values recorded during the read.
    void add(const LatencyRecorder &recorder);
    void add(const LatencyDistribution &other);

    quint64 count() const { return m_count; }
    quint64 sumMicros() const { return m_sum; }
    quint64 clampedCount() const { return m_clamped; } // values above kHighestTrackable

    // The highest value of the bucket holding the value of that rank (HdrHistogram's "highest
    // equivalent value"): never below the true value and at most 0.78% above it, so a reported p99
    // does not flatter the service. The rank is percent/100 × count() rounded to the nearest integer,
    // at least 1; percent is clamped to [0, 100], NaN counting as 0. 0 when empty.
    quint64 valueAtPercentile(double percent) const;

    // How many values fall in buckets whose highest value is ≤ micros: exact below 256 µs and at every
    // bucket boundary, otherwise it leaves out the bucket straddling micros (at most 0.78% of micros
    // wide), so it never counts a value above micros. Every value when micros ≥ kHighestTrackable.
    quint64 countAtOrBelow(quint64 micros) const;

    // The highest value of the highest non-empty bucket; 0 when empty.
    quint64 maxMicros() const;

    quint64 bucketCount(int index) const { return m_buckets[static_cast<std::size_t>(index)]; }

    // Calls f(lowest, highest, count) for every non-empty bucket, lowest values first.
    template <typename F>
    void forEachBucket(F &&f) const
    {
        for (int i = 0; i < LatencyBuckets::kCount; ++i) {
            if (const quint64 n = m_buckets[static_cast<std::size_t>(i)])
                f(LatencyBuckets::lowestIn(i), LatencyBuckets::highestIn(i), n);
        }
    }

    bool operator==(const LatencyDistribution &) const = default;

private:
    std::vector<quint64> m_buckets;
    quint64 m_count = 0;
    quint64 m_sum = 0;
    quint64 m_clamped = 0;
};

} // namespace fulcrum
