// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/BackendTable.h"
#include "config/ProxyConfig.h"
#include "metrics/MetricsSnapshot.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

class QThread;

namespace fulcrum {

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

    // Replaces the backend set. Backends keep their counters by name; in-flight requests finish on
    // the table they started with. Refused (with *error naming the backend) if a host cannot be resolved.
    bool setBackends(const QList<BackendConfig> &backends, QString *error);
    BackendTablePtr backendTable() const { return m_table; }

    // Stops accepting and lets in-flight requests finish; drained() follows, at the latest after
    // the drain timeout.
    void drain();
    void stop();

    MetricsSnapshotPtr collectSnapshot() const;

Q_SIGNALS:
    void snapshotPublished(fulcrum::MetricsSnapshotPtr snapshot);
    void backendsChanged(const QStringList &added, const QStringList &removed, const QStringList &changed);
    // complete is false when the drain timeout cut in-flight requests short.
    void drained(bool complete);

private:
    void publishTable(BackendTablePtr table);
    void onWorkerDrained();

    ProxyConfig m_config;
    std::unique_ptr<WorkerSlots<ListenerCounterSlot>> m_listenerCounters;
    std::vector<Worker *> m_workers;
    std::vector<QThread *> m_threads;
    QList<ListenAddress> m_bound;
    BackendTablePtr m_table;
    QHash<QString, std::shared_ptr<BackendRuntime>> m_runtimes;
    quint64 m_generation = 0;
    QTimer m_metricsTimer;
    QTimer m_drainTimer;
    QElapsedTimer m_uptime;
    int m_workersDrained = 0;
    bool m_draining = false;
};

} // namespace fulcrum
