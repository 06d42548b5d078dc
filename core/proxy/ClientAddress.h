// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/AddressRange.h"
#include "http/HttpHeaders.h"

#include <QByteArray>
#include <QHostAddress>

namespace fulcrum {

// The textual form of an address as logged and forwarded: an IPv4-mapped IPv6 address as plain IPv4.
QByteArray addressText(const QHostAddress &address);

// An address written in X-Forwarded-For: a plain IPv4 or IPv6 literal (no port, brackets or zone), else
// nothing ("unknown", obfuscated identifiers, garbage).
std::optional<QHostAddress> parseForwardedAddress(QByteArrayView text);

// Who a request comes from, given the TCP peer (or the address a PROXY header gave) and trusted_proxies.
// An untrusted peer is the client. A trusted peer speaks for the hops before it: X-Forwarded-For is walked
// from the right over trusted addresses, and the first untrusted one is the client. When every entry is
// trusted, the left-most is; an entry that does not parse ends the walk at the last address before it,
// since nothing to its left can be relied on.
QHostAddress resolveClientAddress(const QHostAddress &peer, bool peerTrusted, const HttpHeaders &headers,
                                  const QList<AddressRange> &trusted);

// The X-Forwarded-For value sent to the backend: the peer alone from an untrusted peer (what a client
// claims is dropped), the received list with the peer appended from a trusted one.
QByteArray forwardedForValue(QByteArrayView peerText, bool peerTrusted, const HttpHeaders &headers);

} // namespace fulcrum
