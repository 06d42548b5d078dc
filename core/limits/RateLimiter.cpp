// SPDX-License-Identifier: GPL-3.0-or-later
#include "RateLimiter.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace fulcrum {

RateLimiter::RateLimiter(const RateLimitConfig &config, std::size_t maxPerShard)
    : m_rate(TokenBucketRate::from(config)), m_maxPerShard(std::max<std::size_t>(maxPerShard, 8))
{}

qint64 RateLimiter::monotonicUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

int RateLimiter::admit(const ClientKey &client, qint64 nowUs)
{
    Table::Shard &shard = m_buckets.shardFor(client);
    const std::lock_guard lock(shard.mutex);
    auto found = shard.entries.find(client);
    if (found == shard.entries.end()) {
        if (shard.entries.size() >= m_maxPerShard)
            makeRoom(shard, nowUs);
        found = shard.entries.emplace(client, TokenBucket::full(m_rate, nowUs)).first;
    }
    return found->second.take(m_rate, nowUs);
}

void RateLimiter::makeRoom(Table::Shard &shard, qint64 nowUs)
{
    auto &entries = shard.entries;
    // Not refilled here: a bucket's update time must stay the time it was last used, the staleness
    // the eviction below goes by.
    for (auto it = entries.begin(); it != entries.end();)
        it = it->second.isFullAt(m_rate, nowUs) ? entries.erase(it) : std::next(it);
    const std::size_t target = m_maxPerShard - m_maxPerShard / 8;
    if (entries.size() <= target)
        return;
    std::vector<std::pair<qint64, ClientKey>> byAge;
    byAge.reserve(entries.size());
    for (const auto &[key, bucket] : entries)
        byAge.emplace_back(bucket.updatedUs, key);
    const auto evicted = static_cast<std::ptrdiff_t>(entries.size() - target);
    std::nth_element(byAge.begin(), byAge.begin() + evicted, byAge.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (auto it = byAge.begin(); it != byAge.begin() + evicted; ++it)
        entries.erase(it->second);
}

} // namespace fulcrum
