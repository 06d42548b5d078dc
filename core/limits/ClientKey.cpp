// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientKey.h"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace fulcrum {

namespace {
constexpr quint64 kIpv4Marker = quint64(0xffff) << 32;

ClientKey ipv4Key(quint32 address)
{
    return {0, kIpv4Marker | address};
}

// bytes: the 16 bytes of an IPv6 address in network order.
ClientKey ipv6Key(const quint8 *bytes)
{
    static constexpr quint8 kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMappedPrefix, sizeof(kMappedPrefix)) == 0)
        return ipv4Key(quint32(bytes[12]) << 24 | quint32(bytes[13]) << 16 | quint32(bytes[14]) << 8 |
                       bytes[15]);
    quint64 prefix = 0;
    for (int i = 0; i < 8; ++i)
        prefix = prefix << 8 | bytes[i];
    return {prefix, 0};
}
} // namespace

ClientKey clientKeyOf(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv4Protocol)
        return ipv4Key(address.toIPv4Address());
    const Q_IPV6ADDR bytes = address.toIPv6Address();
    return ipv6Key(bytes.c);
}

ClientKey clientKeyOf(const sockaddr_storage &peer)
{
    if (peer.ss_family == AF_INET6)
        return ipv6Key(reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_addr.s6_addr);
    return ipv4Key(ntohl(reinterpret_cast<const sockaddr_in *>(&peer)->sin_addr.s_addr));
}

} // namespace fulcrum
