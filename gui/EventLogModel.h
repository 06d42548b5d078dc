// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>

namespace fulcrum::console {

// The event timeline's rows, newest first, the last kMaxEvents kept. Also remembers every backend and
// kind it has seen, so that the filters can offer them.
class EventLogModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    static constexpr int kMaxEvents = 1'000;

    enum Column
    {
        Time,
        Kind,
        Backend,
        Text,
        ColumnCount,
    };

    using QAbstractTableModel::QAbstractTableModel;

    void append(const ConsoleEvent &event);
    const ConsoleEvent &event(int row) const { return m_events.at(row); }
    QStringList backendsSeen() const { return m_backends; }
    QStringList kindsSeen() const { return m_kinds; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

Q_SIGNALS:
    // A backend or kind not seen before: the filters grow a choice.
    void choicesGrew();

private:
    QList<ConsoleEvent> m_events; // newest first
    QStringList m_backends;
    QStringList m_kinds;
};

} // namespace fulcrum::console
