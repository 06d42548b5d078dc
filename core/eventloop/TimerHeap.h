// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QList>
#include <QMultiHash>

#include <optional>
#include <vector>

namespace fulcrum {

// The timers of one event dispatcher, ordered by deadline in a binary min-heap. Times are nanoseconds
// of the steady clock, passed in by the caller so the arithmetic can be tested on a fixed clock.
//
// Removal is lazy: killing a timer only forgets its record, and the heap entry it leaves behind is
// recognised as stale (its ticket no longer matches) when it reaches the top. Tickets are never
// reused, unlike Qt's timer ids, so a killed timer whose id is handed straight to a new timer
// cannot fire the new one early. The heap is rebuilt when stale entries outnumber live ones, so
// restarting a long timeout on every request cannot grow it without bound.
class TimerHeap
{
public:
    struct Due
    {
        int id = 0;
        QObject *object = nullptr;
        quint64 registration = 0; // identifies this registration of the id, for handlerReturned()
    };

    void add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object, qint64 nowNs);
    bool remove(int id);
    bool removeAll(QObject *object);
    QList<QAbstractEventDispatcher::TimerInfo> timersOf(QObject *object) const;
    // Milliseconds until the timer is due (0 when overdue), -1 for an unknown id.
    int remainingMs(int id, qint64 nowNs) const;
    // How long a dispatcher may sleep: -1 without timers, else milliseconds rounded up (never wakes
    // early just to find nothing due).
    int waitMs(qint64 nowNs);
    bool isEmpty() const { return m_timers.isEmpty(); }
    qsizetype size() const { return m_timers.size(); }
    // Heap entries, stale ones included: bounded by a small multiple of size().
    qsizetype entryCount() const { return qsizetype(m_heap.size()); }

    // A pass fires only what was scheduled before it began: a zero-interval timer rescheduled during
    // the pass waits for the next one, so it cannot spin the pass forever or starve sockets.
    quint64 passMarker() const { return m_nextTicket; }
    // The earliest timer due at passNowNs and scheduled before passMarker, already rescheduled for
    // its next period, or nothing. A timer still inside its handler (a nested event loop is running)
    // is rescheduled but not returned, as Qt does, so its handler is never re-entered.
    std::optional<Due> takeDue(qint64 passNowNs, quint64 passMarker);
    // The handler of a Due returned; the timer may have been killed or its id reused meanwhile.
    void handlerReturned(int id, quint64 registration);

private:
    struct Timer
    {
        qint64 intervalMs = 0;
        qint64 deadlineNs = 0;
        QObject *object = nullptr;
        quint64 ticket = 0;       // of its current heap entry
        quint64 registration = 0; // the ticket it was registered with
        Qt::TimerType type = Qt::CoarseTimer;
        bool inHandler = false;
    };
    struct Entry
    {
        qint64 deadlineNs;
        quint64 ticket; // breaks ties in registration order, and tells stale entries apart
        int id;
    };
    static bool later(const Entry &a, const Entry &b);

    bool isLive(const Entry &entry) const;
    void dropStaleTop();
    void schedule(int id, Timer &timer);
    void compactIfMostlyStale();

    QHash<int, Timer> m_timers;
    QMultiHash<QObject *, int> m_byObject;
    std::vector<Entry> m_heap;
    quint64 m_nextTicket = 1;
};

} // namespace fulcrum
