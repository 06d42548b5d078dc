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

StreamSocket::StreamSocket(qintptr descriptor, QObject *parent)
    : QIODevice(parent), m_descriptor(descriptor), m_readNotifier(descriptor, QSocketNotifier::Read, this),
      m_writeNotifier(QSocketNotifier::Write, this)
{
    m_writeNotifier.setSocket(descriptor); // disabled until something is kept for later
    const int one = 1;
    ::setsockopt(static_cast<int>(descriptor), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connect(&m_readNotifier, &QSocketNotifier::activated, this, &StreamSocket::onReadable);
    connect(&m_writeNotifier, &QSocketNotifier::activated, this, &StreamSocket::onWritable);
    QIODevice::open(QIODevice::ReadWrite | QIODevice::Unbuffered);
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
        setErrorString(QString::fromLocal8Bit(std::strerror(error)));
        markEnded();
        return -1;
    }
}

qint64 StreamSocket::writeData(const char *data, qint64 maxSize)
{
    if (hasEnded())
        return -1;
    qint64 sent = 0;
    if (bytesToWrite() == 0) {
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
            setErrorString(QString::fromLocal8Bit(std::strerror(error)));
            markEnded();
            return -1;
        }
    }
    if (sent < maxSize) {
        m_pending.append(data + sent, static_cast<qsizetype>(maxSize - sent));
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
        if (!isTransient(error)) {
            setErrorString(QString::fromLocal8Bit(std::strerror(error)));
            markEnded();
        }
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

void StreamSocket::emitDisconnected()
{
    if (m_disconnectedEmitted || m_descriptor < 0)
        return;
    m_disconnectedEmitted = true;
    Q_EMIT disconnected();
}

} // namespace fulcrum
