// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>

// The PROXY protocol's wire constants (haproxy.org/download/2.9/doc/proxy-protocol.txt), shared by the
// reader and the writer so they cannot drift apart.
namespace fulcrum::proxyprotocol {

inline constexpr QByteArrayView kV1Prefix = "PROXY ";
inline constexpr char kV2SignatureBytes[] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                             '\n', 'Q',  'U',  'I',  'T',  '\n'};
// Not constexpr: debug builds check the pointer in the constructor, which a constant expression cannot.
inline const QByteArrayView kV2Signature(kV2SignatureBytes, sizeof kV2SignatureBytes);
inline constexpr qsizetype kV2FixedBytes = 16; // signature, version and command, family, length

inline constexpr quint8 kV2Version = 0x20;
inline constexpr quint8 kV2CommandLocal = 0x00;
inline constexpr quint8 kV2CommandProxy = 0x01;
inline constexpr quint8 kV2Unspecified = 0x00;
inline constexpr quint8 kV2Tcp4 = 0x11;
inline constexpr quint8 kV2Tcp6 = 0x21;
inline constexpr qsizetype kV2Tcp4AddressBytes = 12;
inline constexpr qsizetype kV2Tcp6AddressBytes = 36;

} // namespace fulcrum::proxyprotocol
