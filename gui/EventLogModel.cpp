// SPDX-License-Identifier: GPL-3.0-or-later
#include "EventLogModel.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
// Keeps the list sorted, so the filter menus read in order; true when it grew.
bool insertSorted(QStringList &list, const QString &value)
{
    if (value.isEmpty())
        return false;
    const auto at = std::lower_bound(list.begin(), list.end(), value);
    if (at != list.end() && *at == value)
        return false;
    list.insert(at, value);
    return true;
}
} // namespace

void EventLogModel::append(const ConsoleEvent &event)
{
    if (m_events.size() >= kMaxEvents) {
        beginRemoveRows({}, kMaxEvents - 1, int(m_events.size()) - 1);
        m_events.resize(kMaxEvents - 1);
        endRemoveRows();
    }
    beginInsertRows({}, 0, 0);
    m_events.prepend(event);
    endInsertRows();
    const bool newBackend = insertSorted(m_backends, event.backend);
    const bool newKind = insertSorted(m_kinds, event.kind);
    if (newBackend || newKind)
        Q_EMIT choicesGrew();
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_events.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_events.size())
        return {};
    const ConsoleEvent &event = m_events.at(index.row());
    if (role == Qt::ToolTipRole && index.column() == Time)
        return event.time.toString(Qt::ISODateWithMs);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Time:
        return event.time.toString(u"HH:mm:ss"_s);
    case Kind:
        return event.kind;
    case Backend:
        return event.backend;
    case Text:
        return event.text;
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{u"Time"_s, u"Kind"_s, u"Backend"_s, u"Text"_s};
    return titles.value(section);
}

} // namespace fulcrum::console
