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
// When accept() runs out of descriptors, the connection stays in the backlog and the listener stays
// readable: trying again at once only spins (and logs) until something closes. Like nginx and
// HAProxy, the listener rests instead, longer each time while the shortage lasts; established
// connections meanwhile finish and free descriptors.
constexpr int kAcceptPauseMinMs = 100;
constexpr int kAcceptPauseMaxMs = 1000;
// At most one warning per listener this often, however often the shortage comes and goes.
constexpr qint64 kAcceptWarningIntervalMs = 5000;

bool isResourceShortage(int error)
{
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

int sweepIntervalMs(const Timeouts &timeouts)
{
    const int shortest =
        std::min({timeouts.clientHeaderMs, timeouts.clientIdleMs, timeouts.upstreamConnectMs,
                  timeouts.upstreamResponseMs, timeouts.upstreamIdleMs, timeouts.tunnelIdleMs});
    return std::clamp(shortest / 4, 10, 250);
}
} // namespace

Worker::Worker(int index, const ProxyConfig &config, std::vector<int> listenDescriptors,
               WorkerSlots<ListenerCounterSlot> &listenerCounters, int accessLogFd,
               const ClientLimiters *limiters, const TlsContextHolder *tls)
    : m_index(index), m_config(config), m_defaultPolicy(config.defaultPolicy()),
      m_listenDescriptors(std::move(listenDescriptors)), m_listenerCounters(listenerCounters),
      m_accessLog(config.accessLog ? accessLogFd : -1, config.logFormat), m_retryBudget(config.retries),
      m_rateLimiter(limiters != nullptr ? limiters->rate.get() : nullptr),
      m_pathRateLimits(limiters != nullptr && !limiters->paths.empty() ? limiters : nullptr),
      m_connectionLimiter(limiters != nullptr ? limiters->connections.get() : nullptr), m_tls(tls),
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
    for (std::size_t i = 0; i < m_listenDescriptors.size(); ++i) {
        auto listener = std::make_unique<Listener>(m_listenDescriptors[i], static_cast<int>(i));
        // ProxyServer hands each worker one descriptor per configured listen address, in their order.
        const ListenAddress address = m_config.listen.value(static_cast<qsizetype>(i));
        listener->proxyProtocol = address.proxyProtocol;
        listener->tls = address.tls;
        listener->redirectHttpsPort = address.redirectHttpsPort;
        Listener *raw = listener.get();
        connect(&raw->notifier, &QSocketNotifier::activated, this, [this, raw] { acceptPending(*raw); });
        raw->resumeTimer.setSingleShot(true);
        connect(&raw->resumeTimer, &QTimer::timeout, this, [this, raw] { resumeAccepting(*raw); });
        m_listeners.push_back(std::move(listener));
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

void Worker::acceptPending(Listener &listener)
{
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
        sockaddr_storage peer{};
        socklen_t peerLength = sizeof(peer);
        // The peer address is asked for only when a limit needs it.
        const bool wantsPeer = m_connectionLimiter != nullptr;
        const int fd = ::accept4(listener.fd, wantsPeer ? reinterpret_cast<sockaddr *>(&peer) : nullptr,
                                 wantsPeer ? &peerLength : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int error = errno;
            if (isResourceShortage(error)) {
                pauseAccepting(listener, error);
                return;
            }
            if (listener.pauseMs > 0)
                acceptingRecovered(listener);
            if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR && error != ECONNABORTED)
                qCWarning(lcWorker, "worker %d: accept failed: %s", m_index, strerror(error));
            return;
        }
        if (listener.pauseMs > 0)
            acceptingRecovered(listener);
        if (m_draining) {
            ::close(fd);
            continue;
        }
        admitConnection(listener, fd, peer);
    }
}

void Worker::admitConnection(const Listener &listener, int fd, const sockaddr_storage &peer)
{
    ConnectionAdmission admission;
    if (m_connectionLimiter != nullptr) {
        // The TCP peer: a client address from a trusted proxy is not known before the connection is read.
        admission = m_connectionLimiter->admit(listener.index, clientKeyOf(peer));
        if (!admission.admitted()) {
            // Counted before the close, so that whoever sees the close finds it counted.
            listenerCounters().connectionsRefused[static_cast<std::size_t>(admission.refusal()) - 1].add();
            // Like HAProxy at maxconn: no bytes, so the refusal costs as little as it can.
            ::close(fd);
            return;
        }
    }
    ListenerTraits traits;
    traits.expectProxyHeader = listener.proxyProtocol;
    traits.redirectHttpsPort = listener.redirectHttpsPort;
    if (listener.tls) {
        // Read at each accept: a reload's certificates serve the next connection, open ones keep theirs.
        traits.tls = m_tls != nullptr ? m_tls->current() : nullptr;
        if (!traits.tls) {
            ::close(fd);
            return;
        }
    }
    auto *connection = new ClientConnection(*this, fd, std::move(traits), std::move(admission));
    m_connections.insert(connection);
    listenerCounters().connectionsAccepted.add();
    listenerCounters().openConnections.change(1);
}

void Worker::pauseAccepting(Listener &listener, int error)
{
    const qint64 now = nowMs();
    if (listener.pauseMs == 0) {
        listener.pauseMs = kAcceptPauseMinMs;
        listener.episodeFailures = 0;
        listener.episodeStartMs = now;
        listener.episodeReported = false;
    } else {
        listener.pauseMs = std::min(listener.pauseMs * 2, kAcceptPauseMaxMs);
    }
    ++listener.episodeFailures;
    ++listener.unreported;
    if (listener.lastWarningMs < 0 || now - listener.lastWarningMs >= kAcceptWarningIntervalMs) {
        if (!listener.episodeReported) {
            const int earlier = listener.unreported - 1;
            const QByteArray notLogged =
                earlier > 0 ? " (" + QByteArray::number(earlier) + " earlier failures were not logged)"
                            : QByteArray();
            qCWarning(lcWorker,
                      "worker %d: accept failed: %s; pausing accepts on this listener for %d ms (up to %d ms "
                      "while the shortage lasts)%s",
                      m_index, strerror(error), listener.pauseMs, kAcceptPauseMaxMs, notLogged.constData());
        } else {
            qCWarning(lcWorker,
                      "worker %d: accepting still fails: %s (%d failures in %lld ms, %d since the last "
                      "warning); pausing accepts on this listener for %d ms",
                      m_index, strerror(error), listener.episodeFailures, now - listener.episodeStartMs,
                      listener.unreported, listener.pauseMs);
        }
        listener.episodeReported = true;
        listener.unreported = 0;
        listener.lastWarningMs = now;
    }
    listener.notifier.setEnabled(false);
    listener.resumeTimer.start(listener.pauseMs);
}

void Worker::resumeAccepting(Listener &listener)
{
    // With connections still waiting the notifier fires at once, and the next accept() tells whether
    // a descriptor has come free (which ends the episode) or the pause grows.
    listener.notifier.setEnabled(true);
}

void Worker::acceptingRecovered(Listener &listener)
{
    if (listener.episodeReported) {
        qCInfo(lcWorker, "worker %d: accepting again after %d failed accepts in %lld ms", m_index,
               listener.episodeFailures, nowMs() - listener.episodeStartMs);
        // Reported here in full: only failures of later, unreported episodes are still owed a warning.
        listener.unreported = 0;
    }
    listener.pauseMs = 0;
    listener.episodeFailures = 0;
    listener.episodeReported = false;
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
    m_listeners.clear();
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
