// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendTableModel.h"

#include "ConsoleSource.h"
#include "RotationWeight.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {

QString percent(double share)
{
    return QString::number(share * 100, 'f', 1) + u" %"_s;
}

QString milliseconds(quint64 microseconds)
{
    return QString::number(double(microseconds) / 1000.0, 'f', 1) + u" ms"_s;
}

bool sameBackends(const MetricsSnapshotPtr &a, const MetricsSnapshotPtr &b)
{
    if (!a || !b || a->backends.size() != b->backends.size())
        return false;
    for (qsizetype i = 0; i < a->backends.size(); ++i) {
        if (a->backends[i].name != b->backends[i].name)
            return false;
    }
    return true;
}

} // namespace

double errorRate(const BackendMetrics &backend)
{
    if (backend.requests == 0)
        return 0;
    const quint64 failures =
        backend.responsesByClass[4] + backend.connectErrors + backend.timeouts + backend.resets;
    return double(failures) / double(backend.requests);
}

void BackendTableModel::setSnapshot(const MetricsSnapshotPtr &snapshot)
{
    if (!snapshot)
        return;
    const bool same = sameBackends(m_snapshot, snapshot);
    if (!same)
        beginResetModel();
    const MetricsSnapshotPtr previous = m_snapshot;
    const double previousRate = m_totalRate;
    const int previousWeight = m_totalWeight;
    m_snapshot = snapshot;
    m_totalRate = 0;
    m_totalWeight = 0;
    for (const BackendMetrics &backend : snapshot->backends) {
        m_totalRate += backend.requestRate10s;
        m_totalWeight += rotationWeight(backend);
    }
    if (!same) {
        endResetModel();
        return;
    }
    // One dataChanged over the smallest block holding every changed cell: views and the sorting proxy
    // then re-read (and re-sort, re-measure) only that, and nothing at all on an idle tick.
    int top = rowCount();
    int bottom = -1;
    int left = ColumnCount;
    int right = -1;
    for (int row = 0; row < rowCount(); ++row) {
        const BackendMetrics &before = previous->backends[row];
        const BackendMetrics &after = snapshot->backends[row];
        for (int column = 0; column < ColumnCount; ++column) {
            if (cellChanged(before, previousRate, previousWeight, after, column)) {
                top = std::min(top, row);
                bottom = std::max(bottom, row);
                left = std::min(left, column);
                right = std::max(right, column);
            }
        }
    }
    if (bottom >= 0)
        Q_EMIT dataChanged(index(top, left), index(bottom, right));
}

bool BackendTableModel::cellChanged(const BackendMetrics &before, double rateBefore, int weightBefore,
                                    const BackendMetrics &after, int column) const
{
    switch (column) {
    case Name:
        return before.name != after.name;
    case Pool:
        return before.pool != after.pool;
    case Url:
        return before.url != after.url;
    case State:
        // The chip's tooltip shows the reason too.
        return before.state != after.state || before.healthReason != after.healthReason;
    case Weight:
        return before.weight != after.weight;
    case EffectiveWeight:
        return before.effectiveWeight != after.effectiveWeight;
    case Connections:
        return before.activeConnections != after.activeConnections;
    case RequestRate:
        return before.requestRate10s != after.requestRate10s;
    case TrafficShare:
        return (rateBefore > 0 ? before.requestRate10s / rateBefore : 0) != trafficShare(after);
    case WeightShare:
        return (weightBefore > 0 ? double(rotationWeight(before)) / weightBefore : 0) != weightShare(after);
    case P50:
        return before.responseTime.p50Us != after.responseTime.p50Us;
    case P99:
        return before.responseTime.p99Us != after.responseTime.p99Us;
    case ErrorRate:
        return errorRate(before) != errorRate(after);
    default:
        return false;
    }
}

QString BackendTableModel::backendName(int row) const
{
    return m_snapshot && row >= 0 && row < rowCount() ? m_snapshot->backends[row].name : QString();
}

int BackendTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_snapshot ? 0 : static_cast<int>(m_snapshot->backends.size());
}

int BackendTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

double BackendTableModel::trafficShare(const BackendMetrics &backend) const
{
    return m_totalRate > 0 ? backend.requestRate10s / m_totalRate : 0;
}

double BackendTableModel::weightShare(const BackendMetrics &backend) const
{
    return m_totalWeight > 0 ? double(rotationWeight(backend)) / m_totalWeight : 0;
}

QVariant BackendTableModel::sortValue(const BackendMetrics &backend, int column) const
{
    switch (column) {
    case Name:
        return backend.name;
    case Pool:
        return backend.pool;
    case Url:
        return backend.url;
    case State:
        return backend.state;
    case Weight:
        return backend.weight;
    case EffectiveWeight:
        return backend.effectiveWeight;
    case Connections:
        return backend.activeConnections;
    case RequestRate:
        return backend.requestRate10s;
    case TrafficShare:
        return trafficShare(backend);
    case WeightShare:
        return weightShare(backend);
    case P50:
        return backend.responseTime.p50Us;
    case P99:
        return backend.responseTime.p99Us;
    case ErrorRate:
        return errorRate(backend);
    default:
        return {};
    }
}

QString BackendTableModel::displayText(const BackendMetrics &backend, int column) const
{
    switch (column) {
    case RequestRate:
        return QString::number(backend.requestRate10s, 'f', 1);
    case TrafficShare:
        return percent(trafficShare(backend));
    case WeightShare:
        return percent(weightShare(backend));
    case P50:
        return milliseconds(backend.responseTime.p50Us);
    case P99:
        return milliseconds(backend.responseTime.p99Us);
    case ErrorRate:
        return percent(errorRate(backend));
    default:
        return sortValue(backend, column).toString();
    }
}

QVariant BackendTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const BackendMetrics &backend = m_snapshot->backends[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        return displayText(backend, index.column());
    case Qt::EditRole:
        return index.column() == Weight ? QVariant(backend.weight)
                                        : QVariant(displayText(backend, index.column()));
    case SortRole:
        return sortValue(backend, index.column());
    case HealthReasonRole:
        return backend.healthReason;
    case Qt::ToolTipRole:
        if (index.column() == State)
            return backend.healthReason.isEmpty() ? backend.state
                                                  : backend.state + u": "_s + backend.healthReason;
        return {};
    case Qt::TextAlignmentRole:
        return index.column() >= Weight ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    default:
        return {};
    }
}

QVariant BackendTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles = {u"Name"_s,    u"Pool"_s,  u"URL"_s,   u"State"_s,   u"Weight"_s,
                                       u"Eff. wt"_s, u"Conns"_s, u"Req/s"_s, u"Traffic"_s, u"Wt share"_s,
                                       u"p50"_s,     u"p99"_s,   u"Errors"_s};
    return section >= 0 && section < titles.size() ? QVariant(titles[section]) : QVariant();
}

Qt::ItemFlags BackendTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    if (index.column() == Weight)
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool BackendTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || index.column() != Weight || index.row() >= rowCount())
        return false;
    bool ok = false;
    const int weight = value.toInt(&ok);
    if (!ok)
        return false;
    // The snapshot stays what it was until the next one shows whether the change took.
    Q_EMIT weightEdited(backendName(index.row()), weight);
    return true;
}

} // namespace fulcrum::console
