// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "FuzzSupport.h"
#include "http/HttpMessage.h"
#include "http/MessageParser.h"

#include <functional>

// Runs a request or response parser over reads the way the proxy's connections do (feed, resume after
// every complete message, finish at the peer's close) and records what the handler saw, so a target can
// check the invariants the proxy relies on and compare one input cut into different reads.
namespace fulcrum::fuzz {

struct Transcript
{
    QList<QByteArray> events; // "head ...", "body ...", "complete": what the handler was told, in order
    int failureStatus = 0;
    QByteArray failureReason;
    bool stopped = false; // the target asked to stop after a message (a switch to another protocol)
    qsizetype consumed = 0;

    // Cut-independent: the body is one event per message however the reads fell, as the proxy forwards
    // bytes and not read boundaries.
    friend bool operator==(const Transcript &, const Transcript &) = default;
};

// A handler that writes into a Transcript and checks that the parser never calls it once it failed.
class TranscriptWriter
{
public:
    explicit TranscriptWriter(Transcript &transcript) : m_transcript(transcript) {}
    void watch(const MessageParser *parser) { m_parser = parser; }

    void head(QByteArray description)
    {
        checkNotFailed();
        flushBody();
        m_transcript.events.append("head " + description);
        m_inMessage = true;
    }
    void body(const char *data, qsizetype length)
    {
        checkNotFailed();
        check(m_inMessage, "body bytes outside a message");
        m_body.append(data, length);
        m_messageBodyBytes += length;
    }
    void complete()
    {
        checkNotFailed();
        check(m_inMessage, "a message completed before its head");
        flushBody();
        m_transcript.events.append("complete");
        m_inMessage = false;
        m_messageBodyBytes = 0;
    }
    void flushBody()
    {
        if (!m_body.isEmpty())
            m_transcript.events.append("body " + m_body);
        m_body.clear();
    }
    qint64 messageBodyBytes() const { return m_messageBodyBytes; }

private:
    void checkNotFailed() const
    {
        check(m_parser == nullptr || m_parser->failure().status == 0, "handler called after a failure");
    }

    Transcript &m_transcript;
    const MessageParser *m_parser = nullptr;
    QByteArray m_body;
    qint64 m_messageBodyBytes = 0;
    bool m_inMessage = false;
};

// Every name a parser hands over is a token and every value is free of the bytes that would let a
// forwarded header end early or start another: what the proxy writes out must be what it checked.
inline void checkHeaders(const HttpHeaders &headers)
{
    for (const HttpHeader &header : headers) {
        check(!header.name.isEmpty(), "empty header name");
        for (const char c : header.name) {
            const auto u = static_cast<unsigned char>(c);
            check(u > 0x20 && u < 0x7f && c != ':', "header name byte that is not a token character");
        }
        for (const char c : header.value)
            check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a header value");
    }
}

inline void checkFraming(const HttpHeaders &headers, BodyFraming framing)
{
    const qsizetype lengths = headers.count("content-length");
    const qsizetype codings = headers.count("transfer-encoding");
    check(lengths <= 1 && codings <= 1, "duplicate Content-Length or Transfer-Encoding accepted");
    check(lengths == 0 || codings == 0, "Content-Length and Transfer-Encoding both accepted");
    if (framing == BodyFraming::Chunked)
        check(codings == 1, "chunked framing without Transfer-Encoding");
}

template <typename Parser>
void drive(Parser &parser, TranscriptWriter &writer, Transcript &transcript, const QList<QByteArray> &reads,
           const std::function<bool()> &stopAfterMessage)
{
    writer.watch(&parser);
    for (const QByteArray &read : reads) {
        qsizetype at = 0;
        while (at < read.size()) {
            const qsizetype left = read.size() - at;
            const MessageParser::FeedResult result = parser.feed(read.constData() + at, left);
            check(result.consumed >= 0 && result.consumed <= left, "consumed more than it was given");
            transcript.consumed += result.consumed;
            if (result.progress == MessageParser::Progress::Failed) {
                transcript.failureStatus = parser.failure().status;
                transcript.failureReason = parser.failure().reason;
                check(transcript.failureStatus != 0 && !parser.failure().reason.isEmpty(),
                      "a failure without a status or reason");
                // A failed parser stays failed: it takes nothing more and tells the handler nothing more.
                const qsizetype eventsBefore = transcript.events.size();
                const MessageParser::FeedResult again = parser.feed(read.constData(), read.size());
                check(again.progress == MessageParser::Progress::Failed && again.consumed == 0,
                      "a failed parser accepted more bytes");
                check(parser.finish() == MessageParser::Progress::Failed,
                      "a failed parser finished a message");
                check(transcript.events.size() == eventsBefore, "a failed parser produced more events");
                writer.flushBody();
                return;
            }
            at += result.consumed;
            if (result.progress == MessageParser::Progress::MessageComplete) {
                // A completion that takes no byte would spin the proxy's read loop forever.
                check(result.consumed > 0, "a message completed without consuming a byte");
                if (stopAfterMessage()) {
                    transcript.stopped = true;
                    writer.flushBody();
                    return;
                }
                parser.resume();
            } else {
                check(result.consumed == left, "NeedMore without consuming every byte");
            }
        }
    }
    const MessageParser::Progress end = parser.finish();
    if (end == MessageParser::Progress::Failed) {
        transcript.failureStatus = parser.failure().status;
        transcript.failureReason = parser.failure().reason;
    }
    writer.flushBody();
}

} // namespace fulcrum::fuzz
