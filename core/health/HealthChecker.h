// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "health/HealthTarget.h"

#include <QList>
#include <QObject>
#include <QString>

#include <map>
#include <memory>

class QRandomGenerator;
class QTimer;

namespace fulcrum {

class HealthProbe;
struct ProbeResult;

// The next probe's delay: drawn uniformly from intervalMs ± jitterPercent % (at least 1 ms).
int jitteredIntervalMs(int intervalMs, int jitterPercent, QRandomGenerator &random);
// The first probe's delay: uniformly within the jitter band's width, so that backends configured
// together are not all probed at the same instant (0 without jitter).
int initialDelayMs(int intervalMs, int jitterPercent, QRandomGenerator &random);

// Runs the probes of every checked backend on the thread it lives on (its own, never a worker's nor
// the control thread's), each on its own schedule: a probe, then interval ± jitter after its
// verdict, the next. It only reports; deciding what a result means is the control thread's job.
class HealthChecker final : public QObject
{
    Q_OBJECT
public:
    explicit HealthChecker(QObject *parent = nullptr);
    ~HealthChecker() override;

    // Makes the probed set match: new names get a probe, missing ones lose theirs, and a target whose
    // address or check changed starts over with its new settings (a probe under way is abandoned).
    void setTargets(const QList<fulcrum::HealthTarget> &targets);

Q_SIGNALS:
    void probeFinished(const QString &name, bool passed, const QString &reason, qint64 latencyUs);

private:
    struct Scheduled
    {
        std::unique_ptr<HealthProbe> probe;
        std::unique_ptr<QTimer> timer; // fires the next probe
    };

    void add(const HealthTarget &target);
    void onFinished(Scheduled &scheduled, const ProbeResult &result);

    std::map<QString, Scheduled> m_probes;
};

} // namespace fulcrum
