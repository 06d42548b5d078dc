// SPDX-License-Identifier: GPL-3.0-or-later
// What the latency histogram costs: one LatencyRecorder::record() on a worker, and one
// LatencyDistribution::add(recorder), the aggregator's per-worker merge each tick.
//
//   ./build/release/bench/bench_latency_histogram [-iterations N] [record] [merge]
//
// Each QBENCHMARK iteration is a batch of operations timed on its own: short batches are rarely
// interrupted on a busy machine, so their median is a stable figure. The table printed at the end
// gives the median and the fastest batch in nanoseconds per operation.

#include "metrics/LatencyHistogram.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <vector>

using namespace fulcrum;

namespace {

constexpr int RecordsPerBatch = 1000;
constexpr int MergesPerBatch = 10;
constexpr int Samples = 4096; // a power of two, cycled through by a mask

// Proxied request latencies are roughly log-normal: most around a few milliseconds, a tail to seconds.
// The spread matters: values over ~20 powers of two touch many buckets and cache lines, as real
// traffic does, where a single repeated value would keep one bucket hot in L1.
std::vector<quint64> realisticLatencies()
{
    QRandomGenerator random(42);
    std::vector<quint64> values;
    for (int i = 0; i < Samples; ++i) {
        // Box-Muller: ln(latency) ~ N(ln 2 ms, 1.5).
        const double u1 = std::max(random.generateDouble(), 1e-12);
        const double u2 = random.generateDouble();
        const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
        values.push_back(static_cast<quint64>(std::exp(std::log(2'000.0) + 1.5 * normal)));
    }
    return values;
}

} // namespace

class BenchLatencyHistogram : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void record();
    void merge();
    void cleanupTestCase();

private:
    // Times one batch of `perBatch` operations and keeps its nanoseconds per operation under `row`.
    template <typename Op>
    void timeBatch(const char *row, int perBatch, Op &&op);

    std::map<QByteArray, std::vector<double>> m_batches;
    QList<QByteArray> m_rows;
};

template <typename Op>
void BenchLatencyHistogram::timeBatch(const char *row, int perBatch, Op &&op)
{
    if (!m_rows.contains(row))
        m_rows.append(row);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < perBatch; ++i)
        op();
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    m_batches[row].push_back(elapsed.count() / perBatch);
}

void BenchLatencyHistogram::record()
{
    const std::vector<quint64> values = realisticLatencies();
    LatencyRecorder recorder;
    std::size_t next = 0;
    QBENCHMARK
    {
        timeBatch("record", RecordsPerBatch, [&] {
            recorder.record(values[next]);
            next = (next + 1) & (Samples - 1);
        });
    }
    QVERIFY(recorder.count() > 0);
}

void BenchLatencyHistogram::merge()
{
    const std::vector<quint64> values = realisticLatencies();
    LatencyRecorder recorder;
    for (const quint64 micros : values)
        recorder.record(micros);
    // Into one long-lived distribution: the aggregator's per-tick allocation is not the merge's cost.
    LatencyDistribution distribution;
    QBENCHMARK
    {
        timeBatch("merge", MergesPerBatch, [&] { distribution.add(recorder); });
    }
    QCOMPARE(distribution.count() % Samples, 0u);
}

void BenchLatencyHistogram::cleanupTestCase()
{
    qInfo("%-10s %10s %10s %8s", "operation", "median ns", "fastest ns", "batches");
    for (const QByteArray &row : std::as_const(m_rows)) {
        std::vector<double> &batches = m_batches[row];
        std::sort(batches.begin(), batches.end());
        qInfo("%-10s %10.1f %10.1f %8zu", row.constData(), batches[batches.size() / 2], batches.front(),
              batches.size());
    }
}

QTEST_APPLESS_MAIN(BenchLatencyHistogram)
#include "bench_latency_histogram.moc"
