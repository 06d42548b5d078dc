// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminServer.h"

#include "admin/AdminTcpServer.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QTcpServer>
#include <QTcpSocket>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
// Idle-closing proxies between a console and fulcrumd commonly cut connections silent for 30-60 s.
constexpr int kKeepAliveMs = 15'000;
// A subscriber that reads slower than events come is dropped rather than buffered without bound.
constexpr qint64 kMaxUnsentBytes = 4 * 1024 * 1024;

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    case QHttpServerRequest::Method::Connect:
        return "CONNECT";
    case QHttpServerRequest::Method::Trace:
        return "TRACE";
    default:
        return "UNKNOWN";
    }
}

AdminRequest toAdminRequest(const QHttpServerRequest &request, const QTcpSocket &socket)
{
    AdminRequest call;
    call.method = methodName(request.method());
    call.path = request.url().path();
    call.query = request.query();
    call.authorization = request.value("authorization");
    call.body = request.body();
    call.peer = socket.peerAddress();
    call.peerPort = socket.peerPort();
    return call;
}
} // namespace

AdminServer::AdminServer(AdminApi &api, QObject *parent) : QAbstractHttpServer(parent), m_api(api)
{
    connect(&api.events(), &AdminEvents::framePublished, this, &AdminServer::broadcast);
    connect(&m_keepAlive, &QTimer::timeout, this,
            [this] { broadcast(AdminEvents::keepAliveFrame(), false); });
}

bool AdminServer::listen(const ListenAddress &address, QString *error)
{
    auto *server = new AdminTcpServer(this);
    if (!server->listen(address.address, address.port)) {
        *error =
            u"cannot listen for the admin API on %1: %2"_s.arg(address.toString(), server->errorString());
        delete server;
        return false;
    }
    bind(server);
    m_bound = {server->serverAddress(), server->serverPort()};
    return true;
}

bool AdminServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    socket->setProperty(kRequestBytesProperty, 0);
    const AdminResponse response = m_api.handle(toAdminRequest(request, *socket));
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(response.status));
    responder.writeHeader("Content-Type", response.contentType);
    for (const auto &[name, value] : response.headers)
        responder.writeHeader(name, value);
    if (response.opensEventStream) {
        // No length: the stream ends when either side closes the connection.
        responder.writeHeader("Connection", "close");
        responder.writeBody(response.body);
        subscribe(socket, response.streamsSnapshots);
        return true;
    }
    responder.writeHeader("Content-Length", QByteArray::number(response.body.size()));
    responder.writeBody(response.body);
    return true;
}

void AdminServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // handleRequest answers every request; Qt HttpServer calls this only for a request it refused.
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.write(QHttpServerResponder::StatusCode::BadRequest);
}

void AdminServer::subscribe(QTcpSocket *socket, bool snapshots)
{
    m_subscribers.append({socket, snapshots});
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        m_subscribers.removeIf([socket](const Subscriber &subscriber) {
            return subscriber.socket.isNull() || subscriber.socket == socket;
        });
        if (m_subscribers.isEmpty())
            m_keepAlive.stop();
    });
    if (!m_keepAlive.isActive())
        m_keepAlive.start(kKeepAliveMs);
}

void AdminServer::broadcast(const QByteArray &frame, bool isSnapshot)
{
    m_subscribers.removeIf([](const Subscriber &subscriber) { return subscriber.socket.isNull(); });
    for (const Subscriber &subscriber : std::as_const(m_subscribers)) {
        if (isSnapshot && !subscriber.snapshots)
            continue;
        if (subscriber.socket->bytesToWrite() > kMaxUnsentBytes) {
            qWarning("admin API %s:%u: event stream closed, the subscriber reads too slowly",
                     qPrintable(subscriber.socket->peerAddress().toString()), subscriber.socket->peerPort());
            subscriber.socket->disconnectFromHost();
            continue;
        }
        subscriber.socket->write(frame);
    }
}

} // namespace fulcrum
