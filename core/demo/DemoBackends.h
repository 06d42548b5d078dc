// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

#include <QList>
#include <QString>

#include <memory>

namespace fulcrum {

// Three tiny HTTP/1.1 servers on 127.0.0.1 for trying Fulcrum without real backends: "alpha",
// "beta" and "gamma" answer every request with 200 and "hello from <name>\n" after 2, 10 and 25 ms
// (timers, never blocking), keep connections alive unless asked to close, and run on their own thread.
class DemoBackends
{
public:
    // basePort 0 takes ephemeral ports; otherwise alpha, beta and gamma listen on basePort, +1, +2.
    explicit DemoBackends(quint16 basePort = 0);
    ~DemoBackends();
    DemoBackends(const DemoBackends &) = delete;
    DemoBackends &operator=(const DemoBackends &) = delete;

    // Returns once all three listen; false (see errorString()) when a port cannot be bound.
    bool start();
    // Closes every listener and connection and joins the thread. Safe to call when not running.
    void stop();
    bool isRunning() const;
    QString errorString() const { return m_error; }

    // name, host "127.0.0.1", the bound port and weight 1 for each server; empty when not running.
    QList<BackendConfig> backends() const;

private:
    class Thread;

    quint16 m_basePort;
    std::unique_ptr<Thread> m_thread;
    QList<BackendConfig> m_backends;
    QString m_error;
};

} // namespace fulcrum
