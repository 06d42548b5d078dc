// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "admin/AdminApi.h"
#include "config/ConfigTypes.h"

#include <QAbstractHttpServer>
#include <QList>
#include <QPointer>
#include <QTimer>

class QTcpServer;
class QTcpSocket;

namespace fulcrum {

// The admin API on its own HTTP listener, through Qt HttpServer: each request is handed to AdminApi
// whole. Qt HttpServer 6.4 cannot stream a response, so for the event stream this class writes the
// head itself and then keeps the connection, copying each event frame to it.
class AdminServer final : public QAbstractHttpServer
{
    Q_OBJECT
public:
    explicit AdminServer(AdminApi &api, QObject *parent = nullptr);

    bool listen(const ListenAddress &address, QString *error);
    // The address actually bound (with the kernel's port when 0 was asked for).
    ListenAddress boundAddress() const { return m_bound; }
    qsizetype eventSubscriberCount() const { return m_subscribers.size(); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Subscriber
    {
        QPointer<QTcpSocket> socket;
        bool snapshots = true;
    };

    void subscribe(QTcpSocket *socket, bool snapshots);
    void broadcast(const QByteArray &frame, bool isSnapshot);

    AdminApi &m_api;
    ListenAddress m_bound;
    QList<Subscriber> m_subscribers;
    QTimer m_keepAlive;
};

} // namespace fulcrum
