// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "eventloop/TimerHeap.h"

#include <QAbstractEventDispatcher>
#include <QPointer>
#include <QSocketNotifier>

#include <atomic>
#include <vector>

namespace fulcrum {

// An event dispatcher for the proxy's worker threads: level-triggered epoll for socket notifiers,
// an eventfd for wakeUp()/interrupt() and a TimerHeap for timers, so that a wake-up costs in
// proportion to the sockets that are ready rather than to all the thread watches (Qt's UNIX
// dispatcher polls every notifier on every pass). Install it before the thread starts:
// thread.setEventDispatcher(new EpollEventDispatcher).
//
// Each pass sends the thread's posted events (deleteLater included), waits in epoll_wait (only as
// long as the next timer allows, and only when asked to wait), delivers ready socket notifiers, then
// due timers. Everything but wakeUp() and interrupt() must be called from the dispatcher's thread.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // How many epoll_ctl calls the dispatcher has made, so tests can tell that toggling a notifier
    // does not cost a system call each time.
    quint64 controlCalls() const { return m_controlCalls; }

private:
    struct NotifierSlot
    {
        // Kept after the notifier is disabled: a registration left in the kernel is only trusted for
        // the very notifier that made it (see registerSocketNotifier).
        QPointer<QSocketNotifier> notifier;
        quint64 registration = 0; // 0 while disabled; otherwise unique to this enabling
    };
    struct Watch
    {
        NotifierSlot byType[3]; // QSocketNotifier::Read, Write, Exception
        quint32 interest = 0;   // the events the kernel watches for this fd; 0 when not in the set
    };

    static quint32 enabledEvents(const Watch &watch);
    void setInterest(int fd, quint32 events);
    int dispatchSocketEvent(int fd, quint32 events);
    int activateTimers();
    void drainWakeUps();

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupted{false};
    std::vector<Watch> m_watches; // indexed by fd: descriptors are small and dense
    TimerHeap m_timers;
    quint64 m_nextRegistration = 1;
    quint64 m_controlCalls = 0;
};

} // namespace fulcrum
