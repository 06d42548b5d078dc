// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QAbstractTableModel>

namespace fulcrum::console {

// One row per backend of the latest snapshot. Updated once per snapshot: one dataChanged over the block
// of cells that changed (none when nothing did) when the backends are the same, in the same order; a
// reset when they changed. An edited weight is announced (weightEdited); the cell keeps showing the
// snapshot's weight, so a refused edit reverts by itself.
class BackendTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Name,
        Pool,
        Url,
        State,
        Weight,
        EffectiveWeight,
        Connections,
        RequestRate,
        TrafficShare,
        WeightShare,
        P50,
        P99,
        ErrorRate,
        ColumnCount,
    };
    // The health reason, for the state chip's tooltip.
    static constexpr int HealthReasonRole = Qt::UserRole + 1;
    // Numbers for sorting, whatever the display text.
    static constexpr int SortRole = Qt::UserRole + 2;

    using QAbstractTableModel::QAbstractTableModel;

    void setSnapshot(const MetricsSnapshotPtr &snapshot);
    MetricsSnapshotPtr snapshot() const { return m_snapshot; }
    QString backendName(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;

Q_SIGNALS:
    // A weight typed into the table: the window sends it, so that it can be undone.
    void weightEdited(const QString &backend, int weight);

private:
    // Whether a cell shows something else in `after` than in `before` (the totals are for the shares).
    bool cellChanged(const BackendMetrics &before, double rateBefore, int weightBefore,
                     const BackendMetrics &after, int column) const;
    QVariant sortValue(const BackendMetrics &backend, int column) const;
    QString displayText(const BackendMetrics &backend, int column) const;
    double trafficShare(const BackendMetrics &backend) const;
    double weightShare(const BackendMetrics &backend) const;

    MetricsSnapshotPtr m_snapshot;
    double m_totalRate = 0;
    int m_totalWeight = 0;
};

// The share of errors among a backend's requests so far: 5xx answers and failed attempts.
double errorRate(const BackendMetrics &backend);

} // namespace fulcrum::console
