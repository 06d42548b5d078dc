// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SeriesHistory.h"
#include "metrics/MetricsSnapshot.h"

#include <QElapsedTimer>
#include <QWidget>

namespace fulcrum::console {

class TimeChart;

// The three live charts, 5 minutes at one point per second: requests/s per backend, share of traffic
// against share of weight, p99 latency per backend.
class ChartPanel final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kWindowSeconds = 300;

    explicit ChartPanel(QWidget *parent = nullptr);

    void addSnapshot(const MetricsSnapshot &snapshot);
    // While paused the histories keep filling, the charts stand still.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }

    TimeChart *rateChart() const { return m_rateChart; }
    TimeChart *shareChart() const { return m_shareChart; }
    TimeChart *latencyChart() const { return m_latencyChart; }

private:
    void redraw();

    SeriesHistory m_rates{kWindowSeconds};
    SeriesHistory m_shares{kWindowSeconds};
    SeriesHistory m_latencies{kWindowSeconds};
    TimeChart *m_rateChart;
    TimeChart *m_shareChart;
    TimeChart *m_latencyChart;
    QElapsedTimer m_clock;
    bool m_paused = false;
};

} // namespace fulcrum::console
