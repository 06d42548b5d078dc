// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/RateLimitConfig.h"
#include "limits/ShardedClientTable.h"
#include "limits/TokenBucket.h"

namespace fulcrum {

// One token bucket per client (ClientKey), shared by every worker, so a client's allowance is the
// same however the kernel spreads its connections.
//
// Memory is bounded: each shard tracks at most maxPerShard clients. A shard at its cap first drops
// every bucket that has refilled completely (a full bucket is what a new client gets, so forgetting it
// changes nothing). When that frees too little, it also drops the buckets used least recently, down to
// 7/8 of the cap: such a client is treated as new when it comes back, so it loses at most its debt --
// what it spent in the last burst -- and never gets more than one fresh burst at a time. Dropping an
// eighth at once keeps the cost of these scans at O(1) per new client however long a flood lasts.
class RateLimiter
{
public:
    static constexpr std::size_t kDefaultMaxPerShard = 4096;

    explicit RateLimiter(const RateLimitConfig &config, std::size_t maxPerShard = kDefaultMaxPerShard);

    // Takes a token from the client's bucket: 0 when admitted, else the seconds for Retry-After.
    int admit(const ClientKey &client, qint64 nowUs);

    std::size_t trackedClients() { return m_buckets.size(); }
    std::size_t largestShard() { return m_buckets.largestShard(); }
    std::size_t maxPerShard() const { return m_maxPerShard; }
    std::size_t capacity() const { return m_maxPerShard * Table::kShards; }

    // The clock admit() expects, the same on every thread.
    static qint64 monotonicUs();

private:
    using Table = ShardedClientTable<TokenBucket>;
    void makeRoom(Table::Shard &shard, qint64 nowUs);

    const TokenBucketRate m_rate;
    const std::size_t m_maxPerShard;
    Table m_buckets;
};

} // namespace fulcrum
