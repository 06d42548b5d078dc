// SPDX-License-Identifier: GPL-3.0-or-later
#include "Tunnel.h"

#include "net/StreamSocket.h"
#include "proxy/Worker.h"
#include "tls/TlsSocketIo.h"
#include "tls/TlsStream.h"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace fulcrum {

namespace {
// Above this many unsent bytes on one side, the other side is no longer read (back-pressure).
constexpr qint64 kHighWater = 256 * 1024;
constexpr qint64 kLowWater = 64 * 1024;
// Once one side has ended, how long the other may stay silent before the tunnel closes anyway: long
// enough for a close handshake to finish, short enough not to keep a dead tunnel for the idle timeout.
constexpr qint64 kLingerMs = 2000;

// An unbuffered socket can report its peer's FIN as a readable event whose read yields nothing: only
// the kernel can tell that apart from a spurious wake-up.
bool peerHasClosed(qintptr descriptor)
{
    char byte = 0;
    const ssize_t peeked = ::recv(static_cast<int>(descriptor), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
} // namespace

Tunnel::Side::Side(QIODevice &s, TlsStream *t, QByteArray n)
    : socket(&s), stream(qobject_cast<StreamSocket *>(&s)), qtSocket(qobject_cast<QAbstractSocket *>(&s)),
      descriptor(stream != nullptr ? stream->descriptor() : qtSocket->socketDescriptor()), tls(t),
      name(std::move(n))
{}

Tunnel::Tunnel(Worker &worker, StreamSocket &client, TlsStream *clientTls, QIODevice &backend,
               BackendCounterSlot *backendCounters, std::function<void()> onClosed)
    : m_worker(worker), m_client(client, clientTls, "client"), m_backend(backend, nullptr, "backend"),
      m_backendCounters(backendCounters), m_onClosed(std::move(onClosed)),
      m_idleTimeoutMs(worker.config().timeouts.tunnelIdleMs)
{
    watch(m_client);
    watch(m_backend);
    m_worker.listenerCounters().tunnels.add();
    m_worker.listenerCounters().openTunnels.change(1);
    touch();
}

Tunnel::~Tunnel()
{
    if (m_closed)
        return;
    // Torn down with its connection (a drain that timed out, the worker stopping): no one is told.
    m_client.socket->disconnect(this);
    m_backend.socket->disconnect(this);
    m_worker.listenerCounters().openTunnels.change(-1);
}

void Tunnel::watch(Side &side)
{
    Side *watched = &side;
    connect(side.socket, &QIODevice::readyRead, this, [this, watched] { relayFrom(*watched); });
    connect(side.socket, &QIODevice::bytesWritten, this, [this, watched] { onWritten(*watched); });
    if (side.stream != nullptr) {
        // A StreamSocket tells of a FIN, a reset and a failed write alike; what it sent before still
        // goes through.
        connect(side.stream, &StreamSocket::disconnected, this, [this, watched] { onEnded(*watched); });
        return;
    }
    connect(side.qtSocket, &QAbstractSocket::disconnected, this, [this, watched] { onEnded(*watched); });
    connect(side.qtSocket, &QAbstractSocket::errorOccurred, this,
            [this, watched](QAbstractSocket::SocketError error) {
                // A FIN (or a reset while reading) ends the side like a close; anything else breaks the
                // tunnel at once.
                if (error == QAbstractSocket::RemoteHostClosedError)
                    onEnded(*watched);
                else
                    close(watched->name + " connection broke: " + watched->socket->errorString().toUtf8());
            });
}

void Tunnel::flush(Side &side)
{
    if (side.qtSocket != nullptr)
        side.qtSocket->flush();
}

void Tunnel::start(const QByteArray &fromClient, const QByteArray &fromBackend)
{
    relay(m_client, fromClient.constData(), fromClient.size());
    relay(m_backend, fromBackend.constData(), fromBackend.size());
    flush(m_client);
    flush(m_backend);
    // Either socket may already hold bytes that arrived before the tunnel listened, and an unbuffered
    // one tells of them no more until it is read.
    QMetaObject::invokeMethod(
        this,
        [this] {
            relayFrom(m_client);
            relayFrom(m_backend);
        },
        Qt::QueuedConnection);
}

void Tunnel::relayFrom(Side &from)
{
    if (m_closed || from.ended || from.paused)
        return;
    char *scratch = m_worker.scratch();
    bool readAny = false;
    while (!m_closed && !from.paused) {
        const qint64 received = readFrom(from, scratch, m_worker.scratchSize());
        if (received == 0 && (readAny || !peerHasClosed(from.descriptor)))
            break;
        if (received <= 0) {
            onEnded(from);
            return;
        }
        readAny = true;
        relay(from, scratch, received);
    }
    Side &to = other(from);
    if (!m_closed && !to.ended)
        flush(to);
}

qint64 Tunnel::readFrom(Side &from, char *buffer, qint64 capacity)
{
    qint64 fromSocket = 0;
    qint64 received = 0;
    if (from.tls == nullptr) {
        received = from.socket->read(buffer, capacity);
        fromSocket = std::max<qint64>(received, 0);
    } else {
        received = readDecrypted(*from.tls, *from.socket, buffer, capacity, &fromSocket);
    }
    if (&from == &m_client && fromSocket > 0)
        m_worker.listenerCounters().bytesFromClients.add(static_cast<quint64>(fromSocket));
    return received;
}

void Tunnel::writeTo(Side &to, const char *data, qint64 length)
{
    if (to.tls == nullptr)
        to.socket->write(data, length);
    else
        writeEncrypted(*to.tls, *to.socket, data, length);
}

void Tunnel::relay(Side &from, const char *data, qsizetype length)
{
    Side &to = other(from);
    if (length == 0 || to.ended)
        return; // nothing, or nowhere to go: an ended side's socket is closed
    touch();
    from.relayed += length;
    const auto bytes = static_cast<quint64>(length);
    ListenerCounterSlot &listener = m_worker.listenerCounters();
    if (&from == &m_client) {
        listener.tunnelBytesFromClients.add(bytes);
        if (m_backendCounters != nullptr)
            m_backendCounters->bytesFromClient.add(bytes);
    } else {
        listener.bytesToClients.add(bytes);
        listener.tunnelBytesToClients.add(bytes);
        if (m_backendCounters != nullptr)
            m_backendCounters->bytesToClient.add(bytes);
    }
    writeTo(to, data, length);
    if (to.socket->bytesToWrite() > kHighWater)
        from.paused = true;
}

void Tunnel::onWritten(Side &to)
{
    if (m_closed)
        return;
    touch();
    Side &from = other(to);
    const qint64 pending = to.socket->bytesToWrite();
    if (from.paused && pending < kLowWater) {
        from.paused = false;
        // Not from here: a flush inside the relay emits bytesWritten, and this would recurse into it.
        QMetaObject::invokeMethod(
            this, [this, &from] { relayFrom(from); }, Qt::QueuedConnection);
    }
    if (from.ended && pending == 0)
        shutWrite(to);
}

void Tunnel::onEnded(Side &side)
{
    if (m_closed || side.ended)
        return;
    // What the socket buffered before its end was sent before it: it still goes, back-pressure or not
    // (the socket's read buffer bounds it).
    char *scratch = m_worker.scratch();
    for (qint64 received; (received = readFrom(side, scratch, m_worker.scratchSize())) > 0;)
        relay(side, scratch, received);
    side.ended = true;
    Side &to = other(side);
    if (to.ended) {
        close(m_endReason);
        return;
    }
    m_endReason = side.name + " closed the tunnel";
    touch(); // the linger starts now
    flush(to);
    if (to.socket->bytesToWrite() == 0)
        shutWrite(to);
}

void Tunnel::shutWrite(Side &side)
{
    if (side.writeShut || side.ended)
        return;
    if (side.tls != nullptr && !side.closeNotifySent) {
        side.closeNotifySent = true;
        side.tls->close();
        writeTlsOutput(*side.tls, *side.socket);
        flush(side);
        // The alert goes before the FIN: once it is written, onWritten comes back here.
        if (side.socket->bytesToWrite() > 0)
            return;
    }
    side.writeShut = true;
    ::shutdown(static_cast<int>(side.descriptor), SHUT_WR);
}

void Tunnel::checkDeadline(qint64 nowMs)
{
    if (m_closed)
        return;
    const bool lingering = m_client.ended || m_backend.ended;
    if (nowMs - m_lastActivityMs < (lingering ? kLingerMs : m_idleTimeoutMs))
        return;
    close(lingering ? m_endReason : QByteArray("tunnel idle for timeouts.tunnel_idle_ms"));
}

void Tunnel::close(const QByteArray &reason)
{
    if (m_closed)
        return;
    m_closed = true;
    m_endReason = reason;
    m_client.socket->disconnect(this);
    m_backend.socket->disconnect(this);
    m_worker.listenerCounters().openTunnels.change(-1);
    m_onClosed();
}

void Tunnel::touch()
{
    m_lastActivityMs = m_worker.nowMs();
}

} // namespace fulcrum
