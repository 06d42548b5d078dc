// SPDX-License-Identifier: GPL-3.0-or-later
// What one BalancingStrategy::pick() costs, for each strategy over 3 and 64 backends, on one thread
// (so the shared cursors stay in this core's cache: the uncontended cost).
//
//   ./build/release/bench/bench_strategy_pick [-iterations N] [pick:round-robin/64]
//
// Each QBENCHMARK iteration is a batch of PicksPerBatch picks, timed on its own: short batches are
// rarely interrupted on a busy machine, so their median is a stable figure. The table printed at the
// end gives the median and the fastest batch in nanoseconds per pick. (Qt's own RESULT lines time the
// same batches: msecs per iteration × 1000 = ns per pick.)

#include "balancing/BackendTable.h"

#include <QTest>

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

constexpr int PicksPerBatch = 1000;
constexpr int Clients = 1024; // distinct client addresses, the consistent-hash key

struct Named
{
    const char *name;
    StrategyKind kind;
};

constexpr Named Strategies[] = {
    {"round-robin", StrategyKind::RoundRobin},         {"least-connections", StrategyKind::LeastConnections},
    {"power-of-two", StrategyKind::PowerOfTwo},        {"random", StrategyKind::Random},
    {"consistent-hash", StrategyKind::ConsistentHash},
};

// Uneven weights and loads, so no strategy gets an easy case: weights 1..5 and 0..12 requests in
// flight, spread over the backends.
BackendTable makeTable(StrategyKind kind, int backendCount)
{
    QList<Backend> backends;
    for (int i = 0; i < backendCount; ++i) {
        Backend backend;
        backend.config.name = u"backend-%1"_s.arg(i);
        backend.config.weight = 1 + i % 5;
        backend.runtime = std::make_shared<BackendRuntime>();
        backend.runtime->inFlight.store((i * 7) % 13);
        backends.append(backend);
    }
    BalancingConfig config;
    config.strategy = kind;
    return BackendTable(backends, 1, config);
}

} // namespace

class BenchStrategyPick : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pick_data();
    void pick();
    void cleanupTestCase();

private:
    // Nanoseconds per pick of every batch, by row (Qt runs a row's function more than once).
    std::map<QByteArray, std::vector<double>> m_batches;
    QList<QByteArray> m_rows;
};

void BenchStrategyPick::pick_data()
{
    QTest::addColumn<int>("strategy");
    QTest::addColumn<int>("backends");
    for (int s = 0; s < int(std::size(Strategies)); ++s) {
        for (const int backends : {3, 64})
            QTest::addRow("%s/%d", Strategies[s].name, backends) << s << backends;
    }
}

void BenchStrategyPick::pick()
{
    QFETCH(int, strategy);
    QFETCH(int, backends);
    const BackendTable table = makeTable(Strategies[strategy].kind, backends);

    std::vector<QByteArray> addresses;
    for (int i = 0; i < Clients; ++i)
        addresses.push_back("10.0." + QByteArray::number(i / 256) + '.' + QByteArray::number(i % 256));
    std::vector<PickContext> contexts;
    for (const QByteArray &address : addresses)
        contexts.push_back({address, nullptr});

    const QByteArray row = QTest::currentDataTag();
    if (!m_rows.contains(row))
        m_rows.append(row);
    std::vector<double> &batches = m_batches[row];
    qsizetype misses = 0;
    std::size_t next = 0;
    QBENCHMARK
    {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < PicksPerBatch; ++i) {
            misses += table.pick(contexts[next]) < 0;
            next = (next + 1) & (Clients - 1); // Clients is a power of two
        }
        const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
        batches.push_back(elapsed.count() / PicksPerBatch);
    }
    QCOMPARE(misses, 0);
}

void BenchStrategyPick::cleanupTestCase()
{
    qInfo("%-24s %10s %10s %8s", "strategy/backends", "median ns", "fastest ns", "batches");
    for (const QByteArray &row : std::as_const(m_rows)) {
        std::vector<double> &batches = m_batches[row];
        std::sort(batches.begin(), batches.end());
        qInfo("%-24s %10.1f %10.1f %8zu", row.constData(), batches[batches.size() / 2], batches.front(),
              batches.size());
    }
}

QTEST_APPLESS_MAIN(BenchStrategyPick)
#include "bench_strategy_pick.moc"
