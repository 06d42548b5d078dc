// SPDX-License-Identifier: GPL-3.0-or-later
// The console's live operations on the core in this process: undo, the side panel, the event
// timeline's filters, copying the table, attach targets and what is remembered between runs.
#include "AttachDialog.h"
#include "BackendTableModel.h"
#include "ChangeHistory.h"
#include "ConsoleOptions.h"
#include "ConsoleSettings.h"
#include "ControlPanel.h"
#include "EmbeddedDemoWindow.h"
#include "EmbeddedSource.h"
#include "EventLogModel.h"
#include "EventTimeline.h"
#include "MainWindow.h"
#include "SnapshotEvents.h"
#include "proxy/ProxyServer.h"

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using namespace fulcrum::console;

class ConsoleOperationsTest : public QObject
{
    Q_OBJECT

private:
    int coreWeight(const QString &name) const
    {
        const auto status = m_source->server().backends().status(name);
        return status ? status->config.weight : -1;
    }
    BackendState operatorState(const QString &name) const
    {
        return m_source->server().backends().status(name)->operatorState;
    }
    QStringList shownColumn(int column) const
    {
        QStringList values;
        const QAbstractItemModel *model = m_window->events()->filtered();
        for (int row = 0; row < model->rowCount(); ++row)
            values.append(model->index(row, column).data().toString());
        return values;
    }
    // Makes the backend the table's current row, as a click would.
    void selectInTable(const QString &name)
    {
        QTableView *table = m_window->table();
        const QAbstractItemModel *model = table->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, BackendTableModel::Name).data().toString() == name)
                table->setCurrentIndex(model->index(row, BackendTableModel::Name));
        }
    }

    fulcrum::test::EmbeddedDemoWindow m_demo;
    EmbeddedSource *m_source = nullptr;
    MainWindow *m_window = nullptr;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        // QSettings under a test directory, never the user's own.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"FulcrumTest"_s);
        QCoreApplication::setApplicationName(u"console-operations"_s);
        QSettings().clear();

        const QString failure = m_demo.start();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_source = m_demo.source.get();
        m_window = m_demo.window.get();
    }

    void cleanupTestCase()
    {
        m_demo.stop();
        QSettings().clear();
    }

    void undoRestoresTheWeightThatWasThere()
    {
        const int before = coreWeight(u"gamma"_s);
        QVERIFY(!m_window->undoAction()->isEnabled());
        m_window->setWeight(u"gamma"_s, 9);
        QCOMPARE(coreWeight(u"gamma"_s), 9);
        QCOMPARE(m_window->history()->size(), 1);
        QCOMPARE(m_window->history()->undoText(), u"weight of gamma %1 → 9"_s.arg(before));
        QVERIFY(m_window->undoAction()->isEnabled());
        m_window->undoAction()->trigger();
        QCOMPARE(coreWeight(u"gamma"_s), before);
        QCOMPARE(m_window->history()->size(), 0);
        QVERIFY(!m_window->undoAction()->isEnabled());
    }

    void refusedChangeIsNotUndoable()
    {
        QSignalSpy failures(m_source, &ConsoleSource::operationFailed);
        m_window->setWeight(u"alpha"_s, 5000);
        QCOMPARE(failures.size(), 1);
        QCOMPARE(m_window->history()->size(), 0);
        QVERIFY(!m_window->history()->undo());
        QVERIFY(m_window->lastError().contains(u"weight"_s));
    }

    void undoRestoresTheState()
    {
        m_window->setState(u"beta"_s, u"drain"_s);
        QCOMPARE(operatorState(u"beta"_s), BackendState::Draining);
        QCOMPARE(m_window->history()->undoText(), u"state of beta up → drain"_s);
        QVERIFY(m_window->history()->undo());
        QCOMPARE(operatorState(u"beta"_s), BackendState::Up);
    }

    void drainingBackendHasNoShareOfWeight()
    {
        const auto weightShare = [this](const QString &name) {
            BackendTableModel *model = m_window->model();
            for (int row = 0; row < model->rowCount(); ++row) {
                if (model->backendName(row) == name)
                    return model->index(row, BackendTableModel::WeightShare)
                        .data(BackendTableModel::SortRole)
                        .toDouble();
            }
            return -1.0;
        };
        m_window->setState(u"beta"_s, u"drain"_s);
        QTRY_COMPARE_WITH_TIMEOUT(weightShare(u"beta"_s), 0.0, 5000);
        QCOMPARE(weightShare(u"alpha"_s), 0.5);
        QCOMPARE(weightShare(u"gamma"_s), 0.5);
        m_window->setState(u"beta"_s, u"up"_s);
        QTRY_COMPARE_WITH_TIMEOUT(weightShare(u"alpha"_s), 1.0 / 3.0, 5000);
    }

    void undoRemovesAnAddedBackend()
    {
        const quint16 port = m_source->server().backends().status(u"alpha"_s)->config.port;
        m_window->addBackend(u"delta"_s, u"http://127.0.0.1:%1"_s.arg(port), 2);
        QVERIFY(m_source->server().backends().status(u"delta"_s));
        QCOMPARE(m_window->history()->undoText(), u"adding delta"_s);
        QVERIFY(m_window->history()->undo());
        // It drains first, then leaves once nothing is in flight.
        QTRY_VERIFY_WITH_TIMEOUT(!m_source->server().backends().status(u"delta"_s), 10000);
    }

    void undoKeepsTheOrderOfChanges()
    {
        const int before = coreWeight(u"alpha"_s);
        const qsizetype earlier = m_window->history()->size();
        m_window->setWeight(u"alpha"_s, 3);
        m_window->setWeight(u"alpha"_s, 4);
        QCOMPARE(m_window->history()->size(), earlier + 2);
        QVERIFY(m_window->history()->undo());
        QCOMPARE(coreWeight(u"alpha"_s), 3);
        QVERIFY(m_window->history()->undo());
        QCOMPARE(coreWeight(u"alpha"_s), before);
    }

    void tableEditGoesThroughHistory()
    {
        BackendTableModel *model = m_window->model();
        int row = 0;
        while (model->backendName(row) != u"beta"_s)
            ++row;
        QVERIFY(model->setData(model->index(row, BackendTableModel::Weight), 6, Qt::EditRole));
        QCOMPARE(coreWeight(u"beta"_s), 6);
        QCOMPARE(m_window->history()->undoText(), u"weight of beta 1 → 6"_s);
        QVERIFY(m_window->history()->undo());
        QCOMPARE(coreWeight(u"beta"_s), 1);
    }

    void sidePanelFollowsSelectionAndSetsWeight()
    {
        QSignalSpy snapshots(m_source, &ConsoleSource::snapshotArrived);
        QVERIFY(snapshots.wait(5000));
        selectInTable(u"gamma"_s);
        ControlPanel *panel = m_window->controls();
        QCOMPARE(panel->backend(), u"gamma"_s);
        QCOMPARE(panel->weightBox()->value(), coreWeight(u"gamma"_s));
        panel->weightBox()->setValue(12);
        QCOMPARE(coreWeight(u"gamma"_s), 12);
        panel->weightSlider()->setValue(20); // as the keyboard moves it
        QCOMPARE(coreWeight(u"gamma"_s), 20);
        QCOMPARE(panel->weightBox()->value(), 20);
        QVERIFY(m_window->history()->undo());
        QCOMPARE(coreWeight(u"gamma"_s), 12);
    }

    void demoRateSliderSetsTheTraffic()
    {
        QSlider *rate = m_window->controls()->rateSlider();
        QVERIFY(rate->isVisibleTo(m_window));
        rate->setValue(350);
        QCOMPARE(m_source->demoRate(), 350);
        m_window->setDemoRate(100);
        QCOMPARE(rate->value(), 100);
    }

    void timelineFiltersByKindBackendAndText()
    {
        EventTimeline *timeline = m_window->events();
        QVERIFY(timeline->log()->kindsSeen().contains(u"weight"_s));
        QVERIFY(timeline->log()->kindsSeen().contains(u"state"_s));
        QVERIFY(timeline->log()->backendsSeen().contains(u"gamma"_s));

        QComboBox *kinds = timeline->kindFilter();
        kinds->setCurrentIndex(kinds->findData(u"weight"_s));
        const QStringList shownKinds = shownColumn(EventLogModel::Kind);
        QVERIFY(!shownKinds.isEmpty());
        QCOMPARE(shownKinds.count(u"weight"_s), shownKinds.size());

        QComboBox *backends = timeline->backendFilter();
        backends->setCurrentIndex(backends->findData(u"gamma"_s));
        const QStringList shownBackends = shownColumn(EventLogModel::Backend);
        QVERIFY(!shownBackends.isEmpty());
        QCOMPARE(shownBackends.count(u"gamma"_s), shownBackends.size());

        timeline->search()->setText(u"-> 9 "_s);
        QCOMPARE(timeline->filtered()->rowCount(), 1);
        timeline->search()->setText(u"no such text"_s);
        QCOMPARE(timeline->filtered()->rowCount(), 0);

        timeline->search()->clear();
        kinds->setCurrentIndex(0);
        backends->setCurrentIndex(0);
        QCOMPARE(timeline->filtered()->rowCount(), timeline->log()->rowCount());
    }

    void timelineKeepsTheNewestEvents()
    {
        EventLogModel log;
        for (int i = 0; i < EventLogModel::kMaxEvents + 5; ++i)
            log.append({QDateTime::currentDateTime(), u"weight"_s, u"b"_s, QString::number(i), {}, {}});
        QCOMPARE(log.rowCount(), EventLogModel::kMaxEvents);
        QCOMPARE(log.event(0).text, QString::number(EventLogModel::kMaxEvents + 4));
        QCOMPARE(log.event(EventLogModel::kMaxEvents - 1).text, u"5"_s);
    }

    void copyTableGivesCsvInShownOrder()
    {
        m_window->table()->sortByColumn(BackendTableModel::Name, Qt::DescendingOrder);
        const QStringList lines = m_window->tableCsv().split(u"\r\n"_s, Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 3);
        QVERIFY(lines[0].startsWith(u"Name,"_s));
        QVERIFY(lines[1].startsWith(u"gamma,"_s));
        QVERIFY(lines[2].startsWith(u"beta,"_s));
        QVERIFY(lines[3].startsWith(u"alpha,"_s));
        QCOMPARE(lines[1].count(u','), lines[0].count(u','));
        m_window->table()->sortByColumn(BackendTableModel::Name, Qt::AscendingOrder);
    }

    void breakerRefusalsBecomeEvents()
    {
        MetricsSnapshot before;
        BackendMetrics a;
        a.name = u"a"_s;
        a.requests = 10;
        before.backends = {a};
        MetricsSnapshot after = before;
        after.backends[0].requests = 20;
        after.backends[0].circuitOpen = 4;
        after.backends[0].retryExhausted = 1;
        BackendMetrics fresh;
        fresh.name = u"fresh"_s;
        fresh.circuitOpen = 9; // new since the last snapshot: no interval to report on
        after.backends.append(fresh);
        const QList<ConsoleEvent> events = eventsBetween(before, after);
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].kind, u"breaker"_s);
        QCOMPARE(events[0].backend, u"a"_s);
        QCOMPARE(events[0].text, u"circuit breaker refused 4 requests"_s);
        QCOMPARE(events[1].kind, u"retry-exhausted"_s);
        QVERIFY(eventsBetween(after, after).isEmpty());
    }

    void attachDialogChecksItsFields()
    {
        AttachDialog dialog;
        dialog.setTarget({QUrl(u"ftp://somewhere"_s), m_dir.filePath(u"missing-token"_s)});
        QVERIFY(!dialog.validate());
        QVERIFY(dialog.urlError().contains(u"http://HOST:PORT"_s));
        QVERIFY(dialog.tokenFileError().contains(u"missing-token"_s));

        const QString tokenFile = m_dir.filePath(u"token"_s);
        QFile file(tokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("secret\n");
        file.close();
        dialog.setTarget({QUrl(u"http://127.0.0.1:9901"_s), tokenFile});
        QVERIFY(dialog.validate());
        QVERIFY(dialog.urlError().isEmpty());
        QCOMPARE(dialog.target().url, QUrl(u"http://127.0.0.1:9901"_s));
        QCOMPARE(dialog.target().tokenFile, tokenFile);
    }

    void attachUrlNeedsHostAndPort()
    {
        QString error;
        QCOMPARE(parseAttachUrl(u"http://127.0.0.1:9901"_s, &error), QUrl(u"http://127.0.0.1:9901"_s));
        QVERIFY(error.isEmpty());
        QVERIFY(parseAttachUrl(u"http://127.0.0.1"_s, &error).isEmpty());
        QVERIFY(error.contains(u"HOST:PORT"_s));
    }

    void recentListsAreRememberedNewestFirst()
    {
        for (int i = 0; i < ConsoleSettings::kMaxRecent + 2; ++i)
            ConsoleSettings::rememberConfig(u"/etc/fulcrum/%1.json"_s.arg(i));
        ConsoleSettings::rememberConfig(u"/etc/fulcrum/5.json"_s);
        const QStringList configs = ConsoleSettings::recentConfigs();
        QCOMPARE(configs.size(), ConsoleSettings::kMaxRecent);
        QCOMPARE(configs.constFirst(), u"/etc/fulcrum/5.json"_s);
        QCOMPARE(configs.count(u"/etc/fulcrum/5.json"_s), 1);
        QCOMPARE(configs[1], u"/etc/fulcrum/9.json"_s);

        const AttachTarget first{QUrl(u"http://127.0.0.1:9901"_s), u"/run/token"_s};
        const AttachTarget second{QUrl(u"http://10.0.0.5:9901"_s), QString()};
        ConsoleSettings::rememberAttachTarget(first);
        ConsoleSettings::rememberAttachTarget(second);
        ConsoleSettings::rememberAttachTarget(first);
        QCOMPARE(ConsoleSettings::recentAttachTargets(), (QList<AttachTarget>{first, second}));
    }

    void layoutIsRestoredInTheNextWindow()
    {
        m_window->table()->setColumnWidth(BackendTableModel::Url, 321);
        ConsoleSettings::saveLayout(m_window);
        QVERIFY(ConsoleSettings::hasSavedLayout(u"backendColumns"_s));
        EmbeddedSource idle(QString(), false);
        MainWindow next(&idle);
        QCOMPARE(next.table()->columnWidth(BackendTableModel::Url), 321);
    }
};

QTEST_MAIN(ConsoleOperationsTest)
#include "tst_console_operations.moc"
