// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>
#include <QWaitCondition>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class QThread;

namespace fulcrum::test {

// One request a LoadGenerator sent and how it ended.
struct LoadSample
{
    qint64 seq = -1;       // 0-based, in the order the requests were started, over all connections
    int connection = -1;   // which of the generator's connections carried it
    bool complete = false; // a whole response arrived
    int status = 0;
    QByteArray backend;   // the response's X-Backend (FakeBackend's name)
    QByteArray setCookie; // the response's Set-Cookie lines, joined with "\n"; empty when none
    QString error;        // why the response is not complete

    bool ok() const { return complete && status >= 200 && status < 300; }
    QString describe() const;
};

// Keeps a few keep-alive connections to 127.0.0.1:port busy at once, each on its own thread, so that
// requests really are concurrent with whatever the test's main thread does meanwhile (changing
// backends, signalling a process). Each connection sends its next request as soon as the previous
// response has arrived; a connection that fails is reopened (and the failure recorded).
//
// Every sample is kept in seq order; all accessors are thread-safe and meant for the main thread.
// Waits spin the caller's event loop, so a fulcrumd QProcess keeps having its pipes drained and
// in-process control objects (BackendRegistry's timers) keep running.
class LoadGenerator
{
public:
    // The request with this seq number; called on the connections' threads, so it must be thread-safe.
    using RequestFactory = std::function<QByteArray(qint64 seq)>;

    // Without a factory every request is "GET /load/<seq>".
    LoadGenerator(quint16 port, int connections, RequestFactory factory = {});
    // Stops and joins every connection.
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator &) = delete;
    LoadGenerator &operator=(const LoadGenerator &) = delete;

    // Starts the connections. They stop by themselves once maxRequests requests have been started
    // (over all connections), when maxDurationMs has passed, or on stop(). Call once.
    void start(qint64 maxRequests, int maxDurationMs);
    // Asks every connection to stop after its current request, then waits for all of them.
    void stop();
    // True when every connection has stopped and every started request has its sample.
    bool isFinished() const;
    bool waitForFinished(int timeoutMs);

    // Requests started so far: the seq the next request will get.
    qint64 issued() const { return m_next.load(std::memory_order_acquire); }
    qint64 completedCount() const;
    // Waits until the requests with seq in [from, to) have all completed (or failed).
    bool waitForRange(qint64 from, qint64 to, int timeoutMs);
    // After a change to the proxy: waits until `requests` more have been issued and completed, and
    // returns the seq from which requests certainly started after the change reached the workers
    // (those before may already have been on their way); -1 on timeout.
    qint64 settle(int requests, int timeoutMs = 10'000);
    // The samples with seq in [from, to), in seq order; only the completed ones.
    QList<LoadSample> samples(qint64 from, qint64 to) const;
    // Every completed sample so far, in seq order.
    QList<LoadSample> samples() const;

    // Samples that are not 2xx or did not complete, in seq order.
    QList<LoadSample> failures() const;

private:
    void runConnection(int index);
    bool takeSeq(qint64 *seq);
    void record(LoadSample sample);

    quint16 m_port;
    int m_connectionCount;
    RequestFactory m_factory;
    qint64 m_maxRequests = 0;
    QDeadlineTimer m_deadline; // set by start(), read-only afterwards
    std::atomic<qint64> m_next{0};
    std::atomic<bool> m_stop{false};
    std::vector<std::unique_ptr<QThread>> m_threads;

    mutable QMutex m_mutex;
    QWaitCondition m_progress;         // signalled by every completed request
    std::vector<LoadSample> m_samples; // indexed by seq
    std::vector<char> m_done;          // indexed by seq
    qint64 m_completed = 0;
};

// "3 failed requests: <the first five, described>"; empty when there are none. For failure messages.
QString describeFailures(const QList<LoadSample> &failures);

// How many samples each backend (X-Backend) served.
QHash<QByteArray, int> countByBackend(const QList<LoadSample> &samples);

} // namespace fulcrum::test
