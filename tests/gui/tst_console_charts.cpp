// SPDX-License-Identifier: GPL-3.0-or-later
// The console's charts and backend table fed hand-built snapshots: exact points per chart, error deltas,
// pause, PNG export, many backends.
#include "BackendTableModel.h"
#include "ChartPanel.h"
#include "TimeChart.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QImage>
#include <QLineSeries>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using namespace fulcrum::console;

namespace {

BackendMetrics backendOf(const QString &name, double rate1s, double rate10s, int weight, quint64 p50Us = 0,
                         quint64 p99Us = 0)
{
    BackendMetrics backend;
    backend.name = name;
    backend.pool = u"default"_s;
    backend.url = u"http://127.0.0.1:1/"_s;
    backend.state = u"up"_s;
    backend.weight = weight;
    backend.effectiveWeight = weight;
    backend.requestRate1s = rate1s;
    backend.requestRate10s = rate10s;
    backend.responseTime.p50Us = p50Us;
    backend.responseTime.p99Us = p99Us;
    return backend;
}

MetricsSnapshotPtr snapshotOf(const QList<BackendMetrics> &backends, qint64 uptimeMs)
{
    auto snapshot = std::make_shared<MetricsSnapshot>();
    snapshot->time = QDateTime::currentDateTime();
    snapshot->uptimeMs = uptimeMs;
    snapshot->backends = backends;
    return snapshot;
}

QList<double> yOf(const QLineSeries *series)
{
    QList<double> values;
    if (series) {
        for (const QPointF &point : series->points())
            values.append(point.y());
    }
    return values;
}

QList<double> xOf(const QLineSeries *series)
{
    QList<double> values;
    if (series) {
        for (const QPointF &point : series->points())
            values.append(point.x());
    }
    return values;
}

// Counters of the errors-by-kind chart: connect errors, timeouts, resets, invalid responses, 5xx,
// circuit-breaker refusals.
BackendMetrics withErrors(BackendMetrics backend, std::array<quint64, 6> counts)
{
    backend.connectErrors = counts[0];
    backend.timeouts = counts[1];
    backend.resets = counts[2];
    backend.invalidResponses = counts[3];
    backend.responsesByClass[4] = counts[4];
    backend.circuitOpen = counts[5];
    return backend;
}

QList<BackendMetrics> manyBackends(int count, double rate)
{
    QList<BackendMetrics> backends;
    for (int i = 0; i < count; ++i) {
        backends.append(backendOf(u"b%1"_s.arg(i, 2, 10, QLatin1Char('0')), rate + i, rate + i, 1 + i % 5,
                                  1000 + i, 5000 + i));
    }
    return backends;
}

} // namespace

class ConsoleChartsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void perBackendChartsGetExactPoints()
    {
        ChartPanel panel;
        for (int tick = 1; tick <= 3; ++tick) {
            panel.addSnapshot(snapshotOf({backendOf(u"alpha"_s, 10 + tick, 10, 1, 2000, 9000 + 1000 * tick),
                                          backendOf(u"beta"_s, 30, 30, 3, 1500 * tick, 4000)},
                                         1000 * tick),
                              tick);
        }
        QCOMPARE(panel.rateChart()->seriesCount(), 2);
        QCOMPARE(yOf(panel.rateChart()->series(u"alpha"_s)), QList<double>({11, 12, 13}));
        QCOMPARE(yOf(panel.rateChart()->series(u"beta"_s)), QList<double>({30, 30, 30}));
        // The newest point is now (0), the oldest two seconds before it.
        QCOMPARE(xOf(panel.rateChart()->series(u"alpha"_s)), QList<double>({-2, -1, 0}));

        QCOMPARE(panel.shareChart()->seriesCount(), 4);
        QCOMPARE(yOf(panel.shareChart()->series(u"alpha"_s)), QList<double>({25, 25, 25}));
        QCOMPARE(yOf(panel.shareChart()->series(u"beta"_s)), QList<double>({75, 75, 75}));
        QCOMPARE(yOf(panel.shareChart()->series(u"beta weight"_s)), QList<double>({75, 75, 75}));

        QCOMPARE(panel.latencyChart()->seriesCount(), 4);
        QCOMPARE(yOf(panel.latencyChart()->series(u"alpha"_s)), QList<double>({10, 11, 12}));
        QCOMPARE(yOf(panel.latencyChart()->series(u"beta"_s)), QList<double>({4, 4, 4}));
        QCOMPARE(yOf(panel.latencyChart()->series(u"alpha p50"_s)), QList<double>({2, 2, 2}));
        QCOMPARE(yOf(panel.latencyChart()->series(u"beta p50"_s)), QList<double>({1.5, 3, 4.5}));
    }

    void p50IsDashedInItsBackendsColour()
    {
        ChartPanel panel;
        panel.addSnapshot(
            *snapshotOf({backendOf(u"alpha"_s, 1, 1, 1, 100, 200), backendOf(u"beta"_s, 1, 1, 1)}, 1000), 1);
        for (const QString &name : {u"alpha"_s, u"beta"_s}) {
            const QLineSeries *p99 = panel.latencyChart()->series(name);
            const QLineSeries *p50 = panel.latencyChart()->series(name + u" p50"_s);
            QVERIFY(p99);
            QVERIFY(p50);
            QCOMPARE(p99->pen().style(), Qt::SolidLine);
            QCOMPARE(p50->pen().style(), Qt::DashLine);
            QCOMPARE(p50->pen().color(), p99->pen().color());
            // The same backend has the same colour in every chart.
            QCOMPARE(panel.rateChart()->series(name)->pen().color(), p99->pen().color());
            QCOMPARE(panel.shareChart()->series(name)->pen().color(), p99->pen().color());
        }
        QVERIFY(panel.latencyChart()->series(u"alpha"_s)->pen().color() !=
                panel.latencyChart()->series(u"beta"_s)->pen().color());
    }

    void errorsByKindArePerSecondDeltasOverBackends()
    {
        ChartPanel panel;
        const auto alpha = backendOf(u"alpha"_s, 1, 1, 1);
        const auto beta = backendOf(u"beta"_s, 1, 1, 1);
        const auto gamma = backendOf(u"gamma"_s, 1, 1, 1);
        // Tick 1 is the baseline: what the counters held before the console watched is no spike.
        panel.addSnapshot(
            *snapshotOf({withErrors(alpha, {5, 0, 0, 0, 0, 0}), withErrors(beta, {0, 0, 0, 0, 100, 7})},
                        1000),
            1);
        QCOMPARE(panel.errorsChart()->seriesCount(), 0);
        // Tick 2, one second later: alpha +2 connect errors, +3 timeouts, +1 reset, +4 invalid; beta +4 5xx,
        // +1 refusal.
        panel.addSnapshot(
            *snapshotOf({withErrors(alpha, {7, 3, 1, 4, 0, 0}), withErrors(beta, {0, 0, 0, 0, 104, 8})},
                        2000),
            2);
        // Tick 3: beta is gone (its 104 5xx must not come off as -104), alpha +1 reset; gamma is new and
        // counted from zero.
        panel.addSnapshot(
            *snapshotOf({withErrors(alpha, {7, 3, 2, 4, 0, 0}), withErrors(gamma, {0, 0, 0, 0, 2, 0})}, 3000),
            3);
        // Tick 4, two seconds later (a late snapshot): alpha +4 timeouts, gamma +6 5xx: halved.
        panel.addSnapshot(
            *snapshotOf({withErrors(alpha, {7, 7, 2, 4, 0, 0}), withErrors(gamma, {0, 0, 0, 0, 8, 0})}, 5000),
            5);
        // Tick 5: alpha was removed and added again (its counters restarted at 0 and now show 1 reset).
        panel.addSnapshot(
            *snapshotOf({withErrors(alpha, {0, 0, 1, 0, 0, 0}), withErrors(gamma, {0, 0, 0, 0, 8, 0})}, 6000),
            6);

        const TimeChart *errors = panel.errorsChart();
        QCOMPARE(errors->seriesCount(), 6);
        const auto kind = [errors](int k) { return yOf(errors->series(ChartPanel::errorKindName(k))); };
        QCOMPARE(kind(ChartPanel::ConnectErrors), QList<double>({2, 0, 0, 0}));
        QCOMPARE(kind(ChartPanel::Timeouts), QList<double>({3, 0, 2, 0}));
        QCOMPARE(kind(ChartPanel::Resets), QList<double>({1, 1, 0, 1}));
        QCOMPARE(kind(ChartPanel::InvalidResponses), QList<double>({4, 0, 0, 0}));
        QCOMPARE(kind(ChartPanel::Answers5xx), QList<double>({4, 2, 3, 0}));
        QCOMPARE(kind(ChartPanel::CircuitBreakerRefusals), QList<double>({1, 0, 0, 0}));
        QCOMPARE(xOf(errors->series(ChartPanel::errorKindName(ChartPanel::Answers5xx))),
                 QList<double>({-4, -3, -1, 0}));
        for (int k = 0; k < ChartPanel::ErrorKindCount; ++k) {
            for (double value : kind(k))
                QVERIFY(value >= 0);
        }
    }

    void pausedChartsStandStillAndResumeShowsTheHistory()
    {
        ChartPanel panel;
        const auto tick = [&panel](int second) {
            panel.addSnapshot(*snapshotOf({withErrors(backendOf(u"alpha"_s, second, second, 1, 1000, 2000),
                                                      {quint64(second), 0, 0, 0, 0, 0})},
                                          1000 * second),
                              second);
        };
        tick(1);
        tick(2);
        panel.setPaused(true);
        QVERIFY(panel.isPaused());
        tick(3);
        tick(4);
        tick(5);
        QCOMPARE(yOf(panel.rateChart()->series(u"alpha"_s)), QList<double>({1, 2}));
        QCOMPARE(yOf(panel.latencyChart()->series(u"alpha p50"_s)), QList<double>({1, 1}));
        QCOMPARE(yOf(panel.errorsChart()->series(ChartPanel::errorKindName(ChartPanel::ConnectErrors))),
                 QList<double>({1}));
        panel.setPaused(false);
        QCOMPARE(yOf(panel.rateChart()->series(u"alpha"_s)), QList<double>({1, 2, 3, 4, 5}));
        QCOMPARE(xOf(panel.rateChart()->series(u"alpha"_s)), QList<double>({-4, -3, -2, -1, 0}));
        QCOMPARE(yOf(panel.errorsChart()->series(ChartPanel::errorKindName(ChartPanel::ConnectErrors))),
                 QList<double>({1, 1, 1, 1}));
    }

    void hoverTextNamesLineTimeAndValue()
    {
        ChartPanel panel;
        for (int second = 1; second <= 3; ++second)
            panel.addSnapshot(*snapshotOf({backendOf(u"alpha"_s, 10 * second, 1, 1)}, 1000 * second), second);
        const TimeChart *rate = panel.rateChart();
        const QString text = rate->hoverText(rate->series(u"alpha"_s), QPointF(-0.8, 17));
        QVERIFY2(text.startsWith(u"alpha\n"_s), qPrintable(text));
        QVERIFY2(text.contains(u"(1 s ago)"_s), qPrintable(text));
        QVERIFY2(text.endsWith(u"20.0 req/s"_s), qPrintable(text));
        QVERIFY2(QRegularExpression(u"\\d\\d:\\d\\d:\\d\\d"_s).match(text).hasMatch(), qPrintable(text));
    }

    void savePngWritesAPicture()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ChartPanel panel;
        for (int second = 1; second <= 5; ++second) {
            panel.addSnapshot(*snapshotOf({backendOf(u"alpha"_s, second, second, 1, 1000, 3000),
                                           backendOf(u"beta"_s, 2, 2, 2, 2000, 4000)},
                                          1000 * second),
                              second);
        }
        const QString path = dir.filePath(u"charts.png"_s);
        QString error;
        QVERIFY2(panel.savePng(path, &error), qPrintable(error));
        const QImage image(path);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 100);
        QVERIFY(image.height() > 400); // four charts, one above the other
        // Not a blank picture: the lines, axes and titles are drawn.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7) {
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        }
        QVERIFY(colours.size() > 3);

        QVERIFY(!panel.savePng(dir.filePath(u"missing/dir/charts.png"_s), &error));
        QVERIFY(!error.isEmpty());
    }

    void manyBackendsShowTheBusiestWithDistinctColours()
    {
        ChartPanel panel;
        QCOMPARE(panel.maxBackendLines(), ChartPanel::kDefaultMaxBackendLines);
        panel.addSnapshot(*snapshotOf(manyBackends(64, 100), 1000), 1);
        const int shown = ChartPanel::kDefaultMaxBackendLines;
        QCOMPARE(panel.rateChart()->seriesCount(), shown);
        QCOMPARE(panel.shareChart()->seriesCount(), 2 * shown);
        QCOMPARE(panel.latencyChart()->seriesCount(), 2 * shown);
        // The busiest are the last ones (rate 100 + i).
        QCOMPARE(panel.shownBackends().constFirst(), u"b54"_s);
        QVERIFY(panel.rateChart()->series(u"b63"_s));
        QVERIFY(!panel.rateChart()->series(u"b00"_s));
        QCOMPARE(panel.rateChart()->note(), u"busiest 10 of 64 backends"_s);
        QCOMPARE(panel.latencyChart()->note(), u"busiest 10 of 64 backends"_s);
        QVERIFY(!panel.rateChart()->legendShown());
        QVERIFY(panel.errorsChart()->legendShown());
        QVERIFY(panel.rateChart()
                    ->hoverText(panel.rateChart()->series(u"b63"_s), QPointF(0, 0))
                    .endsWith(u"(busiest 10 of 64 backends)"_s));

        // Noise does not swap lines; a backend clearly busier than the shown ones does.
        QList<BackendMetrics> next = manyBackends(64, 100);
        next[0].requestRate10s = 170; // above b54..b63 (154..163) but within 25 %
        panel.addSnapshot(*snapshotOf(next, 2000), 2);
        QVERIFY(!panel.rateChart()->series(u"b00"_s));
        next[0].requestRate10s = 500;
        panel.addSnapshot(*snapshotOf(next, 3000), 3);
        QVERIFY(panel.rateChart()->series(u"b00"_s));
        QVERIFY(!panel.rateChart()->series(u"b54"_s));
        QCOMPARE(panel.rateChart()->seriesCount(), shown);
        // It comes with its history: every tick of it, shown or not, was kept.
        QCOMPARE(panel.rateChart()->series(u"b00"_s)->count(), 3);

        panel.setMaxBackendLines(0);
        panel.addSnapshot(*snapshotOf(next, 4000), 4);
        QCOMPARE(panel.rateChart()->seriesCount(), 64);
        QVERIFY(panel.rateChart()->note().isEmpty());
        QSet<QRgb> colours;
        for (int i = 0; i < 64; ++i)
            colours.insert(
                panel.rateChart()->series(u"b%1"_s.arg(i, 2, 10, QLatin1Char('0')))->color().rgb());
        QCOMPARE(colours.size(), 64);
    }

    // Not a pass/fail check: what one chart tick costs at 64 backends with a full 5-minute history,
    // drawing the busiest 10 (the default) or every backend, for docs/benchmarks.md.
    void chartTickCost_data()
    {
        QTest::addColumn<int>("lines");
        QTest::newRow("busiest 10") << ChartPanel::kDefaultMaxBackendLines;
        QTest::newRow("all 64") << 0;
    }

    void chartTickCost()
    {
        QFETCH(int, lines);
        ChartPanel panel;
        panel.setMaxBackendLines(lines);
        panel.resize(380, 900);
        panel.show();
        QList<BackendMetrics> backends = manyBackends(64, 100);
        for (int second = 1; second <= ChartPanel::kWindowSeconds; ++second) {
            for (BackendMetrics &backend : backends)
                backend.requestRate1s = 100 + (second * 7 + backend.responseTime.p50Us) % 13;
            panel.addSnapshot(*snapshotOf(backends, 1000 * second), second);
        }
        QCoreApplication::processEvents();
        constexpr int kTicks = 30;
        QElapsedTimer timer;
        timer.start();
        for (int tick = 1; tick <= kTicks; ++tick) {
            const int second = ChartPanel::kWindowSeconds + tick;
            for (BackendMetrics &backend : backends)
                backend.requestRate1s = 100 + (second * 7 + backend.responseTime.p50Us) % 13;
            panel.addSnapshot(*snapshotOf(backends, 1000 * second), second);
            panel.repaint();
            QCoreApplication::processEvents();
        }
        qInfo("%s: %.2f ms per chart tick at 64 backends", QTest::currentDataTag(),
              double(timer.nsecsElapsed()) / 1e6 / kTicks);
    }

    void tableUpdatesWithoutResetForTheSameBackends()
    {
        BackendTableModel model;
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
        model.setSnapshot(snapshotOf(manyBackends(64, 100), 1000));
        QCOMPARE(model.rowCount(), 64);
        QCOMPARE(resets.size(), 1);
        QCOMPARE(changes.size(), 0);

        // Only the latency of rows 3 and 40 moves: one signal over rows 3..40, column p99 alone.
        QList<BackendMetrics> next = manyBackends(64, 100);
        next[3].responseTime.p99Us += 100;
        next[40].responseTime.p99Us += 100;
        model.setSnapshot(snapshotOf(next, 2000));
        QCOMPARE(resets.size(), 1);
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes.constFirst().at(0).toModelIndex(), model.index(3, BackendTableModel::P99));
        QCOMPARE(changes.constFirst().at(1).toModelIndex(), model.index(40, BackendTableModel::P99));
        QCOMPARE(model.data(model.index(40, BackendTableModel::P99), Qt::DisplayRole).toString(),
                 u"5.1 ms"_s);

        // Nothing changed: nothing to redraw.
        model.setSnapshot(snapshotOf(next, 3000));
        QCOMPARE(changes.size(), 1);

        // A rate change moves the rate and every share.
        next[10].requestRate10s = 1000;
        model.setSnapshot(snapshotOf(next, 4000));
        QCOMPARE(resets.size(), 1);
        QCOMPARE(changes.size(), 2);
        QCOMPARE(changes.at(1).at(0).toModelIndex(), model.index(0, BackendTableModel::RequestRate));
        QCOMPARE(changes.at(1).at(1).toModelIndex(), model.index(63, BackendTableModel::TrafficShare));

        // Another backend set: a reset.
        next.removeLast();
        model.setSnapshot(snapshotOf(next, 5000));
        QCOMPARE(resets.size(), 2);
        QCOMPARE(model.rowCount(), 63);
    }

    // Not a pass/fail check: what one table update costs at 64 backends, with the header measuring
    // every cell (ResizeToContents) and without, for docs/benchmarks.md.
    void tableUpdateCost_data()
    {
        QTest::addColumn<bool>("resizeToContents");
        QTest::newRow("ResizeToContents") << true;
        QTest::newRow("Interactive") << false;
    }

    void tableUpdateCost()
    {
        QFETCH(bool, resizeToContents);
        BackendTableModel model;
        QTableView view;
        view.setModel(&model);
        view.horizontalHeader()->setSectionResizeMode(resizeToContents ? QHeaderView::ResizeToContents
                                                                       : QHeaderView::Interactive);
        view.resize(1000, 700);
        view.show();
        QList<BackendMetrics> backends = manyBackends(64, 100);
        model.setSnapshot(snapshotOf(backends, 0));
        QCoreApplication::processEvents();
        constexpr int kUpdates = 100;
        QElapsedTimer timer;
        timer.start();
        for (int update = 1; update <= kUpdates; ++update) {
            for (BackendMetrics &backend : backends) {
                backend.requestRate10s += 0.7;
                backend.responseTime.p99Us += 13;
                backend.activeConnections = update % 7;
            }
            model.setSnapshot(snapshotOf(backends, 1000 * update));
            view.viewport()->repaint();
            view.horizontalHeader()->viewport()->repaint();
            QCoreApplication::processEvents();
        }
        qInfo("%s: %.2f ms per table update at 64 backends", QTest::currentDataTag(),
              double(timer.nsecsElapsed()) / 1e6 / kUpdates);
    }
};

QTEST_MAIN(ConsoleChartsTest)
#include "tst_console_charts.moc"
