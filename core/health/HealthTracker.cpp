// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthTracker.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
QString probes(int count)
{
    return count == 1 ? u"probe"_s : u"probes"_s;
}
} // namespace

HealthTracker::HealthTracker(int rise, int fall) : m_rise(std::max(rise, 1)), m_fall(std::max(fall, 1)) {}

void HealthTracker::setThresholds(int rise, int fall)
{
    m_rise = std::max(rise, 1);
    m_fall = std::max(fall, 1);
    m_passes = 0;
    m_failures = 0;
}

std::optional<HealthTracker::Transition> HealthTracker::record(const ProbeResult &result)
{
    if (result.passed) {
        m_failures = 0;
        if (m_healthy)
            return std::nullopt;
        if (++m_passes < m_rise)
            return std::nullopt;
        m_passes = 0;
        m_healthy = true;
        m_reason = u"%1/%1 %2 passed (last %3)"_s.arg(m_rise).arg(probes(m_rise),
                                                                  formatProbeLatency(result.latencyUs));
        return Transition{true, m_reason};
    }
    m_passes = 0;
    if (!m_healthy)
        return std::nullopt;
    if (++m_failures < m_fall)
        return std::nullopt;
    m_failures = 0;
    m_healthy = false;
    m_reason = u"%1/%1 %2 failed: %3"_s.arg(m_fall).arg(probes(m_fall), result.reason);
    return Transition{false, m_reason};
}

} // namespace fulcrum
