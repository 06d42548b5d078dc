// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHostAddress>
#include <QString>
#include <QStringView>

#include <array>
#include <optional>

namespace fulcrum {

// An address as 16 bytes, IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so that one comparison
// covers both families and a peer accepted on a dual-stack socket matches an IPv4 range.
using AddressBytes = std::array<quint8, 16>;
AddressBytes addressBytes(const QHostAddress &address);

// A CIDR block of trusted_proxies ("10.0.0.0/8", "::1/128", or one address: "10.0.0.7").
struct AddressRange
{
    AddressBytes network{}; // host bits are zero
    int prefixBits = 128;   // over the 16 bytes: an IPv4 /n is 96 + n

    bool contains(const AddressBytes &address) const;
    friend bool operator==(const AddressRange &, const AddressRange &) = default;
};

// Parses a range; on failure, nothing, and *error says why ("prefix length must be 0..32").
std::optional<AddressRange> parseAddressRange(QStringView text, QString *error);

// Whether any of the ranges holds the address; cheap for an empty list, the common case.
bool isInAnyRange(const QList<AddressRange> &ranges, const QHostAddress &address);

} // namespace fulcrum
