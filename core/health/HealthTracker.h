// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "health/ProbeResult.h"

#include <QString>

#include <optional>

namespace fulcrum {

// Turns one backend's stream of probe results into an up/down verdict with rise/fall thresholds:
// `fall` failed probes in a row take a healthy backend down, `rise` passed probes in a row bring an
// unhealthy one back. Every pass resets the failure streak and every failure the pass streak, so
// intermittent failures below `fall` never take a backend down, however many there are in total.
// (HAProxy counts with one bounded counter, which a fail-fail-pass-fail-fail series also brings
// down; consecutive streaks are the stricter guard against flapping and easier to explain.)
//
// A backend starts healthy, as HAProxy starts servers up and lets `fall` take them down: a fresh
// start or a reload does not keep traffic away for rise × interval, and a dead backend is found
// within fall × interval.
//
// Pure logic: no clock, no event loop, no threads.
class HealthTracker
{
public:
    struct Transition
    {
        bool healthy = true;
        // "3/3 probes failed: timeout after 1000 ms", "2/2 probes passed (last 1.2 ms)"
        QString reason;
    };

    explicit HealthTracker(int rise = 2, int fall = 3);

    // New thresholds (at least 1 each) apply from the next result on; the streaks start over.
    void setThresholds(int rise, int fall);
    // Counts one probe; returns the transition it causes, if any.
    std::optional<Transition> record(const ProbeResult &result);

    bool isHealthy() const { return m_healthy; }
    // Why the verdict last changed; empty while it never has.
    const QString &reason() const { return m_reason; }
    int rise() const { return m_rise; }
    int fall() const { return m_fall; }
    int passStreak() const { return m_passes; }
    int failStreak() const { return m_failures; }

private:
    int m_rise;
    int m_fall;
    int m_passes = 0;
    int m_failures = 0;
    bool m_healthy = true;
    QString m_reason;
};

} // namespace fulcrum
