// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestRates.h"

#include <cstdlib>

namespace fulcrum {

namespace {
struct Window
{
    qint64 ms;
    double MetricsSnapshot::*listener;
    double BackendMetrics::*backend;
};

constexpr Window kWindows[] = {
    {1'000, &MetricsSnapshot::requestRate1s, &BackendMetrics::requestRate1s},
    {10'000, &MetricsSnapshot::requestRate10s, &BackendMetrics::requestRate10s},
    {60'000, &MetricsSnapshot::requestRate60s, &BackendMetrics::requestRate60s},
};
constexpr qint64 kLongestWindowMs = 60'000;

// Collections closer together than this add nothing to the history: frequent extra collections (an
// export on demand, a test polling) would only make it longer, not a rate more exact.
constexpr qint64 kMinSpacingMs = 50;

double perSecond(quint64 then, quint64 now, qint64 elapsedMs)
{
    if (now < then)
        return 0;
    return static_cast<double>(now - then) * 1000.0 / static_cast<double>(elapsedMs);
}
} // namespace

void RequestRates::apply(MetricsSnapshot &snapshot)
{
    if (!m_history.empty() && snapshot.uptimeMs < m_history.back().uptimeMs)
        m_history.clear();
    for (const Window &window : kWindows) {
        const Sample *then = reference(snapshot.uptimeMs, window.ms);
        const qint64 elapsedMs = then ? snapshot.uptimeMs - then->uptimeMs : 0;
        snapshot.*window.listener = then ? perSecond(then->requests, snapshot.requests, elapsedMs) : 0;
        for (BackendMetrics &backend : snapshot.backends) {
            const auto count = then ? then->backendRequests.constFind({backend.pool, backend.name})
                                    : QHash<BackendKey, quint64>::const_iterator();
            backend.*window.backend = then && count != then->backendRequests.cend()
                                          ? perSecond(*count, backend.requests, elapsedMs)
                                          : 0;
        }
    }
    remember(snapshot);
}

const RequestRates::Sample *RequestRates::reference(qint64 nowMs, qint64 windowMs) const
{
    const Sample *best = nullptr;
    qint64 bestDistance = 0;
    for (const Sample &sample : m_history) {
        const qint64 age = nowMs - sample.uptimeMs;
        if (2 * age < windowMs)
            break; // the rest are younger still
        const qint64 distance = std::abs(age - windowMs);
        if (best == nullptr || distance < bestDistance) {
            best = &sample;
            bestDistance = distance;
        }
    }
    return best;
}

void RequestRates::remember(const MetricsSnapshot &snapshot)
{
    if (!m_history.empty() && snapshot.uptimeMs - m_history.back().uptimeMs < kMinSpacingMs)
        return;
    Sample sample;
    sample.uptimeMs = snapshot.uptimeMs;
    sample.requests = snapshot.requests;
    sample.backendRequests.reserve(snapshot.backends.size());
    for (const BackendMetrics &backend : snapshot.backends)
        sample.backendRequests.insert({backend.pool, backend.name}, backend.requests);
    m_history.push_back(std::move(sample));
    // Once the second oldest sample is a longest window old, the oldest is further than it from every
    // window's point in time, now and from now on: it can never be a reference again.
    while (m_history.size() > 1 && snapshot.uptimeMs - m_history[1].uptimeMs >= kLongestWindowMs)
        m_history.pop_front();
}

} // namespace fulcrum
