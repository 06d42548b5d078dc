// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "limits/ClientKey.h"

#include <array>
#include <mutex>
#include <unordered_map>

namespace fulcrum {

// Per-client state shared by every worker. A fixed number of shards, each a mutex and a hash map, and
// a client's shard is fixed by its key: two workers wait for each other only when their clients fall
// into the same shard at the same moment, and then only for one map operation.
template <typename Value>
class ShardedClientTable
{
public:
    static constexpr std::size_t kShards = 64;

    struct alignas(64) Shard // a cache line of its own, so busy neighbours do not slow it down
    {
        std::mutex mutex;
        std::unordered_map<ClientKey, Value, ClientKeyHash> entries;
    };

    Shard &shardFor(const ClientKey &key)
    {
        // The top bits: the map inside the shard buckets by the bottom ones.
        return m_shards[(ClientKeyHash{}(key) >> 58) % kShards];
    }

    std::size_t size()
    {
        std::size_t total = 0;
        for (Shard &shard : m_shards) {
            const std::lock_guard lock(shard.mutex);
            total += shard.entries.size();
        }
        return total;
    }

    std::size_t largestShard()
    {
        std::size_t largest = 0;
        for (Shard &shard : m_shards) {
            const std::lock_guard lock(shard.mutex);
            largest = std::max(largest, shard.entries.size());
        }
        return largest;
    }

private:
    std::array<Shard, kShards> m_shards;
};

} // namespace fulcrum
