// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "http/ResponseParser.h"

#include <QObject>
#include <QTcpSocket>

namespace fulcrum {

class UpstreamExchangeHandler
{
public:
    virtual ~UpstreamExchangeHandler() = default;
    virtual void onUpstreamResponseHead(ResponseHead &head) = 0;
    virtual void onUpstreamResponseBody(const char *data, qsizetype length) = 0;
    virtual void onUpstreamResponseComplete() = 0;
    virtual void onUpstreamFailed(UpstreamError error, const QByteArray &reason) = 0;
    virtual void onUpstreamWritable() = 0;
    // The connection is up: from now on the response timeout applies, not the connect timeout.
    virtual void onUpstreamConnected() = 0;
    // One read from the backend went through the parser: a moment to flush towards the client.
    virtual void onUpstreamReadDone() = 0;
};

// One connection to a backend. Leased to a client connection for one exchange at a time and parked
// in the worker's pool between exchanges. The socket is unbuffered (Qt honours that for
// connectToHost): reads go straight from the kernel into the parser, and a paused reader leaves data
// in the kernel, which is the back-pressure towards the backend.
class UpstreamConnection final : public QObject, private ResponseParserHandler
{
    Q_OBJECT
public:
    UpstreamConnection(const Backend &backend, char *scratch, qsizetype scratchSize, QObject *parent);
    ~UpstreamConnection() override;

    void connectToBackend();
    void attach(UpstreamExchangeHandler *handler, bool responseHasNoBody);
    void detach();
    void send(const QByteArray &bytes);
    void send(const char *data, qsizetype length);
    qint64 bytesToWrite() const;
    void setReadingPaused(bool paused);
    void close();
    // Asks the kernel whether the backend has closed its side (a FIN the event loop has not
    // delivered yet); costs one system call.
    bool peerHasClosed() const;

    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    bool isReusable() const { return m_reusable && isConnected() && m_pending.isEmpty(); }
    bool wasReused() const { return m_exchanges > 1; }
    bool hasResponseBytes() const { return m_responseBytes > 0; }
    const QHostAddress &address() const { return m_address; }
    quint16 port() const { return m_port; }
    BackendRuntime *runtime() const { return m_runtime.get(); }
    qint64 idleSinceMs() const { return m_idleSinceMs; }
    void setIdleSince(qint64 ms) { m_idleSinceMs = ms; }

Q_SIGNALS:
    // Closed or broken while parked in the pool.
    void closedWhileIdle(fulcrum::UpstreamConnection *connection);

private:
    void onConnected();
    void onReadyRead();
    void onBytesWritten();
    void onSocketError(QAbstractSocket::SocketError error);
    void onDisconnected();
    void fail(UpstreamError error, const QByteArray &reason);

    void onResponseHead(ResponseHead &head) override;
    void onResponseBody(const char *data, qsizetype length) override;
    void onResponseComplete() override;

    QTcpSocket m_socket;
    ResponseParser m_parser;
    std::shared_ptr<BackendRuntime> m_runtime;
    QHostAddress m_address;
    quint16 m_port;
    QByteArray m_pending; // written before the connection was up
    UpstreamExchangeHandler *m_handler = nullptr;
    char *m_scratch;
    qsizetype m_scratchSize;
    qint64 m_responseBytes = 0;
    qint64 m_idleSinceMs = 0;
    int m_exchanges = 0;
    bool m_readingPaused = false;
    bool m_responseComplete = false;
    bool m_reusable = true;
    bool m_failed = false;
    bool m_everConnected = false;
    bool m_inConnectToHost = false;
    bool m_connectFailureQueued = false;
};

} // namespace fulcrum
