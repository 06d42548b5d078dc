// SPDX-License-Identifier: GPL-3.0-or-later
#include "Worker.h"

#include "proxy/ClientConnection.h"

#include <QLoggingCategory>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum {

Q_LOGGING_CATEGORY(lcWorker, "fulcrum.worker")

namespace {
// Accepting is bounded per wake-up so that a connection storm cannot starve established traffic.
constexpr int kAcceptsPerWakeup = 64;

int sweepIntervalMs(const Timeouts &timeouts)
{
    const int shortest = std::min({timeouts.clientHeaderMs, timeouts.clientIdleMs, timeouts.upstreamConnectMs,
                                   timeouts.upstreamResponseMs, timeouts.upstreamIdleMs});
    return std::clamp(shortest / 4, 10, 250);
}
} // namespace

Worker::Worker(int index, const ProxyConfig &config, std::vector<int> listenDescriptors,
               WorkerSlots<ListenerCounterSlot> &listenerCounters, int accessLogFd)
    : m_index(index), m_config(config), m_defaultPolicy(config.defaultPolicy()),
      m_listenDescriptors(std::move(listenDescriptors)), m_listenerCounters(listenerCounters),
      m_accessLog(config.accessLog ? accessLogFd : -1, config.logFormat), m_retryBudget(config.retries),
      m_scratch(std::make_unique<char[]>(kScratchSize))
{
    m_parserLimits.maxHeaderBytes = config.limits.maxHeaderBytes;
    m_parserLimits.maxRequestTargetBytes = config.limits.maxRequestTargetBytes;
    m_parserLimits.maxBodyBytes = config.limits.maxBodyBytes;
    m_clock.start();
}

Worker::~Worker()
{
    shutdown();
}

void Worker::start()
{
    m_pool = new UpstreamPool(m_config.limits.upstreamIdlePerBackend, this);
    for (const int fd : m_listenDescriptors) {
        auto notifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
        connect(notifier.get(), &QSocketNotifier::activated, this, [this, fd] { acceptPending(fd); });
        m_acceptNotifiers.push_back(std::move(notifier));
    }
    m_sweepTimer = new QTimer(this);
    connect(m_sweepTimer, &QTimer::timeout, this, &Worker::sweep);
    m_sweepTimer->start(sweepIntervalMs(m_config.timeouts));
}

void Worker::setRoutingTable(RoutingTablePtr routing)
{
    m_routing = std::move(routing);
    if (!m_routing)
        return;
    if (m_pool != nullptr)
        m_pool->retainOnly(m_routing->allTables());
    quint64 generation = 0;
    for (const PoolTable &pool : m_routing->allTables())
        generation = std::max(generation, pool.table->generation());
    m_backendGeneration.store(generation, std::memory_order_release);
}

void Worker::acceptPending(int listenDescriptor)
{
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
        const int fd = ::accept4(listenDescriptor, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                qCWarning(lcWorker, "worker %d: accept failed: %s", m_index, strerror(errno));
            return;
        }
        if (m_draining) {
            ::close(fd);
            continue;
        }
        auto *connection = new ClientConnection(*this, fd);
        m_connections.insert(connection);
        listenerCounters().connectionsAccepted.add();
        listenerCounters().openConnections.change(1);
    }
}

void Worker::connectionClosed(ClientConnection *connection)
{
    if (m_connections.remove(connection))
        listenerCounters().openConnections.change(-1);
    connection->deleteLater();
    if (m_draining)
        checkDrained();
}

void Worker::sweep()
{
    const qint64 now = nowMs();
    // Deadlines may close connections, which edits the set: act on a copy.
    const QList<ClientConnection *> connections = m_connections.values();
    for (ClientConnection *connection : connections) {
        if (m_connections.contains(connection))
            connection->checkDeadline(now);
    }
    m_pool->expireIdle(now, m_config.timeouts.upstreamIdleMs);
    m_accessLog.flush();
}

void Worker::closeListeners()
{
    m_acceptNotifiers.clear();
    for (const int fd : m_listenDescriptors)
        ::close(fd);
    m_listenDescriptors.clear();
}

void Worker::beginDrain()
{
    if (m_draining)
        return;
    m_draining = true;
    closeListeners();
    const QList<ClientConnection *> connections = m_connections.values();
    for (ClientConnection *connection : connections) {
        if (m_connections.contains(connection))
            connection->beginDrain();
    }
    if (m_pool != nullptr)
        m_pool->clear();
    checkDrained();
}

void Worker::checkDrained()
{
    if (m_connections.isEmpty()) {
        m_accessLog.flush();
        Q_EMIT drained(m_index);
    }
}

void Worker::shutdown()
{
    closeListeners();
    const QList<ClientConnection *> connections = m_connections.values();
    m_connections.clear();
    qDeleteAll(connections);
    if (m_pool != nullptr)
        m_pool->clear();
    m_accessLog.flush();
}

} // namespace fulcrum
