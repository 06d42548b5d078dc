// SPDX-License-Identifier: GPL-3.0-or-later
#include "ChangeHistory.h"

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
// The operator state that brings a backend back to the published state it had: health decides
// between up and down, so both come back as "up".
QString adminStateFor(const QString &publishedState)
{
    if (publishedState == u"draining"_s)
        return u"drain"_s;
    if (publishedState == u"maintenance"_s)
        return u"maintenance"_s;
    return u"up"_s;
}

// The published state an operator state leads to; "up" may show as "down" while unhealthy.
bool leadsTo(const QString &adminState, const QString &publishedState)
{
    if (adminState == u"drain"_s)
        return publishedState == u"draining"_s;
    if (adminState == u"maintenance"_s)
        return publishedState == u"maintenance"_s;
    return publishedState == u"up"_s || publishedState == u"down"_s;
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
        return event.kind == u"state"_s && leadsTo(change.to, event.to);
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
        m_source->setState(last.backend, adminStateFor(last.from));
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
