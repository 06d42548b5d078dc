// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QTcpServer>

namespace fulcrum {

// Bytes of the request being read on an admin socket; whoever answers it sets this back to 0.
inline constexpr char kRequestBytesProperty[] = "fulcrumAdminRequestBytes";

// The admin listener's sockets. Qt HttpServer 6.4 buffers a request body of any size before handing
// the request over, so a client could make it hold gigabytes; this server answers 413 and closes
// the connection as soon as one request's bytes pass the admin API's limit.
class AdminTcpServer final : public QTcpServer
{
    Q_OBJECT
public:
    using QTcpServer::QTcpServer;

protected:
    void incomingConnection(qintptr socketDescriptor) override;
};

} // namespace fulcrum
