// SPDX-License-Identifier: GPL-3.0-or-later
// Backends change while traffic flows: a load generator keeps a few keep-alive connections busy on
// its own threads while the test changes weights, drains, adds and removes backends 100 times.
// No request may fail, and after each change the share every backend serves must match the new
// weights within 2 %.
#include "BalancingTest.h"
#include "ProxyTest.h"
#include "proxy/ProxyServer.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>
#include <vector>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kChanges = 100;
constexpr int kConnections = 3;
// Requests started after a change that are not measured. A new table is posted to the workers
// before the change call returns, and a worker takes posted events at least once per turn of its
// event loop, in which it starts at most one request per connection; so of the requests started
// after the call returns, at most kConnections can still pick from the old table. Four times that,
// to spare.
constexpr int kSkip = 4 * kConnections;
// Requests measured after each change. Round robin follows one schedule, and over any stretch of it
// each backend's count is within 1.6 of stretch × share (for up to six backends of weight up to 8).
// The measured requests are such a stretch but for requests of the neighbouring windows racing
// with them at its two ends: at most kConnections - 1 at each end, so at most 4 requests of the
// stretch are not measured ones. Each count is then within 1.6 + 4 of window × share, and 2 % of
// 300 is 6. (Typical runs stay under 2.)
constexpr int kWindow = 300;
constexpr double kTolerance = 0.02;
constexpr int kPoolSize = 6;
// A bound, not a target: the windows take about 31 000 requests, and more run while the test waits
// for removals to complete (a registry tick, 50 ms, each) and for its own turn on a busy machine.
constexpr qint64 kMaxRequests = 100'000;
constexpr int kMaxDurationMs = 240'000;

struct Expected
{
    QHash<QByteArray, double> share; // backends in rotation
    QList<QByteArray> outOfRotation; // known to the registry but receiving no new requests
};

// What round robin must do under the registry's current table: each backend in rotation gets its
// effective weight's share.
Expected expectedShares(const BackendRegistry &registry)
{
    Expected expected;
    int total = 0;
    const QList<BackendStatus> all = registry.status();
    for (const BackendStatus &status : all) {
        if (status.state == BackendState::Up && !status.removing && status.effectiveWeight > 0)
            total += status.effectiveWeight;
    }
    for (const BackendStatus &status : all) {
        const QByteArray name = status.config.name.toLatin1();
        if (status.state == BackendState::Up && !status.removing && status.effectiveWeight > 0)
            expected.share.insert(name, double(status.effectiveWeight) / total);
        else
            expected.outOfRotation.append(name);
    }
    return expected;
}

QString describeRegistry(const BackendRegistry &registry)
{
    QStringList parts;
    for (const BackendStatus &status : registry.status())
        parts.append(u"%1(w%2 %3%4)"_s.arg(status.config.name)
                         .arg(status.effectiveWeight)
                         .arg(backendStateName(status.state))
                         .arg(status.removing ? u" removing"_s : QString()));
    return parts.join(u' ');
}

// Chooses and applies one change to the registry, keeping at least two backends in rotation so
// that no request can find none. Every change is a real one (a weight that differs, a state that
// differs), so each one publishes a new table.
class ChangeMaker
{
public:
    ChangeMaker(BackendRegistry &registry, const std::vector<std::unique_ptr<FakeBackend>> &pool,
                quint32 seed)
        : m_registry(registry), m_pool(pool), m_random(seed)
    {}

    // Returns a description of what was done, or an empty string when the registry refused. The
    // kinds of change follow a fixed cycle (skipping one that is impossible at the moment); targets
    // and weights are random.
    QString apply(QString *error)
    {
        enum Kind
        {
            Weight,
            TakeOut,
            BringUp,
            Add,
            Remove
        };
        static constexpr Kind cycle[] = {Weight,  TakeOut, Add,     Weight, BringUp, Remove,
                                         TakeOut, Weight,  BringUp, Add,    Remove};
        constexpr int cycleLength = int(std::size(cycle));
        for (int attempt = 0; attempt < cycleLength; ++attempt) {
            const Kind kind = cycle[m_step++ % cycleLength];
            QString what;
            switch (kind) {
            case Weight:
                what = changeWeight(error);
                break;
            case TakeOut:
                what = takeOut(error);
                break;
            case BringUp:
                what = bringUp(error);
                break;
            case Add:
                what = add(error);
                break;
            case Remove:
                what = remove(error);
                break;
            }
            if (!what.isEmpty() || !error->isEmpty())
                return what;
        }
        *error = u"no change possible in: "_s + describeRegistry(m_registry);
        return {};
    }

    QHash<QString, int> kinds; // how many changes of each kind were made

private:
    QList<BackendStatus> members() const
    {
        QList<BackendStatus> out;
        for (const BackendStatus &status : m_registry.status()) {
            if (!status.removing)
                out.append(status);
        }
        return out;
    }
    static bool inRotation(const BackendStatus &status)
    {
        return status.state == BackendState::Up && !status.removing && status.config.weight > 0;
    }
    int rotationSize() const
    {
        int n = 0;
        for (const BackendStatus &status : m_registry.status())
            n += inRotation(status) ? 1 : 0;
        return n;
    }
    template <typename T>
    const T &any(const QList<T> &list)
    {
        return list.at(qsizetype(m_random.bounded(quint32(list.size()))));
    }
    QString done(const QString &kind, const QString &what)
    {
        ++kinds[kind];
        return what;
    }

    QString changeWeight(QString *error)
    {
        const QList<BackendStatus> candidates = members();
        if (candidates.isEmpty())
            return {};
        const BackendStatus &target = any(candidates);
        // Weight 0 takes a backend out of rotation: only while two others remain.
        const int lowest = inRotation(target) && rotationSize() <= 2 ? 1 : 0;
        int weight = int(m_random.bounded(lowest, 9));
        if (weight == target.config.weight)
            weight = weight == 8 ? 1 : weight + 1;
        if (!m_registry.setWeight(target.config.name, weight, u"test"_s, error))
            return {};
        return done(u"weight"_s,
                    u"%1 weight %2 -> %3"_s.arg(target.config.name).arg(target.config.weight).arg(weight));
    }

    QString takeOut(QString *error)
    {
        if (rotationSize() <= 2)
            return {};
        QList<BackendStatus> candidates;
        for (const BackendStatus &status : members()) {
            if (inRotation(status))
                candidates.append(status);
        }
        const QString name = any(candidates).config.name;
        const BackendState state = m_takeOuts++ % 2 == 0 ? BackendState::Draining : BackendState::Maintenance;
        if (!m_registry.setState(name, state, u"test"_s, error))
            return {};
        return done(backendStateName(state), name + u' ' + backendStateName(state));
    }

    QString bringUp(QString *error)
    {
        QList<BackendStatus> candidates;
        for (const BackendStatus &status : members()) {
            if (status.state != BackendState::Up)
                candidates.append(status);
        }
        if (candidates.isEmpty())
            return {};
        const QString name = any(candidates).config.name;
        if (!m_registry.setState(name, BackendState::Up, u"test"_s, error))
            return {};
        return done(u"up"_s, name + u" up"_s);
    }

    QString add(QString *error)
    {
        QList<const FakeBackend *> candidates;
        for (const std::unique_ptr<FakeBackend> &backend : m_pool) {
            if (!m_registry.status(backend->name()))
                candidates.append(backend.get());
        }
        if (candidates.isEmpty())
            return {};
        const FakeBackend *backend = any(candidates);
        const int weight = int(m_random.bounded(1, 6));
        if (!m_registry.addBackend(backendConfigFor(*backend, weight), u"test"_s, error))
            return {};
        return done(u"add"_s, u"add %1 weight %2"_s.arg(backend->name()).arg(weight));
    }

    QString remove(QString *error)
    {
        QList<BackendStatus> candidates;
        for (const BackendStatus &status : members()) {
            if (!inRotation(status) || rotationSize() > 2)
                candidates.append(status);
        }
        if (candidates.isEmpty())
            return {};
        const QString name = any(candidates).config.name;
        if (!m_registry.removeBackend(name, u"test"_s, error))
            return {};
        return done(u"remove"_s, u"remove "_s + name);
    }

    BackendRegistry &m_registry;
    const std::vector<std::unique_ptr<FakeBackend>> &m_pool;
    QRandomGenerator m_random;
    int m_step = 0;
    int m_takeOuts = 0;
};

bool waitUntilNoneRemoving(const BackendRegistry &registry)
{
    return QTest::qWaitFor(
        [&registry] {
            const QList<BackendStatus> all = registry.status();
            return std::none_of(all.cbegin(), all.cend(), [](const BackendStatus &s) { return s.removing; });
        },
        10'000);
}

} // namespace

class TestLiveControl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hundredChangesUnderLoad();
};

void TestLiveControl::hundredChangesUnderLoad()
{
    std::vector<std::unique_ptr<FakeBackend>> pool;
    for (int i = 0; i < kPoolSize; ++i) {
        pool.push_back(std::make_unique<FakeBackend>(u"n%1"_s.arg(i)));
        QVERIFY(pool.back()->start());
    }
    ProxyServer server;
    QString error;
    QVERIFY2(server.start(inProcessConfig({backendConfigFor(*pool[0], 2), backendConfigFor(*pool[1], 1),
                                           backendConfigFor(*pool[2], 1)}),
                          &error),
             qPrintable(error));
    BackendRegistry &registry = server.backends();
    QStringList removals;
    connect(&registry, &BackendRegistry::backendChanged, this, [&removals](const BackendChange &change) {
        if (change.kind == BackendChange::Kind::Removed)
            removals.append(change.describe());
    });

    // The changes' targets and weights are random; FULCRUM_LIVE_CONTROL_SEED replays another sequence.
    const quint32 seed = qEnvironmentVariableIsSet("FULCRUM_LIVE_CONTROL_SEED")
                             ? quint32(qEnvironmentVariableIntValue("FULCRUM_LIVE_CONTROL_SEED"))
                             : 20240611;
    ChangeMaker changes(registry, pool, seed);
    QElapsedTimer elapsed;
    elapsed.start();
    LoadGenerator load(server.boundAddresses().constFirst().port, kConnections);
    load.start(kMaxRequests, kMaxDurationMs);
    QVERIFY(load.waitForRange(0, 50, 10'000));

    double worstError = 0;
    for (int i = 0; i < kChanges; ++i) {
        const QString what = changes.apply(&error);
        QVERIFY2(!what.isEmpty(), qPrintable(u"change %1: %2"_s.arg(i).arg(error)));
        // A removed backend leaves the table once its last request has finished: that publishes one
        // more table and restarts the schedule, so measure after it.
        QVERIFY2(waitUntilNoneRemoving(registry), qPrintable(what + u": "_s + describeRegistry(registry)));
        const qint64 from = load.issued() + kSkip;
        const qint64 to = from + kWindow;
        const Expected expected = expectedShares(registry);
        const QString context = u"change %1 (%2, seed %3), now %4; window %5..%6"_s.arg(i)
                                    .arg(what)
                                    .arg(seed)
                                    .arg(describeRegistry(registry))
                                    .arg(from)
                                    .arg(to);
        QVERIFY2(expected.share.size() >= 2, qPrintable(context));
        QVERIFY2(load.waitForRange(from, to, 30'000), qPrintable(u"load stalled at "_s + context));

        const QList<LoadSample> window = load.samples(from, to);
        QCOMPARE(window.size(), kWindow);
        for (const LoadSample &sample : window)
            QVERIFY2(sample.ok(), qPrintable(sample.describe() + u" after "_s + context));
        const QHash<QByteArray, int> counts = countByBackend(window);
        const QString seen = context + u"; served "_s + describeCounts(counts);
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            QVERIFY2(expected.share.contains(it.key()),
                     qPrintable(QString::fromLatin1(it.key()) + u" is out of rotation: "_s + seen));
        for (auto it = expected.share.cbegin(); it != expected.share.cend(); ++it) {
            const double share = double(counts.value(it.key())) / kWindow;
            const double deviation = std::abs(share - it.value());
            worstError = std::max(worstError, deviation);
            QVERIFY2(deviation <= kTolerance,
                     qPrintable(u"%1: share %2, expected %3: "_s.arg(QString::fromLatin1(it.key()))
                                    .arg(share, 0, 'f', 4)
                                    .arg(it.value(), 0, 'f', 4) +
                                seen));
        }
    }
    load.stop();

    const QList<LoadSample> all = load.samples();
    QCOMPARE(qint64(all.size()), load.issued());
    QVERIFY(all.size() >= kChanges * (kSkip + kWindow));
    const QList<LoadSample> failures = load.failures();
    QVERIFY2(failures.isEmpty(),
             qPrintable(u"%1 failed, the first: %2"_s.arg(failures.size())
                            .arg(failures.isEmpty() ? QString() : failures.first().describe())));
    // Every response came from the backend it names: the backends saw exactly these requests.
    int received = 0;
    for (const std::unique_ptr<FakeBackend> &backend : pool)
        received += backend->requestCount();
    QCOMPARE(received, int(all.size()));
    // Each kind of change happened, and removed backends left once drained.
    for (const QString &kind : {u"weight"_s, u"draining"_s, u"maintenance"_s, u"up"_s, u"add"_s, u"remove"_s})
        QVERIFY2(changes.kinds.value(kind) >= 5, qPrintable(kind));
    QTRY_COMPARE(removals.size(), changes.kinds.value(u"remove"_s));
    for (const QString &removal : std::as_const(removals))
        QVERIFY2(removal.endsWith(u"removed (drained)"_s), qPrintable(removal));
    qInfo("%lld requests in %lld ms, changes %s, largest share error %.4f", qint64(all.size()),
          elapsed.elapsed(), qPrintable(describeCounts([&changes] {
              QHash<QByteArray, int> k;
              for (auto it = changes.kinds.cbegin(); it != changes.kinds.cend(); ++it)
                  k.insert(it.key().toLatin1(), it.value());
              return k;
          }())),
          worstError);
}

QTEST_GUILESS_MAIN(TestLiveControl)
#include "tst_live_control.moc"
