// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "control/BackendRegistry.h"
#include "health/HealthTarget.h"
#include "health/HealthTracker.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>

class QThread;

namespace fulcrum {

class HealthChecker;

// Active health checks, control-thread side. Follows the registry's tables to know which backends to
// probe (those whose check is enabled, at the address the registry resolved), hands that list to a
// HealthChecker on its own thread whenever it changes, and turns the results the checker reports
// into verdicts with one HealthTracker per backend. Every result goes to the registry (so the last
// probe latency stays current); the registry publishes a new table and announces the change only
// when a verdict changes the backend's state. The checker thread starts with the first checked
// backend and stops when this object goes.
class HealthMonitor final : public QObject
{
    Q_OBJECT
public:
    explicit HealthMonitor(BackendRegistry &registry, QObject *parent = nullptr);
    ~HealthMonitor() override;

    // The backends being probed, in table order.
    QList<HealthTarget> targets() const { return m_targets; }

Q_SIGNALS:
    // One probe result, after the registry has heard it.
    void probeApplied(const QString &name, bool passed, const QString &reason, qint64 latencyUs);

private:
    void onTablesChanged(const PoolTables &tables);
    void onProbeFinished(const QString &name, bool passed, const QString &reason, qint64 latencyUs);
    void startChecker();
    void stopChecker();

    BackendRegistry &m_registry;
    QThread *m_thread = nullptr;
    HealthChecker *m_checker = nullptr; // lives on m_thread
    QList<HealthTarget> m_targets;
    QHash<QString, HealthTracker> m_trackers;
};

} // namespace fulcrum
