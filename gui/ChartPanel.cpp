// SPDX-License-Identifier: GPL-3.0-or-later
#include "ChartPanel.h"

#include "RotationWeight.h"
#include "TimeChart.h"

#include <QImageWriter>
#include <QPixmap>
#include <QSet>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {

const QString kRateTitle = u"Requests per second"_s;
const QString kShareTitle = u"Share of traffic (solid) vs share of weight (dashed)"_s;
const QString kLatencyTitle = u"p99 (solid) and p50 (dashed) latency"_s;
const QString kErrorsTitle = u"Errors/s by kind (breaker: circuit-breaker refusals)"_s;

// A backend outside the shown ones takes the place of the weakest shown one only when clearly busier:
// with equal weights the rates differ by noise, and a ranking redone every tick would swap lines (and
// legend entries) every second.
constexpr double kSwapFactor = 1.25;
constexpr double kSwapMargin = 0.5; // req/s

std::array<quint64, ChartPanel::ErrorKindCount> errorCountsOf(const BackendMetrics &backend)
{
    return {backend.connectErrors,       backend.timeouts,   backend.resets, backend.invalidResponses,
            backend.responsesByClass[4], backend.circuitOpen};
}

} // namespace

QString ChartPanel::errorKindName(int kind)
{
    // Short, for a legend beside a narrow chart; the title says what "breaker" is.
    static const QStringList names = {u"connect"_s, u"timeout"_s, u"reset"_s,
                                      u"invalid"_s, u"5xx"_s,     u"breaker"_s};
    return kind >= 0 && kind < names.size() ? names[kind] : QString();
}

const QString &ChartPanel::weightSuffix()
{
    static const QString suffix = u" weight"_s;
    return suffix;
}

const QString &ChartPanel::medianSuffix()
{
    static const QString suffix = u" p50"_s;
    return suffix;
}

ChartPanel::ChartPanel(QWidget *parent)
    : QWidget(parent), m_rateChart(new TimeChart(kRateTitle, u"req/s"_s, this)),
      m_shareChart(new TimeChart(kShareTitle, u"%"_s, this)),
      m_latencyChart(new TimeChart(kLatencyTitle, u"ms"_s, this)),
      m_errorsChart(new TimeChart(kErrorsTitle, u"errors/s"_s, this))
{
    m_shareChart->setDashedSuffix(weightSuffix());
    m_latencyChart->setDashedSuffix(medianSuffix());
    // Six kinds always: a column of legend entries at the side keeps their names whole, where a row
    // under the chart would elide them.
    m_errorsChart->chart()->legend()->setAlignment(Qt::AlignRight);
    for (TimeChart *chart : {m_rateChart, m_shareChart, m_latencyChart})
        chart->setColorOf([this](const QString &backend) { return colorOf(backend); });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_rateChart);
    layout->addWidget(m_shareChart);
    layout->addWidget(m_latencyChart);
    layout->addWidget(m_errorsChart);
    m_clock.start();
}

QColor ChartPanel::colorOf(const QString &backend) const
{
    return TimeChart::lineColor(m_colorIndex.value(backend, 0));
}

void ChartPanel::addSnapshot(const MetricsSnapshot &snapshot)
{
    addSnapshot(snapshot, double(m_clock.elapsed()) / 1000.0);
}

void ChartPanel::addSnapshot(const MetricsSnapshot &snapshot, double seconds)
{
    m_now = seconds;
    double totalRate = 0;
    int totalWeight = 0;
    for (const BackendMetrics &backend : snapshot.backends) {
        totalRate += backend.requestRate10s;
        totalWeight += rotationWeight(backend);
    }
    QSet<QString> names;
    QSet<QString> shareLines;
    QSet<QString> latencyLines;
    names.reserve(snapshot.backends.size());
    shareLines.reserve(2 * snapshot.backends.size());
    latencyLines.reserve(2 * snapshot.backends.size());
    for (const BackendMetrics &backend : snapshot.backends) {
        // First seen, first colour, for good: a backend keeps its colour as others come and go.
        if (!m_colorIndex.contains(backend.name))
            m_colorIndex.insert(backend.name, m_colorIndex.size());
        const QString weightLine = backend.name + weightSuffix();
        const QString medianLine = backend.name + medianSuffix();
        names.insert(backend.name);
        shareLines.insert(backend.name);
        shareLines.insert(weightLine);
        latencyLines.insert(backend.name);
        latencyLines.insert(medianLine);
        m_rates.append(backend.name, seconds, backend.requestRate1s);
        m_shares.append(backend.name, seconds,
                        totalRate > 0 ? 100.0 * backend.requestRate10s / totalRate : 0);
        m_shares.append(weightLine, seconds,
                        totalWeight > 0 ? 100.0 * rotationWeight(backend) / totalWeight : 0);
        m_latencies.append(backend.name, seconds, double(backend.responseTime.p99Us) / 1000.0);
        m_latencies.append(medianLine, seconds, double(backend.responseTime.p50Us) / 1000.0);
    }
    m_rates.retain(names);
    m_shares.retain(shareLines);
    m_latencies.retain(latencyLines);
    addErrors(snapshot, seconds);
    chooseShownBackends(snapshot);
    if (!m_paused)
        redraw();
}

void ChartPanel::addErrors(const MetricsSnapshot &snapshot, double seconds)
{
    const bool baseline = m_lastUptimeMs >= 0;
    ErrorCounts delta{};
    QHash<QString, ErrorCounts> current;
    current.reserve(snapshot.backends.size());
    for (const BackendMetrics &backend : snapshot.backends) {
        const ErrorCounts counts = errorCountsOf(backend);
        current.insert(backend.name, counts);
        const auto previous = m_lastErrors.constFind(backend.name);
        for (int kind = 0; kind < ErrorKindCount; ++kind) {
            if (previous == m_lastErrors.constEnd()) {
                // Added since the last snapshot: it counted from zero. Before any baseline the counts
                // are the proxy's whole past, not this second's.
                delta[kind] += baseline ? counts[kind] : 0;
            } else {
                // A counter that went down was restarted (the backend was removed and added again, or
                // the proxy restarted): what it shows now is all new. A backend that left is not in
                // `current` at all, so its counts simply stop adding: never a negative step.
                const quint64 before = previous.value()[kind];
                delta[kind] += counts[kind] >= before ? counts[kind] - before : counts[kind];
            }
        }
    }
    if (baseline) {
        // Per second of the proxy's own clock when it moved forward, which keeps the rate right when
        // snapshots come faster (on changes) or slower (metrics_interval_ms) than one a second.
        double elapsed = snapshot.uptimeMs > m_lastUptimeMs
                             ? double(snapshot.uptimeMs - m_lastUptimeMs) / 1000.0
                             : seconds - m_lastErrorSeconds;
        if (elapsed <= 0)
            elapsed = 1;
        for (int kind = 0; kind < ErrorKindCount; ++kind)
            m_errors.append(errorKindName(kind), seconds, double(delta[kind]) / elapsed);
    }
    m_lastErrors = std::move(current);
    m_lastUptimeMs = snapshot.uptimeMs;
    m_lastErrorSeconds = seconds;
}

void ChartPanel::chooseShownBackends(const MetricsSnapshot &snapshot)
{
    m_backendCount = int(snapshot.backends.size());
    QStringList all;
    all.reserve(snapshot.backends.size());
    QHash<QString, double> rate;
    rate.reserve(snapshot.backends.size());
    for (const BackendMetrics &backend : snapshot.backends) {
        all.append(backend.name);
        rate.insert(backend.name, backend.requestRate10s);
    }
    if (m_maxBackendLines <= 0 || all.size() <= m_maxBackendLines) {
        m_shown = all;
        return;
    }
    const auto busierFirst = [&rate](const QString &a, const QString &b) {
        const double ra = rate.value(a);
        const double rb = rate.value(b);
        return ra != rb ? ra > rb : a < b;
    };
    QStringList kept;
    for (const QString &name : std::as_const(m_shown)) {
        if (rate.contains(name))
            kept.append(name);
    }
    std::sort(kept.begin(), kept.end(), busierFirst);
    if (kept.size() > m_maxBackendLines)
        kept.resize(m_maxBackendLines);
    const QSet<QString> keptSet(kept.cbegin(), kept.cend());
    QStringList others;
    for (const QString &name : std::as_const(all)) {
        if (!keptSet.contains(name))
            others.append(name);
    }
    std::sort(others.begin(), others.end(), busierFirst);
    qsizetype next = 0;
    while (kept.size() < m_maxBackendLines && next < others.size())
        kept.append(others[next++]);
    // `kept` is busiest first except for the ones just added, so its weakest is found each round.
    for (; next < others.size(); ++next) {
        const auto weakest =
            std::min_element(kept.begin(), kept.end(), [&rate](const QString &a, const QString &b) {
                return rate.value(a) < rate.value(b);
            });
        if (rate.value(others[next]) <= rate.value(*weakest) * kSwapFactor + kSwapMargin)
            break;
        *weakest = others[next];
    }
    const QSet<QString> shown(kept.cbegin(), kept.cend());
    m_shown.clear();
    for (const QString &name : std::as_const(all)) {
        if (shown.contains(name))
            m_shown.append(name);
    }
}

void ChartPanel::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        redraw();
}

void ChartPanel::setMaxBackendLines(int lines)
{
    m_maxBackendLines = std::max(0, lines);
}

void ChartPanel::redraw()
{
    QStringList shareLines;
    QStringList latencyLines;
    shareLines.reserve(2 * m_shown.size());
    latencyLines.reserve(2 * m_shown.size());
    for (const QString &name : std::as_const(m_shown)) {
        shareLines << name << name + weightSuffix();
        latencyLines << name << name + medianSuffix();
    }
    // Said under each per-backend chart (and in its hover texts), since the legend cannot say it.
    const QString note = m_shown.size() < m_backendCount
                             ? u"busiest %1 of %2 backends"_s.arg(m_shown.size()).arg(m_backendCount)
                             : QString();
    for (TimeChart *chart : {m_rateChart, m_shareChart, m_latencyChart})
        chart->setNote(note);
    m_rateChart->showHistory(m_rates, m_shown, m_now, kWindowSeconds);
    m_shareChart->showHistory(m_shares, shareLines, m_now, kWindowSeconds);
    m_latencyChart->showHistory(m_latencies, latencyLines, m_now, kWindowSeconds);
    m_errorsChart->showHistory(m_errors, m_now, kWindowSeconds);
}

bool ChartPanel::savePng(const QString &path, QString *error)
{
    if (!isVisible()) {
        // Never shown: lay the charts out at their preferred size so the picture is not a blank 0x0.
        resize(size().expandedTo(sizeHint()));
        if (layout())
            layout()->activate();
    }
    const QPixmap picture = grab();
    QImageWriter writer(path, "png");
    if (picture.isNull() || !writer.write(picture.toImage())) {
        if (error)
            *error = u"cannot write %1: %2"_s.arg(path, picture.isNull() ? u"nothing to draw"_s
                                                                         : writer.errorString());
        return false;
    }
    return true;
}

} // namespace fulcrum::console
