// SPDX-License-Identifier: GPL-3.0-or-later
#include "EventTimeline.h"

#include "EventLogModel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
// The combo's chosen value; the first entry stands for "any" and carries no data.
QString chosen(const QComboBox *combo)
{
    return combo->currentData().toString();
}

void refill(QComboBox *combo, const QString &anyText, const QStringList &values)
{
    const QString keep = chosen(combo);
    const QSignalBlocker quiet(combo);
    combo->clear();
    combo->addItem(anyText);
    for (const QString &value : values)
        combo->addItem(value, value);
    combo->setCurrentIndex(std::max(0, combo->findData(keep)));
}
} // namespace

void EventFilterModel::setFilters(const QString &backend, const QString &kind, const QString &text)
{
    m_backend = backend;
    m_kind = kind;
    m_text = text;
    invalidateRowsFilter();
}

bool EventFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    Q_UNUSED(sourceParent)
    const ConsoleEvent &event = static_cast<const EventLogModel *>(sourceModel())->event(sourceRow);
    return (m_backend.isEmpty() || event.backend == m_backend) &&
           (m_kind.isEmpty() || event.kind == m_kind) &&
           (m_text.isEmpty() || event.text.contains(m_text, Qt::CaseInsensitive));
}

EventTimeline::EventTimeline(QWidget *parent)
    : QWidget(parent), m_log(new EventLogModel(this)), m_filtered(new EventFilterModel(this)),
      m_backendFilter(new QComboBox), m_kindFilter(new QComboBox), m_search(new QLineEdit),
      m_view(new QTreeView)
{
    m_filtered->setSourceModel(m_log);
    m_view->setModel(m_filtered);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->header()->setStretchLastSection(true);
    m_search->setPlaceholderText(u"Search events (Ctrl+F)"_s);
    m_search->setClearButtonEnabled(true);
    m_backendFilter->setToolTip(u"Only the events of this backend"_s);
    m_kindFilter->setToolTip(u"Only the events of this kind"_s);
    refillChoices();

    auto *filters = new QHBoxLayout;
    filters->setContentsMargins(0, 0, 0, 0);
    filters->addWidget(m_backendFilter);
    filters->addWidget(m_kindFilter);
    filters->addWidget(m_search, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filters);
    layout->addWidget(m_view);

    connect(m_log, &EventLogModel::choicesGrew, this, &EventTimeline::refillChoices);
    connect(m_backendFilter, &QComboBox::currentIndexChanged, this, &EventTimeline::applyFilters);
    connect(m_kindFilter, &QComboBox::currentIndexChanged, this, &EventTimeline::applyFilters);
    connect(m_search, &QLineEdit::textChanged, this, &EventTimeline::applyFilters);
}

void EventTimeline::append(const ConsoleEvent &event)
{
    m_log->append(event);
}

void EventTimeline::focusSearch()
{
    m_search->setFocus(Qt::ShortcutFocusReason);
    m_search->selectAll();
}

void EventTimeline::refillChoices()
{
    refill(m_backendFilter, u"All backends"_s, m_log->backendsSeen());
    refill(m_kindFilter, u"All kinds"_s, m_log->kindsSeen());
}

void EventTimeline::applyFilters()
{
    m_filtered->setFilters(chosen(m_backendFilter), chosen(m_kindFilter), m_search->text());
}

} // namespace fulcrum::console
