// SPDX-License-Identifier: GPL-3.0-or-later
// The console on the core in this process: table, weight edits, charts and exports.
#include "AddBackendDialog.h"
#include "BackendTableModel.h"
#include "ChartPanel.h"
#include "EmbeddedDemoWindow.h"
#include "EmbeddedSource.h"
#include "MainWindow.h"
#include "SeriesHistory.h"
#include "SnapshotFileExport.h"
#include "SseParser.h"
#include "TimeChart.h"
#include "proxy/ProxyServer.h"

#include <QApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using namespace fulcrum::console;

class ConsoleEmbeddedTest : public QObject
{
    Q_OBJECT

private:
    int rowOf(const QString &name) const
    {
        for (int row = 0; row < m_window->model()->rowCount(); ++row) {
            if (m_window->model()->backendName(row) == name)
                return row;
        }
        return -1;
    }
    int coreWeight(const QString &name) const
    {
        const auto status = m_source->server().backends().status(name);
        return status ? status->config.weight : -1;
    }
    bool exportTo(const QString &path)
    {
        SnapshotFileExport job(m_source, path);
        QSignalSpy finished(&job, &SnapshotFileExport::finished);
        job.start();
        return (!finished.isEmpty() || finished.wait(5000)) && finished.constFirst().at(0).toBool();
    }

    fulcrum::test::EmbeddedDemoWindow m_demo;
    EmbeddedSource *m_source = nullptr;
    MainWindow *m_window = nullptr;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        const QString failure = m_demo.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_source = m_demo.source.get();
        m_window = m_demo.window.get();
    }

    void cleanupTestCase() { m_demo.stop(); }

    void modelReflectsSnapshot()
    {
        BackendTableModel *model = m_window->model();
        QCOMPARE(model->rowCount(), 3);
        QStringList names;
        for (int row = 0; row < 3; ++row)
            names.append(model->backendName(row));
        names.sort();
        QCOMPARE(names, (QStringList{u"alpha"_s, u"beta"_s, u"gamma"_s}));
        const int row = rowOf(u"beta"_s);
        QCOMPARE(model->data(model->index(row, BackendTableModel::State), Qt::DisplayRole).toString(),
                 u"up"_s);
        QCOMPARE(model->data(model->index(row, BackendTableModel::Weight), Qt::EditRole).toInt(), 1);
        QVERIFY(model->data(model->index(row, BackendTableModel::Url), Qt::DisplayRole)
                    .toString()
                    .startsWith(u"http://127.0.0.1:"_s));
        // The demo traffic reaches the backends, and the table shows it.
        QTRY_VERIFY_WITH_TIMEOUT(
            model->data(model->index(row, BackendTableModel::RequestRate), BackendTableModel::SortRole)
                    .toDouble() > 0,
            10000);
    }

    void editingWeightChangesCore()
    {
        BackendTableModel *model = m_window->model();
        const int row = rowOf(u"gamma"_s);
        QVERIFY(model->flags(model->index(row, BackendTableModel::Weight)) & Qt::ItemIsEditable);
        QVERIFY(model->setData(model->index(row, BackendTableModel::Weight), 7, Qt::EditRole));
        QCOMPARE(coreWeight(u"gamma"_s), 7);
        QTRY_COMPARE_WITH_TIMEOUT(
            model->data(model->index(rowOf(u"gamma"_s), BackendTableModel::Weight), Qt::EditRole).toInt(), 7,
            5000);
    }

    void badWeightShowsErrorAndChangesNothing()
    {
        BackendTableModel *model = m_window->model();
        QSignalSpy failures(m_source, &ConsoleSource::operationFailed);
        const int before = coreWeight(u"alpha"_s);
        model->setData(model->index(rowOf(u"alpha"_s), BackendTableModel::Weight), 5000, Qt::EditRole);
        QCOMPARE(failures.size(), 1);
        QVERIFY(!m_window->lastError().isEmpty());
        QCOMPARE(m_window->lastError(), failures.constFirst().at(0).toString());
        QCOMPARE(coreWeight(u"alpha"_s), before);
        QCOMPARE(
            model->data(model->index(rowOf(u"alpha"_s), BackendTableModel::Weight), Qt::EditRole).toInt(),
            before);
    }

    void chartsReceivePointsEachTick()
    {
        QSignalSpy snapshots(m_source, &ConsoleSource::snapshotArrived);
        QVERIFY(snapshots.wait(5000));
        QLineSeries *rate = m_window->charts()->rateChart()->series(u"alpha"_s);
        QVERIFY(rate);
        const qsizetype before = rate->count();
        QVERIFY(snapshots.wait(5000));
        QCOMPARE(rate->count(), before + 1);
        QCOMPARE(m_window->charts()->shareChart()->seriesCount(), 6);
        QVERIFY(m_window->charts()->latencyChart()->series(u"gamma"_s));
    }

    void exportWritesParsableFiles()
    {
        const QString json = m_dir.filePath(u"snap.json"_s);
        QVERIFY(exportTo(json));
        QFile jsonFile(json);
        QVERIFY(jsonFile.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(jsonFile.readAll()).object();
        QCOMPARE(root.value(u"schema"_s).toString(), u"fulcrum.snapshot/1"_s);

        const QString csv = m_dir.filePath(u"snap.csv"_s);
        QVERIFY(exportTo(csv));
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csvFile.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 3);
        QVERIFY(lines.constFirst().contains("name"));

        QVERIFY(!exportTo(m_dir.filePath(u"snap.txt"_s)));
    }

    void stateActionsReachTheCore()
    {
        m_source->setState(u"beta"_s, u"maintenance"_s);
        QCOMPARE(m_source->server().backends().status(u"beta"_s)->operatorState, BackendState::Maintenance);
        BackendTableModel *model = m_window->model();
        QTRY_COMPARE_WITH_TIMEOUT(
            model->data(model->index(rowOf(u"beta"_s), BackendTableModel::State), Qt::DisplayRole).toString(),
            u"maintenance"_s, 5000);
        m_source->setState(u"beta"_s, u"up"_s);
        QCOMPARE(m_source->server().backends().status(u"beta"_s)->operatorState, BackendState::Up);
    }

    void reloadWithoutConfigIsRefused()
    {
        QSignalSpy failures(m_source, &ConsoleSource::operationFailed);
        m_source->reload();
        QCOMPARE(failures.size(), 1);
        QVERIFY(failures.constFirst().at(0).toString().contains(u"--config"_s));
    }

    void addDialogShowsErrorsAtTheFields()
    {
        AddBackendDialog dialog;
        dialog.setValues(u"bad name!"_s, u"ftp://example"_s, 1);
        QVERIFY(!dialog.validate());
        QVERIFY(!dialog.nameError().isEmpty());
        QVERIFY(!dialog.urlError().isEmpty());
        dialog.setValues(u"delta"_s, u"http://127.0.0.1:9"_s, 3);
        QVERIFY(dialog.validate());
        QVERIFY(dialog.nameError().isEmpty());
    }

    void seriesHistoryKeepsTheWindow()
    {
        SeriesHistory history(3);
        for (int i = 0; i < 5; ++i)
            history.append(u"a"_s, i, i * 10);
        const QList<QPointF> points = history.points(u"a"_s);
        QCOMPARE(points.size(), 3);
        QCOMPARE(points.constFirst(), QPointF(2, 20));
        QCOMPARE(points.constLast(), QPointF(4, 40));
    }

    void sseParserJoinsSplitFrames()
    {
        SseParser parser;
        QVERIFY(parser.feed("id: 1\nevent: backend\nda").isEmpty());
        const QList<SseEvent> events = parser.feed("ta: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: x\n\n");
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].id, QByteArray("1"));
        QCOMPARE(events[0].name, QByteArray("backend"));
        QCOMPARE(events[0].data, QByteArray("{\"a\":1}"));
        QCOMPARE(events[1].name, QByteArray("message"));
    }
};

QTEST_MAIN(ConsoleEmbeddedTest)
#include "tst_console_embedded.moc"
