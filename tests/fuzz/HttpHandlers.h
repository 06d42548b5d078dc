// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ParserDriver.h"
#include "http/RequestParser.h"
#include "http/ResponseParser.h"

// Handlers that check every head against what the proxy forwards, and body sizes against the framing
// the head announced; shared by the request, response and chunked targets.
namespace fulcrum::fuzz {

inline QByteArray describeFraming(BodyFraming framing, quint64 contentLength, bool keepAlive)
{
    return ' ' + QByteArray::number(static_cast<int>(framing)) + ' ' + QByteArray::number(contentLength) +
           (keepAlive ? " keep-alive" : " close");
}

inline QByteArray describeHeaders(const HttpHeaders &headers)
{
    QByteArray out;
    for (const HttpHeader &header : headers)
        out += '\n' + header.name + ": " + header.value;
    return out;
}

class RequestRecorder final : public RequestParserHandler
{
public:
    RequestRecorder(TranscriptWriter &writer, qint64 destinationLimit)
        : m_writer(writer), m_destinationLimit(destinationLimit)
    {}

    qint64 bodyLimitFor(const RequestHead &, qint64 configured) override
    {
        // A route may lift the configured limit (0) or tighten it: both paths must keep the checks.
        m_limit = m_destinationLimit >= 0 ? m_destinationLimit : configured;
        return m_limit;
    }

    void onRequestHead(RequestHead &head) override
    {
        checkHeaders(head.headers);
        checkFraming(head.headers, head.framing);
        check(!head.method.isEmpty(), "empty method");
        check(!head.target.isEmpty() && (head.target.front() == '/' || head.target == "*"),
              "request target neither origin-form nor asterisk-form after normalisation");
        for (const char c : head.target) {
            const auto u = static_cast<unsigned char>(c);
            check(u > 0x20 && u != 0x7f && c != '#', "control byte, space or fragment in the request target");
        }
        for (const char c : head.host)
            check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in Host");
        check(head.versionMinor == 0 || head.versionMinor == 1, "version other than HTTP/1.0 or 1.1");
        check(head.versionMinor == 1 || head.framing != BodyFraming::Chunked, "chunked HTTP/1.0 request");
        check(head.upgrade.isEmpty() || head.framing == BodyFraming::None, "upgrade with a request body");
        check(head.framing != BodyFraming::UntilClose, "request body delimited by the close");
        if (head.framing == BodyFraming::ContentLength && m_limit > 0)
            check(head.contentLength <= static_cast<quint64>(m_limit), "Content-Length over the body limit");
        m_framing = head.framing;
        m_contentLength = head.contentLength;
        m_writer.head(head.method + ' ' + head.target + " 1." + QByteArray::number(head.versionMinor) +
                      " host=" + head.host + " upgrade=" + head.upgrade +
                      (head.expectContinue ? " expect" : "") + (head.isHead ? " HEAD" : "") +
                      describeFraming(head.framing, head.contentLength, head.keepAlive) +
                      describeHeaders(head.headers));
    }

    void onRequestBody(const char *data, qsizetype length) override
    {
        check(m_framing != BodyFraming::None, "body bytes for a request without a body");
        m_writer.body(data, length);
        check(m_limit <= 0 || m_writer.messageBodyBytes() <= m_limit, "body bytes over the body limit");
    }

    void onRequestComplete() override
    {
        if (m_framing == BodyFraming::ContentLength)
            check(static_cast<quint64>(m_writer.messageBodyBytes()) == m_contentLength,
                  "request completed with a body other than its Content-Length");
        m_writer.complete();
        m_framing = BodyFraming::None;
    }

private:
    TranscriptWriter &m_writer;
    qint64 m_destinationLimit;
    qint64 m_limit = 0;
    BodyFraming m_framing = BodyFraming::None;
    quint64 m_contentLength = 0;
};

class ResponseRecorder final : public ResponseParserHandler
{
public:
    ResponseRecorder(TranscriptWriter &writer, bool expectNoBody, bool upgradeRequested)
        : m_writer(writer), m_expectNoBody(expectNoBody), m_upgradeRequested(upgradeRequested)
    {}

    // The proxy stops reading HTTP after a requested 101: the bytes behind it belong to the tunnel.
    bool switchedProtocols() const { return m_lastStatus == 101; }

    void onResponseHead(ResponseHead &head) override
    {
        checkHeaders(head.headers);
        checkFraming(head.headers, head.framing);
        check(head.status >= 100 && head.status <= 999, "status outside 100..999");
        check(head.status != 101 || m_upgradeRequested, "101 accepted without an upgrade request");
        check(head.versionMinor == 0 || head.versionMinor == 1, "version other than HTTP/1.0 or 1.1");
        for (const char c : head.reason)
            check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in the reason phrase");
        const bool noBody =
            head.isInformational() || m_expectNoBody || head.status == 204 || head.status == 304;
        check(!noBody || head.framing == BodyFraming::None, "a body framing for a response that has none");
        check(head.status != 101 || !head.keepAlive, "keep-alive after switching protocols");
        m_framing = head.framing;
        m_contentLength = head.contentLength;
        m_lastStatus = head.status;
        m_writer.head(QByteArray::number(head.status) + ' ' + head.reason + " 1." +
                      QByteArray::number(head.versionMinor) +
                      describeFraming(head.framing, head.contentLength, head.keepAlive) +
                      describeHeaders(head.headers));
        if (head.isInformational() && head.status != 101)
            m_writer.complete(); // an interim message ends at its head; the transcript says so explicitly
    }

    void onResponseBody(const char *data, qsizetype length) override
    {
        check(m_framing != BodyFraming::None, "body bytes for a response without a body");
        m_writer.body(data, length);
    }

    void onResponseComplete() override
    {
        check(m_lastStatus < 100 || m_lastStatus >= 200 || m_lastStatus == 101,
              "an interim response reported as complete");
        if (m_framing == BodyFraming::ContentLength)
            check(static_cast<quint64>(m_writer.messageBodyBytes()) == m_contentLength,
                  "response completed with a body other than its Content-Length");
        m_writer.complete();
        m_framing = BodyFraming::None;
    }

private:
    TranscriptWriter &m_writer;
    bool m_expectNoBody;
    bool m_upgradeRequested;
    BodyFraming m_framing = BodyFraming::None;
    quint64 m_contentLength = 0;
    int m_lastStatus = 0;
};

// Parses `reads` as one client connection and returns what the proxy would have seen; with firstOnly,
// stops after the first message, so that Transcript::consumed is where that message ended.
inline Transcript parseRequests(const QList<QByteArray> &reads, const ParserLimits &limits,
                                qint64 destinationLimit, bool firstOnly = false)
{
    Transcript transcript;
    TranscriptWriter writer(transcript);
    RequestRecorder recorder(writer, destinationLimit);
    RequestParser parser(limits, recorder);
    drive(parser, writer, transcript, reads, [firstOnly] { return firstOnly; });
    if (transcript.failureStatus != 0) {
        static const QList<int> statuses{400, 413, 414, 417, 431, 501, 505};
        check(statuses.contains(transcript.failureStatus), "request failure with an unexpected status");
    }
    return transcript;
}

// Parses `reads` as one backend connection answering requests that all had the same method and kind.
inline Transcript parseResponses(const QList<QByteArray> &reads, bool expectNoBody, bool upgradeRequested,
                                 bool firstOnly = false)
{
    Transcript transcript;
    TranscriptWriter writer(transcript);
    ResponseRecorder recorder(writer, expectNoBody, upgradeRequested);
    ResponseParser parser(recorder);
    parser.setExpectNoBody(expectNoBody);
    parser.setUpgradeRequested(upgradeRequested);
    drive(parser, writer, transcript, reads,
          [&recorder, firstOnly] { return firstOnly || recorder.switchedProtocols(); });
    check(transcript.failureStatus == 0 || transcript.failureStatus == 502,
          "response failure other than 502");
    return transcript;
}

// One input cut into reads must mean what it means in one read. Head-size failures are exempt (the raw
// head count is per read by design: whitespace llhttp reports no callback for is counted read by read),
// and so are body bytes handed over before a failure, which depend on where the reads ended. Which of two
// faults is reported may depend on the reads too (a target too long and with a bad byte: 414 when llhttp
// handed over the target's first part at the end of a read, 400 when the bad byte came in the same read).
inline void checkSameMeaning(const Transcript &whole, const Transcript &cut)
{
    const QByteArray headTooLarge = "header fields too large";
    if (whole.failureReason == headTooLarge || cut.failureReason == headTooLarge)
        return;
    check((whole.failureStatus == 0) == (cut.failureStatus == 0),
          "cutting the input into reads changed whether it failed");
    check(whole.stopped == cut.stopped, "cutting the input into reads changed where parsing stopped");
    if (whole.failureStatus == 0) {
        check(whole == cut, "cutting the input into reads changed the messages");
        return;
    }
    const auto heads = [](const Transcript &t) {
        QList<QByteArray> out;
        for (const QByteArray &event : t.events) {
            if (!event.startsWith("body "))
                out.append(event);
        }
        return out;
    };
    check(heads(whole) == heads(cut), "cutting the input into reads changed the heads before a failure");
}

} // namespace fulcrum::fuzz
