// SPDX-License-Identifier: GPL-3.0-or-later
#include "proxy/RetryBudget.h"
#include "proxy/RetryPolicy.h"

#include <QTest>

using namespace fulcrum;

class TestRetryPolicy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void retryableByFailureAndMethod_data();
    void retryableByFailureAndMethod();
    void backoffStaysUnderItsCeiling();
    void budgetAllowsTheMinimumWhenQuiet();
    void budgetFollowsTheShareOfRequests();
    void budgetForgetsOldWindows();
};

void TestRetryPolicy::retryableByFailureAndMethod_data()
{
    QTest::addColumn<int>("failure");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<bool>("retryable");
    const auto row = [](const char *name, AttemptFailure failure, const char *method, bool retryable) {
        QTest::newRow(name) << static_cast<int>(failure) << QByteArray(method) << retryable;
    };
    row("never reached, POST", AttemptFailure::NeverReached, "POST", true);
    row("never reached, PATCH", AttemptFailure::NeverReached, "PATCH", true);
    row("reset, GET", AttemptFailure::Reset, "GET", true);
    row("reset, PUT", AttemptFailure::Reset, "PUT", true);
    row("reset, POST", AttemptFailure::Reset, "POST", false);
    row("timeout, DELETE", AttemptFailure::Timeout, "DELETE", true);
    row("timeout, PATCH", AttemptFailure::Timeout, "PATCH", false);
    row("status, HEAD", AttemptFailure::Status, "HEAD", true);
    row("status, POST", AttemptFailure::Status, "POST", false);
    row("invalid response, GET", AttemptFailure::Invalid, "GET", false);
    row("methods are case-sensitive", AttemptFailure::Reset, "get", false);
}

void TestRetryPolicy::retryableByFailureAndMethod()
{
    QFETCH(int, failure);
    QFETCH(QByteArray, method);
    QFETCH(bool, retryable);
    QCOMPARE(isRetryable(static_cast<AttemptFailure>(failure), method), retryable);
}

void TestRetryPolicy::backoffStaysUnderItsCeiling()
{
    RetryConfig config;
    config.backoffBaseMs = 10;
    config.backoffMaxMs = 35;
    int largestFirst = 0;
    int largestThird = 0;
    for (int i = 0; i < 2000; ++i) {
        const int first = retryBackoffMs(config, 1);
        const int third = retryBackoffMs(config, 3);
        QVERIFY(first >= 0 && first <= 10);
        QVERIFY(third >= 0 && third <= 35); // 10 × 2² = 40, capped at 35
        largestFirst = std::max(largestFirst, first);
        largestThird = std::max(largestThird, third);
    }
    // Full jitter spreads over the whole range (2000 uniform draws reach the top tenth).
    QVERIFY(largestFirst >= 9);
    QVERIFY(largestThird >= 32);
    config.backoffBaseMs = 0;
    QCOMPARE(retryBackoffMs(config, 2), 0);
}

void TestRetryPolicy::budgetAllowsTheMinimumWhenQuiet()
{
    RetryConfig config;
    config.budgetMinRetries = 3;
    config.budgetPercent = 20;
    RetryBudget budget(config);
    budget.recordRequest(1000);
    for (int i = 0; i < 3; ++i)
        QVERIFY(budget.tryRetry(1000));
    QVERIFY(!budget.tryRetry(1000));
}

void TestRetryPolicy::budgetFollowsTheShareOfRequests()
{
    RetryConfig config;
    config.budgetMinRetries = 0;
    config.budgetPercent = 20;
    config.budgetWindowMs = 10'000;
    RetryBudget budget(config);
    for (int i = 0; i < 100; ++i)
        budget.recordRequest(5000 + i * 10);
    int allowed = 0;
    for (int i = 0; i < 50; ++i)
        allowed += budget.tryRetry(6500) ? 1 : 0;
    QCOMPARE(allowed, 20);
}

void TestRetryPolicy::budgetForgetsOldWindows()
{
    RetryConfig config;
    config.budgetMinRetries = 1;
    config.budgetPercent = 50;
    config.budgetWindowMs = 1000;
    RetryBudget budget(config);
    for (int i = 0; i < 10; ++i)
        budget.recordRequest(100);
    for (int i = 0; i < 5; ++i)
        QVERIFY(budget.tryRetry(100));
    QVERIFY(!budget.tryRetry(150));
    // A window later, those requests and retries no longer count: only the minimum is left.
    QVERIFY(budget.tryRetry(1200));
    QVERIFY(!budget.tryRetry(1200));
}

QTEST_APPLESS_MAIN(TestRetryPolicy)
#include "tst_retrypolicy.moc"
