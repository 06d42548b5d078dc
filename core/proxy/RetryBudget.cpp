// SPDX-License-Identifier: GPL-3.0-or-later
#include "RetryBudget.h"

#include <algorithm>

namespace fulcrum {

RetryBudget::RetryBudget(const RetryConfig &config)
    : m_config(config), m_bucketMs(std::max<qint64>(1, config.budgetWindowMs / kBuckets))
{}

RetryBudget::Bucket &RetryBudget::current(qint64 nowMs)
{
    const qint64 start = nowMs - nowMs % m_bucketMs;
    Bucket &bucket = m_buckets[static_cast<std::size_t>((nowMs / m_bucketMs) % kBuckets)];
    if (bucket.start != start)
        bucket = {start, 0, 0};
    return bucket;
}

void RetryBudget::recordRequest(qint64 nowMs)
{
    ++current(nowMs).requests;
}

bool RetryBudget::tryRetry(qint64 nowMs)
{
    Bucket &now = current(nowMs);
    qint64 requests = 0;
    qint64 retries = 0;
    for (const Bucket &bucket : m_buckets) {
        if (bucket.start >= 0 && nowMs - bucket.start < m_bucketMs * kBuckets) {
            requests += bucket.requests;
            retries += bucket.retries;
        }
    }
    const qint64 allowed =
        std::max<qint64>(m_config.budgetMinRetries, requests * m_config.budgetPercent / 100);
    if (retries >= allowed)
        return false;
    ++now.retries;
    return true;
}

} // namespace fulcrum
