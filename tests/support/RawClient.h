// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/HttpHeaders.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QList>
#include <QSslConfiguration>
#include <QString>
#include <QTcpSocket>

#include <memory>
#include <optional>
#include <utility>

namespace fulcrum::test {

// One HTTP response as it came off the wire, parsed independently of the proxy's own parser.
struct HttpResponse
{
    bool complete = false; // the whole message arrived, framing intact
    QString error;         // why it is not complete
    int versionMinor = -1;
    int status = 0;
    QByteArray reason;
    HttpHeaders headers;
    QByteArray head; // status line and header lines exactly as received, final CRLF included
    QByteArray body; // de-chunked
    bool chunked = false;
    QList<HttpResponse> interim; // 1xx responses received before this one

    QByteArray header(QByteArrayView name) const { return headers.value(name); }
    qsizetype headerCount(QByteArrayView name) const { return headers.count(name); }
    bool hasHeader(QByteArrayView name) const { return headers.contains(name); }
    // Readable summary for failure messages.
    QString describe() const;
};

// A plain TCP client for writing exact bytes to a server and reading exact responses back.
//
// Waits spin a local event loop (not QAbstractSocket::waitFor*), so the main thread keeps serving
// everything else while a test waits: a fulcrumd QProcess keeps having its stdout and stderr drained
// and cannot block on a full pipe.
class RawClient
{
public:
    static constexpr int kDefaultTimeoutMs = 10'000;

    RawClient();
    ~RawClient();
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool connectTo(quint16 port, int timeoutMs = kDefaultTimeoutMs);
    // Connections after this come from source (another loopback address, say) instead of 127.0.0.1.
    void setSourceAddress(const QHostAddress &source) { m_source = source; }
    // Connections after this speak TLS with config (its CA certificates trusted), sending peerName as the
    // server name and verifying the certificate for it; connectTo() returns once the handshake is done.
    void useTls(const QSslConfiguration &config, const QString &peerName);
    // The current connection's TLS state: certificate, protocol, ALPN. Null on a plain connection.
    const QSslSocket *tlsSocket() const;
    bool isConnected() const;
    // Writes the bytes and waits until the kernel has taken all of them.
    bool send(QByteArrayView bytes, int timeoutMs = kDefaultTimeoutMs);
    // Reads the next message, an interim (1xx) one included. headRequest: it answers a HEAD.
    HttpResponse readMessage(bool headRequest = false, int timeoutMs = kDefaultTimeoutMs);
    // Reads the next final response; interim responses before it land in its `interim` list.
    HttpResponse readResponse(bool headRequest = false, int timeoutMs = kDefaultTimeoutMs);
    // send() then readResponse().
    HttpResponse request(QByteArrayView bytes, bool headRequest = false, int timeoutMs = kDefaultTimeoutMs);
    // Reads until the peer closes the connection; returns the bytes that arrived (leftovers included)
    // and sets *closed to whether the close happened within the time.
    QByteArray readUntilClosed(bool *closed, int timeoutMs = kDefaultTimeoutMs);
    // Waits at most timeoutMs for any byte or for the close; true when nothing happened.
    bool staysSilent(int timeoutMs);
    bool peerClosed() const { return m_peerClosed; }
    QByteArray pendingBytes() const { return m_buffer.mid(m_offset); }
    void close();
    QString errorString() const { return m_error; }

    // "METHOD TARGET HTTP/1.1" with Host: localhost unless headers contain a Host, Content-Length
    // for a non-empty body.
    static QByteArray buildRequest(QByteArrayView method, QByteArrayView target,
                                   const QList<std::pair<QByteArray, QByteArray>> &headers = {},
                                   QByteArrayView body = {});
    static QByteArray get(QByteArrayView target,
                          const QList<std::pair<QByteArray, QByteArray>> &headers = {});

private:
    bool waitForMore(const QDeadlineTimer &deadline);
    void waitForEvent(qint64 timeoutMs);
    void pull();
    void compact();

    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_buffer;
    qsizetype m_offset = 0; // bytes of m_buffer already handed out
    bool m_peerClosed = false;
    QHostAddress m_source; // null: the kernel's choice
    std::optional<QSslConfiguration> m_tls;
    QString m_peerName;
    QString m_error;
};

// Connects, sends, reads one response and closes: for tests that need a single exchange.
HttpResponse fetch(quint16 port, QByteArrayView request, bool headRequest = false,
                   int timeoutMs = RawClient::kDefaultTimeoutMs);

} // namespace fulcrum::test
