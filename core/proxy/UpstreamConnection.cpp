// SPDX-License-Identifier: GPL-3.0-or-later
#include "UpstreamConnection.h"

#include "BackendSocket.h"

#include <QSslSocket>

#include <cerrno>
#include <sys/socket.h>

namespace fulcrum {

namespace {
// Below this many unsent bytes towards the backend, the client side may be read again.
constexpr qint64 kWriteLowWater = 64 * 1024;
} // namespace

UpstreamConnection::UpstreamConnection(const Backend &backend, const QByteArray &proxyHeader, char *scratch,
                                       qsizetype scratchSize, QObject *parent)
    : QObject(parent), m_socketOwner(makeBackendSocket(backend.config.https, backend.config.host,
                                                       backend.config.transport.tls)),
      m_socket(*m_socketOwner), m_tlsSocket(qobject_cast<QSslSocket *>(m_socketOwner.get())), m_parser(*this),
      m_runtime(backend.runtime), m_address(backend.address), m_port(backend.config.port),
      m_https(backend.config.https), m_transport(backend.config.transport), m_proxyHeader(proxyHeader),
      m_scratch(scratch), m_scratchSize(scratchSize)
{
    m_runtime->openConnections.fetch_add(1, std::memory_order_relaxed);
    connect(&m_socket, &QTcpSocket::connected, this, &UpstreamConnection::onTcpConnected);
    if (m_tlsSocket != nullptr) {
        connect(m_tlsSocket, &QSslSocket::encrypted, this, &UpstreamConnection::onConnected);
        // Plain text handed to TLS counts as written before it leaves: the encrypted side says when it has.
        connect(m_tlsSocket, &QSslSocket::encryptedBytesWritten, this, &UpstreamConnection::onBytesWritten);
    }
    connect(&m_socket, &QTcpSocket::readyRead, this, &UpstreamConnection::onReadyRead);
    connect(&m_socket, &QTcpSocket::bytesWritten, this, &UpstreamConnection::onBytesWritten);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, &UpstreamConnection::onSocketError);
    connect(&m_socket, &QTcpSocket::disconnected, this, &UpstreamConnection::onDisconnected);
}

UpstreamConnection::~UpstreamConnection()
{
    m_runtime->openConnections.fetch_sub(1, std::memory_order_relaxed);
    m_socket.disconnect(this);
    m_socket.abort();
}

void UpstreamConnection::connectToBackend()
{
    m_inConnectToHost = true;
    // QSslSocket decrypts into its read buffer, which an unbuffered device would never read from.
    m_socket.connectToHost(m_address, m_port,
                           m_tlsSocket != nullptr ? QIODevice::ReadWrite
                                                  : QIODevice::ReadWrite | QIODevice::Unbuffered);
    m_inConnectToHost = false;
}

void UpstreamConnection::attach(UpstreamExchangeHandler *handler, bool responseHasNoBody)
{
    m_handler = handler;
    m_parser.setExpectNoBody(responseHasNoBody);
    m_parser.setUpgradeRequested(false);
    m_responseBytes = 0;
    m_responseComplete = false;
    m_readingPaused = false;
    ++m_exchanges;
}

void UpstreamConnection::detach()
{
    m_handler = nullptr;
}

void UpstreamConnection::allowProtocolSwitch()
{
    m_parser.setUpgradeRequested(true);
}

QAbstractSocket &UpstreamConnection::handOverToTunnel(QByteArray &alreadyRead)
{
    m_handler = nullptr;
    m_reusable = false;
    m_socket.disconnect(this);
    alreadyRead = std::exchange(m_afterSwitch, {});
    return m_socket;
}

void UpstreamConnection::send(const QByteArray &bytes)
{
    send(bytes.constData(), bytes.size());
}

void UpstreamConnection::send(const char *data, qsizetype length)
{
    if (length == 0)
        return;
    if (isConnected())
        m_socket.write(data, length);
    else
        m_pending.append(data, length);
}

qint64 UpstreamConnection::bytesToWrite() const
{
    const qint64 encrypted = m_tlsSocket != nullptr ? m_tlsSocket->encryptedBytesToWrite() : 0;
    return m_pending.size() + m_socket.bytesToWrite() + encrypted;
}

bool UpstreamConnection::matchesTransport(const BackendConfig &backend) const
{
    return m_https == backend.https && m_transport == backend.transport;
}

void UpstreamConnection::setReadingPaused(bool paused)
{
    if (m_readingPaused == paused)
        return;
    m_readingPaused = paused;
    // Unbuffered sockets stop notifying until the next read, so whatever arrived meanwhile is
    // still waiting in the kernel: read it now, but outside the caller's stack.
    if (!paused)
        QMetaObject::invokeMethod(this, &UpstreamConnection::onReadyRead, Qt::QueuedConnection);
}

void UpstreamConnection::close()
{
    m_handler = nullptr;
    m_reusable = false;
    m_socket.disconnect(this);
    m_socket.abort();
    deleteLater();
}

bool UpstreamConnection::peerHasClosed() const
{
    char byte = 0;
    const ssize_t peeked =
        ::recv(static_cast<int>(m_socket.socketDescriptor()), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void UpstreamConnection::onTcpConnected()
{
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (startBackendSession(m_socket, m_proxyHeader))
        onConnected();
}

void UpstreamConnection::onConnected()
{
    m_everConnected = true;
    if (!m_pending.isEmpty()) {
        m_socket.write(m_pending);
        m_pending.clear();
    }
    if (m_handler != nullptr)
        m_handler->onUpstreamConnected();
}

void UpstreamConnection::onReadyRead()
{
    if (m_readingPaused || m_failed)
        return;
    if (m_handler == nullptr) {
        // A parked connection has nothing to say: data or EOF means the backend is done with it.
        Q_EMIT closedWhileIdle(this);
        return;
    }
    bool readAny = false;
    while (m_handler != nullptr && !m_readingPaused) {
        const qint64 received = m_socket.read(m_scratch, m_scratchSize);
        if (received == 0) {
            // An unbuffered socket can report the backend's FIN as a readable event whose read
            // yields nothing, so an empty first read asks the kernel whether the peer is gone. A TLS
            // socket's empty buffer says nothing of the kernel's; it reports the close itself.
            if (!readAny && m_tlsSocket == nullptr && peerHasClosed())
                onDisconnected();
            return;
        }
        readAny = true;
        if (received < 0) {
            onDisconnected();
            return;
        }
        m_responseBytes += received;
        const MessageParser::FeedResult result = m_parser.feed(m_scratch, received);
        if (result.progress == MessageParser::Progress::Failed) {
            fail(UpstreamError::InvalidResponse, m_parser.failure().reason);
            return;
        }
        // A complete response is handed over whole by the completion, which flushes it to the client: so
        // the exchange is accounted for (counted, timed) before the client can see the end of it.
        if (m_responseComplete && m_handler != nullptr) {
            m_parser.resume();
            // Bytes after a complete response were never asked for: the connection cannot be trusted.
            if (result.consumed < received) {
                m_reusable = false;
                if (m_switchedProtocols)
                    m_afterSwitch = QByteArray(m_scratch + result.consumed, received - result.consumed);
            }
            m_handler->onUpstreamResponseComplete();
            return;
        }
        if (m_handler != nullptr)
            m_handler->onUpstreamReadDone();
    }
}

void UpstreamConnection::onBytesWritten()
{
    if (m_handler != nullptr && bytesToWrite() < kWriteLowWater)
        m_handler->onUpstreamWritable();
}

void UpstreamConnection::onSocketError(QAbstractSocket::SocketError error)
{
    if (m_inConnectToHost) {
        // Qt reports a socket it could not even create (no descriptor or buffer left) from inside
        // connectToHost(), before the pool's caller has attached. Taken as a parked connection
        // breaking, it would delete the connection under that caller; handed to an attached handler
        // on the spot, it would fail the attempt (answer, retry, end the exchange) while the caller is
        // still setting it up. Queued, it reaches the handler from the event loop like a refused
        // connection, and counts as one for retries and outlier detection. A close() in between
        // leaves no handler to tell, and a deleted connection drops the call.
        if (!std::exchange(m_connectFailureQueued, true)) {
            QMetaObject::invokeMethod(
                this,
                [this, reason = m_socket.errorString().toUtf8()] { fail(UpstreamError::Connect, reason); },
                Qt::QueuedConnection);
        }
        return;
    }
    if (error == QAbstractSocket::RemoteHostClosedError) {
        onDisconnected();
        return;
    }
    if (m_handler == nullptr) {
        Q_EMIT closedWhileIdle(this);
        return;
    }
    if (m_everConnected) {
        fail(UpstreamError::Reset, m_socket.errorString().toUtf8());
        return;
    }
    // Before the connection is ready, a TLS error is the handshake's: a certificate that did not verify,
    // or a backend that does not speak TLS.
    const bool duringHandshake =
        m_tlsSocket != nullptr && m_socket.state() == QAbstractSocket::ConnectedState;
    const QByteArray reason = m_socket.errorString().toUtf8();
    const bool tlsFailure = duringHandshake || error == QAbstractSocket::SslHandshakeFailedError;
    fail(UpstreamError::Connect, tlsFailure ? QByteArray("TLS handshake failed: " + reason) : reason);
}

void UpstreamConnection::onDisconnected()
{
    if (m_failed)
        return;
    if (m_handler == nullptr) {
        Q_EMIT closedWhileIdle(this);
        return;
    }
    m_reusable = false;
    if (m_responseBytes > 0 && m_parser.finish() == MessageParser::Progress::MessageComplete) {
        m_handler->onUpstreamResponseComplete();
        return;
    }
    if (!m_everConnected) {
        fail(UpstreamError::Connect, QByteArray("TLS handshake failed: backend closed the connection"));
        return;
    }
    fail(UpstreamError::Reset, m_responseBytes > 0
                                   ? QByteArray("backend closed the connection mid-response")
                                   : QByteArray("backend closed the connection without responding"));
}

void UpstreamConnection::fail(UpstreamError error, const QByteArray &reason)
{
    m_failed = true;
    m_reusable = false;
    if (UpstreamExchangeHandler *handler = std::exchange(m_handler, nullptr))
        handler->onUpstreamFailed(error, reason);
}

// The handler may let go of this connection from inside any callback (a client that vanished), so
// every callback checks that it still has one.
void UpstreamConnection::onResponseHead(ResponseHead &head)
{
    // "Connection: close" (or an HTTP/1.0 response without keep-alive): the backend is about to close
    // this connection, so it must not be pooled for the next request, whose FIN check could still
    // find it open and then lose a request that cannot be retried.
    if (!head.keepAlive)
        m_reusable = false;
    // What follows a 101 is another protocol: the connection can never carry HTTP again.
    if (head.status == 101) {
        m_switchedProtocols = true;
        m_reusable = false;
    }
    if (m_handler != nullptr)
        m_handler->onUpstreamResponseHead(head);
}

void UpstreamConnection::onResponseBody(const char *data, qsizetype length)
{
    if (m_handler != nullptr)
        m_handler->onUpstreamResponseBody(data, length);
}

void UpstreamConnection::onResponseComplete()
{
    m_responseComplete = true;
}

} // namespace fulcrum
