// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SeriesHistory.h"

#include <QChartView>
#include <QHash>

class QLineSeries;
class QValueAxis;

namespace fulcrum::console {

// One chart of lines over a sliding time window, redrawn from a SeriesHistory once per tick with
// QXYSeries::replace (never point by point).
class TimeChart final : public QChartView
{
    Q_OBJECT
public:
    static constexpr double kMinimumWindowSeconds = 60;

    TimeChart(const QString &title, const QString &unit, QWidget *parent = nullptr);

    // Shows the history's lines over [now - windowSeconds, now].
    void showHistory(const SeriesHistory &history, double now, double windowSeconds);
    // Dashed lines for the names ending in this suffix (weight share next to traffic share).
    void setDashedSuffix(const QString &suffix) { m_dashedSuffix = suffix; }
    QLineSeries *series(const QString &line) const { return m_series.value(line); }
    qsizetype seriesCount() const { return m_series.size(); }

private:
    QLineSeries *seriesFor(const QString &line);

    QValueAxis *m_x;
    QValueAxis *m_y;
    QHash<QString, QLineSeries *> m_series;
    QString m_dashedSuffix;
    qsizetype m_solidLines = 0; // solid lines made so far, for their colours
};

} // namespace fulcrum::console
