// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigValues.h"
#include "JsonFieldReader.h"
#include "RateLimitConfig.h"

namespace fulcrum {

namespace ranges {
inline constexpr IntRange rateLimitRate{1, 1'000'000};
inline constexpr IntRange rateLimitBurst{1, 10'000'000};
inline constexpr IntRange maxClientConnections{0, 10'000'000}; // 0: unlimited
} // namespace ranges

// --rate-limit: "RATE/s" or "RATE/m", optionally followed by ",burst=N".
Parsed<RateLimitConfig> parseRateLimitFlag(QStringView text);

// The top-level "rate_limit": {"rate": N, "per": "second"|"minute", "burst": N, "paths": [...]} over
// target and paths; each of "paths" is {"prefix": "/login", "rate": N, "per": ..., "burst": N}. "rate" is
// required unless "paths" is given.
void readRateLimit(JsonObjectReader &root, RateLimitConfig &target, QList<PathRateLimit> &paths);

} // namespace fulcrum
