// SPDX-License-Identifier: GPL-3.0-or-later
#include "FastRandom.h"

#include <chrono>
#include <random>
#include <thread>

namespace fulcrum {

quint64 FastRandom::entropySeed() noexcept
{
    quint64 seed = 0;
    try {
        std::random_device device;
        seed = (quint64(device()) << 32) ^ device();
    } catch (...) {
        // No entropy source: fall through to the thread and time mix below, still distinct per thread.
    }
    seed ^= std::hash<std::thread::id>()(std::this_thread::get_id());
    seed ^= quint64(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9E3779B97F4A7C15ULL;
    return seed;
}

} // namespace fulcrum
