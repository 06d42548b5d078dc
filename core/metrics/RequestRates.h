// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QHash>
#include <QString>

#include <deque>
#include <utility>

namespace fulcrum {

// Request rates over 1, 10 and 60 seconds, for the listener and for every backend, from the counts of
// the snapshots collected before: kept by whoever collects, on its thread, never on the request path.
//
// A window's rate compares a snapshot with the earlier one whose age (by uptime) is closest to the
// window, among those at least half the window old: (requests now − requests then) / the time between
// the two, exact over that time whatever the collection interval. It is 0 when no earlier snapshot is
// old enough (too little history, a backend added since), and when the count went down (a backend
// replaced by a new one of the same name, which counts from 0).
class RequestRates
{
public:
    // Sets the snapshot's rates, then remembers its counts for the snapshots to come. A snapshot with a
    // lower uptime than the last one (another start) makes the history start over.
    void apply(MetricsSnapshot &snapshot);

    // Snapshots remembered; for tests of how far back the history reaches.
    qsizetype historySize() const { return static_cast<qsizetype>(m_history.size()); }

private:
    using BackendKey = std::pair<QString, QString>; // pool, name: names are unique within a pool

    struct Sample
    {
        qint64 uptimeMs = 0;
        quint64 requests = 0;
        QHash<BackendKey, quint64> backendRequests;
    };

    const Sample *reference(qint64 nowMs, qint64 windowMs) const;
    void remember(const MetricsSnapshot &snapshot);

    std::deque<Sample> m_history; // oldest first
};

} // namespace fulcrum
