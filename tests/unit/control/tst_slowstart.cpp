// SPDX-License-Identifier: GPL-3.0-or-later
#include "control/SlowStart.h"

#include <QTest>

using namespace fulcrum;

class TestSlowStart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ramp_data();
    void ramp();
};

void TestSlowStart::ramp_data()
{
    QTest::addColumn<int>("weight");
    QTest::addColumn<qint64>("elapsedMs");
    QTest::addColumn<int>("windowMs");
    QTest::addColumn<int>("expected");
    QTest::newRow("starts at a tenth") << 100 << qint64(0) << 1000 << 10;
    QTest::newRow("halfway") << 100 << qint64(500) << 1000 << 55;
    QTest::newRow("almost done") << 100 << qint64(999) << 1000 << 100;
    QTest::newRow("done") << 100 << qint64(1000) << 1000 << 100;
    QTest::newRow("long after") << 100 << qint64(50'000) << 1000 << 100;
    QTest::newRow("never below one") << 3 << qint64(0) << 1000 << 1;
    QTest::newRow("weight zero stays zero") << 0 << qint64(10) << 1000 << 0;
    QTest::newRow("no window") << 40 << qint64(0) << 0 << 40;
    QTest::newRow("clock before start") << 100 << qint64(-5) << 1000 << 10;
}

void TestSlowStart::ramp()
{
    QFETCH(int, weight);
    QFETCH(qint64, elapsedMs);
    QFETCH(int, windowMs);
    QFETCH(int, expected);
    QCOMPARE(slowStartWeight(weight, elapsedMs, windowMs), expected);
}

QTEST_APPLESS_MAIN(TestSlowStart)
#include "tst_slowstart.moc"
