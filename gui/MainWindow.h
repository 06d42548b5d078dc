// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QDateTime>
#include <QMainWindow>
#include <QTimer>

#include <memory>

class QAction;
class QLabel;
class QMenu;
class QSortFilterProxyModel;
class QTableView;

namespace fulcrum::console {

class BackendTableModel;
class ChangeHistory;
class ChartPanel;
class ControlPanel;
class EventTimeline;
struct SourceChoice;

// The console window: backend table, live charts, event timeline, side panel, menus and status bar,
// all fed by one ConsoleSource.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(ConsoleSource *source, QWidget *parent = nullptr);
    ~MainWindow() override;

    // A window that owns its source, deletes itself when closed, and is shown with the source started.
    static MainWindow *open(std::unique_ptr<ConsoleSource> source);

    BackendTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    ChartPanel *charts() const { return m_charts; }
    EventTimeline *events() const { return m_events; }
    ControlPanel *controls() const { return m_controls; }
    ChangeHistory *history() const { return m_history; }
    QAction *undoAction() const { return m_undo; }
    // The last error shown, for tests and the status bar.
    QString lastError() const { return m_lastError; }

    // The operations behind the menus, without their dialogs.
    void setWeight(const QString &backend, int weight);
    void setState(const QString &backend, const QString &state);
    void addBackend(const QString &name, const QString &url, int weight);
    void setDemoRate(int rate);
    // The table as shown (sorted as shown) in CSV, also put on the clipboard by Copy table.
    QString tableCsv() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildLayout();
    void buildActions();
    void buildStatusBar();
    void onSnapshot(const MetricsSnapshotPtr &snapshot);
    void onEvent(const ConsoleEvent &event);
    void onSelectionChanged();
    void showError(const QString &error);
    void showMessage(const QString &message);
    void refreshStatus();
    // The backend of the current row; empty (with a message) when none is selected.
    QString selectedBackend();
    QString currentBackend() const;
    int shownWeight(const QString &backend) const;
    void removeSelected();
    void addBackendDialog();
    void exportSnapshot();
    void exportCharts();
    void saveRunningTable();
    void openConfigDialog();
    void attachDialog();
    void fillRecentMenu();
    // Replaces this window with one on the chosen source; this one stays when the source cannot be made.
    void switchTo(const SourceChoice &choice);

    std::unique_ptr<ConsoleSource> m_ownedSource; // set by open(); destroyed after the views let go
    ConsoleSource *m_source;
    ChangeHistory *m_history;
    BackendTableModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    ChartPanel *m_charts;
    EventTimeline *m_events;
    ControlPanel *m_controls;
    QMenu *m_recentMenu = nullptr;
    QAction *m_undo = nullptr;
    QLabel *m_sourceLabel;
    QLabel *m_rateLabel;
    QLabel *m_uptimeLabel;
    QLabel *m_ageLabel;
    QLabel *m_connectionLabel;
    QTimer m_statusTimer;
    QDateTime m_lastUpdate;
    MetricsSnapshotPtr m_previous;
    bool m_columnsSized = false;
    QString m_lastError;
};

} // namespace fulcrum::console
