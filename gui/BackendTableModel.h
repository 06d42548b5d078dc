// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QAbstractTableModel>

namespace fulcrum::console {

class ConsoleSource;

// One row per backend of the latest snapshot. Updated once per snapshot: dataChanged over the whole
// table when the backends are the same, a reset when they changed. Editing the weight asks the source;
// the cell keeps showing the snapshot's weight, so a refused edit reverts by itself.
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

    explicit BackendTableModel(ConsoleSource *source, QObject *parent = nullptr);

    void setSnapshot(const MetricsSnapshotPtr &snapshot);
    MetricsSnapshotPtr snapshot() const { return m_snapshot; }
    QString backendName(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;

private:
    QVariant sortValue(const BackendMetrics &backend, int column) const;
    QString displayText(const BackendMetrics &backend, int column) const;
    double trafficShare(const BackendMetrics &backend) const;
    double weightShare(const BackendMetrics &backend) const;

    ConsoleSource *m_source;
    MetricsSnapshotPtr m_snapshot;
    double m_totalRate = 0;
    int m_totalWeight = 0;
};

// The share of errors among a backend's requests so far: 5xx answers and failed attempts.
double errorRate(const BackendMetrics &backend);

} // namespace fulcrum::console
