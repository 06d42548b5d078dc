// SPDX-License-Identifier: GPL-3.0-or-later
// Snapshots taken while traffic flows: the listener totals that are sums over backends equal those sums in
// every snapshot, no counter ever goes back, rates are what the snapshots' counts say, and a client that
// goes away mid-request counts as a client abort on the backend it was waiting for.
#include "BalancingTest.h"
#include "FakeBackend.h"
#include "LoadGenerator.h"
#include "RawClient.h"
#include "proxy/ProxyServer.h"

#include <QMap>
#include <QSignalSpy>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

ProxyConfig consistencyConfig(const QList<BackendConfig> &backends)
{
    ProxyConfig config = inProcessConfig(backends, {}, 2);
    config.metricsIntervalMs = 100;
    config.retries.maxRetries = 1;
    config.retries.backoffBaseMs = 0;
    config.retries.backoffMaxMs = 0;
    config.retries.budgetPercent = 100;
    config.retries.budgetMinRetries = 1'000'000;
    config.outlierDetection.enabled = false;
    return config;
}

// Every counter of a snapshot by a readable name: the listener's, then each backend's as "pool/name.counter".
QMap<QString, quint64> countersOf(const MetricsSnapshot &s)
{
    QMap<QString, quint64> counters{
        {u"uptime_ms"_s, quint64(s.uptimeMs)},
        {u"connections_accepted"_s, s.connectionsAccepted},
        {u"requests"_s, s.requests},
        {u"client_errors"_s, s.clientErrors},
        {u"no_backend"_s, s.noBackend},
        {u"upstream_failures"_s, s.upstreamFailures},
        {u"all_at_limits"_s, s.allAtLimits},
        {u"retries_denied"_s, s.retriesDenied},
        {u"bytes_in"_s, s.bytesFromClients},
        {u"bytes_out"_s, s.bytesToClients},
        {u"forwarded_requests"_s, s.forwardedRequests},
        {u"retries"_s, s.retries},
        {u"retry_exhausted"_s, s.retryExhausted},
        {u"client_aborts"_s, s.clientAborts},
        {u"circuit_open"_s, s.circuitOpen},
    };
    for (std::size_t c = 0; c < s.responsesByClass.size(); ++c)
        counters.insert(u"responses_%1xx"_s.arg(c + 1), s.responsesByClass[c]);
    for (const BackendMetrics &b : s.backends) {
        const QString prefix = b.pool + u'/' + b.name + u'.';
        const std::pair<const char *, quint64> backendCounters[] = {
            {"requests", b.requests},
            {"errors_connect", b.connectErrors},
            {"errors_timeout", b.timeouts},
            {"errors_reset", b.resets},
            {"errors_invalid_response", b.invalidResponses},
            {"errors_circuit_open", b.circuitOpen},
            {"errors_retry_exhausted", b.retryExhausted},
            {"errors_client_abort", b.clientAborts},
            {"bytes_in", b.bytesFromClient},
            {"bytes_out", b.bytesToClient},
            {"connections_opened", b.connectionsOpened},
            {"retries", b.retries},
            {"first_byte_count", b.firstByte.count},
            {"response_time_count", b.responseTime.count},
        };
        for (const auto &[name, value] : backendCounters)
            counters.insert(prefix + QLatin1StringView(name), value);
        for (std::size_t c = 0; c < b.responsesByClass.size(); ++c)
            counters.insert(prefix + u"responses_%1xx"_s.arg(c + 1), b.responsesByClass[c]);
        for (std::size_t k = 0; k < b.limitRejections.size(); ++k)
            counters.insert(prefix + u"limit_rejections_%1"_s.arg(k), b.limitRejections[k]);
    }
    return counters;
}

// What breaks the sums in one snapshot; empty when nothing does.
QString sumsMismatch(const MetricsSnapshot &s)
{
    quint64 requests = 0, retries = 0, retryExhausted = 0, clientAborts = 0, circuitOpen = 0;
    QStringList problems;
    for (const BackendMetrics &b : s.backends) {
        requests += b.requests;
        retries += b.retries;
        retryExhausted += b.retryExhausted;
        clientAborts += b.clientAborts;
        circuitOpen += b.circuitOpen;
        const quint64 rejections = b.limitRejections[0] + b.limitRejections[1] + b.limitRejections[2];
        if (b.circuitOpen != rejections)
            problems.append(
                u"%1: circuit_open %2, limit rejections %3"_s.arg(b.name).arg(b.circuitOpen).arg(rejections));
    }
    const std::tuple<const char *, quint64, quint64> sums[] = {
        {"forwarded_requests", s.forwardedRequests, requests},
        {"retries", s.retries, retries},
        {"retry_exhausted", s.retryExhausted, retryExhausted},
        {"client_aborts", s.clientAborts, clientAborts},
        {"circuit_open", s.circuitOpen, circuitOpen},
    };
    for (const auto &[name, listener, sum] : sums) {
        if (listener != sum)
            problems.append(u"%1: listener %2, sum over backends %3"_s.arg(QLatin1StringView(name))
                                .arg(listener)
                                .arg(sum));
    }
    return problems.join(u"; "_s);
}

// The counters that went back from one snapshot to the next; empty when none did.
QString countersGoingBack(const MetricsSnapshot &before, const MetricsSnapshot &after)
{
    const QMap<QString, quint64> was = countersOf(before);
    const QMap<QString, quint64> is = countersOf(after);
    QStringList back;
    for (auto it = was.cbegin(); it != was.cend(); ++it) {
        if (is.contains(it.key()) && is.value(it.key()) < it.value())
            back.append(u"%1: %2 -> %3"_s.arg(it.key()).arg(it.value()).arg(is.value(it.key())));
    }
    return back.join(u"; "_s);
}

// A rate is right when some earlier snapshot gives exactly it as (count now − count then) / time between.
bool rateFromHistory(double rate, qint64 uptimeMs, quint64 count,
                     const QList<std::pair<qint64, quint64>> &history)
{
    if (rate == 0)
        return true; // whether there was history enough is the unit test's business
    for (const auto &[at, then] : history) {
        if (at < uptimeMs && then <= count &&
            static_cast<double>(count - then) * 1000.0 / static_cast<double>(uptimeMs - at) == rate)
            return true;
    }
    return false;
}

// A client that never reads: with a small receive buffer, a response of megabytes to it cannot complete
// while it is connected. (RawClient reads whatever arrives while a test waits.)
class StalledClient
{
public:
    explicit StalledClient(quint16 port) : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
    {
        const int receiveBuffer = 4096;
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        m_connected = ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    }
    ~StalledClient() { ::close(m_fd); }
    StalledClient(const StalledClient &) = delete;
    StalledClient &operator=(const StalledClient &) = delete;

    bool send(QByteArrayView bytes)
    {
        return m_connected &&
               ::send(m_fd, bytes.data(), std::size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
    }

private:
    int m_fd;
    bool m_connected = false;
};

const BackendMetrics *backendNamed(const MetricsSnapshot &snapshot, const QString &name)
{
    for (const BackendMetrics &backend : snapshot.backends) {
        if (backend.name == name)
            return &backend;
    }
    return nullptr;
}

} // namespace

class TestSnapshotConsistency : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sumsHoldInEverySnapshotUnderLoad();
    void clientAbortCountsOnItsBackend();
    void removedBackendStaysInTheTotals();
};

void TestSnapshotConsistency::sumsHoldInEverySnapshotUnderLoad()
{
    FakeBackend alpha(u"alpha"_s), beta(u"beta"_s), flaky(u"flaky"_s);
    for (FakeBackend *backend : {&alpha, &beta, &flaky}) {
        QVERIFY(backend->start());
        backend->setBehaviour("/fail", Behaviour::reset());               // every attempt fails: 502
        backend->setBehaviour("/slow", Behaviour::fixed().withDelay(20)); // keeps alpha at its limit
        backend->setBehaviour("/missing", Behaviour::fixed("missing", 404));
    }
    flaky.setBehaviour("/flaky", Behaviour::reset()); // retried elsewhere: 200
    BackendConfig limited = backendConfigFor(alpha);
    limited.circuitBreaker.maxRequests = 1;
    ProxyServer server;
    QString error;
    QVERIFY2(
        server.start(consistencyConfig({limited, backendConfigFor(beta), backendConfigFor(flaky)}), &error),
        qPrintable(error));
    QSignalSpy published(&server, &ProxyServer::snapshotPublished);

    const QByteArray paths[] = {"/fail", "/flaky", "/flaky", "/missing", "/slow", "/slow", "/ok", "/ok"};
    LoadGenerator load(server.boundAddresses().constFirst().port, 6,
                       [&paths](qint64 seq) { return RawClient::get(paths[seq % std::size(paths)]); });
    load.start(50'000, 2'500);

    QList<MetricsSnapshotPtr> snapshots;
    qsizetype taken = 0;    // published snapshots moved to `snapshots`
    qsizetype verified = 0; // snapshots checked
    QList<std::pair<qint64, quint64>> listenerHistory;
    QHash<QString, QList<std::pair<qint64, quint64>>> backendHistory;
    bool sawRate = false;
    // One more round once the load is over, for the counts of its last requests.
    for (bool more = true; more;) {
        more = !load.isFinished();
        published.wait(250);
        for (; taken < published.size(); ++taken)
            snapshots.append(published.at(taken).constFirst().value<MetricsSnapshotPtr>());
        snapshots.append(server.collectSnapshot()); // after the published ones: collected in this order
        for (; verified < snapshots.size(); ++verified) {
            const MetricsSnapshot &s = *snapshots.at(verified);
            const QString where = u"snapshot %1 at %2 ms: "_s.arg(verified).arg(s.uptimeMs);
            const QString mismatch = sumsMismatch(s);
            QVERIFY2(mismatch.isEmpty(), qPrintable(where + mismatch));
            if (verified > 0) {
                const QString back = countersGoingBack(*snapshots.at(verified - 1), s);
                QVERIFY2(back.isEmpty(), qPrintable(where + back));
            }
            QVERIFY2(rateFromHistory(s.requestRate1s, s.uptimeMs, s.requests, listenerHistory),
                     qPrintable(where + u"listener 1s rate %1"_s.arg(s.requestRate1s)));
            if (s.uptimeMs < 5'000)
                QCOMPARE(s.requestRate10s, 0.0); // no snapshot is half of 10 s old yet
            for (const BackendMetrics &b : s.backends) {
                QVERIFY2(
                    rateFromHistory(b.requestRate1s, s.uptimeMs, b.requests, backendHistory.value(b.name)),
                    qPrintable(where + u"%1: 1s rate %2"_s.arg(b.name).arg(b.requestRate1s)));
                backendHistory[b.name].append({s.uptimeMs, b.requests});
            }
            sawRate = sawRate || s.requestRate1s > 0;
            listenerHistory.append({s.uptimeMs, s.requests});
        }
    }
    QVERIFY2(sawRate, "no snapshot had a request rate over 1 s while the load ran");
    QVERIFY2(snapshots.size() >= 10, qPrintable(QString::number(snapshots.size())));

    // Settled: the totals say what the clients saw.
    QTRY_VERIFY_WITH_TIMEOUT(server.collectSnapshot()->backends.at(0).activeRequests == 0 &&
                                 server.collectSnapshot()->backends.at(1).activeRequests == 0 &&
                                 server.collectSnapshot()->backends.at(2).activeRequests == 0,
                             5'000);
    const MetricsSnapshotPtr last = server.collectSnapshot();
    QVERIFY2(sumsMismatch(*last).isEmpty(), qPrintable(sumsMismatch(*last)));
    QVERIFY2(countersGoingBack(*snapshots.constLast(), *last).isEmpty(),
             qPrintable(countersGoingBack(*snapshots.constLast(), *last)));
    const QList<LoadSample> samples = load.samples();
    std::array<quint64, 5> byClass{};
    quint64 badGateways = 0;
    for (const LoadSample &sample : samples) {
        QVERIFY2(sample.complete, qPrintable(sample.describe()));
        ++byClass[static_cast<std::size_t>(sample.status / 100 - 1)];
        badGateways += sample.status == 502 ? 1 : 0;
    }
    QCOMPARE(last->requests, quint64(samples.size()));
    QCOMPARE(last->responsesByClass, byClass);
    QCOMPARE(last->retryExhausted, badGateways);
    QCOMPARE(last->upstreamFailures, badGateways);
    QCOMPARE(last->clientAborts, 0u);
    QVERIFY2(badGateways > 0 && last->retries > 0 && last->circuitOpen > 0,
             qPrintable(u"502s %1, retries %2, circuit_open %3: the load missed a case"_s.arg(badGateways)
                            .arg(last->retries)
                            .arg(last->circuitOpen)));
    // Every request went to a backend (none was answered by the proxy first), and each retry once more.
    QCOMPARE(last->noBackend + last->allAtLimits, 0u);
    QCOMPARE(last->forwardedRequests, last->requests + last->retries);
    QVERIFY(last->bytesFromClients > 0 && last->bytesToClients > 0);
}

void TestSnapshotConsistency::clientAbortCountsOnItsBackend()
{
    FakeBackend slow(u"slow"_s);
    QVERIFY(slow.start());
    slow.setBehaviour("/hang", Behaviour::neverRespond());
    slow.setBehaviour("/big", Behaviour::large(20 * 1024 * 1024));
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(consistencyConfig({backendConfigFor(slow)}), &error), qPrintable(error));
    const quint16 port = server.boundAddresses().constFirst().port;

    // A client that closes its connection after a complete response aborts nothing.
    {
        RawClient client;
        QVERIFY(client.connectTo(port));
        QCOMPARE(client.request(RawClient::get("/ok")).status, 200);
    }
    QTRY_COMPARE(server.collectSnapshot()->openConnections, 0);
    QCOMPARE(server.collectSnapshot()->clientAborts, 0u);

    // Gone while the backend has the request and has not answered.
    {
        RawClient client;
        QVERIFY(client.connectTo(port));
        QVERIFY(client.send(RawClient::get("/hang")));
        QTRY_COMPARE(slow.headCount(), 2);
        QCOMPARE(server.collectSnapshot()->backends.at(0).activeRequests, 1);
    }
    QTRY_COMPARE(server.collectSnapshot()->clientAborts, 1u);

    // Gone halfway through a response, one that cannot have finished: the client reads nothing of it.
    {
        StalledClient client(port);
        QVERIFY(client.send(RawClient::get("/big")));
        QTRY_COMPARE(server.collectSnapshot()->backends.at(0).responsesByClass[1], 2u); // the head went out
    }
    QTRY_COMPARE(server.collectSnapshot()->clientAborts, 2u);

    QTRY_COMPARE(server.collectSnapshot()->backends.at(0).activeRequests, 0);
    const MetricsSnapshotPtr snapshot = server.collectSnapshot();
    const BackendMetrics &backend = snapshot->backends.at(0);
    QCOMPARE(backend.clientAborts, 2u);
    QCOMPARE(backend.retryExhausted, 0u);
    QCOMPARE(backend.requests, 3u);
    QCOMPARE(snapshot->requests, 3u);
    // The aborted requests got no response: only the first one and the head of /big were answered.
    QCOMPARE(snapshot->responsesByClass[1], 2u);
    QCOMPARE(snapshot->responsesByClass[4], 0u);
    // The proxy let go of the backend connections of the aborted exchanges.
    QTRY_VERIFY(server.collectSnapshot()->backends.at(0).activeConnections <= 1);
    QVERIFY(sumsMismatch(*snapshot).isEmpty());
}

void TestSnapshotConsistency::removedBackendStaysInTheTotals()
{
    FakeBackend kept(u"kept"_s), removed(u"removed"_s);
    QVERIFY(kept.start());
    QVERIFY(removed.start());
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(consistencyConfig({backendConfigFor(kept), backendConfigFor(removed)}), &error),
             qPrintable(error));
    const quint16 port = server.boundAddresses().constFirst().port;
    RawClient client;
    QVERIFY(client.connectTo(port));
    for (int i = 0; i < 10; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);
    QTRY_COMPARE(server.collectSnapshot()->forwardedRequests, 10u);
    const MetricsSnapshotPtr before = server.collectSnapshot();
    const BackendMetrics *gone = backendNamed(*before, u"removed"_s);
    QVERIFY(gone != nullptr);
    QVERIFY(gone->requests > 0);

    QVERIFY2(server.backends().apply({}, {backendConfigFor(kept)}, u"test"_s, &error), qPrintable(error));
    QTRY_COMPARE(server.collectSnapshot()->backends.size(), 1);
    QCOMPARE(server.collectSnapshot()->backends.at(0).name, u"kept"_s);
    const MetricsSnapshotPtr after = server.collectSnapshot();
    QCOMPARE(after->forwardedRequests, 10u); // not the kept backend's share alone
    QVERIFY2(countersGoingBack(*before, *after).isEmpty(), qPrintable(countersGoingBack(*before, *after)));

    // Traffic goes on counting on top.
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);
    QTRY_COMPARE(server.collectSnapshot()->forwardedRequests, 15u);
    QCOMPARE(server.collectSnapshot()->backends.at(0).requests, 15u - gone->requests);
}

QTEST_GUILESS_MAIN(TestSnapshotConsistency)
#include "tst_snapshot_consistency.moc"
