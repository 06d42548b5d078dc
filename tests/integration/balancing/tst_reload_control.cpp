// SPDX-License-Identifier: GPL-3.0-or-later
// Balancing changes through the configuration file and SIGHUP, in the real fulcrumd: new weights and
// strategy take effect exactly, every change is logged, and a backend removed from the file drains
// and leaves without a request failing.
#include "BalancingTest.h"
#include "ProxyTest.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kLoadTimeoutMs = 60'000;

QJsonObject balancedConfig(const QList<const FakeBackend *> &backends, const QList<int> &weights,
                           const QString &strategy)
{
    QJsonObject config = configJson(backends, {}, {}, weights);
    config.insert(u"strategy"_s, strategy);
    config.insert(u"access_log"_s, false);
    return config;
}

QRegularExpression literal(const QString &text)
{
    return QRegularExpression(QRegularExpression::escape(text));
}

} // namespace

class TestReloadControl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sighupAppliesWeightsAndStrategyExactly();
    void sighupRemovalDrainsWithoutFailures();
};

// Random at 1, 1, then round robin at 5, 1, then 1, 2: after each reload (seen in the log) the
// shares are exact over 600 and 300 requests from three concurrent connections and two workers.
void TestReloadControl::sighupAppliesWeightsAndStrategyExactly()
{
    FakeBackend a(u"a"_s), b(u"b"_s);
    QVERIFY(a.start() && b.start());
    ConfigFile config;
    QVERIFY(config.write(balancedConfig({&a, &b}, {1, 1}, u"random"_s)));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}, 2), qPrintable(proxy.errorString()));

    {
        LoadGenerator load(proxy.port(), 3);
        load.start(60, kLoadTimeoutMs);
        QVERIFY(load.waitForFinished(kLoadTimeoutMs));
        QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    }

    QVERIFY(config.write(balancedConfig({&a, &b}, {5, 1}, u"round-robin"_s)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"backend a: weight 1 -> 5 (SIGHUP reload)"_s)),
             proxy.standardError().constData());
    QVERIFY2(proxy.waitForError(literal(u"configuration reloaded"_s)), proxy.standardError().constData());
    QVERIFY(!proxy.errorContains("backend b: weight"));
    {
        const int aBefore = a.requestCount();
        const int bBefore = b.requestCount();
        LoadGenerator load(proxy.port(), 3);
        load.start(600, kLoadTimeoutMs);
        QVERIFY(load.waitForFinished(kLoadTimeoutMs));
        QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
        const QHash<QByteArray, int> counts = countByBackend(load.samples());
        QVERIFY2(counts.value("a") == 500 && counts.value("b") == 100, qPrintable(describeCounts(counts)));
        QCOMPARE(a.requestCount() - aBefore, 500);
        QCOMPARE(b.requestCount() - bBefore, 100);
    }

    QVERIFY(config.write(balancedConfig({&a, &b}, {1, 2}, u"round-robin"_s)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"backend a: weight 5 -> 1 (SIGHUP reload)"_s)),
             proxy.standardError().constData());
    QVERIFY2(proxy.waitForError(literal(u"backend b: weight 1 -> 2 (SIGHUP reload)"_s)),
             proxy.standardError().constData());
    {
        LoadGenerator load(proxy.port(), 3);
        load.start(300, kLoadTimeoutMs);
        QVERIFY(load.waitForFinished(kLoadTimeoutMs));
        QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
        const QHash<QByteArray, int> counts = countByBackend(load.samples());
        QVERIFY2(counts.value("a") == 100 && counts.value("b") == 200, qPrintable(describeCounts(counts)));
    }
    QVERIFY(proxy.isRunning());
}

// c is dropped from the file while three connections keep requests flowing (c answers after 10 ms,
// so it usually has one in flight at the reload). The log shows c draining, then leaving once
// drained; from then on it sees no request, and no request anywhere fails.
void TestReloadControl::sighupRemovalDrainsWithoutFailures()
{
    FakeBackend a(u"a"_s), b(u"b"_s), c(u"c"_s);
    QVERIFY(a.start() && b.start() && c.start());
    c.setDefaultBehaviour(Behaviour::fixed().withDelay(10));
    ConfigFile config;
    QVERIFY(config.write(balancedConfig({&a, &b, &c}, {1, 1, 1}, u"round-robin"_s)));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}, 2), qPrintable(proxy.errorString()));

    LoadGenerator load(proxy.port(), 3);
    load.start(20'000, kLoadTimeoutMs);
    QVERIFY(load.waitForRange(0, 60, 20'000));
    QVERIFY(c.requestCount() > 0);

    QVERIFY(config.write(balancedConfig({&a, &b}, {1, 1}, u"round-robin"_s)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    const QString draining = u"backend c: state up -> draining (SIGHUP reload)"_s;
    const QString removed = u"backend c: removed (drained)"_s;
    QVERIFY2(proxy.waitForError(literal(removed), 20'000), proxy.standardError().constData());
    const QString log = QString::fromUtf8(proxy.standardError());
    QVERIFY2(log.contains(draining), qPrintable(log));
    QVERIFY2(log.indexOf(draining) < log.indexOf(removed), qPrintable(log));

    // From the removal on, c receives nothing.
    const int cCount = c.requestCount();
    const qint64 from = load.issued();
    QVERIFY(load.waitForRange(from, from + 300, 20'000));
    load.stop();
    QCOMPARE(c.requestCount(), cCount);
    const QHash<QByteArray, int> after = countByBackend(load.samples(from, from + 300));
    QVERIFY2(after.value("c") == 0 && after.value("a") + after.value("b") == 300,
             qPrintable(describeCounts(after)));
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    QCOMPARE(qint64(load.samples().size()), load.issued());
    QCOMPARE(a.requestCount() + b.requestCount() + c.requestCount(), int(load.issued()));
    QVERIFY(!proxy.errorContains("drain timeout"));
    QVERIFY(proxy.isRunning());
}

QTEST_GUILESS_MAIN(TestReloadControl)
#include "tst_reload_control.moc"
