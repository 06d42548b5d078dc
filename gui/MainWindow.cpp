// SPDX-License-Identifier: GPL-3.0-or-later
#include "MainWindow.h"

#include "AddBackendDialog.h"
#include "AttachDialog.h"
#include "BackendTableModel.h"
#include "ChangeHistory.h"
#include "ChartPanel.h"
#include "ConsoleSettings.h"
#include "ControlPanel.h"
#include "EventTimeline.h"
#include "SaveRunningConfig.h"
#include "SnapshotEvents.h"
#include "SnapshotFileExport.h"
#include "SourceFactory.h"
#include "StateChipDelegate.h"
#include "TableCsv.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
constexpr int kMessageMs = 8'000;

QString durationText(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    return u"%1:%2:%3"_s.arg(seconds / 3600)
        .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

const BackendMetrics *findBackend(const MetricsSnapshotPtr &snapshot, const QString &name)
{
    if (!snapshot)
        return nullptr;
    for (const BackendMetrics &backend : snapshot->backends) {
        if (backend.name == name)
            return &backend;
    }
    return nullptr;
}
} // namespace

MainWindow::MainWindow(ConsoleSource *source, QWidget *parent)
    : QMainWindow(parent), m_source(source), m_history(new ChangeHistory(source, this)),
      m_model(new BackendTableModel(this)), m_sorted(new QSortFilterProxyModel(this)),
      m_table(new QTableView), m_charts(new ChartPanel), m_events(new EventTimeline),
      m_controls(new ControlPanel), m_sourceLabel(new QLabel), m_rateLabel(new QLabel),
      m_uptimeLabel(new QLabel), m_ageLabel(new QLabel), m_connectionLabel(new QLabel)
{
    setWindowTitle(u"Fulcrum console — "_s + source->description());
    buildLayout();
    buildActions();
    buildStatusBar();
    resize(1360, 860);
    ConsoleSettings::restoreLayout(this);
    m_columnsSized = ConsoleSettings::hasSavedLayout(m_table->horizontalHeader()->objectName());

    connect(source, &ConsoleSource::snapshotArrived, this, &MainWindow::onSnapshot);
    connect(source, &ConsoleSource::eventArrived, this, &MainWindow::onEvent);
    connect(source, &ConsoleSource::operationFailed, this, &MainWindow::showError);
    connect(source, &ConsoleSource::connectionStateChanged, this,
            [this](const QString &state, const QString &text) {
                m_connectionLabel->setText(state);
                m_connectionLabel->setToolTip(text);
                if (state != u"running"_s && state != u"connected"_s && state != u"connecting"_s)
                    onEvent({QDateTime::currentDateTime(), state, QString(), text, {}, {}});
                m_controls->showDemoRate(m_source->demoRate());
            });
    connect(m_model, &BackendTableModel::weightEdited, this, &MainWindow::setWeight);
    connect(m_controls, &ControlPanel::weightRequested, this, &MainWindow::setWeight);
    connect(m_controls, &ControlPanel::rateRequested, this,
            [this](int rate) { m_source->setDemoRate(rate); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onSelectionChanged);
    connect(m_history, &ChangeHistory::changed, this, [this] {
        m_undo->setEnabled(m_history->canUndo());
        m_undo->setText(m_history->canUndo() ? u"&Undo "_s + m_history->undoText() : u"&Undo"_s);
    });
    connect(&m_statusTimer, &QTimer::timeout, this, &MainWindow::refreshStatus);
    m_statusTimer.start(1000);
    refreshStatus();
}

MainWindow::~MainWindow()
{
    // The source may still signal while it stops (its proxy's last snapshot): not to this window.
    m_source->disconnect(this);
    m_source->disconnect(m_history);
    m_ownedSource.reset();
}

MainWindow *MainWindow::open(std::unique_ptr<ConsoleSource> source)
{
    auto *window = new MainWindow(source.get());
    window->m_ownedSource = std::move(source);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    window->m_source->start();
    window->m_controls->showDemoRate(window->m_source->demoRate());
    return window;
}

void MainWindow::buildLayout()
{
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(BackendTableModel::SortRole);
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(BackendTableModel::Name, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_table->setItemDelegateForColumn(BackendTableModel::State, new StateChipDelegate(m_table));
    m_table->verticalHeader()->setVisible(false);
    m_table->setWordWrap(false);
    // Sized to the contents once, then the operator's: measuring every cell on every tick is costly.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setObjectName(u"backendColumns"_s);
    m_events->view()->header()->setObjectName(u"eventColumns"_s);

    auto *left = new QSplitter(Qt::Vertical);
    left->setObjectName(u"tableAndEvents"_s);
    left->addWidget(m_table);
    left->addWidget(m_events);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 1);
    auto *main = new QSplitter(Qt::Horizontal);
    main->setObjectName(u"tablesAndCharts"_s);
    main->addWidget(left);
    main->addWidget(m_charts);
    main->setStretchFactor(0, 2);
    main->setStretchFactor(1, 1);
    main->setSizes({980, 380}); // the table's columns first; the charts take what is left
    setCentralWidget(main);

    auto *dock = new QDockWidget(u"Controls"_s, this);
    dock->setObjectName(u"controls"_s);
    dock->setWidget(m_controls);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
}

void MainWindow::buildActions()
{
    QToolBar *bar = addToolBar(u"Actions"_s);
    bar->setObjectName(u"actions"_s);
    const auto add = [this](QMenu *menu, const QString &text, const QKeySequence &key, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(key);
        action->setToolTip(QString(text).remove(u'&') + u" ("_s + key.toString(QKeySequence::NativeText) +
                           u')');
        connect(action, &QAction::triggered, this, slot);
        menu->addAction(action);
        return action;
    };

    QMenu *file = menuBar()->addMenu(u"&File"_s);
    add(file, u"&Open config…"_s, QKeySequence::Open, [this] { openConfigDialog(); });
    add(file, u"&Attach…"_s, QKeySequence(u"Ctrl+Shift+A"_s), [this] { attachDialog(); });
    m_recentMenu = file->addMenu(u"Open &recent"_s);
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    file->addSeparator();
    QAction *reload = add(file, u"&Reload"_s, QKeySequence(u"Ctrl+R"_s), [this] { m_source->reload(); });
    add(file, u"Save running table to &config…"_s, QKeySequence(u"Ctrl+Shift+S"_s),
        [this] { saveRunningTable(); });
    QAction *exportAction =
        add(file, u"&Export snapshot…"_s, QKeySequence(u"Ctrl+S"_s), [this] { exportSnapshot(); });
    add(file, u"Export c&harts as PNG…"_s, QKeySequence(u"Ctrl+Shift+E"_s), [this] { exportCharts(); });
    file->addSeparator();
    add(file, u"&Close window"_s, QKeySequence::Close, [this] { close(); });
    add(file, u"&Quit"_s, QKeySequence::Quit, [] { QApplication::closeAllWindows(); });

    QMenu *edit = menuBar()->addMenu(u"&Edit"_s);
    m_undo = add(edit, u"&Undo"_s, QKeySequence::Undo, [this] { m_history->undo(); });
    m_undo->setEnabled(false);
    add(edit, u"&Copy table as CSV"_s, QKeySequence(u"Ctrl+Shift+C"_s), [this] {
        QApplication::clipboard()->setText(tableCsv());
        showMessage(u"table copied as CSV"_s);
    });
    add(edit, u"&Find in events"_s, QKeySequence::Find, [this] { m_events->focusSearch(); });

    QMenu *backend = menuBar()->addMenu(u"&Backend"_s);
    QAction *addAction =
        add(backend, u"&Add backend…"_s, QKeySequence(u"Ctrl+N"_s), [this] { addBackendDialog(); });
    add(backend, u"Edit &weight"_s, QKeySequence(u"F2"_s), [this] {
        const QModelIndex current = m_table->currentIndex();
        if (current.isValid())
            m_table->edit(current.siblingAtColumn(BackendTableModel::Weight));
    });
    backend->addSeparator();
    QAction *drain = add(backend, u"&Drain"_s, QKeySequence(u"Ctrl+D"_s), [this] {
        if (const QString name = selectedBackend(); !name.isEmpty())
            setState(name, u"drain"_s);
    });
    QAction *maintenance = add(backend, u"&Maintenance"_s, QKeySequence(u"Ctrl+M"_s), [this] {
        if (const QString name = selectedBackend(); !name.isEmpty())
            setState(name, u"maintenance"_s);
    });
    QAction *enable = add(backend, u"&Enable"_s, QKeySequence(u"Ctrl+E"_s), [this] {
        if (const QString name = selectedBackend(); !name.isEmpty())
            setState(name, u"up"_s);
    });
    QAction *remove =
        add(backend, u"&Remove…"_s, QKeySequence(QKeySequence::Delete), [this] { removeSelected(); });

    QMenu *view = menuBar()->addMenu(u"&View"_s);
    QAction *pause = add(view, u"&Pause charts"_s, QKeySequence(u"Ctrl+P"_s),
                         [this](bool paused) { m_charts->setPaused(paused); });
    pause->setCheckable(true);
    QAction *controls = findChild<QDockWidget *>(u"controls"_s)->toggleViewAction();
    controls->setShortcut(QKeySequence(u"Ctrl+K"_s));
    view->addAction(controls);

    for (QAction *action : {drain, maintenance, enable, remove})
        bar->addAction(action);
    bar->addSeparator();
    for (QAction *action : {addAction, reload, exportAction, m_undo})
        bar->addAction(action);
    bar->addSeparator();
    bar->addAction(pause);
}

void MainWindow::buildStatusBar()
{
    m_sourceLabel->setText(m_source->description());
    for (QLabel *label : {m_sourceLabel, m_rateLabel, m_uptimeLabel, m_ageLabel, m_connectionLabel})
        statusBar()->addPermanentWidget(label);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    ConsoleSettings::saveLayout(this);
    QMainWindow::closeEvent(event);
}

void MainWindow::onSnapshot(const MetricsSnapshotPtr &snapshot)
{
    m_model->setSnapshot(snapshot);
    m_charts->addSnapshot(snapshot);
    if (!m_columnsSized && !snapshot->backends.isEmpty()) {
        m_table->resizeColumnsToContents();
        m_columnsSized = true;
    }
    if (m_previous) {
        for (const ConsoleEvent &event : eventsBetween(*m_previous, *snapshot))
            onEvent(event);
    }
    m_previous = snapshot;
    if (const BackendMetrics *selected = findBackend(snapshot, m_controls->backend()))
        m_controls->updateWeight(selected->weight);
    m_lastUpdate = QDateTime::currentDateTime();
    refreshStatus();
}

void MainWindow::onEvent(const ConsoleEvent &event)
{
    m_events->append(event);
}

void MainWindow::onSelectionChanged()
{
    const QString name = currentBackend();
    m_controls->showBackend(name, shownWeight(name));
}

void MainWindow::showError(const QString &error)
{
    m_lastError = error;
    statusBar()->showMessage(error, kMessageMs);
    onEvent({QDateTime::currentDateTime(), u"error"_s, QString(), error, {}, {}});
}

void MainWindow::showMessage(const QString &message)
{
    statusBar()->showMessage(message, kMessageMs);
}

void MainWindow::refreshStatus()
{
    m_rateLabel->setText(u"%1 req/s"_s.arg(m_previous ? m_previous->requestRate10s : 0.0, 0, 'f', 1));
    m_uptimeLabel->setText(u"up "_s + durationText(m_previous ? m_previous->uptimeMs : 0));
    m_ageLabel->setText(m_lastUpdate.isValid()
                            ? u"updated %1 s ago"_s.arg(m_lastUpdate.secsTo(QDateTime::currentDateTime()))
                            : u"no data yet"_s);
}

QString MainWindow::currentBackend() const
{
    const QModelIndex current = m_sorted->mapToSource(m_table->currentIndex());
    return current.isValid() ? m_model->backendName(current.row()) : QString();
}

QString MainWindow::selectedBackend()
{
    const QString name = currentBackend();
    if (name.isEmpty())
        showError(u"select a backend first"_s);
    return name;
}

int MainWindow::shownWeight(const QString &backend) const
{
    const BackendMetrics *metrics = findBackend(m_model->snapshot(), backend);
    return metrics ? metrics->weight : 0;
}

void MainWindow::setWeight(const QString &backend, int weight)
{
    m_history->apply({Change::Kind::Weight, backend, QString::number(weight), {}, 0});
}

void MainWindow::setState(const QString &backend, const QString &state)
{
    m_history->apply({Change::Kind::State, backend, state, {}, 0});
}

void MainWindow::addBackend(const QString &name, const QString &url, int weight)
{
    m_history->apply({Change::Kind::Added, name, url, {}, weight});
}

void MainWindow::setDemoRate(int rate)
{
    m_source->setDemoRate(rate);
    m_controls->showDemoRate(m_source->demoRate());
}

QString MainWindow::tableCsv() const
{
    return modelToCsv(*m_sorted);
}

void MainWindow::removeSelected()
{
    const QString name = selectedBackend();
    if (name.isEmpty())
        return;
    if (QMessageBox::question(this, u"Remove backend"_s, u"Drain %1 and remove it once idle?"_s.arg(name)) ==
        QMessageBox::Yes)
        m_source->removeBackend(name);
}

void MainWindow::addBackendDialog()
{
    AddBackendDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        addBackend(dialog.name(), dialog.url(), dialog.weight());
}

void MainWindow::exportSnapshot()
{
    const QString path = QFileDialog::getSaveFileName(this, u"Export snapshot"_s, u"snapshot.json"_s,
                                                      u"JSON (*.json);;CSV (*.csv);;Prometheus (*.prom)"_s);
    if (path.isEmpty())
        return;
    auto *job = new SnapshotFileExport(m_source, path, this);
    connect(job, &SnapshotFileExport::finished, this, [this, job](bool ok, const QString &message) {
        job->deleteLater();
        if (ok)
            showMessage(u"snapshot written to "_s + message);
        else
            showError(message);
    });
    job->start();
}

void MainWindow::exportCharts()
{
    const QString path =
        QFileDialog::getSaveFileName(this, u"Export charts"_s, u"fulcrum-charts.png"_s, u"PNG (*.png)"_s);
    if (path.isEmpty())
        return;
    QString error;
    if (m_charts->savePng(path, &error))
        showMessage(u"charts written to "_s + path);
    else
        showError(error);
}

void MainWindow::saveRunningTable()
{
    const MetricsSnapshotPtr snapshot = m_model->snapshot();
    if (!snapshot) {
        showError(u"no snapshot yet: nothing to save"_s);
        return;
    }
    QString path = m_source->configFile();
    if (path.isEmpty()) {
        path = QFileDialog::getSaveFileName(this, u"Save running table to config"_s, u"fulcrum.json"_s,
                                            u"Fulcrum configuration (*.json)"_s, nullptr,
                                            QFileDialog::DontConfirmOverwrite);
        if (path.isEmpty())
            return;
    }
    const SaveRunningConfigOutcome outcome = saveRunningConfig(this, path, *snapshot);
    if (!outcome.error.isEmpty())
        showError(outcome.error);
    else if (outcome.saved)
        showMessage(u"running table saved to "_s + path);
}

void MainWindow::openConfigDialog()
{
    const QStringList recent = ConsoleSettings::recentConfigs();
    const QString path = QFileDialog::getOpenFileName(this, u"Open configuration"_s,
                                                      recent.isEmpty() ? QString() : recent.constFirst(),
                                                      u"Fulcrum configuration (*.json);;All files (*)"_s);
    if (!path.isEmpty())
        switchTo({false, path, {}});
}

void MainWindow::attachDialog()
{
    AttachDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        switchTo({false, QString(), dialog.target()});
}

void MainWindow::fillRecentMenu()
{
    m_recentMenu->clear();
    for (const QString &path : ConsoleSettings::recentConfigs())
        m_recentMenu->addAction(path, this, [this, path] { switchTo({false, path, {}}); });
    m_recentMenu->addSeparator();
    for (const AttachTarget &target : ConsoleSettings::recentAttachTargets())
        m_recentMenu->addAction(u"Attach to "_s + target.url.toString(), this, [this, target] {
            switchTo({false, QString(), target});
        });
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(u"Demo"_s, this, [this] { switchTo({true, QString(), {}}); });
}

void MainWindow::switchTo(const SourceChoice &choice)
{
    QString error;
    std::unique_ptr<ConsoleSource> source = makeSource(choice, &error);
    if (!source) {
        showError(error);
        return;
    }
    if (!choice.configFile.isEmpty())
        ConsoleSettings::rememberConfig(choice.configFile);
    if (!choice.attach.url.isEmpty())
        ConsoleSettings::rememberAttachTarget(choice.attach);
    // Saved before the new window reads the layout; closed after it exists, so the application stays.
    ConsoleSettings::saveLayout(this);
    open(std::move(source));
    close();
}

} // namespace fulcrum::console
