// SPDX-License-Identifier: GPL-3.0-or-later
#include "TimeChart.h"

#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
const QColor kLineColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                              QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                              QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f)};
} // namespace

TimeChart::TimeChart(const QString &title, const QString &unit, QWidget *parent)
    : QChartView(parent), m_x(new QValueAxis), m_y(new QValueAxis)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_x->setTitleText(u"seconds ago"_s);
    m_x->setLabelFormat(u"%d"_s);
    m_x->setTickCount(7);
    m_y->setTitleText(unit);
    m_y->setLabelFormat(u"%.0f"_s);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(200);
    setMinimumWidth(370);
}

QLineSeries *TimeChart::seriesFor(const QString &line)
{
    if (QLineSeries *existing = m_series.value(line))
        return existing;
    auto *series = new QLineSeries;
    series->setName(line);
    chart()->addSeries(series);
    series->attachAxis(m_x);
    series->attachAxis(m_y);
    const bool dashed = !m_dashedSuffix.isEmpty() && line.endsWith(m_dashedSuffix);
    if (!dashed) {
        // The same backend gets the same colour in every chart: the n-th solid line, the n-th colour.
        series->setColor(kLineColors[m_solidLines % std::size(kLineColors)]);
        ++m_solidLines;
    }
    if (dashed) {
        // Drawn in its partner's colour, dashed, and left out of the legend, which names the partner.
        QPen pen = series->pen();
        if (const QLineSeries *partner = m_series.value(line.chopped(m_dashedSuffix.size())))
            pen.setColor(partner->color());
        pen.setStyle(Qt::DashLine);
        series->setPen(pen);
        for (QLegendMarker *marker : chart()->legend()->markers(series))
            marker->setVisible(false);
    }
    m_series.insert(line, series);
    return series;
}

void TimeChart::showHistory(const SeriesHistory &history, double now, double windowSeconds)
{
    const QStringList lines = history.lines();
    for (auto it = m_series.begin(); it != m_series.end();) {
        if (!lines.contains(it.key())) {
            chart()->removeSeries(it.value());
            delete it.value();
            it = m_series.erase(it);
        } else {
            ++it;
        }
    }
    // Time runs from the left edge (oldest) to 0 (now); a young history gets a narrower window, at
    // least a minute, so its first points are not squeezed against the right edge.
    double top = 1;
    for (const QString &line : lines) {
        QList<QPointF> points = history.points(line);
        for (QPointF &point : points) {
            top = std::max(top, point.y());
            point.setX(point.x() - now);
        }
        seriesFor(line)->replace(points);
    }
    const double shown = std::min(windowSeconds, std::max(kMinimumWindowSeconds, std::ceil(now / 60) * 60));
    m_x->setRange(-shown, 0);
    m_y->setRange(0, top * 1.1);
}

} // namespace fulcrum::console
