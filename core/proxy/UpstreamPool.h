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

    // A parked connection to this backend's current address, or nullptr. With verifyOpen, each
    // candidate is first checked for a close the event loop has not seen yet: for requests whose
    // body could not be replayed on a fresh connection.
    UpstreamConnection *take(const Backend &backend, bool verifyOpen);
    // A new connection, owned by the pool's worker, that the pool will hear about when it breaks while
    // parked (connected once here rather than on every park, which showed up in profiles). Even a
    // connection that fails at once (no descriptor left) is returned, and its failure reaches the
    // handler attached to it from the event loop, never from inside this call.
    UpstreamConnection *open(const Backend &backend, char *scratch, qsizetype scratchSize);
    // Parks a connection after a clean exchange, or closes it when the backend's share is full.
    void release(UpstreamConnection *connection, qint64 nowMs);
    // Whether a parked connection to this backend waits, so a request needs no new one.
    bool hasIdle(const Backend &backend) const;
    void expireIdle(qint64 nowMs, qint64 idleTimeoutMs);
    // Closes parked connections whose backend left the table or moved to another address.
    void retainOnly(const PoolTables &tables);
    void clear();
    qsizetype idleCount() const;

private:
    void forget(UpstreamConnection *connection);

    QHash<BackendRuntime *, QList<UpstreamConnection *>> m_idle;
    int m_maxIdlePerBackend;
};

} // namespace fulcrum
