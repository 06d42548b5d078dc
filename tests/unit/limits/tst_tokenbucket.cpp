// SPDX-License-Identifier: GPL-3.0-or-later
// The token bucket's arithmetic, on a clock the test sets.
#include "limits/TokenBucket.h"

#include <QTest>

using namespace fulcrum;

namespace {
constexpr qint64 kSecondUs = 1'000'000;

TokenBucketRate rateOf(int rate, int periodMs, int burst)
{
    return TokenBucketRate::from(RateLimitConfig{rate, periodMs, burst});
}
} // namespace

class TestTokenBucket : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void burstThenRefusal();
    void refillsAtTheRate();
    void refillStopsAtTheBurst();
    void retryAfterIsTheWaitRoundedUp();
    void perMinuteRate();
    void burstDefaultsToTheRate();
    void clockBehindTheLastUpdateTakesNothing();
    void longAbsenceCannotOverflow();
};

void TestTokenBucket::burstThenRefusal()
{
    const TokenBucketRate rate = rateOf(1, 1000, 5);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(bucket.take(rate, 0), 0);
    QCOMPARE(bucket.take(rate, 0), 1);
    QCOMPARE(bucket.take(rate, kSecondUs / 2), 1);
}

void TestTokenBucket::refillsAtTheRate()
{
    const TokenBucketRate rate = rateOf(10, 1000, 10);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    for (int i = 0; i < 10; ++i)
        QCOMPARE(bucket.take(rate, 0), 0);
    QVERIFY(bucket.take(rate, 0) > 0);
    // 10/s: one token every 100 ms, exactly.
    QVERIFY(bucket.take(rate, 99'999) > 0);
    QCOMPARE(bucket.take(rate, 100'000), 0);
    QVERIFY(bucket.take(rate, 100'000) > 0);
    QCOMPARE(bucket.take(rate, 350'000), 0);
    QCOMPARE(bucket.take(rate, 350'000), 0);
    QVERIFY(bucket.take(rate, 350'000) > 0);
    QCOMPARE(bucket.tokens(rate), 0.5);
}

void TestTokenBucket::refillStopsAtTheBurst()
{
    const TokenBucketRate rate = rateOf(100, 1000, 3);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    QCOMPARE(bucket.take(rate, 0), 0);
    QVERIFY(!bucket.isFull(rate));
    QVERIFY(!bucket.isFullAt(rate, 9'999));
    QVERIFY(bucket.isFullAt(rate, 10'000));
    QCOMPARE(bucket.updatedUs, 0);
    bucket.refill(rate, 3600 * kSecondUs);
    QVERIFY(bucket.isFull(rate));
    QCOMPARE(bucket.tokens(rate), 3.0);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(bucket.take(rate, 3600 * kSecondUs), 0);
    QVERIFY(bucket.take(rate, 3600 * kSecondUs) > 0);
}

void TestTokenBucket::retryAfterIsTheWaitRoundedUp()
{
    // 1 per 10 s (6/m): empty, the next token is 10 s away.
    const TokenBucketRate rate = rateOf(6, 60'000, 1);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    QCOMPARE(bucket.take(rate, 0), 0);
    QCOMPARE(bucket.take(rate, 0), 10);
    QCOMPARE(bucket.take(rate, 500'000), 10); // 9.5 s rounds up
    QCOMPARE(bucket.take(rate, 9 * kSecondUs), 1);
    QCOMPARE(bucket.take(rate, 9 * kSecondUs + 999'999), 1); // never 0 while refused
    QCOMPARE(bucket.take(rate, 10 * kSecondUs), 0);
}

void TestTokenBucket::perMinuteRate()
{
    const TokenBucketRate rate = rateOf(60, 60'000, 1);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    QCOMPARE(bucket.take(rate, 0), 0);
    QCOMPARE(bucket.take(rate, 0), 1);
    QCOMPARE(bucket.take(rate, kSecondUs), 0);
}

void TestTokenBucket::burstDefaultsToTheRate()
{
    const TokenBucketRate rate = rateOf(4, 1000, 0);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(bucket.take(rate, 0), 0);
    QVERIFY(bucket.take(rate, 0) > 0);
}

void TestTokenBucket::clockBehindTheLastUpdateTakesNothing()
{
    const TokenBucketRate rate = rateOf(1, 1000, 1);
    TokenBucket bucket = TokenBucket::full(rate, 5 * kSecondUs);
    QCOMPARE(bucket.take(rate, 5 * kSecondUs), 0);
    // Another worker's clock read a moment earlier: no refill, no going back.
    QCOMPARE(bucket.take(rate, 4 * kSecondUs), 1);
    QCOMPARE(bucket.updatedUs, 5 * kSecondUs);
}

void TestTokenBucket::longAbsenceCannotOverflow()
{
    const TokenBucketRate rate = rateOf(1'000'000, 60'000, 10'000'000);
    TokenBucket bucket = TokenBucket::full(rate, 0);
    QCOMPARE(bucket.take(rate, 0), 0);
    bucket.refill(rate, std::numeric_limits<qint64>::max() / 2);
    QVERIFY(bucket.isFull(rate));
    QCOMPARE(bucket.tokens(rate), 10'000'000.0);
}

QTEST_APPLESS_MAIN(TestTokenBucket)
#include "tst_tokenbucket.moc"
