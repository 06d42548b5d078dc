// SPDX-License-Identifier: GPL-3.0-or-later
#include "ChartPanel.h"

#include "TimeChart.h"

#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
const QString kWeightSuffix = u" weight"_s;
} // namespace

ChartPanel::ChartPanel(QWidget *parent)
    : QWidget(parent), m_rateChart(new TimeChart(u"Requests per second"_s, u"req/s"_s, this)),
      m_shareChart(new TimeChart(u"Share of traffic (solid) vs share of weight (dashed)"_s, u"%"_s, this)),
      m_latencyChart(new TimeChart(u"p99 latency"_s, u"ms"_s, this))
{
    m_shareChart->setDashedSuffix(kWeightSuffix);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_rateChart);
    layout->addWidget(m_shareChart);
    layout->addWidget(m_latencyChart);
    m_clock.start();
}

void ChartPanel::addSnapshot(const MetricsSnapshot &snapshot)
{
    const double now = double(m_clock.elapsed()) / 1000.0;
    double totalRate = 0;
    int totalWeight = 0;
    for (const BackendMetrics &backend : snapshot.backends) {
        totalRate += backend.requestRate10s;
        totalWeight += backend.effectiveWeight;
    }
    QStringList names;
    QStringList shareLines;
    for (const BackendMetrics &backend : snapshot.backends) {
        names.append(backend.name);
        shareLines.append(backend.name);
        shareLines.append(backend.name + kWeightSuffix);
        m_rates.append(backend.name, now, backend.requestRate1s);
        m_shares.append(backend.name, now, totalRate > 0 ? 100.0 * backend.requestRate10s / totalRate : 0);
        m_shares.append(backend.name + kWeightSuffix, now,
                        totalWeight > 0 ? 100.0 * backend.effectiveWeight / totalWeight : 0);
        m_latencies.append(backend.name, now, double(backend.responseTime.p99Us) / 1000.0);
    }
    m_rates.retain(names);
    m_latencies.retain(names);
    m_shares.retain(shareLines);
    if (!m_paused)
        redraw();
}

void ChartPanel::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        redraw();
}

void ChartPanel::redraw()
{
    const double now = double(m_clock.elapsed()) / 1000.0;
    m_rateChart->showHistory(m_rates, now, kWindowSeconds);
    m_shareChart->showHistory(m_shares, now, kWindowSeconds);
    m_latencyChart->showHistory(m_latencies, now, kWindowSeconds);
}

} // namespace fulcrum::console
