// SPDX-License-Identifier: GPL-3.0-or-later
// Backend responses through ResponseParser. The first byte says what the request was: bit 0 a HEAD (no
// body whatever the headers say), bit 1 an upgrade request (a 101 ends HTTP on the connection).
#include "HttpHandlers.h"

using namespace fulcrum;
using namespace fulcrum::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const Input input = splitControl(data, size);
    const bool head = (input.control & 1) != 0;
    const bool upgrade = (input.control & 2) != 0;
    const Transcript whole = parseResponses({input.bytes}, head, upgrade);
    const Transcript cut = parseResponses(readsOf(input.bytes), head, upgrade);
    checkSameMeaning(whole, cut);
    return 0;
}
