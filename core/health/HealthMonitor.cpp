// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthMonitor.h"

#include "control/BackendRegistry.h"
#include "health/HealthChecker.h"

#include <QLoggingCategory>
#include <QSet>
#include <QThread>

using namespace Qt::StringLiterals;

namespace fulcrum {

Q_LOGGING_CATEGORY(lcHealth, "fulcrum.health")

HealthMonitor::HealthMonitor(BackendRegistry &registry, QObject *parent)
    : QObject(parent), m_registry(registry)
{
    connect(&m_registry, &BackendRegistry::tablesChanged, this, &HealthMonitor::onTablesChanged);
    if (!m_registry.tables().isEmpty())
        onTablesChanged(m_registry.tables());
}

HealthMonitor::~HealthMonitor()
{
    stopChecker();
}

void HealthMonitor::startChecker()
{
    m_thread = new QThread(this);
    m_thread->setObjectName(u"fulcrum-health"_s);
    m_checker = new HealthChecker;
    m_checker->moveToThread(m_thread);
    connect(m_checker, &HealthChecker::probeFinished, this, &HealthMonitor::onProbeFinished,
            Qt::QueuedConnection);
    m_thread->start();
}

void HealthMonitor::stopChecker()
{
    if (m_thread == nullptr)
        return;
    // The probes' sockets and timers belong to the checker thread, so they are destroyed there.
    HealthChecker *checker = std::exchange(m_checker, nullptr);
    QMetaObject::invokeMethod(
        checker, [checker] { delete checker; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete std::exchange(m_thread, nullptr);
}

void HealthMonitor::onTablesChanged(const PoolTables &tables)
{
    // Tables change often (every 50 ms during slow start); the checker hears only of real changes.
    QList<HealthTarget> targets;
    for (const PoolTable &pool : tables)
        targets += healthTargetsOf(*pool.table);
    if (targets == m_targets)
        return;

    QSet<QString> checked;
    for (const HealthTarget &target : targets) {
        checked.insert(target.name);
        const auto tracker = m_trackers.find(target.name);
        if (tracker == m_trackers.end())
            m_trackers.insert(target.name, HealthTracker(target.check.rise, target.check.fall));
        else if (tracker->rise() != target.check.rise || tracker->fall() != target.check.fall)
            tracker->setThresholds(target.check.rise, target.check.fall);
    }
    QStringList unchecked; // checks turned off for a backend still down by them
    for (auto it = m_trackers.begin(); it != m_trackers.end();) {
        if (checked.contains(it.key())) {
            ++it;
            continue;
        }
        if (!it->isHealthy())
            unchecked.append(it.key());
        it = m_trackers.erase(it);
    }
    m_targets = targets;
    // Only now, with this object consistent: setHealth publishes a table, which comes back here.
    for (const QString &name : std::as_const(unchecked))
        m_registry.setHealth(name, true, u"health checks disabled"_s, -1);

    if (m_checker == nullptr && !m_targets.isEmpty())
        startChecker();
    if (m_checker != nullptr) {
        HealthChecker *checker = m_checker;
        QMetaObject::invokeMethod(checker, [checker, targets] { checker->setTargets(targets); });
    }
}

void HealthMonitor::onProbeFinished(const QString &name, bool passed, const QString &reason, qint64 latencyUs)
{
    const auto tracker = m_trackers.find(name);
    if (tracker == m_trackers.end())
        return; // its checks were turned off, or it left, while the probe was under way
    if (!passed)
        qCDebug(lcHealth, "backend %s: probe failed after %s: %s", qPrintable(name),
                qPrintable(formatProbeLatency(latencyUs)), qPrintable(reason));
    tracker->record({passed, reason, latencyUs}); // a transition shows in isHealthy() and reason()
    const bool healthy = tracker->isHealthy();
    const QString verdictReason = tracker->reason();
    // The registry announces a transition (fulcrumd logs it) and publishes a table, which comes back
    // to onTablesChanged: nothing of this object is touched after the call.
    m_registry.setHealth(name, healthy, verdictReason, latencyUs);
    Q_EMIT probeApplied(name, passed, reason, latencyUs);
}

} // namespace fulcrum
