// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SeriesHistory.h"
#include "metrics/MetricsSnapshot.h"

#include <QElapsedTimer>
#include <QHash>
#include <QWidget>

#include <array>

namespace fulcrum::console {

class TimeChart;

// The four live charts, 5 minutes at one point per second: requests/s per backend, share of traffic
// against share of weight, p99 and p50 latency per backend, and errors by kind over all backends.
// With more backends than maxBackendLines() the three per-backend charts show the busiest ones (by
// 10 s rate) and say so in their titles; the histories keep every backend.
class ChartPanel final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kWindowSeconds = 300;
    static constexpr int kDefaultMaxBackendLines = 10;
    // The errors-by-kind lines, in this order.
    enum ErrorKind
    {
        ConnectErrors,
        Timeouts,
        Resets,
        InvalidResponses,
        Answers5xx,
        CircuitBreakerRefusals,
        ErrorKindCount,
    };
    static QString errorKindName(int kind);
    static const QString &weightSuffix(); // the share chart's dashed weight-share lines: "alpha weight"
    static const QString &medianSuffix(); // the latency chart's dashed p50 lines: "alpha p50"

    explicit ChartPanel(QWidget *parent = nullptr);

    // Adds one point per line, at the time it arrives.
    void addSnapshot(const MetricsSnapshot &snapshot);
    void addSnapshot(const MetricsSnapshotPtr &snapshot) { addSnapshot(*snapshot); }
    // The same at `seconds` on the panel's own time line, for replays and tests.
    void addSnapshot(const MetricsSnapshot &snapshot, double seconds);
    void addSnapshot(const MetricsSnapshotPtr &snapshot, double seconds) { addSnapshot(*snapshot, seconds); }
    // While paused the histories keep filling, the charts stand still.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // How many backends the per-backend charts draw at most; 0 draws them all.
    void setMaxBackendLines(int lines);
    int maxBackendLines() const { return m_maxBackendLines; }
    // The backends the per-backend charts draw now, in the snapshot's order.
    QStringList shownBackends() const { return m_shown; }
    // Renders the charts, as they are on screen, into one PNG ("Export charts as PNG"). False with the
    // reason in `error` when it cannot be written.
    bool savePng(const QString &path, QString *error = nullptr);

    TimeChart *rateChart() const { return m_rateChart; }
    TimeChart *shareChart() const { return m_shareChart; }
    TimeChart *latencyChart() const { return m_latencyChart; }
    TimeChart *errorsChart() const { return m_errorsChart; }

private:
    using ErrorCounts = std::array<quint64, ErrorKindCount>;

    void addErrors(const MetricsSnapshot &snapshot, double seconds);
    void chooseShownBackends(const MetricsSnapshot &snapshot);
    void redraw();
    QColor colorOf(const QString &backend) const;

    SeriesHistory m_rates{kWindowSeconds};
    SeriesHistory m_shares{kWindowSeconds};
    SeriesHistory m_latencies{kWindowSeconds};
    SeriesHistory m_errors{kWindowSeconds};
    TimeChart *m_rateChart;
    TimeChart *m_shareChart;
    TimeChart *m_latencyChart;
    TimeChart *m_errorsChart;
    QElapsedTimer m_clock;
    double m_now = 0; // the newest point's time: x = 0 on the charts
    bool m_paused = false;
    int m_maxBackendLines = kDefaultMaxBackendLines;
    QStringList m_shown;
    int m_backendCount = 0;
    QHash<QString, qsizetype> m_colorIndex; // by backend, in the order they were first seen

    // The previous snapshot's cumulative error counters per backend, for per-second deltas.
    QHash<QString, ErrorCounts> m_lastErrors;
    qint64 m_lastUptimeMs = -1;
    double m_lastErrorSeconds = 0;
};

} // namespace fulcrum::console
