// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SeriesHistory.h"

#include <QChartView>
#include <QDateTime>
#include <QHash>

#include <functional>

class QLineSeries;
class QValueAxis;

namespace fulcrum::console {

// One chart of lines over a sliding time window, redrawn from a SeriesHistory once per tick with
// QXYSeries::replace (never point by point) and its axes set once per tick. Hovering a line shows a
// tooltip with the line's name, the time and the value there.
class TimeChart final : public QChartView
{
    Q_OBJECT
public:
    static constexpr double kMinimumWindowSeconds = 60;
    // More lines than this and the legend goes: its entries would be elided to bare colour swatches in
    // a chart beside the table. Hovering a line still names it.
    static constexpr qsizetype kMaxLegendEntries = 6;
    using ColorOf = std::function<QColor(const QString &line)>;

    TimeChart(const QString &title, const QString &unit, QWidget *parent = nullptr);

    // Shows the history's lines over [now - windowSeconds, now]; `now` is the newest point's time.
    void showHistory(const SeriesHistory &history, double now, double windowSeconds);
    // The same with only these of the history's lines, in this order (the rest are taken away).
    void showHistory(const SeriesHistory &history, const QStringList &lines, double now,
                     double windowSeconds);
    // Dashed lines for the names ending in this suffix (weight share next to traffic share, p50 next to
    // p99), drawn in the colour of the name without it and left out of the legend.
    void setDashedSuffix(const QString &suffix) { m_dashedSuffix = suffix; }
    // Colours by line name, so that a backend keeps its colour in every chart whichever lines are
    // shown; without it the n-th solid line gets the n-th colour.
    void setColorOf(ColorOf colorOf) { m_colorOf = std::move(colorOf); }
    void setTitle(const QString &title);
    QString title() const;
    // A remark under the time axis and in every hover text, such as which lines are left out.
    void setNote(const QString &note);
    QString note() const { return m_note; }
    bool legendShown() const;
    QString unit() const { return m_unit; }

    QLineSeries *series(const QString &line) const { return m_series.value(line); }
    qsizetype seriesCount() const { return m_series.size(); }
    // What hovering `series` at `at` (chart coordinates: seconds relative to now, value) shows: the
    // line's name, the time and value of the nearest point.
    QString hoverText(const QLineSeries *series, const QPointF &at) const;

    // Distinct colours for many lines: ten well-separated ones, then hues a golden angle apart in
    // three shades.
    static QColor lineColor(qsizetype index);

private:
    QLineSeries *seriesFor(const QString &line);
    void onHovered(const QLineSeries *series, const QPointF &point, bool state);

    QValueAxis *m_x;
    QValueAxis *m_y;
    QString m_unit;
    QHash<QString, QLineSeries *> m_series;
    QString m_dashedSuffix;
    QString m_note;
    ColorOf m_colorOf;
    qsizetype m_solidLines = 0; // solid lines made so far, for their colours without m_colorOf
    double m_shownTop = 0;
    QDateTime m_drawnAt; // the wall clock of x = 0 at the last redraw, for the hover text
};

} // namespace fulcrum::console
