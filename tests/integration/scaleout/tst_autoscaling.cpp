// SPDX-License-Identifier: GPL-3.0-or-later
// An orchestrator scales the backends while clients keep sending: it starts new backends and adds
// them through the admin API, and takes old ones away (the original ones too) with DELETE, which
// drains them. Clients must never notice: not one request may fail, the new backends must take a
// share of the traffic, and a backend that has left must receive nothing more.
#include "AdminClient.h"
#include "BalancingTest.h"
#include "LoadGenerator.h"
#include "ProxyTest.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWorkers = 2;
constexpr int kConnections = 4;
constexpr int kRounds = 3;
constexpr int kAddedPerRound = 3;
constexpr int kRemovedPerRound = 3;
// Weights well above 1, so that slow start has room to ramp (from 10% of the weight).
constexpr int kWeight = 10;
constexpr int kSlowStartMs = 3'000;
// Each response takes a little while, so that backends being removed usually have requests in
// flight and their drain is really exercised.
constexpr int kBackendDelayMs = 2;
// Requests a new backend serves before the round goes on to removals.
constexpr int kServedByNewBackend = 20;
// Requests after the last removal: chances for a backend that left to be picked by mistake.
constexpr int kRequestsAtTheEnd = 500;
constexpr int kWaitMs = 20'000;
// Bounds, not targets: a round takes a few hundred requests and well under a second in release.
constexpr qint64 kMaxRequests = 50'000;
constexpr int kMaxDurationMs = 120'000;

QString namesOf(const QList<FakeBackend *> &backends)
{
    QStringList names;
    for (const FakeBackend *backend : backends)
        names.append(backend->name());
    return names.join(u' ');
}

} // namespace

class TestAutoscaling : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void backendsComeAndGoUnderLoad_data();
    void backendsComeAndGoUnderLoad();

private:
    // A started backend named `name`, kept until the end of the test; null when it did not start.
    FakeBackend *launchBackend(const QString &name);

    std::vector<std::unique_ptr<FakeBackend>> m_fleet; // every backend started, in start order
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestAutoscaling::cleanup()
{
    if (QTest::currentTestFailed() && m_proxy)
        qInfo("fulcrumd stderr:\n%s", m_proxy->standardError().constData());
    m_proxy.reset();
    m_fleet.clear();
}

FakeBackend *TestAutoscaling::launchBackend(const QString &name)
{
    m_fleet.push_back(std::make_unique<FakeBackend>(name));
    FakeBackend *backend = m_fleet.back().get();
    backend->setDefaultBehaviour(Behaviour::fixed().withDelay(kBackendDelayMs));
    return backend->start() ? backend : nullptr;
}

void TestAutoscaling::backendsComeAndGoUnderLoad_data()
{
    QTest::addColumn<int>("slowStartMs");
    QTest::newRow("without slow start") << 0;
    QTest::newRow("with slow start") << kSlowStartMs;
}

void TestAutoscaling::backendsComeAndGoUnderLoad()
{
    QFETCH(int, slowStartMs);
    QList<FakeBackend *> inTable{launchBackend(u"original-0"_s), launchBackend(u"original-1"_s)};
    QVERIFY(!inTable.contains(nullptr));
    QStringList arguments = backendArgs({inTable.at(0), inTable.at(1)}, {kWeight, kWeight});
    arguments << u"--access-log"_s << u"off"_s;
    if (slowStartMs > 0)
        arguments << u"--slow-start"_s << QString::number(slowStartMs);
    m_proxy = std::make_unique<FulcrumProcess>();
    QString error;
    const AdminClient admin(startWithAdmin(*m_proxy, arguments, kWorkers, &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    LoadGenerator load(m_proxy->port(), kConnections);
    load.start(kMaxRequests, kMaxDurationMs);
    QVERIFY(load.waitForRange(0, 100, kWaitMs));

    QHash<const FakeBackend *, int> servedWhenLeft; // a removed backend's request count once it had left
    QList<FakeBackend *> added;
    // For the record: removals that really had to wait, and the most requests a draining backend got.
    int drainedWithRequestsInFlight = 0;
    int mostLateArrivals = 0;
    for (int round = 0; round < kRounds; ++round) {
        QList<FakeBackend *> newcomers;
        for (int i = 0; i < kAddedPerRound; ++i) {
            FakeBackend *backend = launchBackend(u"scaled-%1-%2"_s.arg(round).arg(i));
            QVERIFY(backend);
            error = admin.addBackend(*backend, kWeight);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            newcomers.append(backend);
        }
        if (slowStartMs > 0) {
            // The ramp really is on, or this row would test nothing more than the other.
            const QJsonObject status = admin.backend(newcomers.constFirst()->name());
            QVERIFY2(status.value(u"effective_weight"_s).toInt(kWeight) < kWeight,
                     QJsonDocument(status).toJson().constData());
        }
        for (const FakeBackend *backend : std::as_const(newcomers))
            QVERIFY2(QTest::qWaitFor([backend] { return backend->requestCount() >= kServedByNewBackend; },
                                     kWaitMs),
                     qPrintable(backend->name() + u" got no traffic after it was added"_s));
        inTable += newcomers;
        added += newcomers;

        // The oldest go first: in the first round both original backends and one just added.
        const QList<FakeBackend *> leaving = inTable.first(kRemovedPerRound);
        inTable.remove(0, kRemovedPerRound);
        QHash<const FakeBackend *, int> servedWhenRemoved;
        for (const FakeBackend *backend : leaving) {
            QJsonObject removing;
            error = admin.removeBackend(backend->name(), &removing);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            servedWhenRemoved.insert(backend, backend->requestCount());
            drainedWithRequestsInFlight += removing.value(u"in_flight"_s).toInt() > 0;
        }
        for (const FakeBackend *backend : leaving) {
            QVERIFY2(admin.waitUntilLeft(backend->name()), qPrintable(backend->name() + u" did not leave"_s));
            servedWhenLeft.insert(backend, backend->requestCount());
            // Draining takes no new request. The new table reaches the workers before DELETE is
            // answered, and a worker takes it before its next turn; so once the answer is in, what
            // can still arrive is at most one request per client connection, picked just before.
            const int lateArrivals = servedWhenLeft.value(backend) - servedWhenRemoved.value(backend);
            mostLateArrivals = std::max(mostLateArrivals, lateArrivals);
            QVERIFY2(lateArrivals <= kConnections,
                     qPrintable(
                         u"%1 received %2 requests while draining"_s.arg(backend->name()).arg(lateArrivals)));
        }
    }
    const qint64 lastChange = load.issued();
    QVERIFY(load.waitForRange(lastChange, lastChange + kRequestsAtTheEnd, kWaitMs));
    load.stop();

    const QList<LoadSample> samples = load.samples();
    QCOMPARE(qint64(samples.size()), load.issued());
    const QList<LoadSample> failures = load.failures();
    QVERIFY2(failures.isEmpty(), qPrintable(describeFailures(failures)));
    for (const LoadSample &sample : samples)
        QVERIFY2(sample.status == 200, qPrintable(sample.describe()));
    // Each backend received exactly the requests whose responses name it: every response came from
    // the backend it names, and none was retried elsewhere or lost on the way.
    const QHash<QByteArray, int> served = countByBackend(samples);
    const QString counts = describeCounts(served);
    int received = 0;
    for (const std::unique_ptr<FakeBackend> &backend : m_fleet) {
        QVERIFY2(served.value(backend->name().toUtf8()) == backend->requestCount(),
                 qPrintable(backend->name() + u" received %1; responses: "_s.arg(backend->requestCount()) +
                            counts));
        received += backend->requestCount();
    }
    QVERIFY2(received == samples.size(), qPrintable(counts));

    for (const FakeBackend *backend : std::as_const(added))
        QVERIFY2(served.value(backend->name().toUtf8()) >= kServedByNewBackend, qPrintable(counts));
    for (auto it = servedWhenLeft.cbegin(); it != servedWhenLeft.cend(); ++it)
        QVERIFY2(it.key()->requestCount() == it.value(),
                 qPrintable(u"%1 served %2 more after it had left"_s.arg(it.key()->name())
                                .arg(it.key()->requestCount() - it.value())));
    QCOMPARE(servedWhenLeft.size(), kRounds * kRemovedPerRound);

    // The admin API agrees on who is left.
    QSet<QString> listed;
    const QJsonArray backends = admin.backends();
    for (const QJsonValue &backend : backends)
        listed.insert(backend.toObject().value(u"name"_s).toString());
    QStringList expected;
    for (const FakeBackend *backend : std::as_const(inTable))
        expected.append(backend->name());
    QCOMPARE(listed, QSet<QString>(expected.cbegin(), expected.cend()));
    qInfo("%lld requests, all answered by a backend: %s; left at the end: %s; %d of %d removals had "
          "requests in flight, at most %d requests reached a draining backend",
          qint64(samples.size()), qPrintable(counts), qPrintable(namesOf(inTable)),
          drainedWithRequestsInFlight, kRounds * kRemovedPerRound, mostLateArrivals);
}

QTEST_GUILESS_MAIN(TestAutoscaling)
#include "tst_autoscaling.moc"
