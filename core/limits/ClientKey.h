// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHostAddress>

#include <cstddef>
#include <sys/socket.h>

namespace fulcrum {

// What the per-client limits count by: an IPv4 address, or the /64 an IPv6 address is in. One
// IPv6 host usually holds a whole /64 and may use any address in it, so counting single addresses
// would let it multiply its allowance at will. An IPv4-mapped IPv6 address counts as the IPv4 one.
struct ClientKey
{
    quint64 high = 0; // IPv6: the /64 prefix; IPv4: 0
    quint64 low = 0;  // IPv4: 0xffff'xxxxxxxx (never 0, so no IPv6 /64 of ::/64 can collide)

    friend bool operator==(const ClientKey &, const ClientKey &) = default;
};

struct ClientKeyHash
{
    std::size_t operator()(const ClientKey &key) const noexcept
    {
        // A multiply-xorshift mix: the shard is chosen from the top bits and the map from the
        // bottom ones, so both need the whole key's entropy.
        quint64 h = key.high * 0x9e3779b97f4a7c15ULL ^ key.low;
        h ^= h >> 31;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        return static_cast<std::size_t>(h);
    }
};

ClientKey clientKeyOf(const QHostAddress &address);
// The peer accept() returned, before any QTcpSocket exists.
ClientKey clientKeyOf(const sockaddr_storage &peer);

} // namespace fulcrum
