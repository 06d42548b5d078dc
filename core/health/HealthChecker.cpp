// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthChecker.h"

#include "health/HealthProbe.h"

#include <QRandomGenerator>
#include <QSet>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

namespace {
int jitterSpreadMs(int intervalMs, int jitterPercent)
{
    return static_cast<int>(qint64(std::max(intervalMs, 0)) * std::clamp(jitterPercent, 0, 100) / 100);
}
} // namespace

int jitteredIntervalMs(int intervalMs, int jitterPercent, QRandomGenerator &random)
{
    const int spread = jitterSpreadMs(intervalMs, jitterPercent);
    const int offset = spread > 0 ? random.bounded(-spread, spread + 1) : 0;
    return std::max(intervalMs + offset, 1);
}

int initialDelayMs(int intervalMs, int jitterPercent, QRandomGenerator &random)
{
    const int spread = jitterSpreadMs(intervalMs, jitterPercent);
    return spread > 0 ? random.bounded(2 * spread + 1) : 0;
}

HealthChecker::HealthChecker(QObject *parent) : QObject(parent) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::setTargets(const QList<HealthTarget> &targets)
{
    QSet<QString> wanted;
    for (const HealthTarget &target : targets) {
        wanted.insert(target.name);
        const auto found = m_probes.find(target.name);
        if (found == m_probes.end()) {
            add(target);
            continue;
        }
        Scheduled &scheduled = found->second;
        if (scheduled.probe->target() == target)
            continue;
        scheduled.probe->setTarget(target);
        scheduled.timer->start(
            initialDelayMs(target.check.intervalMs, target.check.jitterPercent, *QRandomGenerator::global()));
    }
    std::erase_if(m_probes, [&wanted](const auto &entry) { return !wanted.contains(entry.first); });
}

void HealthChecker::add(const HealthTarget &target)
{
    Scheduled &scheduled = m_probes[target.name];
    scheduled.probe = std::make_unique<HealthProbe>(target);
    scheduled.timer = std::make_unique<QTimer>();
    scheduled.timer->setSingleShot(true);
    HealthProbe *probe = scheduled.probe.get();
    // std::map never moves its elements, so the reference stays good for the entry's lifetime.
    connect(scheduled.timer.get(), &QTimer::timeout, probe, &HealthProbe::start);
    connect(probe, &HealthProbe::finished, this,
            [this, &scheduled](const ProbeResult &result) { onFinished(scheduled, result); });
    scheduled.timer->start(
        initialDelayMs(target.check.intervalMs, target.check.jitterPercent, *QRandomGenerator::global()));
}

void HealthChecker::onFinished(Scheduled &scheduled, const ProbeResult &result)
{
    const HealthTarget &target = scheduled.probe->target();
    scheduled.timer->start(
        jitteredIntervalMs(target.check.intervalMs, target.check.jitterPercent, *QRandomGenerator::global()));
    Q_EMIT probeFinished(target.name, result.passed, result.reason, result.latencyUs);
}

} // namespace fulcrum
