// SPDX-License-Identifier: GPL-3.0-or-later
#include "LoadGenerator.h"

#include "RawClient.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QMutexLocker>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

QString LoadSample::describe() const
{
    QString text = u"request %1 on connection %2: "_s.arg(seq).arg(connection);
    if (!complete)
        return text + u"no complete response: "_s + error;
    return text + u"status %1 from %2"_s.arg(status).arg(QString::fromLatin1(backend));
}

LoadGenerator::LoadGenerator(quint16 port, int connections, RequestFactory factory)
    : m_port(port), m_connectionCount(connections), m_factory(std::move(factory))
{
    if (!m_factory)
        m_factory = [](qint64 seq) { return RawClient::get(QByteArray("/load/" + QByteArray::number(seq))); };
}

LoadGenerator::~LoadGenerator()
{
    m_stop.store(true);
    if (!waitForFinished(30'000)) {
        for (const std::unique_ptr<QThread> &thread : m_threads)
            thread->wait();
    }
}

void LoadGenerator::start(qint64 maxRequests, int maxDurationMs)
{
    Q_ASSERT(m_threads.empty());
    m_maxRequests = maxRequests;
    m_samples.resize(static_cast<std::size_t>(maxRequests));
    m_done.assign(static_cast<std::size_t>(maxRequests), 0);
    m_deadline = QDeadlineTimer(maxDurationMs);
    for (int i = 0; i < m_connectionCount; ++i) {
        m_threads.emplace_back(QThread::create([this, i] { runConnection(i); }));
        m_threads.back()->setObjectName(u"load-%1"_s.arg(i));
    }
    for (const std::unique_ptr<QThread> &thread : m_threads)
        thread->start();
}

bool LoadGenerator::takeSeq(qint64 *seq)
{
    qint64 next = m_next.load(std::memory_order_acquire);
    do {
        if (next >= m_maxRequests || m_stop.load(std::memory_order_acquire))
            return false;
    } while (!m_next.compare_exchange_weak(next, next + 1, std::memory_order_acq_rel));
    *seq = next;
    return true;
}

void LoadGenerator::runConnection(int index)
{
    const QDeadlineTimer deadline = m_deadline;
    RawClient client;
    bool connected = client.connectTo(m_port);
    qint64 seq = -1;
    while (!deadline.hasExpired() && takeSeq(&seq)) {
        LoadSample sample;
        sample.seq = seq;
        sample.connection = index;
        if (!connected)
            connected = client.connectTo(m_port);
        if (!connected) {
            sample.error = client.errorString();
            record(std::move(sample));
            continue;
        }
        const HttpResponse r = client.request(m_factory(seq));
        sample.complete = r.complete;
        sample.status = r.status;
        sample.backend = r.header("x-backend");
        sample.error = r.error;
        for (const HttpHeader &header : r.headers) {
            if (headerNameEquals(header.name, "set-cookie")) {
                if (!sample.setCookie.isEmpty())
                    sample.setCookie += '\n';
                sample.setCookie += header.value;
            }
        }
        const bool reopen = !r.complete || r.header("connection").toLower() == "close" || client.peerClosed();
        record(std::move(sample));
        if (reopen) {
            client.close();
            connected = false;
        }
    }
}

void LoadGenerator::record(LoadSample sample)
{
    const QMutexLocker lock(&m_mutex);
    const auto at = static_cast<std::size_t>(sample.seq);
    m_samples[at] = std::move(sample);
    m_done[at] = 1;
    ++m_completed;
    m_progress.wakeAll();
}

void LoadGenerator::stop()
{
    m_stop.store(true, std::memory_order_release);
    waitForFinished(30'000);
}

bool LoadGenerator::isFinished() const
{
    for (const std::unique_ptr<QThread> &thread : m_threads) {
        if (!thread->isFinished())
            return false;
    }
    return completedCount() == std::min(issued(), m_maxRequests);
}

bool LoadGenerator::waitForFinished(int timeoutMs)
{
    return QTest::qWaitFor([this] { return isFinished(); }, timeoutMs);
}

qint64 LoadGenerator::completedCount() const
{
    const QMutexLocker lock(&m_mutex);
    return m_completed;
}

bool LoadGenerator::waitForRange(qint64 from, qint64 to, int timeoutMs)
{
    if (to > m_maxRequests)
        return false;
    // Woken by every completed request rather than polling, so that a test reacting to a finished
    // range lets as few unmeasured requests pass as possible; the caller's events still run at least
    // every few milliseconds.
    const QDeadlineTimer deadline(timeoutMs);
    qint64 checked = std::max<qint64>(0, from); // every seq before this one is known to be done
    for (;;) {
        {
            QMutexLocker lock(&m_mutex);
            while (checked < to && m_done[static_cast<std::size_t>(checked)] != 0)
                ++checked;
            if (checked == to)
                return true;
            if (deadline.hasExpired())
                return false;
            m_progress.wait(&m_mutex, QDeadlineTimer(std::min<qint64>(5, deadline.remainingTime())));
        }
        QCoreApplication::processEvents();
    }
}

QList<LoadSample> LoadGenerator::samples(qint64 from, qint64 to) const
{
    const QMutexLocker lock(&m_mutex);
    QList<LoadSample> out;
    to = std::min(to, m_maxRequests);
    for (qint64 seq = std::max<qint64>(0, from); seq < to; ++seq) {
        if (m_done[static_cast<std::size_t>(seq)] != 0)
            out.append(m_samples[static_cast<std::size_t>(seq)]);
    }
    return out;
}

QList<LoadSample> LoadGenerator::samples() const
{
    return samples(0, m_maxRequests);
}

QList<LoadSample> LoadGenerator::failures() const
{
    QList<LoadSample> out;
    const QList<LoadSample> all = samples();
    for (const LoadSample &sample : all) {
        if (!sample.ok())
            out.append(sample);
    }
    return out;
}

QHash<QByteArray, int> countByBackend(const QList<LoadSample> &samples)
{
    QHash<QByteArray, int> counts;
    for (const LoadSample &sample : samples)
        ++counts[sample.backend];
    return counts;
}

qint64 LoadGenerator::settle(int requests, int timeoutMs)
{
    const qint64 now = issued();
    const qint64 from = now + requests;
    return waitForRange(now, from, timeoutMs) ? from : -1;
}

QString describeFailures(const QList<LoadSample> &failures)
{
    if (failures.isEmpty())
        return {};
    QStringList lines;
    for (qsizetype i = 0; i < std::min<qsizetype>(failures.size(), 5); ++i)
        lines.append(failures.at(i).describe());
    return QStringLiteral("%1 failed requests: %2")
        .arg(failures.size())
        .arg(lines.join(QStringLiteral("; ")));
}

} // namespace fulcrum::test
