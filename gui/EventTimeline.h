// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QSortFilterProxyModel>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QTreeView;

namespace fulcrum::console {

class EventLogModel;

// Keeps the events of one backend and one kind (either may be "any") whose text contains a string.
class EventFilterModel final : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    // Empty: any.
    void setFilters(const QString &backend, const QString &kind, const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_backend;
    QString m_kind;
    QString m_text;
};

// The event timeline: the events, newest first, with a backend filter, a kind filter and a search box.
class EventTimeline final : public QWidget
{
    Q_OBJECT
public:
    explicit EventTimeline(QWidget *parent = nullptr);

    void append(const ConsoleEvent &event);
    // Puts the cursor in the search box.
    void focusSearch();

    EventLogModel *log() const { return m_log; }
    EventFilterModel *filtered() const { return m_filtered; }
    QComboBox *backendFilter() const { return m_backendFilter; }
    QComboBox *kindFilter() const { return m_kindFilter; }
    QLineEdit *search() const { return m_search; }
    QTreeView *view() const { return m_view; }

private:
    void refillChoices();
    void applyFilters();

    EventLogModel *m_log;
    EventFilterModel *m_filtered;
    QComboBox *m_backendFilter;
    QComboBox *m_kindFilter;
    QLineEdit *m_search;
    QTreeView *m_view;
};

} // namespace fulcrum::console
