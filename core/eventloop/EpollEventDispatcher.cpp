// SPDX-License-Identifier: GPL-3.0-or-later
#include "eventloop/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QThread>
#include <QTimerEvent>

#include <cerrno>
#include <chrono>
#include <climits>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace fulcrum {

namespace {
// Notifications per epoll_wait; more ready descriptors are simply reported by the next pass, and
// level triggering moves reported ones to the back of the kernel's ready list, so none starves.
constexpr int kMaxEvents = 256;

constexpr quint32 kTypeEvents[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};
// Errors and hang-ups are reported whatever the mask says, so every enabled notifier hears of
// them (as with Qt's dispatcher): its owner then finds the error, and nobody is left to spin on it.
constexpr quint32 kTypeFiresOn[3] = {EPOLLIN | EPOLLERR | EPOLLHUP, EPOLLOUT | EPOLLERR | EPOLLHUP,
                                     EPOLLPRI | EPOLLERR | EPOLLHUP};

qint64 steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int typeIndex(const QSocketNotifier *notifier)
{
    const int index = int(notifier->type());
    return index >= 0 && index < 3 ? index : -1;
}
} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent) : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0)
        qFatal("EpollEventDispatcher: epoll_create1 failed: %s", qPrintable(qt_error_string(errno)));
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0)
        qFatal("EpollEventDispatcher: eventfd failed: %s", qPrintable(qt_error_string(errno)));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event) < 0)
        qFatal("EpollEventDispatcher: cannot watch the eventfd: %s", qPrintable(qt_error_string(errno)));
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epoll);
}

// ---- sockets --------------------------------------------------------------------------------------

quint32 EpollEventDispatcher::enabledEvents(const Watch &watch)
{
    quint32 events = 0;
    for (int type = 0; type < 3; ++type) {
        if (watch.byType[type].registration != 0)
            events |= kTypeEvents[type];
    }
    return events;
}

// Makes the kernel watch exactly `events` for fd. Our books can be out of date in two ways, both
// repaired here: the fd was closed while still registered (the kernel silently dropped it, and the
// number may now be a new socket), so MOD fails with ENOENT and we ADD; or the kernel still has a
// registration we forgot, so ADD fails with EEXIST and we MOD.
void EpollEventDispatcher::setInterest(int fd, quint32 events)
{
    Watch &watch = m_watches[size_t(fd)];
    ++m_controlCalls;
    if (events == 0) {
        // ENOENT or EBADF mean the fd was closed already, which removed it from the set.
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        watch.interest = 0;
        return;
    }
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    const int op = watch.interest != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int result = epoll_ctl(m_epoll, op, fd, &event);
    if (result < 0 && op == EPOLL_CTL_MOD && errno == ENOENT) {
        ++m_controlCalls;
        result = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
    } else if (result < 0 && op == EPOLL_CTL_ADD && errno == EEXIST) {
        ++m_controlCalls;
        result = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
    }
    if (result < 0) {
        qWarning("EpollEventDispatcher: cannot watch socket %d: %s", fd, qPrintable(qt_error_string(errno)));
        watch.interest = 0;
        return;
    }
    watch.interest = events;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr socket = notifier->socket();
    const int type = typeIndex(notifier);
    if (socket < 0 || socket > INT_MAX || type < 0) {
        qWarning("EpollEventDispatcher: cannot watch socket %lld", static_cast<long long>(socket));
        return;
    }
    const int fd = int(socket);
    if (size_t(fd) >= m_watches.size())
        m_watches.resize(size_t(fd) + 1);
    Watch &watch = m_watches[size_t(fd)];
    NotifierSlot &slot = watch.byType[type];
    if (slot.registration != 0 && slot.notifier && slot.notifier != notifier)
        qWarning("EpollEventDispatcher: multiple socket notifiers of type %d for socket %d", type, fd);

    // Disabling a notifier leaves its fd registered (Qt's sockets disable and re-enable their read
    // notifier around every read, and two epoll_ctl calls per toggle would cost more than the
    // occasional unwanted wake-up, which dispatchSocketEvent() repairs). But a registration left
    // behind outlives the socket if the fd is closed: the kernel drops it, and a new socket may get
    // the same number. So it is trusted only while another notifier of the fd is enabled, or when
    // the very same notifier object (still alive, so not a new one at a recycled address) comes
    // back; Qt deletes a socket's notifiers when it closes it. Anything else is checked with the
    // kernel, which setInterest() does with MOD falling back to ADD. What this cannot see is one
    // notifier kept alive and disabled while its fd is closed and reopened under the same number,
    // then enabled again: Qt's sockets never do that, and nobody should.
    const bool registrationKnown =
        watch.interest != 0 && (enabledEvents(watch) != 0 || (slot.notifier && slot.notifier == notifier));
    slot.notifier = notifier;
    slot.registration = m_nextRegistration++;
    const quint32 wanted = enabledEvents(watch);
    if (registrationKnown && (wanted & ~watch.interest) == 0)
        return;
    setInterest(fd, wanted);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr socket = notifier->socket();
    const int type = typeIndex(notifier);
    if (socket < 0 || size_t(socket) >= m_watches.size() || type < 0)
        return;
    NotifierSlot &slot = m_watches[size_t(socket)].byType[type];
    if (slot.notifier != notifier)
        return;
    // Lazy: the kernel keeps watching until an event shows nobody wants it (dispatchSocketEvent).
    slot.registration = 0;
}

int EpollEventDispatcher::dispatchSocketEvent(int fd, quint32 events)
{
    if (fd < 0 || size_t(fd) >= m_watches.size()) {
        ++m_controlCalls;
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        return 0;
    }
    // Handlers may disable, delete or create notifiers (for this fd too) and close fds, and
    // m_watches may be reallocated meanwhile: nothing is held across sendEvent, and a notifier is
    // only activated if it is still the enabling seen when the event arrived.
    quint64 seen[3];
    quint32 wantedOnArrival = 0;
    for (int type = 0; type < 3; ++type) {
        const NotifierSlot &slot = m_watches[size_t(fd)].byType[type];
        seen[type] = slot.notifier ? slot.registration : 0;
        if (seen[type] != 0)
            wantedOnArrival |= kTypeEvents[type];
    }

    int delivered = 0;
    for (int type = 0; type < 3; ++type) {
        if (seen[type] == 0 || (events & kTypeFiresOn[type]) == 0)
            continue;
        if (m_interrupted.load(std::memory_order_relaxed))
            break;
        const NotifierSlot &slot = m_watches[size_t(fd)].byType[type];
        QSocketNotifier *notifier = slot.notifier.data();
        if (slot.registration != seen[type] || !notifier)
            continue;
        QEvent activation(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &activation);
        ++delivered;
    }

    // Readiness nobody wanted when it arrived will be reported again and again (level triggered):
    // this is the moment to narrow the registration that unregisterSocketNotifier() left alone.
    const quint32 unwanted = (events & (EPOLLIN | EPOLLOUT | EPOLLPRI) & ~wantedOnArrival) |
                             (wantedOnArrival == 0 ? events & (EPOLLERR | EPOLLHUP) : 0);
    if (unwanted != 0 && size_t(fd) < m_watches.size()) {
        const Watch &watch = m_watches[size_t(fd)];
        const quint32 wanted = enabledEvents(watch);
        if (wanted == 0 || wanted != watch.interest)
            setInterest(fd, wanted);
    }
    return delivered;
}

// ---- timers ---------------------------------------------------------------------------------------

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    Q_ASSERT(timerId > 0 && interval >= 0 && object);
    m_timers.add(timerId, interval, timerType, object, steadyNowNs());
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    return m_timers.remove(timerId);
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    return m_timers.removeAll(object);
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    return m_timers.timersOf(object);
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    return m_timers.remainingMs(timerId, steadyNowNs());
}

int EpollEventDispatcher::activateTimers()
{
    const qint64 passNow = steadyNowNs();
    const quint64 passMarker = m_timers.passMarker();
    int fired = 0;
    // One at a time, each rescheduled before its handler runs: a handler may kill or start any
    // timer, or run a nested event loop, and an interrupt between two timers loses no tick.
    while (!m_interrupted.load(std::memory_order_relaxed)) {
        const std::optional<TimerHeap::Due> due = m_timers.takeDue(passNow, passMarker);
        if (!due)
            break;
        QTimerEvent event(due->id);
        QCoreApplication::sendEvent(due->object, &event);
        m_timers.handlerReturned(due->id, due->registration);
        ++fired;
    }
    return fired;
}

// ---- waking ---------------------------------------------------------------------------------------

void EpollEventDispatcher::wakeUp()
{
    // QCoreApplication::postEvent() calls this for every event posted: one write is enough until
    // the dispatcher has read it.
    if (m_wakePending.exchange(true, std::memory_order_acq_rel))
        return;
    const quint64 one = 1;
    while (::write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

void EpollEventDispatcher::drainWakeUps()
{
    quint64 count = 0;
    while (::read(m_wakeFd, &count, sizeof count) < 0 && errno == EINTR) {
    }
    // After the read: a wakeUp() racing with it either wrote again or finds the flag still set,
    // and then the events it announces are sent by the next pass's sendPostedEvents().
    m_wakePending.store(false, std::memory_order_release);
}

// ---- the pass -------------------------------------------------------------------------------------

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);

    // Also sends DeferredDelete events whose loop level allows it: deleteLater() works as usual.
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool includeSockets = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    int timeoutMs = 0;
    // Events posted since sendPostedEvents() above have called wakeUp(), so blocking cannot miss them.
    if (flags.testFlag(QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_relaxed))
        timeoutMs = includeTimers ? m_timers.waitMs(steadyNowNs()) : -1;

    const bool blocks = timeoutMs != 0;
    if (blocks)
        Q_EMIT aboutToBlock();

    epoll_event events[kMaxEvents];
    int ready = 0;
    if (includeSockets) {
        ready = epoll_wait(m_epoll, events, kMaxEvents, timeoutMs);
    } else {
        // Sockets stay out of this pass entirely: watching them would make a ready one end every
        // wait at once. Only wake-ups (and timers, through the timeout) count.
        pollfd wake{m_wakeFd, POLLIN, 0};
        ready = ::poll(&wake, 1, timeoutMs);
        if (ready > 0) {
            events[0].events = EPOLLIN;
            events[0].data.fd = m_wakeFd;
            ready = 1;
        }
    }
    const int waitError = errno;

    if (blocks)
        Q_EMIT awake();

    if (ready < 0) {
        if (waitError != EINTR)
            qWarning("EpollEventDispatcher: waiting failed: %s", qPrintable(qt_error_string(waitError)));
        ready = 0;
    }

    int handled = 0;
    for (int i = 0; i < ready; ++i) {
        if (m_interrupted.load(std::memory_order_relaxed))
            break; // what is left is level triggered: the next pass reports it again
        if (events[i].data.fd == m_wakeFd) {
            drainWakeUps();
            ++handled;
        } else {
            handled += dispatchSocketEvent(events[i].data.fd, events[i].events);
        }
    }
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

} // namespace fulcrum
