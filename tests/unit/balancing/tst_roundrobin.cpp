// SPDX-License-Identifier: GPL-3.0-or-later
#include "balancing/SmoothWeightedRoundRobin.h"

#include <QTest>

using namespace fulcrum;

namespace {
BackendTable tableWithWeights(const QList<int> &weights)
{
    QList<Backend> backends;
    for (qsizetype i = 0; i < weights.size(); ++i) {
        Backend backend;
        backend.config.name = QString(QChar(char16_t(u'a' + i)));
        backend.config.weight = weights.at(i);
        backend.runtime = std::make_shared<BackendRuntime>();
        backends.append(backend);
    }
    return BackendTable(backends, 1);
}

QString picks(SmoothWeightedRoundRobin &strategy, const BackendTable &table, int count)
{
    QString sequence;
    for (int i = 0; i < count; ++i) {
        const qsizetype index = strategy.pick(table);
        sequence += index < 0 ? QChar(u'-') : QChar(char16_t(u'a' + index));
    }
    return sequence;
}
} // namespace

class TestRoundRobin : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void interleavesWeights();
    void equalWeightsRotate();
    void skipsZeroWeight();
    void emptyRotationGivesNoBackend();
};

void TestRoundRobin::interleavesWeights()
{
    SmoothWeightedRoundRobin strategy;
    const BackendTable table = tableWithWeights({5, 1, 1});
    QCOMPARE(picks(strategy, table, 7), QStringLiteral("aabacaa"));
}

void TestRoundRobin::equalWeightsRotate()
{
    SmoothWeightedRoundRobin strategy;
    const BackendTable table = tableWithWeights({1, 1, 1});
    QCOMPARE(picks(strategy, table, 6), QStringLiteral("abcabc"));
}

void TestRoundRobin::skipsZeroWeight()
{
    SmoothWeightedRoundRobin strategy;
    const BackendTable table = tableWithWeights({1, 0, 1});
    QCOMPARE(picks(strategy, table, 4), QStringLiteral("acac"));
}

void TestRoundRobin::emptyRotationGivesNoBackend()
{
    SmoothWeightedRoundRobin strategy;
    const BackendTable table = tableWithWeights({0, 0});
    QCOMPARE(picks(strategy, table, 2), QStringLiteral("--"));
}

QTEST_APPLESS_MAIN(TestRoundRobin)
#include "tst_roundrobin.moc"
