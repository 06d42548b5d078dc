// SPDX-License-Identifier: GPL-3.0-or-later
// The chunked body decoder inside the parsers: the input is a chunked body behind a fixed head (bit 0 of
// the first byte: a backend's response instead of a client's request). What llhttp decodes is compared
// with RFC 9112 §7.1 read independently: a smuggled request hides exactly where two readers disagree on
// where a body ends.
#include "HttpHandlers.h"

#include <cctype>
#include <optional>

using namespace fulcrum;
using namespace fulcrum::fuzz;

namespace {

struct Decoded
{
    bool complete = false;
    bool valid = true;
    bool plain = true; // no chunk extension and no trailer field: nothing a strict parser may refuse
    QByteArray body;
    qsizetype end = 0; // just past the final CRLF, when complete
};

// The end of the line that starts at `from` (the index of its CR); nothing while it is incomplete;
// -1 for a bare CR or LF, which no chunked body may contain outside chunk data.
std::optional<qsizetype> lineEnd(const QByteArray &in, qsizetype from)
{
    for (qsizetype i = from; i < in.size(); ++i) {
        if (in.at(i) == '\n')
            return -1;
        if (in.at(i) == '\r') {
            if (i + 1 == in.size())
                return std::nullopt;
            return in.at(i + 1) == '\n' ? i : -1;
        }
    }
    return std::nullopt;
}

// Lenient where the grammar lets a parser be strict (extensions and trailer lines are taken as any bytes
// but CR and LF) and exact where framing is decided (sizes, data lengths, CRLFs).
Decoded decodeChunked(const QByteArray &in)
{
    Decoded out;
    const auto invalid = [&out] {
        out.valid = false;
        return out;
    };
    qsizetype at = 0;
    for (;;) {
        qsizetype i = at;
        quint64 size = 0;
        while (i < in.size() && std::isxdigit(static_cast<unsigned char>(in.at(i)))) {
            if (size >> 58)
                return invalid(); // no body this long fits in an input; llhttp refuses 64-bit overflow
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(in.at(i))));
            size = size * 16 + static_cast<quint64>(c <= '9' ? c - '0' : c - 'a' + 10);
            ++i;
        }
        if (i == in.size())
            return out;
        if (i == at)
            return invalid();
        const std::optional<qsizetype> eol = lineEnd(in, i);
        if (!eol)
            return out;
        if (*eol < 0)
            return invalid();
        if (*eol != i)
            out.plain = false;
        at = *eol + 2;
        if (size == 0)
            break;
        if (static_cast<quint64>(in.size() - at) < size + 2)
            return out;
        out.body.append(in.constData() + at, static_cast<qsizetype>(size));
        at += static_cast<qsizetype>(size);
        if (in.at(at) != '\r' || in.at(at + 1) != '\n')
            return invalid();
        at += 2;
    }
    for (;;) {
        const std::optional<qsizetype> eol = lineEnd(in, at);
        if (!eol)
            return out;
        if (*eol < 0)
            return invalid();
        if (*eol == at) {
            out.complete = true;
            out.end = at + 2;
            return out;
        }
        out.plain = false;
        at = *eol + 2;
    }
}

const QByteArray kRequestHead = "POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n";
const QByteArray kResponseHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const Input input = splitControl(data, size);
    const bool response = (input.control & 1) != 0;
    const QByteArray &head = response ? kResponseHead : kRequestHead;
    const QByteArray message = head + input.bytes;
    const auto parse = [&](const QList<QByteArray> &reads) {
        return response ? parseResponses(reads, false, false, true)
                        : parseRequests(reads, ParserLimits{}, -1, true);
    };
    const Transcript whole = parse({message});
    checkSameMeaning(whole, parse(readsOf(message)));

    const Decoded expected = decodeChunked(input.bytes);
    const bool completed = whole.stopped;
    if (completed) {
        check(expected.valid && expected.complete, "the parser completed a chunked body RFC 9112 does not");
        check(whole.consumed == head.size() + expected.end, "the parser ended a chunked body elsewhere");
        const QByteArray body = whole.events.size() == 3 ? whole.events.at(1).mid(5) : QByteArray();
        check(body == expected.body, "the parser decoded other bytes than the chunks hold");
    } else if (expected.valid && expected.complete && expected.plain) {
        violated("the parser did not complete a plain, valid chunked body");
    }
    return 0;
}
