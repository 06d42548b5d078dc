// SPDX-License-Identifier: GPL-3.0-or-later
#include "SignalWatcher.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum {

namespace {
int g_signalPipe[2] = {-1, -1};

void forwardSignal(int signalNumber)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signalNumber);
    [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[0], &byte, 1);
    errno = savedErrno;
}
} // namespace

SignalWatcher::SignalWatcher(QObject *parent) : QObject(parent) {}

SignalWatcher::~SignalWatcher()
{
    for (const int signalNumber : {SIGTERM, SIGINT, SIGHUP, SIGUSR1})
        std::signal(signalNumber, SIG_DFL);
}

bool SignalWatcher::install(QString *error)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, g_signalPipe) != 0) {
        *error = QString::fromLocal8Bit(strerror(errno));
        return false;
    }
    m_notifier = std::make_unique<QSocketNotifier>(g_signalPipe[1], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &SignalWatcher::onReadable);
    struct sigaction action = {};
    action.sa_handler = &forwardSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int signalNumber : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
        if (::sigaction(signalNumber, &action, nullptr) != 0) {
            *error = QString::fromLocal8Bit(strerror(errno));
            return false;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}

void SignalWatcher::onReadable()
{
    unsigned char byte = 0;
    while (::read(g_signalPipe[1], &byte, 1) == 1) {
        if (byte == SIGHUP)
            Q_EMIT reloadRequested();
        else if (byte == SIGUSR1)
            Q_EMIT snapshotRequested();
        else
            Q_EMIT terminateRequested(byte);
    }
}

} // namespace fulcrum
