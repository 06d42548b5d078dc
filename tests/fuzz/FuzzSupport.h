// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

// What every Fulcrum fuzz target shares: how an input is cut into the reads a socket could deliver,
// and how a broken invariant is reported (an abort, which libFuzzer records as a crash with the input).
namespace fulcrum::fuzz {

[[noreturn]] inline void violated(const char *what)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
}

inline void check(bool holds, const char *what)
{
    if (!holds)
        violated(what);
}

// The first byte of an input is the target's own: option bits that select limits or modes. Keeping it
// apart from the message means the seeds stay readable files with one control byte in front.
struct Input
{
    std::uint8_t control = 0;
    QByteArray bytes;
};

inline Input splitControl(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return {};
    return {data[0], QByteArray(reinterpret_cast<const char *>(data + 1), static_cast<qsizetype>(size - 1))};
}

// Up to three cut points in bytes, derived from its own content so that the same input always arrives
// in the same reads: this is what exercises a parser's state carried between reads, deterministically.
inline QList<QByteArray> readsOf(const QByteArray &bytes)
{
    QList<QByteArray> reads;
    const qsizetype size = bytes.size();
    if (size == 0)
        return reads;
    std::uint32_t seed = 2166136261u; // FNV-1a over the input
    for (const char c : bytes)
        seed = (seed ^ static_cast<std::uint8_t>(c)) * 16777619u;
    qsizetype at = 0;
    for (int cut = 0; cut < 3 && at < size; ++cut) {
        const qsizetype length =
            1 + static_cast<qsizetype>((seed >> (cut * 10)) % static_cast<std::uint32_t>(size - at));
        reads.append(bytes.mid(at, length));
        at += length;
    }
    if (at < size)
        reads.append(bytes.mid(at));
    return reads;
}

} // namespace fulcrum::fuzz
