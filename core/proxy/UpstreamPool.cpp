// SPDX-License-Identifier: GPL-3.0-or-later
#include "UpstreamPool.h"

namespace fulcrum {

UpstreamPool::UpstreamPool(int maxIdlePerBackend, QObject *parent)
    : QObject(parent), m_maxIdlePerBackend(maxIdlePerBackend)
{}

UpstreamPool::~UpstreamPool()
{
    clear();
}

UpstreamConnection *UpstreamPool::take(const Backend &backend, bool verifyOpen, const QByteArray &proxyHeader)
{
    auto it = m_idle.find(backend.runtime.get());
    if (it == m_idle.end())
        return nullptr;
    QList<UpstreamConnection *> &parked = it.value();
    for (qsizetype i = parked.size() - 1; i >= 0; --i) {
        UpstreamConnection *connection = parked.at(i);
        if (connection->proxyHeader() != proxyHeader)
            continue; // another client's
        parked.removeAt(i);
        if (connection->isReusable() && connection->address() == backend.address &&
            connection->port() == backend.config.port && !(verifyOpen && connection->peerHasClosed()))
            return connection;
        connection->close();
    }
    return nullptr;
}

UpstreamConnection *UpstreamPool::open(const Backend &backend, const QByteArray &proxyHeader, char *scratch,
                                       qsizetype scratchSize)
{
    auto *connection = new UpstreamConnection(backend, proxyHeader, scratch, scratchSize, parent());
    connect(connection, &UpstreamConnection::closedWhileIdle, this, &UpstreamPool::forget);
    connection->connectToBackend();
    return connection;
}

void UpstreamPool::release(UpstreamConnection *connection, qint64 nowMs)
{
    connection->detach();
    QList<UpstreamConnection *> &parked = m_idle[connection->runtime()];
    if (!connection->isReusable() || parked.size() >= m_maxIdlePerBackend) {
        connection->close();
        return;
    }
    connection->setIdleSince(nowMs);
    parked.append(connection);
}

bool UpstreamPool::hasIdle(const Backend &backend) const
{
    // A parked send_proxy connection serves its own client only, so it promises nothing to the next
    // request: the circuit breaker counts on a new connection.
    if (backend.config.transport.sendProxy != SendProxy::Off)
        return false;
    const auto it = m_idle.constFind(backend.runtime.get());
    return it != m_idle.cend() && !it.value().isEmpty();
}

void UpstreamPool::forget(UpstreamConnection *connection)
{
    auto it = m_idle.find(connection->runtime());
    if (it != m_idle.end())
        it.value().removeOne(connection);
    connection->close();
}

void UpstreamPool::expireIdle(qint64 nowMs, qint64 idleTimeoutMs)
{
    for (QList<UpstreamConnection *> &parked : m_idle) {
        // Oldest first: the list is ordered by release time.
        while (!parked.isEmpty() && nowMs - parked.first()->idleSinceMs() >= idleTimeoutMs)
            parked.takeFirst()->close();
    }
}

void UpstreamPool::retainOnly(const PoolTables &tables)
{
    QHash<const BackendRuntime *, const Backend *> byRuntime;
    for (const PoolTable &pool : tables) {
        for (const Backend &backend : pool.table->backends())
            byRuntime.insert(backend.runtime.get(), &backend);
    }
    for (auto it = m_idle.begin(); it != m_idle.end();) {
        const Backend *current = byRuntime.value(it.key());
        QList<UpstreamConnection *> &parked = it.value();
        for (qsizetype i = parked.size() - 1; i >= 0; --i) {
            UpstreamConnection *connection = parked.at(i);
            if (current == nullptr || connection->address() != current->address ||
                connection->port() != current->config.port ||
                !connection->matchesTransport(current->config)) {
                parked.removeAt(i);
                connection->close();
            }
        }
        it = parked.isEmpty() ? m_idle.erase(it) : std::next(it);
    }
}

void UpstreamPool::clear()
{
    for (QList<UpstreamConnection *> &parked : m_idle) {
        for (UpstreamConnection *connection : parked)
            connection->close();
    }
    m_idle.clear();
}

qsizetype UpstreamPool::idleCount() const
{
    qsizetype count = 0;
    for (const QList<UpstreamConnection *> &parked : m_idle)
        count += parked.size();
    return count;
}

} // namespace fulcrum
