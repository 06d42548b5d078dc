// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminTcpServer.h"

#include "admin/AdminBodies.h"

#include <QTcpSocket>

namespace fulcrum {

namespace {
// Room for the request line and headers on top of the largest body the API accepts.
constexpr qint64 kMaxRequestBytes = kMaxAdminBodyBytes + 16 * 1024;

void refuseOversizedRequest(QTcpSocket *socket)
{
    // This slot was connected before Qt HttpServer's, so it runs first and sees only what arrived
    // since Qt HttpServer last read; the sum is the request so far (the count restarts with each
    // answer). Disconnecting the rest keeps Qt HttpServer from reading on.
    const qint64 received = socket->property(kRequestBytesProperty).toLongLong() + socket->bytesAvailable();
    socket->setProperty(kRequestBytesProperty, received);
    if (received <= kMaxRequestBytes)
        return;
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    const QByteArray body =
        R"({"error":"request over )" + QByteArray::number(kMaxRequestBytes) + " bytes\"}\n";
    socket->write("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nConnection: close\r\n"
                  "Content-Length: " +
                  QByteArray::number(body.size()) + "\r\n\r\n" + body);
    socket->disconnectFromHost();
}
} // namespace

void AdminTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        delete socket;
        return;
    }
    connect(socket, &QTcpSocket::readyRead, socket, [socket] { refuseOversizedRequest(socket); });
    addPendingConnection(socket);
}

} // namespace fulcrum
