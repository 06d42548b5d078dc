// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>

namespace fulcrum {

// Alignment that keeps a hot shared atomic off its neighbours' cache line. A fixed 64 (x86-64 and
// most ARM cores) rather than std::hardware_destructive_interference_size, whose value GCC warns may
// differ between compilers and flags.
inline constexpr std::size_t CacheLineSize = 64;

} // namespace fulcrum
