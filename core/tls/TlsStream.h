// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>

#include <memory>

struct ssl_st;
struct bio_st;

namespace fulcrum {

class TlsContextSet;

// The server side of one TLS connection, between the socket's bytes and the HTTP bytes: what the client
// sent is fed in and read out decrypted, what goes to the client is encrypted and taken out to be written.
// It never touches the socket itself, so the connection keeps its one way of reading and writing, its
// back-pressure and its deadlines, whether TLS is there or not.
class TlsStream
{
public:
    explicit TlsStream(std::shared_ptr<const TlsContextSet> contexts);
    ~TlsStream();
    TlsStream(const TlsStream &) = delete;
    TlsStream &operator=(const TlsStream &) = delete;

    // Bytes received from the client.
    void feed(const char *data, qsizetype length);
    // Decrypted bytes into buffer: their count; 0 when more bytes must be fed first (or the client sent
    // its close_notify); -1 when the connection failed (see failure()).
    qsizetype read(char *buffer, qsizetype capacity);
    // Encrypts bytes for the client; false when they cannot be sent (no finished handshake, or failed).
    bool write(const char *data, qsizetype length);
    // The close_notify alert: the client learns that the response ended where it did.
    void close();
    // What has to be written to the client (handshake messages, records, alerts), taken out.
    QByteArray takeOutgoing();

    bool isEstablished() const;
    bool peerClosed() const { return m_peerClosed; }
    const QByteArray &failure() const { return m_failure; }

private:
    void fail();

    std::shared_ptr<const TlsContextSet> m_contexts; // keeps the SNI callback's set alive
    ssl_st *m_ssl;
    bio_st *m_incoming; // owned by m_ssl
    bio_st *m_outgoing; // owned by m_ssl
    QByteArray m_failure;
    bool m_peerClosed = false;
    bool m_failed = false;
    bool m_closed = false;
};

} // namespace fulcrum
