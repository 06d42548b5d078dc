// SPDX-License-Identifier: GPL-3.0-or-later
#include "SystemdNotifier.h"

#include <QtGlobal>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// The protocol separates fields with newlines, so a multi-line error must not break a STATUS= apart.
QByteArray statusField(const QString &status)
{
    QString oneLine = status;
    oneLine.replace(u'\n', u"; "_s);
    return "STATUS=" + oneLine.toUtf8();
}

quint64 monotonicMicroseconds()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<quint64>(now.tv_sec) * 1'000'000u + static_cast<quint64>(now.tv_nsec) / 1'000u;
}

} // namespace

SystemdNotifier::SystemdNotifier(QObject *parent) : QObject(parent)
{
    const QByteArray name = qgetenv("NOTIFY_SOCKET");
    if (name.isEmpty())
        return;
    m_socketName = QString::fromLocal8Bit(name);
    // Abstract namespace names start with a NUL byte and are not NUL-terminated; '@' stands for it.
    const bool abstract = name.startsWith('@');
    const qsizetype pathRoom = static_cast<qsizetype>(sizeof(m_address.sun_path)) - (abstract ? 0 : 1);
    if ((name.front() != '/' && !abstract) || name.size() > pathRoom) {
        qWarning("systemd: ignoring NOTIFY_SOCKET %s: not an absolute path or @name that fits a unix address",
                 name.constData());
        return;
    }
    m_address.sun_family = AF_UNIX;
    std::memcpy(m_address.sun_path, name.constData(), static_cast<size_t>(name.size()));
    if (abstract)
        m_address.sun_path[0] = '\0';
    m_addressLength = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                             static_cast<size_t>(name.size()) + (abstract ? 0 : 1));

    m_socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (m_socket < 0) {
        qWarning("systemd: cannot create a socket for NOTIFY_SOCKET: %s", std::strerror(errno));
        return;
    }
    startWatchdog();
}

SystemdNotifier::~SystemdNotifier()
{
    if (m_socket >= 0)
        ::close(m_socket);
}

void SystemdNotifier::startWatchdog()
{
    bool valid = false;
    const qint64 intervalUs = qEnvironmentVariable("WATCHDOG_USEC").toLongLong(&valid);
    if (!valid || intervalUs <= 0)
        return;
    // WATCHDOG_PID names the process systemd watches; one inherited from a parent is not ours to feed.
    const QString watchedPid = qEnvironmentVariable("WATCHDOG_PID");
    if (!watchedPid.isEmpty() && watchedPid.toLongLong() != ::getpid())
        return;
    // Pinging at half the deadline from the main event loop: a main loop that stops turning stops the
    // pings, and systemd restarts the service.
    m_watchdogTimer.setTimerType(Qt::PreciseTimer);
    m_watchdogTimer.setInterval(static_cast<int>(std::max<qint64>(1, intervalUs / 2 / 1'000)));
    connect(&m_watchdogTimer, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
    m_watchdogTimer.start();
}

void SystemdNotifier::notifyReady(const QString &status)
{
    send("READY=1\n" + statusField(status) + "\nMAINPID=" + QByteArray::number(::getpid()));
}

void SystemdNotifier::notifyReloading()
{
    send("RELOADING=1\nMONOTONIC_USEC=" + QByteArray::number(monotonicMicroseconds()));
}

void SystemdNotifier::notifyReloaded(const QString &status)
{
    send("READY=1\n" + statusField(status));
}

void SystemdNotifier::notifyStopping(const QString &status)
{
    send("STOPPING=1\n" + statusField(status));
}

void SystemdNotifier::send(const QByteArray &message)
{
    if (m_socket < 0)
        return;
    const ssize_t sent =
        ::sendto(m_socket, message.constData(), static_cast<size_t>(message.size()), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr *>(&m_address), m_addressLength);
    if (sent >= 0 || m_sendFailureLogged)
        return;
    // Once: with systemd gone, every watchdog ping would fail the same way.
    m_sendFailureLogged = true;
    qWarning("systemd: cannot notify %s: %s", qPrintable(m_socketName), std::strerror(errno));
}

} // namespace fulcrum
