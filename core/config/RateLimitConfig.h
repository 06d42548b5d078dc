// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace fulcrum {

// The per-client token bucket: "rate_limit" in the file, --rate-limit on the command line.
struct RateLimitConfig
{
    int rate = 0;        // tokens added per period; 0: no rate limit
    int periodMs = 1000; // 1000 ("second", RATE/s) or 60000 ("minute", RATE/m)
    int burst = 0;       // the bucket's size; 0: as large as one period's rate

    bool enabled() const { return rate > 0; }
    int effectiveBurst() const { return burst > 0 ? burst : rate; }
    friend bool operator==(const RateLimitConfig &, const RateLimitConfig &) = default;
};

// "rate_limit.paths": a bucket of its own, per client, for requests whose normalised path is under
// prefix (segment-aware, as routes match). It applies on top of the listener-wide rate limit.
struct PathRateLimit
{
    QString prefix;
    RateLimitConfig limit;

    friend bool operator==(const PathRateLimit &, const PathRateLimit &) = default;
};

} // namespace fulcrum
