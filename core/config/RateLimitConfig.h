// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

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

} // namespace fulcrum
