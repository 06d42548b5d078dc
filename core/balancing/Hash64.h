// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>

namespace fulcrum {

// XXH64 (Yann Collet's xxHash, 64-bit variant), written out here: a fast, well-mixed, non-cryptographic
// hash. The same bytes and seed give the same value on every run and every machine, which consistent
// hashing relies on: a key keeps its backend across restarts and across every proxy of a fleet.
quint64 hash64(QByteArrayView data, quint64 seed = 0) noexcept;

} // namespace fulcrum
