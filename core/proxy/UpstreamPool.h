// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "UpstreamConnection.h"

#include <QHash>
#include <QObject>

namespace fulcrum {

// A worker's idle keep-alive connections to backends, most recently used first, capped per backend
// and expired after the idle timeout. Only its worker thread touches it.
class UpstreamPool final : public QObject
{
    Q_OBJECT
public:
    UpstreamPool(int maxIdlePerBackend, QObject *parent);
    ~UpstreamPool() override;

    // A parked connection to this backend's current address that began with proxyHeader, or nullptr.
    // With verifyOpen, each candidate is first checked for a close the event loop has not seen yet: for
    // requests whose body could not be replayed on a fresh connection. A PROXY header tells the backend
    // once who the client is, so a connection that sent one is only ever reused for a request whose
    // header would be the same bytes: the same client address and port (the same client connection, or
    // the same address when a trusted proxy forwarded it without a port) and the same listener address.
    UpstreamConnection *take(const Backend &backend, bool verifyOpen, const QByteArray &proxyHeader = {});
    // A new connection, owned by the pool's worker, that the pool will hear about when it breaks while
    // parked (connected once here rather than on every park, which showed up in profiles). Even a
    // connection that fails at once (no descriptor left) is returned, and its failure reaches the
    // handler attached to it from the event loop, never from inside this call.
    UpstreamConnection *open(const Backend &backend, const QByteArray &proxyHeader, char *scratch,
                             qsizetype scratchSize);
    // Parks a connection after a clean exchange, or closes it when the backend's share is full.
    void release(UpstreamConnection *connection, qint64 nowMs);
    // Whether a parked connection to this backend waits, so a request needs no new one (never for a
    // backend sent the PROXY protocol, whose parked connections each belong to one client).
    bool hasIdle(const Backend &backend) const;
    void expireIdle(qint64 nowMs, qint64 idleTimeoutMs);
    // Closes parked connections whose backend left the table, moved to another address or changed how
    // connections to it are set up (TLS settings, PROXY protocol).
    void retainOnly(const PoolTables &tables);
    void clear();
    qsizetype idleCount() const;

private:
    void forget(UpstreamConnection *connection);

    QHash<BackendRuntime *, QList<UpstreamConnection *>> m_idle;
    int m_maxIdlePerBackend;
};

} // namespace fulcrum
