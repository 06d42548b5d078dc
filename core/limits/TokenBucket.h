// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/RateLimitConfig.h"

#include <QtGlobal>

namespace fulcrum {

// How fast a bucket refills and how much it holds, in credit: one token is worth periodUs credit and
// a bucket gains `rate` credit per microsecond, so refilling is exact integer arithmetic (no
// rounding ever turns a full second into 0.999... of a token).
struct TokenBucketRate
{
    qint64 creditPerUs = 0; // the configured rate
    qint64 tokenCredit = 0; // the period in microseconds
    qint64 capacity = 0;    // burst × tokenCredit

    static TokenBucketRate from(const RateLimitConfig &config);
};

// One client's bucket. Refilling is lazy, computed from the time of the last update, so an idle
// client costs nothing until it comes back. Times are microseconds of one monotonic clock.
struct TokenBucket
{
    qint64 credit = 0;
    qint64 updatedUs = 0;

    static TokenBucket full(const TokenBucketRate &rate, qint64 nowUs) { return {rate.capacity, nowUs}; }

    void refill(const TokenBucketRate &rate, qint64 nowUs);
    // Whether the bucket holds all it can: then it says nothing a fresh bucket would not.
    bool isFull(const TokenBucketRate &rate) const { return credit >= rate.capacity; }
    // Whether it will have refilled completely by nowUs; leaves updatedUs as the time of the last take.
    bool isFullAt(const TokenBucketRate &rate, qint64 nowUs) const;
    double tokens(const TokenBucketRate &rate) const { return double(credit) / double(rate.tokenCredit); }
    // Takes a token: 0 when one was there, else the whole seconds until one will be (at least 1),
    // for Retry-After.
    int take(const TokenBucketRate &rate, qint64 nowUs);
};

} // namespace fulcrum
