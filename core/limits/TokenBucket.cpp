// SPDX-License-Identifier: GPL-3.0-or-later
#include "TokenBucket.h"

#include <algorithm>

namespace fulcrum {

namespace {
constexpr qint64 kUsPerSecond = 1'000'000;

qint64 divideRoundingUp(qint64 a, qint64 b)
{
    return (a + b - 1) / b;
}
} // namespace

TokenBucketRate TokenBucketRate::from(const RateLimitConfig &config)
{
    const qint64 tokenCredit = qint64(config.periodMs) * 1000;
    return {config.rate, tokenCredit, qint64(config.effectiveBurst()) * tokenCredit};
}

void TokenBucket::refill(const TokenBucketRate &rate, qint64 nowUs)
{
    // A clock read on another worker just before may be a little behind this bucket's last update.
    if (nowUs <= updatedUs)
        return;
    const qint64 elapsedUs = nowUs - updatedUs;
    updatedUs = nowUs;
    // Compared before multiplying, so a client back after days cannot overflow the product.
    const qint64 untilFullUs = divideRoundingUp(rate.capacity - credit, rate.creditPerUs);
    credit = elapsedUs >= untilFullUs ? rate.capacity : credit + elapsedUs * rate.creditPerUs;
}

bool TokenBucket::isFullAt(const TokenBucketRate &rate, qint64 nowUs) const
{
    return isFull(rate) || nowUs - updatedUs >= divideRoundingUp(rate.capacity - credit, rate.creditPerUs);
}

int TokenBucket::take(const TokenBucketRate &rate, qint64 nowUs)
{
    refill(rate, nowUs);
    if (credit >= rate.tokenCredit) {
        credit -= rate.tokenCredit;
        return 0;
    }
    const qint64 waitUs = divideRoundingUp(rate.tokenCredit - credit, rate.creditPerUs);
    return static_cast<int>(std::max<qint64>(1, divideRoundingUp(waitUs, kUsPerSecond)));
}

} // namespace fulcrum
