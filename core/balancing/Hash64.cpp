// SPDX-License-Identifier: GPL-3.0-or-later
#include "Hash64.h"

#include <QtEndian>

#include <bit>

namespace fulcrum {

namespace {

constexpr quint64 Prime1 = 0x9E3779B185EBCA87ULL;
constexpr quint64 Prime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr quint64 Prime3 = 0x165667B19E3779F9ULL;
constexpr quint64 Prime4 = 0x85EBCA77C2B2AE63ULL;
constexpr quint64 Prime5 = 0x27D4EB2F165667C5ULL;

quint64 read64(const uchar *p) noexcept
{
    return qFromLittleEndian<quint64>(p);
}

quint64 read32(const uchar *p) noexcept
{
    return qFromLittleEndian<quint32>(p);
}

quint64 round(quint64 accumulator, quint64 input) noexcept
{
    accumulator += input * Prime2;
    accumulator = std::rotl(accumulator, 31);
    return accumulator * Prime1;
}

quint64 mergeRound(quint64 accumulator, quint64 lane) noexcept
{
    accumulator ^= round(0, lane);
    return accumulator * Prime1 + Prime4;
}

} // namespace

quint64 hash64(QByteArrayView data, quint64 seed) noexcept
{
    const auto *p = reinterpret_cast<const uchar *>(data.data());
    const qsizetype length = data.size();
    const uchar *const end = p + length;
    quint64 h;
    if (length >= 32) {
        // Four independent lanes over 32-byte stripes, merged at the end.
        const uchar *const lastStripe = end - 32;
        quint64 v1 = seed + Prime1 + Prime2;
        quint64 v2 = seed + Prime2;
        quint64 v3 = seed;
        quint64 v4 = seed - Prime1;
        do {
            v1 = round(v1, read64(p));
            v2 = round(v2, read64(p + 8));
            v3 = round(v3, read64(p + 16));
            v4 = round(v4, read64(p + 24));
            p += 32;
        } while (p <= lastStripe);
        h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
        h = mergeRound(h, v1);
        h = mergeRound(h, v2);
        h = mergeRound(h, v3);
        h = mergeRound(h, v4);
    } else {
        h = seed + Prime5;
    }
    h += quint64(length);
    for (; end - p >= 8; p += 8) {
        h ^= round(0, read64(p));
        h = std::rotl(h, 27) * Prime1 + Prime4;
    }
    if (end - p >= 4) {
        h ^= read32(p) * Prime1;
        h = std::rotl(h, 23) * Prime2 + Prime3;
        p += 4;
    }
    for (; p < end; ++p) {
        h ^= *p * Prime5;
        h = std::rotl(h, 11) * Prime1;
    }
    // Avalanche.
    h ^= h >> 33;
    h *= Prime2;
    h ^= h >> 29;
    h *= Prime3;
    h ^= h >> 32;
    return h;
}

} // namespace fulcrum
