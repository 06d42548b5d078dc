// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QDateTime>
#include <QMainWindow>
#include <QTimer>

class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTreeWidget;
class QAction;

namespace fulcrum::console {

class BackendTableModel;
class ChartPanel;

// The console window: backend table, live charts, event timeline, actions and status bar, all fed by
// one ConsoleSource.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(ConsoleSource *source, QWidget *parent = nullptr);

    BackendTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    ChartPanel *charts() const { return m_charts; }
    QTreeWidget *events() const { return m_events; }
    // The last error shown, for tests and the status bar.
    QString lastError() const { return m_lastError; }

private:
    void buildActions();
    void buildStatusBar();
    void onSnapshot(const MetricsSnapshotPtr &snapshot);
    void onEvent(const ConsoleEvent &event);
    void showError(const QString &error);
    void refreshStatus();
    // The backend of the current row; empty (with a message) when none is selected.
    QString selectedBackend();
    void setSelectedState(const QString &state);
    void removeSelected();
    void addBackend();
    void exportSnapshot();

    ConsoleSource *m_source;
    BackendTableModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    ChartPanel *m_charts;
    QTreeWidget *m_events;
    QLabel *m_sourceLabel;
    QLabel *m_rateLabel;
    QLabel *m_uptimeLabel;
    QLabel *m_ageLabel;
    QLabel *m_connectionLabel;
    QTimer m_statusTimer;
    QDateTime m_lastUpdate;
    qint64 m_uptimeMs = 0;
    double m_totalRate = 0;
    QString m_lastError;
};

} // namespace fulcrum::console
