// SPDX-License-Identifier: GPL-3.0-or-later
#include "UpstreamConnection.h"

#include "BackendSocket.h"
#include "net/StreamSocket.h"

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
    : QObject(parent), m_parser(*this), m_runtime(backend.runtime), m_address(backend.address),
      m_port(backend.config.port), m_https(backend.config.https), m_transport(backend.config.transport),
      m_proxyHeader(proxyHeader), m_scratch(scratch), m_scratchSize(scratchSize)
{
    m_runtime->openConnections.fetch_add(1, std::memory_order_relaxed);
    if (!m_https) {
        auto stream = std::make_unique<StreamSocket>();
        m_stream = stream.get();
        m_io = std::move(stream);
        connect(m_stream, &StreamSocket::connected, this, &UpstreamConnection::onTcpConnected);
        connect(m_stream, &StreamSocket::disconnected, this, &UpstreamConnection::onStreamEnded);
    } else {
        std::unique_ptr<QTcpSocket> socket =
            makeBackendSocket(true, backend.config.host, backend.config.transport.tls);
        m_tlsSocket = static_cast<QSslSocket *>(socket.get());
        m_io = std::move(socket);
        connect(m_tlsSocket, &QSslSocket::connected, this, &UpstreamConnection::onTcpConnected);
        connect(m_tlsSocket, &QSslSocket::encrypted, this, &UpstreamConnection::onConnected);
        // Plain text handed to TLS counts as written before it leaves: the encrypted side says when it has.
        connect(m_tlsSocket, &QSslSocket::encryptedBytesWritten, this, &UpstreamConnection::onBytesWritten);
        connect(m_tlsSocket, &QSslSocket::errorOccurred, this, &UpstreamConnection::onSocketError);
        connect(m_tlsSocket, &QSslSocket::disconnected, this, &UpstreamConnection::onDisconnected);
    }
    connect(m_io.get(), &QIODevice::readyRead, this, &UpstreamConnection::onReadyRead);
    connect(m_io.get(), &QIODevice::bytesWritten, this, &UpstreamConnection::onBytesWritten);
}

UpstreamConnection::~UpstreamConnection()
{
    m_runtime->openConnections.fetch_sub(1, std::memory_order_relaxed);
    abortSocket();
}

void UpstreamConnection::abortSocket()
{
    m_io->disconnect(this);
    if (m_stream != nullptr)
        m_stream->abort();
    else
        m_tlsSocket->abort();
}

void UpstreamConnection::connectToBackend()
{
    if (m_stream != nullptr) {
        m_stream->connectTo(m_address, m_port); // every outcome comes from the event loop
        return;
    }
    m_inConnectToHost = true;
    // QSslSocket decrypts into its read buffer, which an unbuffered device would never read from.
    m_tlsSocket->connectToHost(m_address, m_port, QIODevice::ReadWrite);
    m_inConnectToHost = false;
}

bool UpstreamConnection::isConnected() const
{
    if (!m_everConnected)
        return false;
    return m_stream != nullptr ? !m_stream->hasEnded()
                               : m_tlsSocket->state() == QAbstractSocket::ConnectedState;
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

QIODevice &UpstreamConnection::handOverToTunnel(QByteArray &alreadyRead)
{
    m_handler = nullptr;
    m_reusable = false;
    m_io->disconnect(this);
    alreadyRead = std::exchange(m_afterSwitch, {});
    return *m_io;
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
        m_io->write(data, length);
    else
        m_pending.append(data, length);
}

qint64 UpstreamConnection::bytesToWrite() const
{
    const qint64 encrypted = m_tlsSocket != nullptr ? m_tlsSocket->encryptedBytesToWrite() : 0;
    return m_pending.size() + m_io->bytesToWrite() + encrypted;
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
    abortSocket();
    deleteLater();
}

bool UpstreamConnection::peerHasClosed() const
{
    char byte = 0;
    const qintptr descriptor = m_stream != nullptr ? m_stream->descriptor() : m_tlsSocket->socketDescriptor();
    const ssize_t peeked = ::recv(static_cast<int>(descriptor), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void UpstreamConnection::onTcpConnected()
{
    if (m_stream != nullptr) {
        if (!m_proxyHeader.isEmpty())
            m_stream->write(m_proxyHeader);
        onConnected();
        return;
    }
    m_tlsSocket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    startBackendSession(*m_tlsSocket, m_proxyHeader); // the handshake's end connects
}

void UpstreamConnection::onConnected()
{
    m_everConnected = true;
    if (!m_pending.isEmpty()) {
        m_io->write(m_pending);
        m_pending.clear();
    }
    if (m_handler != nullptr)
        m_handler->onUpstreamConnected();
    // A handler that stopped reading its client because the bytes held for the connect piled up
    // waits for a bytesWritten, which does not come when the kernel took them all at once.
    onBytesWritten();
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
        const qint64 received = m_io->read(m_scratch, m_scratchSize);
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
            if (m_stream != nullptr && m_stream->endedByError())
                onBroken(m_stream->errorString().toUtf8());
            else
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
                [this, reason = m_tlsSocket->errorString().toUtf8()] {
                    fail(UpstreamError::Connect, reason);
                },
                Qt::QueuedConnection);
        }
        return;
    }
    if (error == QAbstractSocket::RemoteHostClosedError) {
        onDisconnected();
        return;
    }
    const QByteArray reason = m_tlsSocket->errorString().toUtf8();
    if (m_everConnected || m_handler == nullptr) {
        onBroken(reason);
        return;
    }
    // Before the connection is ready, a TLS error is the handshake's: a certificate that did not verify,
    // or a backend that does not speak TLS.
    const bool duringHandshake = m_tlsSocket->state() == QAbstractSocket::ConnectedState;
    const bool tlsFailure = duringHandshake || error == QAbstractSocket::SslHandshakeFailedError;
    fail(UpstreamError::Connect, tlsFailure ? QByteArray("TLS handshake failed: " + reason) : reason);
}

void UpstreamConnection::onStreamEnded()
{
    if (m_endHandled || m_failed)
        return; // a read already found the end
    const QByteArray reason = m_stream->errorString().toUtf8();
    if (!m_everConnected)
        fail(UpstreamError::Connect, reason);
    else if (m_stream->endedByError())
        onBroken(reason);
    else
        onDisconnected();
}

void UpstreamConnection::onBroken(const QByteArray &reason)
{
    m_endHandled = true;
    if (m_handler == nullptr) {
        Q_EMIT closedWhileIdle(this);
        return;
    }
    fail(UpstreamError::Reset, reason);
}

void UpstreamConnection::onDisconnected()
{
    if (m_failed || std::exchange(m_endHandled, true))
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
