// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QTcpServer>

#include <memory>
#include <optional>

namespace fulcrum::test {

// What one connection to a TransportBackend began with.
struct TransportConnection
{
    QByteArray proxyHeader;             // the PROXY header's bytes as received; empty: none expected
    std::optional<QHostAddress> source; // the client the header named; nothing for LOCAL / UNKNOWN
    quint16 sourcePort = 0;
    QByteArray serverName;            // the SNI the TLS client asked for; empty: none
    bool encrypted = false;           // the TLS handshake completed
    QList<QByteArray> requestLines;   // "GET /path HTTP/1.1" of each request, in order
    qint64 largeBodyBytesWritten = 0; // of a /large response: handed to the socket so far
};

// A small HTTP/1.1 backend on 127.0.0.1 for how connections to backends start: it can expect a PROXY
// protocol header first (v1 or v2, read with the proxy's own parser) and then speak TLS with the given
// certificate, recording the server name the client asked for (read from the ClientHello before the
// handshake, which Qt does not report on the server side). Each request without a body is answered with
// "ok" and kept alive; a request for /health is answered with healthStatus, and one for /large with
// largeBodySize bytes, written only as fast as the connection takes them (so the sender feels
// back-pressure the way a real server would).
//
// It runs on the thread that creates it: the tests' clients wait in local event loops, which serve it.
class TransportBackend final : public QTcpServer
{
    Q_OBJECT
public:
    explicit TransportBackend(QObject *parent = nullptr);
    ~TransportBackend() override;

    void setExpectProxyHeader(bool expect) { m_expectProxyHeader = expect; }
    // TLS with this certificate and key; without it, plain HTTP.
    void setTls(const QSslCertificate &certificate, const QSslKey &key);
    void setHealthStatus(int status) { m_healthStatus = status; }
    void setLargeBodySize(qint64 size) { m_largeBodySize = size; }
    // On an ephemeral port of address (as what "localhost" resolves to, for URLs that name it).
    bool start(const QHostAddress &address = QHostAddress(QHostAddress::LocalHost));

    const QList<TransportConnection> &connections() const { return m_connections; }
    int requestCount() const;
    // TLS handshakes that failed (an untrusted certificate is refused by the client).
    int failedHandshakes() const { return m_failedHandshakes; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    class Session;
    void finishSession(Session *session);

    bool m_expectProxyHeader = false;
    bool m_tls = false;
    QSslCertificate m_certificate;
    QSslKey m_key;
    int m_healthStatus = 200;
    qint64 m_largeBodySize = 0;
    int m_failedHandshakes = 0;
    QList<TransportConnection> m_connections;
    QList<Session *> m_sessions;
};

// The server name in a TLS ClientHello (the SNI extension); empty when there is none. Nothing while
// clientHello holds less than the whole first record.
std::optional<QByteArray> serverNameOf(const QByteArray &clientHello);

} // namespace fulcrum::test
