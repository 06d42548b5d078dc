// SPDX-License-Identifier: GPL-3.0-or-later
#include "StreamSocket.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum {

namespace {
// Kept bytes are moved to the front once this much of the buffer is already written, so a connection
// that never quite drains does not keep a growing prefix of sent bytes.
constexpr qsizetype kCompactAfter = 64 * 1024;

bool isTransient(int error)
{
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

quint16 portOf(const sockaddr_storage &address)
{
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in &>(address).sin_port);
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 &>(address).sin6_port);
    return 0;
}

template <typename AddressQuery>
bool querySocketAddress(qintptr descriptor, AddressQuery query, sockaddr_storage &address)
{
    socklen_t length = sizeof(address);
    return descriptor >= 0 &&
           query(static_cast<int>(descriptor), reinterpret_cast<sockaddr *>(&address), &length) == 0;
}
} // namespace

StreamSocket::StreamSocket(qintptr descriptor, QObject *parent) : StreamSocket(parent)
{
    adopt(descriptor);
    m_readNotifier.setEnabled(true);
}

StreamSocket::StreamSocket(QObject *parent)
    : QIODevice(parent), m_readNotifier(QSocketNotifier::Read, this),
      m_writeNotifier(QSocketNotifier::Write, this)
{
    connect(&m_readNotifier, &QSocketNotifier::activated, this, &StreamSocket::onReadable);
    connect(&m_writeNotifier, &QSocketNotifier::activated, this, &StreamSocket::onWritable);
    QIODevice::open(QIODevice::ReadWrite | QIODevice::Unbuffered);
}

void StreamSocket::adopt(qintptr descriptor)
{
    m_descriptor = descriptor;
    // Both stay disabled until asked for: the read notifier once connected, the write notifier
    // while something is kept for later (or a connect is under way).
    m_readNotifier.setSocket(descriptor);
    m_writeNotifier.setSocket(descriptor);
    const int one = 1;
    ::setsockopt(static_cast<int>(descriptor), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void StreamSocket::connectTo(const QHostAddress &address, quint16 port)
{
    sockaddr_storage target{};
    socklen_t length = 0;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto &v6 = reinterpret_cast<sockaddr_in6 &>(target);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&v6.sin6_addr, bytes.c, sizeof(bytes.c));
        v6.sin6_scope_id = address.scopeId().toUInt();
        length = sizeof(v6);
    } else {
        auto &v4 = reinterpret_cast<sockaddr_in &>(target);
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        v4.sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(v4);
    }
    const int descriptor = ::socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (descriptor < 0) {
        fail(errno);
        return;
    }
    adopt(descriptor);
    if (::connect(descriptor, reinterpret_cast<const sockaddr *>(&target), length) == 0) {
        // Loopback can connect at once; connected() still comes from the event loop.
        QMetaObject::invokeMethod(this, &StreamSocket::finishConnecting, Qt::QueuedConnection);
        m_connecting = true;
        return;
    }
    if (errno != EINPROGRESS) {
        fail(errno);
        return;
    }
    m_connecting = true;
    m_writeNotifier.setEnabled(true); // writable once the connect is done, either way
}

void StreamSocket::finishConnecting()
{
    if (!m_connecting || hasEnded())
        return;
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(static_cast<int>(m_descriptor), SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        error = errno;
    if (error != 0) {
        fail(error);
        emitDisconnected();
        return;
    }
    m_connecting = false;
    m_readNotifier.setEnabled(true);
    m_writeNotifier.setEnabled(bytesToWrite() > 0);
    Q_EMIT connected();
}

StreamSocket::~StreamSocket()
{
    abort();
}

QHostAddress StreamSocket::peerAddress() const
{
    sockaddr_storage address{};
    return querySocketAddress(m_descriptor, ::getpeername, address)
               ? QHostAddress(reinterpret_cast<const sockaddr *>(&address))
               : QHostAddress();
}

quint16 StreamSocket::peerPort() const
{
    sockaddr_storage address{};
    return querySocketAddress(m_descriptor, ::getpeername, address) ? portOf(address) : 0;
}

QHostAddress StreamSocket::localAddress() const
{
    sockaddr_storage address{};
    return querySocketAddress(m_descriptor, ::getsockname, address)
               ? QHostAddress(reinterpret_cast<const sockaddr *>(&address))
               : QHostAddress();
}

quint16 StreamSocket::localPort() const
{
    sockaddr_storage address{};
    return querySocketAddress(m_descriptor, ::getsockname, address) ? portOf(address) : 0;
}

qint64 StreamSocket::readData(char *data, qint64 maxSize)
{
    if (hasEnded())
        return -1;
    if (m_connecting)
        return 0;
    m_readSinceNotified = true;
    if (!m_readNotifier.isEnabled())
        m_readNotifier.setEnabled(true); // reading again: tell of new bytes again
    // A short read emptied the kernel's buffer a moment ago: asking again costs a system call that
    // almost always finds nothing, and the level-triggered notifier tells of anything that came since.
    if (m_drained)
        return 0;
    while (true) {
        const ssize_t received =
            ::recv(static_cast<int>(m_descriptor), data, static_cast<size_t>(maxSize), 0);
        if (received > 0) {
            m_drained = received < maxSize;
            return received;
        }
        if (received == 0) {
            markEnded();
            return -1;
        }
        const int error = errno;
        if (error == EINTR)
            continue;
        if (isTransient(error)) {
            m_drained = true;
            return 0;
        }
        fail(error);
        return -1;
    }
}

qint64 StreamSocket::writeData(const char *data, qint64 maxSize)
{
    if (hasEnded())
        return -1;
    qint64 sent = 0;
    if (bytesToWrite() == 0 && !m_connecting) {
        while (sent < maxSize) {
            const ssize_t n = ::send(static_cast<int>(m_descriptor), data + sent,
                                     static_cast<size_t>(maxSize - sent), MSG_NOSIGNAL);
            if (n >= 0) {
                sent += n;
                continue;
            }
            const int error = errno;
            if (error == EINTR)
                continue;
            if (isTransient(error))
                break;
            fail(error);
            return -1;
        }
    }
    if (sent < maxSize) {
        m_pending.append(data + sent, static_cast<qsizetype>(maxSize - sent));
        if (!m_connecting)
            m_writeNotifier.setEnabled(true);
    }
    return maxSize;
}

void StreamSocket::onReadable()
{
    m_drained = false;
    m_readSinceNotified = false;
    m_inReadyRead = true;
    Q_EMIT readyRead();
    m_inReadyRead = false;
    if (m_descriptor < 0)
        return; // aborted by the owner
    if (m_ended) {
        emitDisconnected();
        return;
    }
    if (m_readSinceNotified)
        return;
    // The owner is not reading now (back-pressure, or a request still in the works). The bytes wait in
    // the kernel, and the notifier is quiet until the owner reads; but a peer that went away is noticed
    // now, as a buffered socket would.
    char byte = 0;
    const ssize_t peeked = ::recv(static_cast<int>(m_descriptor), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0) {
        m_readNotifier.setEnabled(false);
        return;
    }
    if (peeked < 0 && isTransient(errno))
        return;
    markEnded();
    emitDisconnected();
}

void StreamSocket::onWritable()
{
    if (m_connecting) {
        finishConnecting();
        return;
    }
    const qint64 before = bytesToWrite();
    writePending();
    if (m_descriptor < 0)
        return;
    if (m_ended) {
        emitDisconnected();
        return;
    }
    if (const qint64 written = before - bytesToWrite(); written > 0)
        Q_EMIT bytesWritten(written);
}

void StreamSocket::writePending()
{
    while (bytesToWrite() > 0) {
        const ssize_t n = ::send(static_cast<int>(m_descriptor), m_pending.constData() + m_pendingOffset,
                                 static_cast<size_t>(bytesToWrite()), MSG_NOSIGNAL);
        if (n >= 0) {
            m_pendingOffset += n;
            continue;
        }
        const int error = errno;
        if (error == EINTR)
            continue;
        if (!isTransient(error))
            fail(error);
        break;
    }
    if (bytesToWrite() == 0) {
        m_pending.clear();
        m_pendingOffset = 0;
        m_writeNotifier.setEnabled(false);
    } else if (m_pendingOffset >= kCompactAfter) {
        m_pending.remove(0, m_pendingOffset);
        m_pendingOffset = 0;
    }
}

void StreamSocket::shutdownWrite()
{
    if (m_descriptor >= 0)
        ::shutdown(static_cast<int>(m_descriptor), SHUT_WR);
}

qint64 StreamSocket::discardInput()
{
    char sink[16 * 1024];
    qint64 discarded = 0;
    m_drained = false;
    for (qint64 received; (received = read(sink, sizeof(sink))) > 0;)
        discarded += received;
    return discarded;
}

void StreamSocket::abort()
{
    m_aborted = true;
    if (m_descriptor < 0)
        return;
    m_readNotifier.setEnabled(false);
    m_writeNotifier.setEnabled(false);
    ::close(static_cast<int>(m_descriptor));
    m_descriptor = -1;
    m_pending.clear();
    m_pendingOffset = 0;
}

void StreamSocket::markEnded()
{
    if (m_ended)
        return;
    m_ended = true;
    m_readNotifier.setEnabled(false);
    m_writeNotifier.setEnabled(false);
    m_pending.clear();
    m_pendingOffset = 0;
    // Inside a readyRead the notification's own handler tells it once the owner has returned.
    if (!m_inReadyRead)
        QMetaObject::invokeMethod(this, &StreamSocket::emitDisconnected, Qt::QueuedConnection);
}

void StreamSocket::fail(int error)
{
    setErrorString(QString::fromLocal8Bit(std::strerror(error)));
    m_endedByError = true;
    markEnded();
}

void StreamSocket::emitDisconnected()
{
    if (m_disconnectedEmitted || m_aborted)
        return; // an owner that aborted needs no telling
    m_disconnectedEmitted = true;
    Q_EMIT disconnected();
}

} // namespace fulcrum
