// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "http/ResponseParser.h"

#include <QAbstractSocket>
#include <QObject>

#include <memory>

class QSslSocket;

namespace fulcrum {

class StreamSocket;

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
// in the worker's pool between exchanges. A plain socket is unbuffered (Qt honours that for
// connectToHost): reads go straight from the kernel into the parser, and a paused reader leaves data
// in the kernel, which is the back-pressure towards the backend. A TLS socket cannot be unbuffered (Qt
// decrypts into its own buffer), so its buffers are bounded instead (BackendSocket.cpp). With a PROXY
// header, the connection is the client's that the header names: the pool only hands it out again for
// the same header.
class UpstreamConnection final : public QObject, private ResponseParserHandler
{
    Q_OBJECT
public:
    // proxyHeader (empty: none) goes first on the connection, before any TLS handshake.
    UpstreamConnection(const Backend &backend, const QByteArray &proxyHeader, char *scratch,
                       qsizetype scratchSize, QObject *parent);
    ~UpstreamConnection() override;

    void connectToBackend();
    void attach(UpstreamExchangeHandler *handler, bool responseHasNoBody);
    void detach();
    // The request asks to switch protocols: a 101 may answer it (see ResponseParser).
    void allowProtocolSwitch();
    // After a 101: the socket, for a tunnel to use from now on, and the bytes the backend sent right
    // behind the head. The connection only closes the socket from then on.
    QIODevice &handOverToTunnel(QByteArray &alreadyRead);
    void send(const QByteArray &bytes);
    void send(const char *data, qsizetype length);
    qint64 bytesToWrite() const;
    void setReadingPaused(bool paused);
    void close();
    // Asks the kernel whether the backend has closed its side (a FIN the event loop has not
    // delivered yet); costs one system call.
    bool peerHasClosed() const;

    // Ready for HTTP: the TCP connection up and, for TLS, the handshake done.
    bool isConnected() const;
    bool isReusable() const { return m_reusable && isConnected() && m_pending.isEmpty(); }
    bool wasReused() const { return m_exchanges > 1; }
    bool hasResponseBytes() const { return m_responseBytes > 0; }
    const QHostAddress &address() const { return m_address; }
    quint16 port() const { return m_port; }
    const QByteArray &proxyHeader() const { return m_proxyHeader; }
    // Whether the connection was set up as backend asks now (scheme, TLS settings, PROXY protocol).
    bool matchesTransport(const BackendConfig &backend) const;
    BackendRuntime *runtime() const { return m_runtime.get(); }
    qint64 idleSinceMs() const { return m_idleSinceMs; }
    void setIdleSince(qint64 ms) { m_idleSinceMs = ms; }

Q_SIGNALS:
    // Closed or broken while parked in the pool.
    void closedWhileIdle(fulcrum::UpstreamConnection *connection);

private:
    void onTcpConnected();
    void onConnected();
    // The plain socket's end: a FIN, a reset, or a connect that failed.
    void onStreamEnded();
    // The connection broke after it was up (a reset, a failed write).
    void onBroken(const QByteArray &reason);
    void abortSocket();
    void onReadyRead();
    void onBytesWritten();
    void onSocketError(QAbstractSocket::SocketError error);
    void onDisconnected();
    void fail(UpstreamError error, const QByteArray &reason);

    void onResponseHead(ResponseHead &head) override;
    void onResponseBody(const char *data, qsizetype length) override;
    void onResponseComplete() override;

    // A plain backend's bytes go through an unbuffered StreamSocket; an https:// one's through a
    // QSslSocket. m_io is whichever it is.
    std::unique_ptr<QIODevice> m_io;
    StreamSocket *m_stream = nullptr;
    QSslSocket *m_tlsSocket = nullptr;
    ResponseParser m_parser;
    std::shared_ptr<BackendRuntime> m_runtime;
    QHostAddress m_address;
    quint16 m_port;
    bool m_https;
    UpstreamTransport m_transport;
    QByteArray m_proxyHeader;
    QByteArray m_pending;     // written before the connection was up
    QByteArray m_afterSwitch; // read behind a 101's head: the first bytes of the new protocol
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
    bool m_switchedProtocols = false;
    bool m_endHandled = false; // the backend's end was acted on (read as EOF, then told again)
};

} // namespace fulcrum
