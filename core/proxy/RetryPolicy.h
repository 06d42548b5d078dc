// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "metrics/Counters.h"

#include <QByteArrayView>

namespace fulcrum {

// Why an attempt failed, as far as retrying is concerned.
enum class AttemptFailure
{
    NeverReached, // no byte of the request can have been processed: connect failure
    Reset,        // the connection broke before any response byte
    Timeout,      // no response head in time
    Status,       // a complete response head with a status listed in retry_statuses
    Invalid,      // a malformed response: retrying would likely get the same
};

// RFC 9110 §9.2.2: methods whose repetition has the same effect as one request.
bool isIdempotent(QByteArrayView method);

// Whether a failure of this kind may be retried for this method (budget and attempts aside).
bool isRetryable(AttemptFailure failure, QByteArrayView method);

AttemptFailure attemptFailureOf(UpstreamError error);

// The wait before retry number `retry` (1-based): exponential with full jitter, a uniform draw in
// [0, min(max, base × 2^(retry-1))], so retries from many clients do not fall in step.
int retryBackoffMs(const RetryConfig &config, int retry);

} // namespace fulcrum
