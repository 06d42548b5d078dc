// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "config/ProxyConfig.h"
#include "control/BackendRegistry.h"
#include "control/RoutingRegistry.h"
#include "limits/ClientLimiters.h"
#include "metrics/MetricsCollector.h"
#include "metrics/MetricsSnapshot.h"
#include "tls/TlsContextHolder.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

class QThread;

namespace fulcrum {

class HealthMonitor;
class Worker;

// The control-thread face of the data plane: opens the listeners, runs the workers, publishes new
// backend tables to them and collects their counters into snapshots.
class ProxyServer final : public QObject
{
    Q_OBJECT
public:
    explicit ProxyServer(QObject *parent = nullptr);
    ~ProxyServer() override;

    // Binds every listener and starts the workers; on failure nothing keeps running.
    bool start(const ProxyConfig &config, QString *error);
    QList<ListenAddress> boundAddresses() const { return m_bound; }
    int workerCount() const { return static_cast<int>(m_workers.size()); }

    // A configuration's pools and routes, at start and on reload: checked whole first, so a refused one
    // changes nothing; otherwise the workers get the new pools and routes together.
    bool applyRouting(const ProxyConfig &config, const QString &reason, QString *error);

    // Loads the tls listeners' certificates again (the same files or new ones): new connections get them,
    // open ones keep the ones they started with. On failure nothing changes and *error names the files.
    bool reloadCertificates(const TlsConfig &tls, QString *error);
    // One line per certificate tls listeners present; empty without tls listeners.
    QStringList describeCertificates() const;

    // Every change to the backends goes through here; each new table reaches every worker before its
    // next request, while requests in flight finish on the table they started with.
    BackendRegistry &backends() { return m_registry; }
    // The first pool's table (the only pool's without "pools" in the configuration).
    BackendTablePtr backendTable() const { return m_registry.table(); }
    // Routes and traffic splits.
    RoutingRegistry &routing() { return m_routing; }

    // Stops accepting and lets in-flight requests finish; drained() follows, at the latest after
    // the drain timeout.
    void drain();
    bool isDraining() const { return m_draining; }
    void stop();

    MetricsSnapshotPtr collectSnapshot() const;

Q_SIGNALS:
    void snapshotPublished(fulcrum::MetricsSnapshotPtr snapshot);
    // complete is false when the drain timeout cut in-flight requests short.
    void drained(bool complete);

private:
    void publishRouting();
    void onWorkerDrained();

    ProxyConfig m_config;
    std::unique_ptr<WorkerSlots<ListenerCounterSlot>> m_listenerCounters;
    ClientLimiters m_clientLimiters; // made by start(), shared by the workers; read at start only
    TlsContextHolder m_tls;          // shared by the workers; empty without tls listeners
    // Its memory of earlier collections (rates, removed backends) is no state of the server's: collecting
    // stays a const look at it.
    mutable MetricsCollector m_collector;
    std::vector<Worker *> m_workers;
    std::vector<QThread *> m_threads;
    QList<ListenAddress> m_bound;
    BackendRegistry m_registry;
    RoutingRegistry m_routing;
    bool m_holdPublishing = false; // while applyRouting changes pools and routes one after the other
    std::unique_ptr<HealthMonitor> m_health; // active health checks: made by start(), gone after stop()
    QTimer m_metricsTimer;
    QTimer m_drainTimer;
    QElapsedTimer m_uptime;
    int m_workersDrained = 0;
    bool m_draining = false;
};

} // namespace fulcrum
