// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <bit>

namespace fulcrum {

// xoshiro256** (Blackman and Vigna): a small, fast, statistically strong generator for balancing
// decisions. Not for anything secret. Each thread has its own (thisThread()), seeded once from
// std::random_device, so picking never shares random state between workers.
class FastRandom
{
public:
    // The four words of state come from splitmix64 over the seed, as the authors recommend, so any seed
    // (even 0) gives a usable state.
    explicit FastRandom(quint64 seed) noexcept
    {
        for (quint64 &word : m_state)
            word = splitMix64(seed);
    }

    // This exact state (not all zero), to check the generator against its reference outputs.
    FastRandom(quint64 s0, quint64 s1, quint64 s2, quint64 s3) noexcept : m_state{s0, s1, s2, s3} {}

    // 64 uniformly distributed bits.
    quint64 next() noexcept
    {
        const quint64 result = std::rotl(m_state[1] * 5, 7) * 9;
        const quint64 t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = std::rotl(m_state[3], 45);
        return result;
    }

    // The calling thread's generator. Tests may assign it a seeded FastRandom to replay a sequence.
    static FastRandom &thisThread() noexcept
    {
        thread_local FastRandom generator(entropySeed());
        return generator;
    }

    // 64 bits from std::random_device.
    static quint64 entropySeed() noexcept;

    // splitmix64 (Vigna): advances state and returns its next output.
    static quint64 splitMix64(quint64 &state) noexcept
    {
        quint64 z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

private:
    quint64 m_state[4];
};

} // namespace fulcrum
