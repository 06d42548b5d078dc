// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the tests of this directory: retries, outlier detection, circuit breakers, panic mode.

#include "BalancingTest.h"
#include "FakeBackend.h"
#include "LoadGenerator.h"
#include "RawClient.h"
#include "control/BackendChange.h"
#include "metrics/MetricsSnapshot.h"

#include <QList>
#include <QSignalSpy>
#include <QString>
#include <QVariant>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum::test {

// An in-process configuration with retries that start at once (no backoff) and a budget that never
// gets in the way, and without outlier detection; each test turns on what it looks at.
inline ProxyConfig resilienceConfig(const QList<BackendConfig> &backends, int workers = 1)
{
    ProxyConfig config = inProcessConfig(backends, {}, workers);
    config.retries.backoffBaseMs = 0;
    config.retries.backoffMaxMs = 0;
    config.retries.budgetPercent = 100;
    config.retries.budgetMinRetries = 1'000'000;
    config.outlierDetection.enabled = false;
    return config;
}

inline BackendMetrics metricsOf(const MetricsSnapshot &snapshot, const QString &name)
{
    for (const BackendMetrics &backend : snapshot.backends) {
        if (backend.name == name)
            return backend;
    }
    return {};
}

// The StateChanged announcements for one backend (all of them when name is empty) a spy on
// BackendRegistry::backendChanged caught.
inline QList<BackendChange> stateChanges(const QSignalSpy &spy, const QString &name = {})
{
    QList<BackendChange> changes;
    for (const QList<QVariant> &arguments : spy) {
        const auto change = arguments.at(0).value<BackendChange>();
        if (change.kind == BackendChange::Kind::StateChanged && (name.isEmpty() || change.backend == name))
            changes.append(change);
    }
    return changes;
}

// "alpha: up -> down (reason)" lines, for failure messages.
inline QString describeChanges(const QList<BackendChange> &changes)
{
    QStringList lines;
    for (const BackendChange &change : changes)
        lines.append(change.backend + QStringLiteral(": ") + change.from + QStringLiteral(" -> ") +
                     change.to + QStringLiteral(" (") + change.reason + u')');
    return lines.join(QStringLiteral("; "));
}

// A port on 127.0.0.1 where connecting hangs: a listener with a full accept queue that never
// accepts, so the kernel drops every further SYN and the connect neither succeeds nor fails until
// the connecting side gives up. For connect timeouts and requests pending on a connection.
class BlackholePort
{
public:
    BlackholePort()
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<const sockaddr *>(&address), length) != 0 ||
            ::listen(m_listener, 0) != 0 ||
            ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            return;
        m_port = ntohs(address.sin_port);
        // A backlog of 0 still queues one connection: this one, which fills the queue for good.
        m_filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_filler < 0 || ::connect(m_filler, reinterpret_cast<const sockaddr *>(&address), length) != 0)
            m_port = 0;
    }
    ~BlackholePort()
    {
        if (m_filler >= 0)
            ::close(m_filler);
        if (m_listener >= 0)
            ::close(m_listener);
    }
    BlackholePort(const BlackholePort &) = delete;
    BlackholePort &operator=(const BlackholePort &) = delete;

    bool isValid() const { return m_port != 0; }
    quint16 port() const { return m_port; }
    BackendConfig config(const QString &name, int weight = 1) const
    {
        BackendConfig backend;
        backend.name = name;
        backend.host = QStringLiteral("127.0.0.1");
        backend.port = m_port;
        backend.weight = weight;
        return backend;
    }

private:
    int m_listener = -1;
    int m_filler = -1;
    quint16 m_port = 0;
};

} // namespace fulcrum::test
