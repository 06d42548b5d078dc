// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/Counters.h"

#include <QAbstractSocket>
#include <QByteArray>
#include <QObject>

#include <functional>

namespace fulcrum {

class StreamSocket;
class TlsStream;
class Worker;

// A client connection and a backend connection that left HTTP together (a backend's 101 to an
// Upgrade request), relayed byte for byte in both directions from then on.
//
// A side is no longer read while the other has more than a high-water mark unsent, and is read again
// under a low-water mark. Qt ends a socket in both directions once it reads the peer's FIN, so an end
// on one side (FIN or reset) cannot be answered by that side any more: what it sent before is
// delivered, the other side gets a FIN once everything for it is written, and the tunnel closes when
// that side ends too, or after a short linger without traffic. A tunnel with no traffic at all for
// timeouts.tunnel_idle_ms is closed.
class Tunnel final : public QObject
{
public:
    // onClosed runs once, when the tunnel is over; both sockets are left to the caller, not read any
    // more. clientTls: the client connection's TLS (null on a plain listener), which the client's bytes
    // go through both ways; it stays the caller's. backendCounters: the backend's counter slot of this
    // worker, for the bytes relayed.
    Tunnel(Worker &worker, StreamSocket &client, TlsStream *clientTls, QIODevice &backend,
           BackendCounterSlot *backendCounters, std::function<void()> onClosed);
    ~Tunnel() override;

    // fromClient, fromBackend: bytes already read past the HTTP heads (a client's early frames, what
    // the backend sent right behind its 101); they are relayed before anything else.
    void start(const QByteArray &fromClient, const QByteArray &fromBackend);
    // Called by the worker's sweep: closes the tunnel when its idle time or linger is over.
    void checkDeadline(qint64 nowMs);

    qint64 bytesFromClient() const { return m_client.relayed; }
    qint64 bytesToClient() const { return m_backend.relayed; }
    // Why the tunnel closed, for the access log.
    const QByteArray &endReason() const { return m_endReason; }

private:
    struct Side
    {
        // s: a StreamSocket or a QAbstractSocket.
        Side(QIODevice &s, TlsStream *t, QByteArray n);

        QIODevice *socket;
        StreamSocket *stream;      // socket, when it is a StreamSocket
        QAbstractSocket *qtSocket; // socket, when it is a Qt socket (buffered until flushed)
        qintptr descriptor;
        TlsStream *tls; // null: the socket's bytes are the tunnel's
        QByteArray name;
        qint64 relayed = 0;     // bytes read from this side and written to the other
        bool paused = false;    // the other side has too much unsent
        bool ended = false;     // the peer closed or the connection broke: no reading or writing any more
        bool writeShut = false; // a FIN went to the peer
        bool closeNotifySent = false;
    };

    Side &other(Side &side) { return &side == &m_client ? m_backend : m_client; }
    void watch(Side &side);
    // Qt sockets keep what is written until flushed; the client's StreamSocket sends at once.
    static void flush(Side &side);
    void relayFrom(Side &from);
    // The side's next bytes, decrypted on a TLS side: their count, 0 for none now, -1 when it broke.
    qint64 readFrom(Side &from, char *buffer, qint64 capacity);
    void writeTo(Side &to, const char *data, qint64 length);
    void relay(Side &from, const char *data, qsizetype length);
    void onWritten(Side &to);
    void onEnded(Side &side);
    void shutWrite(Side &side);
    void close(const QByteArray &reason);
    void touch();

    Worker &m_worker;
    Side m_client;
    Side m_backend;
    BackendCounterSlot *m_backendCounters;
    std::function<void()> m_onClosed;
    QByteArray m_endReason;
    qint64 m_idleTimeoutMs;
    qint64 m_lastActivityMs = 0;
    bool m_closed = false;
};

} // namespace fulcrum
