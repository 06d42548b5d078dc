// SPDX-License-Identifier: GPL-3.0-or-later
#include "ChangeHistory.h"

#include "balancing/BackendState.h"

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
// The operator state behind a published one: up and down are both "up", since health decides
// between them.
QString adminStateBehind(const QString &publishedState)
{
    return adminStateName(parseBackendState(publishedState).value_or(BackendState::Up));
}
} // namespace

QString Change::describe() const
{
    switch (kind) {
    case Kind::Weight:
        return u"weight of %1 %2 → %3"_s.arg(backend, from, to);
    case Kind::State:
        return u"state of %1 %2 → %3"_s.arg(backend, from, to);
    case Kind::Added:
        return u"adding %1"_s.arg(backend);
    }
    return {};
}

ChangeHistory::ChangeHistory(ConsoleSource *source, QObject *parent) : QObject(parent), m_source(source)
{
    m_clock.start();
    connect(source, &ConsoleSource::eventArrived, this, &ChangeHistory::onEvent);
}

void ChangeHistory::apply(const Change &change)
{
    // Recorded first: the core in this process confirms before the call returns.
    m_pending.append({change, m_clock.elapsed()});
    switch (change.kind) {
    case Change::Kind::Weight:
        m_source->setWeight(change.backend, change.to.toInt());
        break;
    case Change::Kind::State:
        m_source->setState(change.backend, change.to);
        break;
    case Change::Kind::Added:
        m_source->addBackend(change.backend, change.to, change.weight);
        break;
    }
}

bool ChangeHistory::confirms(const ConsoleEvent &event, const Change &change)
{
    if (event.backend != change.backend)
        return false;
    switch (change.kind) {
    case Change::Kind::Weight:
        return event.kind == u"weight"_s && event.to == change.to;
    case Change::Kind::State:
        return event.kind == u"state"_s && adminStateBehind(event.to) == change.to;
    case Change::Kind::Added:
        return event.kind == u"added"_s;
    }
    return false;
}

void ChangeHistory::onEvent(const ConsoleEvent &event)
{
    const qint64 now = m_clock.elapsed();
    m_pending.removeIf([now](const Pending &pending) { return now - pending.askedAtMs > kConfirmWithinMs; });
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        if (!confirms(event, m_pending[i].change))
            continue;
        Change done = m_pending.takeAt(i).change;
        done.from = event.from;
        m_done.append(done);
        if (m_done.size() > kMaxChanges)
            m_done.removeFirst();
        Q_EMIT changed();
        return;
    }
}

bool ChangeHistory::undo()
{
    if (m_done.isEmpty())
        return false;
    const Change last = m_done.takeLast();
    switch (last.kind) {
    case Change::Kind::Weight:
        m_source->setWeight(last.backend, last.from.toInt());
        break;
    case Change::Kind::State:
        // The operator state that brings the published one back; up and down both come back as "up",
        // since health decides between them.
        m_source->setState(last.backend,
                           adminStateName(parseBackendState(last.from).value_or(BackendState::Up)));
        break;
    case Change::Kind::Added:
        m_source->removeBackend(last.backend);
        break;
    }
    Q_EMIT changed();
    return true;
}

QString ChangeHistory::undoText() const
{
    return m_done.isEmpty() ? QString() : m_done.constLast().describe();
}

} // namespace fulcrum::console
