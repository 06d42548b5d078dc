// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "http/ParseFailure.h"
#include "http/RequestId.h"
#include "limits/ClientLimiters.h"
#include "metrics/Counters.h"
#include "proxy/AccessLog.h"
#include "proxy/RetryBudget.h"
#include "proxy/UpstreamPool.h"
#include "routing/RoutingTable.h"
#include "tls/TlsContextHolder.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QSocketNotifier>
#include <QTimer>

#include <atomic>
#include <memory>
#include <vector>

namespace fulcrum {

class ClientConnection;

// One data-plane thread: accepts on its own SO_REUSEPORT sockets and owns every connection it
// accepts or opens, its upstream pool, its balancing state and its counter slots. The control
// thread talks to it only through queued calls.
class Worker final : public QObject
{
    Q_OBJECT
public:
    Worker(int index, const ProxyConfig &config, std::vector<int> listenDescriptors,
           WorkerSlots<ListenerCounterSlot> &listenerCounters, int accessLogFd,
           const ClientLimiters *limiters = nullptr, const TlsContextHolder *tls = nullptr);
    ~Worker() override;

    // All of these run on the worker's thread (invoke them queued from elsewhere).
    void start();
    void setRoutingTable(fulcrum::RoutingTablePtr routing);
    // The generation of the backend tables this worker chooses from, from any thread: every request it
    // sent to a backend under older tables is already counted in that backend's in-flight requests.
    quint64 backendGeneration() const { return m_backendGeneration.load(std::memory_order_acquire); }
    void beginDrain();
    void shutdown();

    int index() const { return m_index; }
    const ProxyConfig &config() const { return m_config; }
    const ParserLimits &parserLimits() const { return m_parserLimits; }
    // For requests that reach no pool (answered by a route or refused before routing).
    const RequestPolicy &defaultPolicy() const { return m_defaultPolicy; }
    const RoutingTablePtr &routing() const { return m_routing; }
    UpstreamPool &pool() { return *m_pool; }
    ListenerCounterSlot &listenerCounters() { return m_listenerCounters.slot(m_index); }
    RequestIdGenerator &requestIds() { return m_requestIds; }
    AccessLog &accessLog() { return m_accessLog; }
    RetryBudget &retryBudget() { return m_retryBudget; }
    // Null without a rate limit.
    RateLimiter *rateLimiter() const { return m_rateLimiter; }
    // Null without "rate_limit.paths" rules.
    const ClientLimiters *pathRateLimits() const { return m_pathRateLimits; }
    // From a connection whose backend just reached the outlier threshold; the control thread decides.
    void reportFailingBackend(const QString &name, const QString &reason)
    {
        Q_EMIT backendFailing(name, reason);
    }
    bool isDraining() const { return m_draining; }
    qint64 nowMs() const { return m_clock.elapsed(); }
    qint64 nowUs() const { return m_clock.nsecsElapsed() / 1000; }
    char *scratch() { return m_scratch.get(); }
    qsizetype scratchSize() const { return kScratchSize; }
    void connectionClosed(ClientConnection *connection);

Q_SIGNALS:
    // Draining finished: no client connection is left.
    void drained(int index);
    void backendFailing(const QString &name, const QString &reason);

private:
    static constexpr qsizetype kScratchSize = 64 * 1024;

    // One of the worker's listening sockets and its state when accepting runs out of resources.
    struct Listener
    {
        Listener(int descriptor, int listenIndex)
            : fd(descriptor), index(listenIndex), notifier(descriptor, QSocketNotifier::Read)
        {}

        const int fd;
        const int index;               // of its address in the configuration's "listen"
        bool proxyProtocol = false;    // connections start with a PROXY header
        bool tls = false;              // connections speak TLS
        quint16 redirectHttpsPort = 0; // every request is redirected to https on this port
        QSocketNotifier notifier;
        QTimer resumeTimer;
        int pauseMs = 0;         // the current pause; 0 when accepting works
        int episodeFailures = 0; // failed accepts since accepting last worked
        qint64 episodeStartMs = 0;
        bool episodeReported = false;
        int unreported = 0; // failed accepts no warning has mentioned yet
        qint64 lastWarningMs = -1;
    };

    void acceptPending(Listener &listener);
    // Takes the new connection on, unless a connection limit refuses it (then it is closed at once).
    void admitConnection(const Listener &listener, int fd, const sockaddr_storage &peer);
    // accept() found no descriptor (or memory) for a connection waiting in the backlog.
    void pauseAccepting(Listener &listener, int error);
    void resumeAccepting(Listener &listener);
    void acceptingRecovered(Listener &listener);
    void sweep();
    void closeListeners();
    void checkDrained();

    const int m_index;
    const ProxyConfig m_config;
    ParserLimits m_parserLimits;
    const RequestPolicy m_defaultPolicy;
    std::vector<int> m_listenDescriptors;
    std::vector<std::unique_ptr<Listener>> m_listeners;
    WorkerSlots<ListenerCounterSlot> &m_listenerCounters;
    RoutingTablePtr m_routing;
    std::atomic<quint64> m_backendGeneration{0};
    UpstreamPool *m_pool = nullptr;
    RequestIdGenerator m_requestIds;
    AccessLog m_accessLog;
    RetryBudget m_retryBudget;
    RateLimiter *const m_rateLimiter;
    const ClientLimiters *const m_pathRateLimits;
    ConnectionLimiter *const m_connectionLimiter;
    const TlsContextHolder *const m_tls;
    QSet<ClientConnection *> m_connections;
    QTimer *m_sweepTimer = nullptr;
    QElapsedTimer m_clock;
    std::unique_ptr<char[]> m_scratch;
    bool m_draining = false;
};

} // namespace fulcrum
