// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/HttpHeaders.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QThread>

#include <memory>
#include <utility>

namespace fulcrum::test {

// What a FakeBackend does with a request. Chosen per backend (setDefaultBehaviour) or per request
// path (setBehaviour); the path is the target without its query.
struct Behaviour
{
    enum class Kind
    {
        Fixed,        // status with body `body`, or "hello from NAME" when body is null
        Echo,         // the request body back, same length
        Large,        // `size` bytes of FakeBackend::pattern()
        CloseMidBody, // a head announcing `size` bytes, the first half of them, then close
        NeverRespond, // read the request and stay silent
        NoBody,       // `status` (204, 304, ...) without a body
        Raw,          // `body` written verbatim as the whole response, then the connection closed
        Drop,         // close the connection without a byte of response
        Reset,        // reset the connection (RST, not FIN) without a byte of response
    };

    Kind kind = Kind::Fixed;
    int status = 200;
    QByteArray body;         // Fixed only
    qint64 size = 0;         // Large, CloseMidBody
    bool chunked = false;    // response framing: chunked instead of Content-Length
    int delayMs = 0;         // wait this long after the request is complete before answering
    bool closeAfter = false; // send "Connection: close" and close once the response is written
    bool earlyHints = false; // send "103 Early Hints" before the final response
    QList<std::pair<QByteArray, QByteArray>> extraHeaders;

    static Behaviour fixed(QByteArray body = {}, int status = 200);
    static Behaviour echo(bool chunked = false);
    static Behaviour large(qint64 size, bool chunked = false);
    static Behaviour closeMidBody(qint64 size, bool chunked = false);
    static Behaviour neverRespond();
    static Behaviour noBody(int status);
    static Behaviour raw(QByteArray bytes);
    static Behaviour drop();
    static Behaviour reset();

    Behaviour withDelay(int ms) const;
    Behaviour withClose() const;
    Behaviour withEarlyHints() const;
    Behaviour withHeader(QByteArray name, QByteArray value) const;
};

// One request as the backend received it.
struct RecordedRequest
{
    int connection = 0; // 1-based number of the TCP connection it arrived on
    QByteArray method;
    QByteArray target;
    int versionMinor = 1;
    QByteArray host;
    HttpHeaders headers;
    bool chunked = false; // the body arrived chunked
    qint64 bodySize = 0;
    QByteArray bodySha256; // hex
    QByteArray body;       // the whole body when bodySize <= kKeptBodyBytes, else empty

    static constexpr qint64 kKeptBodyBytes = 1024 * 1024;

    QByteArray header(QByteArrayView name) const { return headers.value(name); }
    qsizetype headerCount(QByteArrayView name) const { return headers.count(name); }
    bool hasHeader(QByteArrayView name) const { return headers.contains(name); }
};

namespace detail {
struct BackendState;
class BackendServer;
} // namespace detail

// An HTTP/1.1 server on 127.0.0.1 (or another loopback address) with an ephemeral port, for tests that need a
// backend to proxy to.
//
// It runs on its own thread. Tests block the main thread in many ways (QTRY polling with sleeps,
// QProcess::waitForFinished, hashing megabytes of body); a backend sharing that thread would stall
// with it and hide or fake timing behaviour of the proxy. On its own thread it answers whenever the
// proxy talks to it, like a real server. Every accessor is thread-safe.
class FakeBackend
{
public:
    explicit FakeBackend(QString name = QStringLiteral("backend"));
    ~FakeBackend();
    FakeBackend(const FakeBackend &) = delete;
    FakeBackend &operator=(const FakeBackend &) = delete;

    // Listens on `port`, or on an ephemeral one when 0. After stop(), start(port()) brings the backend
    // back on the same port, as a restarted server would.
    bool start(quint16 port = 0);
    // Another loopback IPv4 address to listen on (127.0.0.1 by default), so that several backends can
    // share a port as the addresses of one DNS name do. Call before start().
    void setAddress(const QHostAddress &address) { m_address = address; }
    // Closes the listener and every open connection; the port is then refused. Until the next start()
    // the port stays bound (without listening), so that no other socket can take it: not another
    // server, and not a connection to it as its own ephemeral source port (a TCP self-connect would
    // "succeed" where the test expects a refusal).
    void stop();
    // Closes (FIN, not reset) every connection that is between requests, as a server's keep-alive
    // timeout would; returns how many it closed.
    int closeIdleConnections();
    bool isListening() const;

    QString name() const { return m_name; }
    quint16 port() const { return m_port; }
    QString url() const;
    // The value for fulcrumd's --backend flag: "URL,name=NAME[,weight=N]".
    QString backendFlag(int weight = -1) const;

    void setDefaultBehaviour(const Behaviour &behaviour);
    void setBehaviour(const QByteArray &path, const Behaviour &behaviour);
    // Requests for `path` take these behaviours in turn, starting over after the last one (the n-th
    // request from now gets sequence[n % size]); it takes precedence over setBehaviour for that path.
    // An empty sequence removes it.
    void setBehaviourSequence(const QByteArray &path, const QList<Behaviour> &sequence);

    QList<RecordedRequest> requests() const;
    RecordedRequest lastRequest() const;
    int requestCount() const;    // requests received completely
    int headCount() const;       // request heads received, complete or not
    int connectionCount() const; // TCP connections accepted since start
    int openConnectionCount() const;
    int parseErrorCount() const; // requests the backend could not parse (it answered 400)
    // Requests received completely for `path` (the target without its query).
    int requestCount(const QByteArray &path) const;
    // Responses this backend started to write for `path` with `status` (Raw, Drop and Reset write none).
    int responseCount(const QByteArray &path, int status) const;
    void clearRecords();

    // Deterministic bytes for large bodies: the same size always gives the same bytes, and no short
    // period, so a dropped, duplicated or reordered block changes the hash.
    static QByteArray pattern(qint64 size);
    static QByteArray sha256Hex(QByteArrayView data);

private:
    void shutdownServer();
    void reservePort();
    void releasePort();

    QString m_name;
    QHostAddress m_address{QHostAddress::LocalHost};
    quint16 m_port = 0;
    std::shared_ptr<detail::BackendState> m_state;
    QThread m_thread;
    detail::BackendServer *m_server = nullptr;
    int m_portReservation = -1; // while stopped: the socket that holds the port, bound, not listening
};

} // namespace fulcrum::test
