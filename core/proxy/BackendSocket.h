// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigTypes.h"
#include "http/ProxyHeaderWriter.h"

#include <QTcpSocket>

#include <memory>
#include <optional>

// How a connection to a backend starts, for the data plane and the health checks alike.
namespace fulcrum {

// A new socket for a backend: a QSslSocket set up from tls (TLS 1.2 or later; the CA file's certificates
// or the system's; SNI and the verified name from serverName, else host when it is a name) when https,
// else a plain QTcpSocket, so plain backends pay nothing for TLS.
std::unique_ptr<QTcpSocket> makeBackendSocket(bool https, const QString &host, const BackendTlsConfig &tls);

// Call once the TCP connection is up: writes proxyHeader (when not empty) in the clear, then starts the
// TLS handshake on a QSslSocket. True when the connection is ready for HTTP at once; false when
// QSslSocket::encrypted() will say so (or an error that it never will).
bool startBackendSession(QTcpSocket &socket, const QByteArray &proxyHeader);

// The version a pool's send_proxy asks for; nothing when it is off.
std::optional<ProxyProtocolVersion> proxyProtocolVersion(SendProxy sendProxy);

} // namespace fulcrum
