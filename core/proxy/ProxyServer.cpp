// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyServer.h"

#include "config/RoutingValidation.h"
#include "eventloop/EpollEventDispatcher.h"
#include "health/HealthMonitor.h"
#include "metrics/MetricsCollector.h"
#include "proxy/ListenSockets.h"
#include "proxy/Worker.h"

#include <QLoggingCategory>
#include <QThread>

#include <algorithm>
#include <limits>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace fulcrum {

Q_LOGGING_CATEGORY(lcProxy, "fulcrum.proxy")

ProxyServer::ProxyServer(QObject *parent)
    : QObject(parent), m_listenerCounters(std::make_unique<WorkerSlots<ListenerCounterSlot>>())
{
    qRegisterMetaType<MetricsSnapshotPtr>();
    connect(&m_registry, &BackendRegistry::tablesChanged, this, &ProxyServer::publishRouting);
    m_registry.setTableAdoptionProbe([this] {
        quint64 oldest = std::numeric_limits<quint64>::max();
        for (const Worker *worker : m_workers)
            oldest = std::min(oldest, worker->backendGeneration());
        return oldest;
    });
    connect(&m_routing, &RoutingRegistry::routesChanged, this, &ProxyServer::publishRouting);
    connect(&m_metricsTimer, &QTimer::timeout, this, [this] { Q_EMIT snapshotPublished(collectSnapshot()); });
    m_drainTimer.setSingleShot(true);
    connect(&m_drainTimer, &QTimer::timeout, this, [this] {
        qCWarning(lcProxy, "drain timeout reached with requests still in flight");
        Q_EMIT drained(false);
    });
}

ProxyServer::~ProxyServer()
{
    stop();
}

bool ProxyServer::start(const ProxyConfig &config, QString *error)
{
    m_config = config;
    const int workers = std::min(config.effectiveWorkers(), kMaxWorkers);
    std::vector<std::vector<int>> descriptors(static_cast<std::size_t>(workers));
    auto closeAll = [&descriptors] {
        for (const auto &list : descriptors)
            for (const int fd : list)
                ::close(fd);
    };
    for (const ListenAddress &address : config.listen) {
        quint16 port = 0;
        const std::vector<int> group = openListenSockets(address, workers, &port, error);
        if (group.empty()) {
            *error = u"cannot listen on %1: %2"_s.arg(address.toString(), *error);
            closeAll();
            return false;
        }
        for (int w = 0; w < workers; ++w)
            descriptors[static_cast<std::size_t>(w)].push_back(group[static_cast<std::size_t>(w)]);
        ListenAddress bound = address;
        bound.port = port;
        m_bound.append(bound);
    }
    if (config.hasTlsListener() && !reloadCertificates(config.tls, error)) {
        closeAll();
        m_bound.clear();
        return false;
    }
    if (!applyRouting(config, u"configuration"_s, error)) {
        closeAll();
        m_bound.clear();
        return false;
    }
    m_health = std::make_unique<HealthMonitor>(m_registry);
    m_clientLimiters = ClientLimiters::from(config);
    // A worker holds thousands of sockets, and Qt's dispatcher walks all of them on every wake-up.
    // FULCRUM_EVENT_DISPATCHER=qt keeps Qt's, to compare or to rule the epoll one out.
    const bool useEpollDispatcher = qgetenv("FULCRUM_EVENT_DISPATCHER") != "qt";
    for (int w = 0; w < workers; ++w) {
        auto *thread = new QThread(this);
        thread->setObjectName(u"fulcrum-worker-%1"_s.arg(w));
        if (useEpollDispatcher)
            thread->setEventDispatcher(new EpollEventDispatcher);
        auto *worker = new Worker(w, config, std::move(descriptors[static_cast<std::size_t>(w)]),
                                  *m_listenerCounters, STDOUT_FILENO, &m_clientLimiters, &m_tls);
        worker->moveToThread(thread);
        connect(worker, &Worker::drained, this, &ProxyServer::onWorkerDrained, Qt::QueuedConnection);
        connect(
            worker, &Worker::backendFailing, &m_registry,
            [this](const QString &name, const QString &reason) { m_registry.eject(name, reason); },
            Qt::QueuedConnection);
        thread->start();
        m_workers.push_back(worker);
        m_threads.push_back(thread);
        QMetaObject::invokeMethod(worker, [worker] { worker->start(); });
    }
    publishRouting();
    m_uptime.start();
    m_metricsTimer.start(config.metricsIntervalMs);
    return true;
}

bool ProxyServer::reloadCertificates(const TlsConfig &tls, QString *error)
{
    QList<ConfigError> problems;
    std::shared_ptr<const TlsContextSet> contexts = TlsContextSet::build(tls, &problems);
    if (!contexts) {
        *error = problems.isEmpty() ? u"tls: no certificate"_s : formatConfigErrors(problems);
        return false;
    }
    m_tls.replace(std::move(contexts));
    return true;
}

QStringList ProxyServer::describeCertificates() const
{
    const std::shared_ptr<const TlsContextSet> contexts = m_tls.current();
    return contexts ? contexts->describe() : QStringList();
}

bool ProxyServer::applyRouting(const ProxyConfig &config, const QString &reason, QString *error)
{
    const QList<PoolConfig> pools = config.effectivePools();
    const QList<RouteConfig> routes = config.effectiveRoutes();
    const QList<ConfigError> problems = validateRouting(pools, routes);
    if (!problems.isEmpty()) {
        *error = formatConfigErrors(problems);
        return false;
    }
    if (!m_registry.check(pools, error))
        return false;
    m_registry.setRemovalDrainTimeout(config.timeouts.drainMs);
    m_registry.setOutlierDetection(config.outlierDetection);
    // The routes go first, unpublished; the registry's apply then publishes pools and routes together and
    // only afterwards announces its changes, so whoever hears of a change can count on the workers having it.
    m_holdPublishing = true;
    const QList<RoutingRegistry::SplitChange> splitChanges = m_routing.apply(pools, routes);
    m_holdPublishing = false;
    if (!m_registry.apply(pools, reason, error)) {
        // Only when a name stopped resolving since check(): the new routes stand, over the old pools.
        publishRouting();
        return false;
    }
    m_routing.announceSplitChanges(splitChanges, reason);
    return true;
}

void ProxyServer::publishRouting()
{
    if (m_holdPublishing || !m_routing.routeSet())
        return;
    const auto table = std::make_shared<const RoutingTable>(m_routing.routeSet(), m_registry.tables());
    for (Worker *worker : m_workers)
        QMetaObject::invokeMethod(worker, [worker, table] { worker->setRoutingTable(table); });
}

MetricsSnapshotPtr ProxyServer::collectSnapshot() const
{
    const std::shared_ptr<MetricsSnapshot> snapshot = m_collector.collect(
        m_registry.tables(), *m_listenerCounters, workerCount(), m_uptime.isValid() ? m_uptime.elapsed() : 0);
    const QList<BackendStatus> statuses = m_registry.status();
    for (BackendMetrics &metrics : snapshot->backends) {
        for (const BackendStatus &status : statuses) {
            if (status.config.name != metrics.name)
                continue;
            metrics.healthy = status.healthy;
            metrics.healthReason = status.healthReason;
            metrics.lastProbeLatencyUs = status.lastProbeLatencyUs;
            metrics.timesEjected = status.timesEjected;
            metrics.ejectedForMs = status.ejectedForMs;
            break;
        }
    }
    return snapshot;
}

void ProxyServer::drain()
{
    if (m_draining)
        return;
    m_draining = true;
    m_workersDrained = 0;
    if (m_workers.empty()) {
        Q_EMIT drained(true);
        return;
    }
    m_drainTimer.start(m_config.timeouts.drainMs);
    for (Worker *worker : m_workers)
        QMetaObject::invokeMethod(worker, [worker] { worker->beginDrain(); });
}

void ProxyServer::onWorkerDrained()
{
    if (!m_draining || !m_drainTimer.isActive())
        return;
    if (++m_workersDrained == workerCount()) {
        m_drainTimer.stop();
        Q_EMIT drained(true);
    }
}

void ProxyServer::stop()
{
    m_health.reset(); // joins the checker thread
    m_metricsTimer.stop();
    m_drainTimer.stop();
    for (std::size_t i = 0; i < m_workers.size(); ++i) {
        Worker *worker = m_workers[i];
        // A worker's sockets belong to its thread, so it is destroyed there.
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
        m_threads[i]->quit();
        m_threads[i]->wait();
        delete m_threads[i];
    }
    m_workers.clear();
    m_threads.clear();
}

} // namespace fulcrum
