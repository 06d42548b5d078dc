// SPDX-License-Identifier: GPL-3.0-or-later
// Client requests through RequestParser with the proxy's header rules. The first byte picks the limits:
// bit 0 the tight ones of the unit tests (so 413/414/431 are reachable), bit 1 a route that lifts the
// body limit, bit 2 one that tightens it.
#include "HttpHandlers.h"

using namespace fulcrum;
using namespace fulcrum::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const Input input = splitControl(data, size);
    ParserLimits limits;
    if (input.control & 1) {
        limits.maxHeaderBytes = 1024;
        limits.maxRequestTargetBytes = 64;
        limits.maxHeaderCount = 8;
        limits.maxBodyBytes = 16;
    }
    const qint64 destinationLimit = (input.control & 2) ? 0 : (input.control & 4) ? 4 : -1;
    const Transcript whole = parseRequests({input.bytes}, limits, destinationLimit);
    const Transcript cut = parseRequests(readsOf(input.bytes), limits, destinationLimit);
    checkSameMeaning(whole, cut);
    return 0;
}
