// SPDX-License-Identifier: GPL-3.0-or-later
#include "TransportBackend.h"

#include "http/ProxyProtocol.h"

#include <QSocketNotifier>
#include <QSslSocket>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum::test {

namespace {
constexpr qsizetype kPeekBytes = 16 * 1024;
constexpr quint8 kHandshakeRecord = 0x16;
constexpr quint8 kClientHello = 0x01;
constexpr quint16 kServerNameExtension = 0x0000;
constexpr quint8 kHostNameType = 0x00;
// A /large body is written in chunks while less than this waits in the socket.
constexpr qint64 kLargeChunkBytes = 64 * 1024;
constexpr qint64 kLargeQueueBytes = 256 * 1024;

// Reads big-endian fields off the front of a byte range, failing (and staying failed) past its end.
class Cursor
{
public:
    explicit Cursor(QByteArrayView bytes) : m_bytes(bytes) {}
    bool ok() const { return m_ok; }
    quint32 number(qsizetype width)
    {
        if (!take(width))
            return 0;
        quint32 value = 0;
        for (qsizetype i = 0; i < width; ++i)
            value = value << 8 | static_cast<quint8>(m_bytes.at(m_at - width + i));
        return value;
    }
    QByteArrayView bytes(qsizetype length)
    {
        return take(length) ? m_bytes.sliced(m_at - length, length) : QByteArrayView();
    }
    void skip(qsizetype length) { take(length); }

private:
    bool take(qsizetype length)
    {
        m_ok = m_ok && length >= 0 && m_at + length <= m_bytes.size();
        if (m_ok)
            m_at += length;
        return m_ok;
    }
    QByteArrayView m_bytes;
    qsizetype m_at = 0;
    bool m_ok = true;
};
} // namespace

std::optional<QByteArray> serverNameOf(const QByteArray &clientHello)
{
    Cursor record(clientHello);
    if (record.number(1) != kHandshakeRecord)
        return QByteArray(); // not TLS at all: nothing to wait for
    record.skip(2);
    const QByteArrayView body = record.bytes(record.number(2));
    if (!record.ok())
        return std::nullopt;
    Cursor hello(body);
    if (hello.number(1) != kClientHello)
        return QByteArray();
    hello.skip(3 + 2 + 32);      // length, client version, random
    hello.skip(hello.number(1)); // session id
    hello.skip(hello.number(2)); // cipher suites
    hello.skip(hello.number(1)); // compression methods
    Cursor extensions(hello.bytes(hello.number(2)));
    while (hello.ok() && extensions.ok()) {
        const quint32 type = extensions.number(2);
        const QByteArrayView data = extensions.bytes(extensions.number(2));
        if (!extensions.ok() || type != kServerNameExtension)
            continue;
        Cursor names(data);
        Cursor list(names.bytes(names.number(2)));
        while (list.ok()) {
            const quint32 nameType = list.number(1);
            const QByteArrayView name = list.bytes(list.number(2));
            if (list.ok() && nameType == kHostNameType)
                return name.toByteArray();
        }
    }
    return QByteArray();
}

// One accepted connection: first read raw from the descriptor (the PROXY header taken, the ClientHello
// only peeked at), then handed to a socket that serves HTTP over it.
class TransportBackend::Session final : public QObject
{
public:
    Session(TransportBackend &server, qintptr descriptor, qsizetype recordIndex)
        : QObject(&server), m_server(server), m_descriptor(descriptor), m_record(recordIndex),
          m_notifier(descriptor, QSocketNotifier::Read)
    {
        connect(&m_notifier, &QSocketNotifier::activated, this, &Session::readPrelude);
        readPrelude();
    }

private:
    TransportConnection &record() { return m_server.m_connections[m_record]; }

    void readPrelude()
    {
        if (m_socket != nullptr)
            return;
        QByteArray peeked(kPeekBytes, Qt::Uninitialized);
        const ssize_t received =
            ::recv(static_cast<int>(m_descriptor), peeked.data(), peeked.size(), MSG_PEEK | MSG_DONTWAIT);
        if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        peeked.truncate(std::max<ssize_t>(received, 0));
        if (m_server.m_expectProxyHeader && !m_proxyHeaderRead) {
            ProxyHeaderParser parser;
            const qsizetype used = parser.feed(peeked.constData(), peeked.size());
            if (parser.state() == ProxyHeaderParser::State::NeedMore && received > 0)
                return;
            record().proxyHeader = peeked.first(used);
            if (parser.state() != ProxyHeaderParser::State::Done) {
                finish();
                return;
            }
            ::recv(static_cast<int>(m_descriptor), peeked.data(), used, MSG_DONTWAIT); // consumed
            record().source = parser.source();
            record().sourcePort = parser.sourcePort();
            m_proxyHeaderRead = true;
            peeked.remove(0, used);
        }
        if (m_server.m_tls) {
            const std::optional<QByteArray> name = serverNameOf(peeked);
            if (!name && received > 0)
                return;
            record().serverName = name.value_or(QByteArray());
        }
        serve();
    }

    void serve()
    {
        m_notifier.setEnabled(false);
        if (m_server.m_tls) {
            auto *tls = new QSslSocket(this);
            tls->setSocketDescriptor(m_descriptor);
            tls->setLocalCertificate(m_server.m_certificate);
            tls->setPrivateKey(m_server.m_key);
            connect(tls, &QSslSocket::encrypted, this, [this] { record().encrypted = true; });
            tls->startServerEncryption();
            m_socket = tls;
        } else {
            m_socket = new QTcpSocket(this);
            m_socket->setSocketDescriptor(m_descriptor);
        }
        connect(m_socket, &QTcpSocket::readyRead, this, &Session::readRequests);
        connect(m_socket, &QTcpSocket::bytesWritten, this, &Session::writeLargeBody);
        if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
            connect(tls, &QSslSocket::encryptedBytesWritten, this, &Session::writeLargeBody);
        connect(m_socket, &QTcpSocket::disconnected, this, &Session::finish);
        connect(m_socket, &QTcpSocket::errorOccurred, this, &Session::finish);
    }

    void readRequests()
    {
        m_buffer += m_socket->readAll();
        for (qsizetype end = m_buffer.indexOf("\r\n\r\n"); end >= 0; end = m_buffer.indexOf("\r\n\r\n")) {
            const QByteArray head = m_buffer.first(end);
            m_buffer.remove(0, end + 4);
            const QByteArray line = head.first(head.indexOf("\r\n") < 0 ? head.size() : head.indexOf("\r\n"));
            record().requestLines.append(line);
            const QByteArray path = line.split(' ').value(1);
            if (path == "/large") {
                m_largeRemaining = m_server.m_largeBodySize;
                m_socket->write(QByteArray("HTTP/1.1 200 X\r\nContent-Length: " +
                                           QByteArray::number(m_largeRemaining) + "\r\n\r\n"));
                writeLargeBody();
                continue;
            }
            const int status = path == "/health" ? m_server.m_healthStatus : 200;
            m_socket->write(
                QByteArray("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: 2\r\n\r\nok"));
        }
    }

    qint64 unsentBytes() const
    {
        const auto *tls = qobject_cast<const QSslSocket *>(m_socket);
        return m_socket->bytesToWrite() + (tls != nullptr ? tls->encryptedBytesToWrite() : 0);
    }

    void writeLargeBody()
    {
        static const QByteArray chunk(kLargeChunkBytes, 'x');
        while (m_largeRemaining > 0 && unsentBytes() < kLargeQueueBytes) {
            const qint64 size = std::min(m_largeRemaining, kLargeChunkBytes);
            m_socket->write(chunk.constData(), size);
            m_largeRemaining -= size;
            record().largeBodyBytesWritten += size;
        }
    }

    void finish()
    {
        if (std::exchange(m_finished, true))
            return;
        if (m_server.m_tls && !record().encrypted && m_socket != nullptr)
            ++m_server.m_failedHandshakes;
        m_notifier.setEnabled(false);
        if (m_socket != nullptr) {
            m_socket->disconnect(this);
            m_socket->abort();
        } else {
            ::close(static_cast<int>(m_descriptor));
        }
        m_server.finishSession(this);
    }

    TransportBackend &m_server;
    qintptr m_descriptor;
    qsizetype m_record;
    QSocketNotifier m_notifier;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_buffer;
    qint64 m_largeRemaining = 0;
    bool m_proxyHeaderRead = false;
    bool m_finished = false;
};

TransportBackend::TransportBackend(QObject *parent) : QTcpServer(parent) {}

TransportBackend::~TransportBackend()
{
    close();
    qDeleteAll(m_sessions);
}

void TransportBackend::setTls(const QSslCertificate &certificate, const QSslKey &key)
{
    m_tls = true;
    m_certificate = certificate;
    m_key = key;
}

bool TransportBackend::start(const QHostAddress &address)
{
    return listen(address, 0);
}

int TransportBackend::requestCount() const
{
    int count = 0;
    for (const TransportConnection &connection : m_connections)
        count += static_cast<int>(connection.requestLines.size());
    return count;
}

void TransportBackend::incomingConnection(qintptr descriptor)
{
    m_connections.append(TransportConnection());
    m_sessions.append(new Session(*this, descriptor, m_connections.size() - 1));
}

void TransportBackend::finishSession(Session *session)
{
    m_sessions.removeOne(session);
    session->deleteLater();
}

} // namespace fulcrum::test
