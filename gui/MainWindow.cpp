// SPDX-License-Identifier: GPL-3.0-or-later
#include "MainWindow.h"

#include "AddBackendDialog.h"
#include "BackendTableModel.h"
#include "ChartPanel.h"
#include "SnapshotFileExport.h"
#include "StateChipDelegate.h"

#include <QAction>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QTreeWidget>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
constexpr int kMessageMs = 8'000;
constexpr int kMaxEvents = 1'000;

QString durationText(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    return u"%1:%2:%3"_s.arg(seconds / 3600)
        .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}
} // namespace

MainWindow::MainWindow(ConsoleSource *source, QWidget *parent)
    : QMainWindow(parent), m_source(source), m_model(new BackendTableModel(source, this)),
      m_sorted(new QSortFilterProxyModel(this)), m_table(new QTableView), m_charts(new ChartPanel),
      m_events(new QTreeWidget), m_sourceLabel(new QLabel), m_rateLabel(new QLabel),
      m_uptimeLabel(new QLabel), m_ageLabel(new QLabel), m_connectionLabel(new QLabel)
{
    setWindowTitle(u"Fulcrum console"_s);
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
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_events->setColumnCount(4);
    m_events->setHeaderLabels({u"Time"_s, u"Backend"_s, u"Kind"_s, u"Text"_s});
    m_events->setRootIsDecorated(false);

    auto *left = new QSplitter(Qt::Vertical);
    left->addWidget(m_table);
    left->addWidget(m_events);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 1);
    auto *main = new QSplitter(Qt::Horizontal);
    main->addWidget(left);
    main->addWidget(m_charts);
    main->setStretchFactor(0, 2);
    main->setStretchFactor(1, 1);
    main->setSizes({980, 380}); // the table's columns first; the charts take what is left
    setCentralWidget(main);

    buildActions();
    buildStatusBar();

    connect(source, &ConsoleSource::snapshotArrived, this, &MainWindow::onSnapshot);
    connect(source, &ConsoleSource::eventArrived, this, &MainWindow::onEvent);
    connect(source, &ConsoleSource::operationFailed, this, &MainWindow::showError);
    connect(source, &ConsoleSource::connectionStateChanged, this,
            [this](const QString &state, const QString &text) {
                m_connectionLabel->setText(state);
                m_connectionLabel->setToolTip(text);
                if (state != u"running"_s && state != u"connected"_s && state != u"connecting"_s)
                    onEvent({QDateTime::currentDateTime(), state, QString(), text});
            });
    connect(&m_statusTimer, &QTimer::timeout, this, &MainWindow::refreshStatus);
    m_statusTimer.start(1000);
    refreshStatus();
}

void MainWindow::buildActions()
{
    QToolBar *bar = addToolBar(u"Actions"_s);
    bar->setObjectName(u"actions"_s);
    const auto add = [this, bar](const QString &text, const QKeySequence &key, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(key);
        action->setToolTip(text + u" ("_s + key.toString(QKeySequence::NativeText) + u')');
        connect(action, &QAction::triggered, this, slot);
        bar->addAction(action);
        return action;
    };
    add(u"Drain"_s, QKeySequence(u"Ctrl+D"_s), [this] { setSelectedState(u"drain"_s); });
    add(u"Maintenance"_s, QKeySequence(u"Ctrl+M"_s), [this] { setSelectedState(u"maintenance"_s); });
    add(u"Enable"_s, QKeySequence(u"Ctrl+E"_s), [this] { setSelectedState(u"up"_s); });
    add(u"Remove…"_s, QKeySequence(QKeySequence::Delete), [this] { removeSelected(); });
    bar->addSeparator();
    add(u"Add backend…"_s, QKeySequence(u"Ctrl+N"_s), [this] { addBackend(); });
    add(u"Reload"_s, QKeySequence(u"Ctrl+R"_s), [this] { m_source->reload(); });
    add(u"Export snapshot…"_s, QKeySequence(u"Ctrl+S"_s), [this] { exportSnapshot(); });
    bar->addSeparator();
    QAction *pause = add(u"Pause charts"_s, QKeySequence(u"Ctrl+P"_s),
                         [this](bool checked) { m_charts->setPaused(checked); });
    pause->setCheckable(true);
}

void MainWindow::buildStatusBar()
{
    m_sourceLabel->setText(m_source->description());
    for (QLabel *label : {m_sourceLabel, m_rateLabel, m_uptimeLabel, m_ageLabel, m_connectionLabel})
        statusBar()->addPermanentWidget(label);
}

void MainWindow::onSnapshot(const MetricsSnapshotPtr &snapshot)
{
    m_model->setSnapshot(snapshot);
    m_charts->addSnapshot(*snapshot);
    m_lastUpdate = QDateTime::currentDateTime();
    m_uptimeMs = snapshot->uptimeMs;
    m_totalRate = snapshot->requestRate10s;
    refreshStatus();
}

void MainWindow::onEvent(const ConsoleEvent &event)
{
    auto *item =
        new QTreeWidgetItem({event.time.toString(u"HH:mm:ss"_s), event.backend, event.kind, event.text});
    m_events->insertTopLevelItem(0, item);
    while (m_events->topLevelItemCount() > kMaxEvents)
        delete m_events->takeTopLevelItem(m_events->topLevelItemCount() - 1);
}

void MainWindow::showError(const QString &error)
{
    m_lastError = error;
    statusBar()->showMessage(error, kMessageMs);
    onEvent({QDateTime::currentDateTime(), u"error"_s, QString(), error});
}

void MainWindow::refreshStatus()
{
    m_rateLabel->setText(u"%1 req/s"_s.arg(m_totalRate, 0, 'f', 1));
    m_uptimeLabel->setText(u"up "_s + durationText(m_uptimeMs));
    m_ageLabel->setText(m_lastUpdate.isValid()
                            ? u"updated %1 s ago"_s.arg(m_lastUpdate.secsTo(QDateTime::currentDateTime()))
                            : u"no data yet"_s);
}

QString MainWindow::selectedBackend()
{
    const QModelIndex current = m_sorted->mapToSource(m_table->currentIndex());
    const QString name = current.isValid() ? m_model->backendName(current.row()) : QString();
    if (name.isEmpty())
        showError(u"select a backend first"_s);
    return name;
}

void MainWindow::setSelectedState(const QString &state)
{
    const QString name = selectedBackend();
    if (!name.isEmpty())
        m_source->setState(name, state);
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

void MainWindow::addBackend()
{
    AddBackendDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        m_source->addBackend(dialog.name(), dialog.url(), dialog.weight());
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
            statusBar()->showMessage(u"snapshot written to "_s + message, kMessageMs);
        else
            showError(message);
    });
    job->start();
}

} // namespace fulcrum::console
