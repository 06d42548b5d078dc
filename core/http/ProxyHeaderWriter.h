// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>

namespace fulcrum {

enum class ProxyProtocolVersion
{
    V1, // one text line
    V2, // binary
};

// The two ends of the connection a PROXY header describes: the client, and the address it connected to.
struct ProxiedConnection
{
    QHostAddress source;
    quint16 sourcePort = 0;
    QHostAddress destination;
    quint16 destinationPort = 0;
};

// The PROXY protocol header (haproxy.org/download/2.9/doc/proxy-protocol.txt) a backend reads before the
// first byte of the stream, naming connection. IPv4-mapped IPv6 addresses are written as IPv4; when the
// two ends still differ in family, the IPv4 one is written as IPv4-mapped IPv6, since one header has one
// family. An address that is neither IPv4 nor IPv6 makes the v1 "UNKNOWN" line or the v2 unspecified
// family, which tell the backend to use the connection's own addresses.
QByteArray proxyHeader(ProxyProtocolVersion version, const ProxiedConnection &connection);

// A header that names no client, for connections the proxy makes on its own behalf (health checks): v1
// "PROXY UNKNOWN", v2 with the LOCAL command.
QByteArray localProxyHeader(ProxyProtocolVersion version);

} // namespace fulcrum
