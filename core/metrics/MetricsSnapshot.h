// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

#include <array>
#include <memory>

namespace fulcrum {

struct BackendMetrics
{
    QString name;
    QString url;
    int weight = 0;          // as configured or last set
    int effectiveWeight = 0; // what balancing uses now: lower while slow start ramps
    QString state;           // "up", "down", "draining", "maintenance"
    quint64 requests = 0;
    std::array<quint64, 5> responsesByClass{}; // 1xx..5xx
    quint64 connectErrors = 0;
    quint64 timeouts = 0;
    quint64 resets = 0;
    quint64 invalidResponses = 0;
    quint64 bytesFromClient = 0;
    quint64 bytesToClient = 0;
    quint64 connectionsOpened = 0;
    qint64 activeRequests = 0;
};

// Totals over every worker at one moment; immutable once published.
struct MetricsSnapshot
{
    QDateTime time;
    qint64 uptimeMs = 0;
    quint64 connectionsAccepted = 0;
    qint64 openConnections = 0;
    quint64 requests = 0;
    quint64 clientErrors = 0;
    quint64 noBackend = 0;
    quint64 upstreamFailures = 0;
    QList<BackendMetrics> backends;
};

using MetricsSnapshotPtr = std::shared_ptr<const MetricsSnapshot>;

} // namespace fulcrum
