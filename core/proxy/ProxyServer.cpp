// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyServer.h"

#include "metrics/MetricsCollector.h"
#include "proxy/ListenSockets.h"
#include "proxy/Worker.h"

#include <QHostInfo>
#include <QLoggingCategory>
#include <QThread>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace fulcrum {

Q_LOGGING_CATEGORY(lcProxy, "fulcrum.proxy")

namespace {
bool resolve(const BackendConfig &config, QHostAddress *address, QString *error)
{
    if (address->setAddress(config.host))
        return true;
    const QHostInfo info = QHostInfo::fromName(config.host);
    if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
        *error =
            u"backend %1: cannot resolve host \"%2\": %3"_s.arg(config.name, config.host, info.errorString());
        return false;
    }
    *address = info.addresses().constFirst();
    return true;
}

QByteArray authorityOf(const BackendConfig &config)
{
    const bool v6 = config.host.contains(u':');
    QByteArray authority = v6 ? "[" + config.host.toUtf8() + "]" : config.host.toUtf8();
    if (config.port != 80)
        authority += ":" + QByteArray::number(config.port);
    return authority;
}
} // namespace

ProxyServer::ProxyServer(QObject *parent)
    : QObject(parent), m_listenerCounters(std::make_unique<WorkerSlots<ListenerCounterSlot>>())
{
    qRegisterMetaType<BackendTablePtr>();
    qRegisterMetaType<MetricsSnapshotPtr>();
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
        m_bound.append({address.address, port});
    }
    if (!setBackends(config.backends, error)) {
        closeAll();
        m_bound.clear();
        return false;
    }
    for (int w = 0; w < workers; ++w) {
        auto *thread = new QThread(this);
        thread->setObjectName(u"fulcrum-worker-%1"_s.arg(w));
        auto *worker = new Worker(w, config, std::move(descriptors[static_cast<std::size_t>(w)]),
                                  *m_listenerCounters, STDOUT_FILENO);
        worker->moveToThread(thread);
        connect(worker, &Worker::drained, this, &ProxyServer::onWorkerDrained, Qt::QueuedConnection);
        thread->start();
        m_workers.push_back(worker);
        m_threads.push_back(thread);
        QMetaObject::invokeMethod(worker, [worker, table = m_table] {
            worker->start();
            worker->setBackendTable(table);
        });
    }
    m_uptime.start();
    m_metricsTimer.start(config.metricsIntervalMs);
    return true;
}

bool ProxyServer::setBackends(const QList<BackendConfig> &backends, QString *error)
{
    QList<Backend> resolved;
    QHash<QString, std::shared_ptr<BackendRuntime>> runtimes;
    for (const BackendConfig &config : backends) {
        Backend backend;
        backend.config = config;
        if (!resolve(config, &backend.address, error))
            return false;
        backend.authority = authorityOf(config);
        backend.runtime = m_runtimes.value(config.name);
        if (!backend.runtime)
            backend.runtime = std::make_shared<BackendRuntime>();
        runtimes.insert(config.name, backend.runtime);
        resolved.append(std::move(backend));
    }

    QStringList added, removed, changed;
    for (const Backend &backend : resolved) {
        const qsizetype old = m_table ? m_table->indexOf(backend.config.name) : -1;
        if (old < 0)
            added.append(backend.config.name);
        else if (!(m_table->at(old).config == backend.config))
            changed.append(backend.config.name);
    }
    if (m_table) {
        for (const Backend &backend : m_table->backends()) {
            if (!runtimes.contains(backend.config.name))
                removed.append(backend.config.name);
        }
    }
    m_runtimes = std::move(runtimes);
    publishTable(std::make_shared<const BackendTable>(std::move(resolved), ++m_generation));
    if (!added.isEmpty() || !removed.isEmpty() || !changed.isEmpty())
        Q_EMIT backendsChanged(added, removed, changed);
    return true;
}

void ProxyServer::publishTable(BackendTablePtr table)
{
    m_table = table;
    for (Worker *worker : m_workers)
        QMetaObject::invokeMethod(worker, [worker, table] { worker->setBackendTable(table); });
}

MetricsSnapshotPtr ProxyServer::collectSnapshot() const
{
    static const BackendTable empty({}, 0);
    return collectMetrics(m_table ? *m_table : empty, *m_listenerCounters, workerCount(),
                          m_uptime.isValid() ? m_uptime.elapsed() : 0);
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
