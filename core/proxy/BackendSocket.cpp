// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendSocket.h"

#include <QSslConfiguration>
#include <QSslSocket>

namespace fulcrum {

namespace {
// Decrypted bytes QSslSocket may hold, and encrypted ones its inner socket may: beyond them it stops
// reading, so a paused reader leaves the rest in the kernel, the back-pressure towards the backend.
constexpr qint64 kTlsReadBufferBytes = 64 * 1024;

QString verifiedName(const QString &host, const BackendTlsConfig &tls)
{
    if (!tls.serverName.isEmpty())
        return tls.serverName;
    // An address is verified against the certificate's IP entries, which Qt does with the address it
    // connected to when no name is set.
    return QHostAddress().setAddress(host) ? QString() : host;
}
} // namespace

std::unique_ptr<QTcpSocket> makeBackendSocket(bool https, const QString &host, const BackendTlsConfig &tls)
{
    if (!https)
        return std::make_unique<QTcpSocket>();
    auto socket = std::make_unique<QSslSocket>();
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    if (!tls.caCertificates.isEmpty())
        configuration.setCaCertificates(tls.caCertificates); // instead of the system's, not besides them
    configuration.setPeerVerifyMode(tls.verify ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
    socket->setSslConfiguration(configuration);
    socket->setPeerVerifyName(verifiedName(host, tls));
    socket->setReadBufferSize(kTlsReadBufferBytes);
    return socket;
}

bool startBackendSession(QTcpSocket &socket, const QByteArray &proxyHeader)
{
    if (!proxyHeader.isEmpty())
        socket.write(proxyHeader);
    auto *tls = qobject_cast<QSslSocket *>(&socket);
    if (tls == nullptr)
        return true;
    tls->startClientEncryption();
    return false;
}

std::optional<ProxyProtocolVersion> proxyProtocolVersion(SendProxy sendProxy)
{
    switch (sendProxy) {
    case SendProxy::V1:
        return ProxyProtocolVersion::V1;
    case SendProxy::V2:
        return ProxyProtocolVersion::V2;
    case SendProxy::Off:
        break;
    }
    return std::nullopt;
}

} // namespace fulcrum
