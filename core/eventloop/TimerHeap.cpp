// SPDX-License-Identifier: GPL-3.0-or-later
#include "eventloop/TimerHeap.h"

#include <algorithm>
#include <climits>

namespace fulcrum {

namespace {
constexpr qint64 kNsPerMs = 1'000'000;
constexpr qint64 kMsPerSecond = 1'000;
constexpr qint64 kNsPerSecond = 1'000'000'000;

// Very coarse timers keep whole-second accuracy (as Qt's do) so that all of them wake the thread
// together; unlike Qt, an interval under half a second is not rounded down to a busy zero.
qint64 veryCoarseIntervalMs(qint64 intervalMs)
{
    if (intervalMs <= 0)
        return 0;
    return std::max<qint64>(1, (intervalMs + kMsPerSecond / 2) / kMsPerSecond) * kMsPerSecond;
}
} // namespace

bool TimerHeap::later(const Entry &a, const Entry &b)
{
    return a.deadlineNs != b.deadlineNs ? a.deadlineNs > b.deadlineNs : a.ticket > b.ticket;
}

void TimerHeap::add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object, qint64 nowNs)
{
    Timer timer;
    timer.object = object;
    timer.type = type;
    timer.intervalMs =
        type == Qt::VeryCoarseTimer ? veryCoarseIntervalMs(intervalMs) : std::max<qint64>(0, intervalMs);
    timer.deadlineNs = nowNs + timer.intervalMs * kNsPerMs;
    if (type == Qt::VeryCoarseTimer)
        timer.deadlineNs = (timer.deadlineNs + kNsPerSecond / 2) / kNsPerSecond * kNsPerSecond;
    timer.registration = m_nextTicket;
    if (m_timers.contains(id))
        remove(id); // a caller bug; keep the books consistent rather than leak the old one
    Timer &stored = m_timers.insert(id, timer).value();
    m_byObject.insert(object, id);
    schedule(id, stored);
}

void TimerHeap::schedule(int id, Timer &timer)
{
    timer.ticket = m_nextTicket++;
    m_heap.push_back(Entry{timer.deadlineNs, timer.ticket, id});
    std::push_heap(m_heap.begin(), m_heap.end(), later);
}

bool TimerHeap::remove(int id)
{
    const auto it = m_timers.constFind(id);
    if (it == m_timers.cend())
        return false;
    m_byObject.remove(it->object, id);
    m_timers.erase(it);
    compactIfMostlyStale();
    return true;
}

bool TimerHeap::removeAll(QObject *object)
{
    const QList<int> ids = m_byObject.values(object);
    if (ids.isEmpty())
        return false;
    for (const int id : ids)
        m_timers.remove(id);
    m_byObject.remove(object);
    compactIfMostlyStale();
    return true;
}

QList<QAbstractEventDispatcher::TimerInfo> TimerHeap::timersOf(QObject *object) const
{
    QList<QAbstractEventDispatcher::TimerInfo> infos;
    for (auto it = m_byObject.constFind(object); it != m_byObject.cend() && it.key() == object; ++it) {
        const Timer &timer = m_timers[it.value()];
        infos.append({it.value(), int(std::min<qint64>(timer.intervalMs, INT_MAX)), timer.type});
    }
    return infos;
}

int TimerHeap::remainingMs(int id, qint64 nowNs) const
{
    const auto it = m_timers.constFind(id);
    if (it == m_timers.cend())
        return -1;
    const qint64 leftNs = std::max<qint64>(0, it->deadlineNs - nowNs);
    return int(std::min<qint64>(INT_MAX, (leftNs + kNsPerMs - 1) / kNsPerMs));
}

bool TimerHeap::isLive(const Entry &entry) const
{
    const auto it = m_timers.constFind(entry.id);
    return it != m_timers.cend() && it->ticket == entry.ticket;
}

void TimerHeap::dropStaleTop()
{
    while (!m_heap.empty() && !isLive(m_heap.front())) {
        std::pop_heap(m_heap.begin(), m_heap.end(), later);
        m_heap.pop_back();
    }
}

void TimerHeap::compactIfMostlyStale()
{
    if (m_heap.size() <= 2 * size_t(m_timers.size()) + 64)
        return;
    std::erase_if(m_heap, [this](const Entry &entry) { return !isLive(entry); });
    std::make_heap(m_heap.begin(), m_heap.end(), later);
}

int TimerHeap::waitMs(qint64 nowNs)
{
    dropStaleTop();
    if (m_heap.empty())
        return -1;
    const qint64 leftNs = m_heap.front().deadlineNs - nowNs;
    if (leftNs <= 0)
        return 0;
    return int(std::min<qint64>(INT_MAX, (leftNs + kNsPerMs - 1) / kNsPerMs));
}

std::optional<TimerHeap::Due> TimerHeap::takeDue(qint64 passNowNs, quint64 passMarker)
{
    for (;;) {
        dropStaleTop();
        if (m_heap.empty())
            return std::nullopt;
        const Entry top = m_heap.front();
        if (top.deadlineNs > passNowNs || top.ticket >= passMarker)
            return std::nullopt;
        std::pop_heap(m_heap.begin(), m_heap.end(), later);
        m_heap.pop_back();

        Timer &timer = m_timers[top.id];
        // Periodic timers keep their phase; periods missed while the thread was busy are skipped,
        // not fired in a burst.
        const qint64 intervalNs = timer.intervalMs * kNsPerMs;
        if (intervalNs == 0) {
            timer.deadlineNs = passNowNs;
        } else {
            timer.deadlineNs += intervalNs;
            if (timer.deadlineNs <= passNowNs)
                timer.deadlineNs += ((passNowNs - timer.deadlineNs) / intervalNs + 1) * intervalNs;
        }
        schedule(top.id, timer);
        if (timer.inHandler)
            continue;
        timer.inHandler = true;
        return Due{top.id, timer.object, timer.registration};
    }
}

void TimerHeap::handlerReturned(int id, quint64 registration)
{
    const auto it = m_timers.find(id);
    if (it != m_timers.end() && it->registration == registration)
        it->inHandler = false;
}

} // namespace fulcrum
