// SPDX-License-Identifier: GPL-3.0-or-later
// The PROXY protocol v1/v2 reader that runs before the HTTP parser on listeners with proxy-protocol: it
// must take exactly the header's bytes (the rest is the client's HTTP), bound what it buffers, and read
// the same header however the bytes arrive.
#include "FuzzSupport.h"
#include "http/ProxyProtocol.h"

using namespace fulcrum;
using namespace fulcrum::fuzz;

namespace {

struct Outcome
{
    ProxyHeaderParser::State state = ProxyHeaderParser::State::NeedMore;
    qsizetype consumed = 0;
    std::optional<QHostAddress> source;
    quint16 port = 0;
    friend bool operator==(const Outcome &, const Outcome &) = default;
};

Outcome read(const QList<QByteArray> &reads)
{
    ProxyHeaderParser parser;
    Outcome outcome;
    for (const QByteArray &piece : reads) {
        if (parser.state() != ProxyHeaderParser::State::NeedMore) {
            check(parser.feed(piece.constData(), piece.size()) == 0, "bytes taken after the header ended");
            continue;
        }
        const qsizetype taken = parser.feed(piece.constData(), piece.size());
        check(taken >= 0 && taken <= piece.size(), "took more bytes than it was given");
        check(parser.state() != ProxyHeaderParser::State::NeedMore || taken == piece.size(),
              "left bytes behind while still wanting more");
        outcome.consumed += taken;
    }
    outcome.state = parser.state();
    check(outcome.consumed <= 16 + ProxyHeaderParser::MaxV2PayloadBytes, "a header longer than the limits");
    if (outcome.state == ProxyHeaderParser::State::Failed)
        check(!parser.error().isEmpty(), "a failure without a reason");
    if (outcome.state == ProxyHeaderParser::State::Done) {
        outcome.source = parser.source();
        outcome.port = parser.sourcePort();
        check(!outcome.source || !outcome.source->isNull(), "a null client address");
    } else {
        outcome.consumed = 0; // how much a failed or unfinished header took depends on the reads
    }
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const Outcome whole = read({bytes});
    QList<QByteArray> byteByByte;
    for (qsizetype i = 0; i < bytes.size() && i < 2048; ++i)
        byteByByte.append(bytes.mid(i, 1));
    check(read(readsOf(bytes)) == whole, "cutting the input into reads changed the header");
    if (bytes.size() <= 2048)
        check(read(byteByByte) == whole, "reading byte by byte changed the header");
    return 0;
}
