// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

#include <array>

namespace fulcrum {

// Keeps retries to a share of recent requests, so a failing fleet is not hit by a retry storm: over
// the last window, retries may number at most budgetPercent of the requests, and never fewer than
// budgetMinRetries. One per worker, so no lock; each worker holds its own traffic to the share, which
// holds the whole proxy to it too (the minimum is per worker).
class RetryBudget
{
public:
    explicit RetryBudget(const RetryConfig &config);

    void recordRequest(qint64 nowMs);
    // True, and the retry counted, when the budget allows one more now.
    bool tryRetry(qint64 nowMs);

private:
    static constexpr int kBuckets = 10;
    struct Bucket
    {
        qint64 start = -1;
        qint64 requests = 0;
        qint64 retries = 0;
    };
    Bucket &current(qint64 nowMs);

    RetryConfig m_config;
    qint64 m_bucketMs;
    std::array<Bucket, kBuckets> m_buckets{};
};

} // namespace fulcrum
