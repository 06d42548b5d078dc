// SPDX-License-Identifier: GPL-3.0-or-later
#include "TimeChart.h"

#include <QCursor>
#include <QLegendMarker>
#include <QLineSeries>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {

const QColor kLineColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                              QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                              QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                              QColor(0x17, 0xbe, 0xcf)};

// 1, 2, 5 × 10^k at or above `value`: the y axis keeps its range (and its labels' layout) while the
// lines move within it, instead of changing every tick.
double niceCeiling(double value)
{
    if (value <= 1)
        return 1;
    const double decade = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * decade)
            return step * decade;
    }
    return 10 * decade;
}

QString valueText(double value)
{
    return QString::number(value, 'f', std::abs(value) < 10 ? 2 : 1);
}

} // namespace

QColor TimeChart::lineColor(qsizetype index)
{
    const qsizetype fixed = qsizetype(std::size(kLineColors));
    if (index < fixed)
        return kLineColors[index];
    const qsizetype n = index - fixed;
    // Golden-angle steps never repeat a hue; the shades separate lines whose hues come close.
    const int hue = int(std::fmod(double(n) * 137.508 + 15.0, 360.0));
    static constexpr int kSaturation[] = {200, 255, 150};
    static constexpr int kValue[] = {200, 150, 230};
    const qsizetype shade = n % 3;
    return QColor::fromHsv(hue, kSaturation[shade], kValue[shade]);
}

TimeChart::TimeChart(const QString &title, const QString &unit, QWidget *parent)
    // Given its chart at construction: QChartView(parent) would make a default one, and setChart()
    // releases the old chart without deleting it.
    : QChartView(new QChart, parent), m_x(new QValueAxis), m_y(new QValueAxis), m_unit(unit)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont legendFont = chart->legend()->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.85);
    chart->legend()->setFont(legendFont);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_x->setTitleText(u"seconds ago"_s);
    m_x->setLabelFormat(u"%d"_s);
    m_x->setTickCount(7);
    m_x->setRange(-kMinimumWindowSeconds, 0);
    m_y->setTitleText(unit);
    m_y->setLabelFormat(u"%.0f"_s);
    m_y->setRange(0, 1);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(200);
    setMinimumWidth(370);
}

void TimeChart::setTitle(const QString &title)
{
    if (chart()->title() != title)
        chart()->setTitle(title);
}

QString TimeChart::title() const
{
    return chart()->title();
}

void TimeChart::setNote(const QString &note)
{
    if (note == m_note)
        return;
    m_note = note;
    m_x->setTitleText(note.isEmpty() ? u"seconds ago"_s : u"seconds ago — "_s + note);
}

bool TimeChart::legendShown() const
{
    return chart()->legend()->isVisible();
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
    const QString colourName = dashed ? line.chopped(m_dashedSuffix.size()) : line;
    QColor colour;
    if (m_colorOf) {
        colour = m_colorOf(colourName);
    } else if (dashed) {
        const QLineSeries *partner = m_series.value(colourName);
        colour = partner ? partner->color() : lineColor(m_solidLines);
    } else {
        colour = lineColor(m_solidLines++);
    }
    QPen pen = series->pen();
    pen.setColor(colour);
    pen.setWidthF(dashed ? 1.5 : 2.0);
    if (dashed)
        pen.setStyle(Qt::DashLine);
    series->setPen(pen);
    if (dashed) {
        // The legend names the solid partner; its dashed twin needs no entry of its own.
        for (QLegendMarker *marker : chart()->legend()->markers(series))
            marker->setVisible(false);
    }
    connect(series, &QXYSeries::hovered, this,
            [this, series](const QPointF &point, bool state) { onHovered(series, point, state); });
    m_series.insert(line, series);
    return series;
}

void TimeChart::showHistory(const SeriesHistory &history, double now, double windowSeconds)
{
    showHistory(history, history.lines(), now, windowSeconds);
}

void TimeChart::showHistory(const SeriesHistory &history, const QStringList &lines, double now,
                            double windowSeconds)
{
    const QSet<QString> wanted(lines.cbegin(), lines.cend());
    for (auto it = m_series.begin(); it != m_series.end();) {
        if (!wanted.contains(it.key()) || !history.contains(it.key())) {
            chart()->removeSeries(it.value());
            delete it.value();
            it = m_series.erase(it);
        } else {
            ++it;
        }
    }
    // Time runs from the left edge (oldest) to 0 (now); a young history gets a narrower window, at
    // least a minute, so its first points are not squeezed against the right edge.
    const double shown = std::min(windowSeconds, std::max(kMinimumWindowSeconds, std::ceil(now / 60) * 60));
    double top = 0;
    qsizetype legendEntries = 0;
    for (const QString &line : lines) {
        if (!history.contains(line))
            continue;
        if (m_dashedSuffix.isEmpty() || !line.endsWith(m_dashedSuffix))
            ++legendEntries;
        QList<QPointF> points = history.points(line);
        for (QPointF &point : points) {
            point.setX(point.x() - now);
            if (point.x() >= -shown)
                top = std::max(top, point.y());
        }
        seriesFor(line)->replace(points);
    }
    m_drawnAt = QDateTime::currentDateTime();
    m_x->setRange(-shown, 0);
    const bool legend = legendEntries <= kMaxLegendEntries;
    if (chart()->legend()->isVisible() != legend)
        chart()->legend()->setVisible(legend);
    const double niceTop = niceCeiling(top * 1.05);
    if (niceTop != m_shownTop) {
        m_shownTop = niceTop;
        // Ticks on round numbers: 1 → steps of 0.2, 2 → 0.5, 5 → 1 (times the decade).
        const double decade = std::pow(10.0, std::floor(std::log10(niceTop) + 1e-9));
        const int leading = int(std::lround(niceTop / decade));
        const int ticks = leading == 2 ? 5 : 6;
        const double step = niceTop / (ticks - 1);
        m_y->setTickCount(ticks);
        m_y->setLabelFormat(step < 1 ? u"%.1f"_s : u"%.0f"_s);
        m_y->setRange(0, niceTop);
    }
}

QString TimeChart::hoverText(const QLineSeries *series, const QPointF &at) const
{
    const QList<QPointF> points = series->points();
    if (points.isEmpty())
        return {};
    // The points are in time order: the nearest one in time is next to where `at` would go.
    const auto after = std::lower_bound(points.cbegin(), points.cend(), at.x(),
                                        [](const QPointF &point, double x) { return point.x() < x; });
    QPointF nearest = after == points.cend() ? points.constLast() : *after;
    if (after != points.cbegin() &&
        (after == points.cend() || at.x() - (after - 1)->x() < after->x() - at.x()))
        nearest = *(after - 1);
    const qint64 ago = qRound64(-nearest.x());
    const QDateTime when = (m_drawnAt.isValid() ? m_drawnAt : QDateTime::currentDateTime()).addSecs(-ago);
    QString text = u"%1\n%2 (%3 s ago)\n%4 %5"_s.arg(series->name(), when.toString(u"HH:mm:ss"_s),
                                                     QString::number(ago), valueText(nearest.y()), m_unit);
    if (!m_note.isEmpty())
        text += u"\n("_s + m_note + u')';
    return text;
}

void TimeChart::onHovered(const QLineSeries *series, const QPointF &point, bool state)
{
    if (state)
        QToolTip::showText(QCursor::pos(), hoverText(series, point), this);
    else
        QToolTip::hideText();
}

} // namespace fulcrum::console
