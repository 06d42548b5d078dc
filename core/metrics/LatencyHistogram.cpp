// SPDX-License-Identifier: GPL-3.0-or-later
#include "LatencyHistogram.h"

#include <cmath>

namespace fulcrum {

LatencyRecorder::LatencyRecorder()
    : m_buckets(std::make_unique<std::atomic<quint64>[]>(LatencyBuckets::kCount))
{}

LatencyDistribution::LatencyDistribution() : m_buckets(LatencyBuckets::kCount, 0) {}

void LatencyDistribution::add(const LatencyRecorder &recorder)
{
    quint64 added = 0;
    for (int i = 0; i < LatencyBuckets::kCount; ++i) {
        const quint64 n = recorder.bucketCount(i);
        m_buckets[static_cast<std::size_t>(i)] += n;
        added += n;
    }
    m_count += added;
    m_sum += recorder.sumMicros();
    m_clamped += recorder.clampedCount();
}

void LatencyDistribution::add(const LatencyDistribution &other)
{
    for (std::size_t i = 0; i < m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    m_count += other.m_count;
    m_sum += other.m_sum;
    m_clamped += other.m_clamped;
}

quint64 LatencyDistribution::valueAtPercentile(double percent) const
{
    if (m_count == 0)
        return 0;
    // Written so that NaN ends up as 0 rather than reaching the cast, which would be undefined.
    const double clamped = percent > 0 ? std::min(percent, 100.0) : 0.0;
    // Rounded rather than ceil'd: 99.9 / 100 × 10000 is 9990.000000000002 in binary floating point.
    const quint64 rank =
        std::clamp<quint64>(std::llround(clamped / 100.0 * static_cast<double>(m_count)), 1, m_count);
    quint64 seen = 0;
    const int last = LatencyBuckets::kCount - 1;
    for (int i = 0; i < last; ++i) {
        seen += m_buckets[static_cast<std::size_t>(i)];
        if (seen >= rank)
            return LatencyBuckets::highestIn(i);
    }
    return LatencyBuckets::highestIn(last); // m_count is the buckets' sum: the rank is in the last one
}

quint64 LatencyDistribution::countAtOrBelow(quint64 micros) const
{
    if (micros >= LatencyBuckets::kHighestTrackable)
        return m_count;
    const int straddling = LatencyBuckets::indexOf(micros);
    const int end = LatencyBuckets::highestIn(straddling) == micros ? straddling + 1 : straddling;
    quint64 total = 0;
    for (int i = 0; i < end; ++i)
        total += m_buckets[static_cast<std::size_t>(i)];
    return total;
}

quint64 LatencyDistribution::maxMicros() const
{
    for (int i = LatencyBuckets::kCount - 1; i >= 0; --i) {
        if (m_buckets[static_cast<std::size_t>(i)] != 0)
            return LatencyBuckets::highestIn(i);
    }
    return 0;
}

} // namespace fulcrum
