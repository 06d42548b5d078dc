// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyHeaderWriter.h"

#include "ProxyProtocolFormat.h"

#include <QtEndian>

namespace fulcrum {

namespace {
using namespace proxyprotocol;

constexpr QByteArrayView kV1Unknown = "PROXY UNKNOWN\r\n";

QHostAddress withoutMapping(const QHostAddress &address)
{
    bool mapped = false;
    const quint32 v4 = address.toIPv4Address(&mapped);
    if (mapped)
        return QHostAddress(v4);
    QHostAddress copy = address;
    copy.setScopeId(QString()); // neither version carries a zone
    return copy;
}

bool isIp(const QHostAddress &address)
{
    return address.protocol() == QAbstractSocket::IPv4Protocol ||
           address.protocol() == QAbstractSocket::IPv6Protocol;
}

QHostAddress asIpv6(const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return address;
    return QHostAddress(QStringLiteral("::ffff:") + address.toString());
}

void appendBigEndian16(QByteArray &bytes, quint16 value)
{
    bytes.append(static_cast<char>(value >> 8));
    bytes.append(static_cast<char>(value & 0xff));
}

void appendAddress(QByteArray &bytes, const QHostAddress &address)
{
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 v4 = qToBigEndian(address.toIPv4Address());
        bytes.append(reinterpret_cast<const char *>(&v4), sizeof v4);
        return;
    }
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    bytes.append(reinterpret_cast<const char *>(v6.c), sizeof v6.c);
}

QByteArray v2Header(quint8 command, quint8 family, const QByteArray &addresses)
{
    QByteArray bytes = kV2Signature.toByteArray();
    bytes.append(static_cast<char>(kV2Version | command));
    bytes.append(static_cast<char>(family));
    appendBigEndian16(bytes, static_cast<quint16>(addresses.size()));
    bytes.append(addresses);
    return bytes;
}
} // namespace

QByteArray proxyHeader(ProxyProtocolVersion version, const ProxiedConnection &connection)
{
    QHostAddress source = withoutMapping(connection.source);
    QHostAddress destination = withoutMapping(connection.destination);
    if (!isIp(source) || !isIp(destination))
        return version == ProxyProtocolVersion::V1 ? kV1Unknown.toByteArray()
                                                   : v2Header(kV2CommandProxy, kV2Unspecified, {});
    if (source.protocol() != destination.protocol()) {
        source = asIpv6(source);
        destination = asIpv6(destination);
    }
    const bool v6 = source.protocol() == QAbstractSocket::IPv6Protocol;
    if (version == ProxyProtocolVersion::V1) {
        return kV1Prefix.toByteArray() + (v6 ? "TCP6 " : "TCP4 ") + source.toString().toLatin1() + ' ' +
               destination.toString().toLatin1() + ' ' + QByteArray::number(connection.sourcePort) + ' ' +
               QByteArray::number(connection.destinationPort) + "\r\n";
    }
    QByteArray addresses;
    addresses.reserve(v6 ? kV2Tcp6AddressBytes : kV2Tcp4AddressBytes);
    appendAddress(addresses, source);
    appendAddress(addresses, destination);
    appendBigEndian16(addresses, connection.sourcePort);
    appendBigEndian16(addresses, connection.destinationPort);
    return v2Header(kV2CommandProxy, v6 ? kV2Tcp6 : kV2Tcp4, addresses);
}

QByteArray localProxyHeader(ProxyProtocolVersion version)
{
    if (version == ProxyProtocolVersion::V1)
        return kV1Unknown.toByteArray();
    return v2Header(kV2CommandLocal, kV2Unspecified, {});
}

} // namespace fulcrum
