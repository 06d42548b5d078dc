// SPDX-License-Identifier: GPL-3.0-or-later
#include "RetryPolicy.h"

#include "balancing/FastRandom.h"

#include <algorithm>

namespace fulcrum {

bool isIdempotent(QByteArrayView method)
{
    static constexpr QByteArrayView kIdempotent[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    return std::find(std::begin(kIdempotent), std::end(kIdempotent), method) != std::end(kIdempotent);
}

bool isRetryable(AttemptFailure failure, QByteArrayView method)
{
    switch (failure) {
    case AttemptFailure::NeverReached:
        return true;
    case AttemptFailure::Reset:
    case AttemptFailure::Timeout:
    case AttemptFailure::Status:
        return isIdempotent(method);
    case AttemptFailure::Invalid:
        return false;
    }
    return false;
}

AttemptFailure attemptFailureOf(UpstreamError error)
{
    switch (error) {
    case UpstreamError::Connect:
        return AttemptFailure::NeverReached;
    case UpstreamError::Reset:
        return AttemptFailure::Reset;
    case UpstreamError::Timeout:
        return AttemptFailure::Timeout;
    case UpstreamError::InvalidResponse:
        return AttemptFailure::Invalid;
    }
    return AttemptFailure::Invalid;
}

int retryBackoffMs(const RetryConfig &config, int retry)
{
    if (config.backoffBaseMs <= 0)
        return 0;
    const int doublings = std::clamp(retry - 1, 0, 20);
    const qint64 ceiling = std::min<qint64>(qint64(config.backoffBaseMs) << doublings, config.backoffMaxMs);
    return static_cast<int>(FastRandom::thisThread().next() % (static_cast<quint64>(ceiling) + 1));
}

} // namespace fulcrum
