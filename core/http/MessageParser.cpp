// SPDX-License-Identifier: GPL-3.0-or-later
#include "MessageParser.h"

#include <cstring>

namespace fulcrum {

namespace {
// Bytes a header line costs beyond its name and value (": " and CRLF), so that many tiny headers
// still count against the head limit.
constexpr qsizetype kHeaderLineOverhead = 4;
// Headers in a usual request or response: browsers send about a dozen, backends fewer.
constexpr qsizetype kTypicalHeaderCount = 16;
} // namespace

MessageParser::MessageParser(llhttp_type_t type, const ParserLimits &limits) : m_limits(limits)
{
    llhttp_settings_init(&m_settings);
    m_settings.on_message_begin = &onMessageBeginThunk;
    m_settings.on_url = &onUrlThunk;
    m_settings.on_method = &onMethodThunk;
    m_settings.on_status = &onStatusThunk;
    m_settings.on_header_field = &onHeaderFieldThunk;
    m_settings.on_header_value = &onHeaderValueThunk;
    m_settings.on_header_value_complete = &onHeaderValueCompleteThunk;
    m_settings.on_headers_complete = &onHeadersCompleteThunk;
    m_settings.on_chunk_header = &onChunkHeaderThunk;
    m_settings.on_body = &onBodyThunk;
    m_settings.on_message_complete = &onMessageCompleteThunk;
    llhttp_init(&m_parser, type, &m_settings);
    m_parser.data = this;
}

MessageParser::FeedResult MessageParser::feed(const char *data, qsizetype length)
{
    if (m_failure.status != 0)
        return {Progress::Failed, 0};
    // llhttp 8 takes a bare LF for the empty line that ends a head or a trailer section ("...\r\n\n"),
    // strict mode or not; a peer in front that reads it otherwise sees another message boundary. LF LF
    // occurs in no valid head, so llhttp runs up to each one, which is refused if it is still in a head
    // there.
    qsizetype at = 0;
    qsizetype searchFrom = 0;
    for (;;) {
        const qsizetype stop = nextDoubleLineFeed(data, searchFrom, length);
        const FeedResult part = execute(data + at, stop - at);
        if (part.progress != Progress::NeedMore)
            return {part.progress, part.progress == Progress::Failed ? 0 : at + part.consumed};
        at = stop;
        if (at == length)
            return {Progress::NeedMore, length};
        if (isInHead() || m_inTrailers) {
            fail(400, "bare LF ends the header section");
            return {Progress::Failed, 0};
        }
        searchFrom = stop + 1;
    }
}

qsizetype MessageParser::nextDoubleLineFeed(const char *data, qsizetype from, qsizetype length) const
{
    for (qsizetype i = from; i < length; ++i) {
        const auto *lf =
            static_cast<const char *>(std::memchr(data + i, '\n', static_cast<size_t>(length - i)));
        if (lf == nullptr)
            return length;
        i = lf - data;
        if ((i == 0 ? m_lastByte : data[i - 1]) == '\n')
            return i;
    }
    return length;
}

MessageParser::FeedResult MessageParser::execute(const char *data, qsizetype length)
{
    const bool headContinues = isInHead();
    m_feedBegin = data;
    m_feedEnd = data + length;
    const llhttp_errno_t error = llhttp_execute(&m_parser, data, static_cast<size_t>(length));
    if (length > 0 && (error == HPE_OK || error == HPE_PAUSED)) {
        const char *end = error == HPE_OK ? data + length : llhttp_get_error_pos(&m_parser);
        if (end > data)
            m_lastByte = end[-1];
    }
    if (error == HPE_OK) {
        // llhttp reports no callback for optional whitespace, so a head that spans whole reads is
        // also counted in raw bytes: padding cannot stretch it past the limit by more than one read.
        if (headContinues && isInHead()) {
            m_rawHeadBytes += length;
            if (m_rawHeadBytes > m_limits.maxHeaderBytes) {
                fail(431, "header fields too large");
                return {Progress::Failed, 0};
            }
        }
        return {Progress::NeedMore, length};
    }
    if (error == HPE_PAUSED) {
        const qsizetype consumed = llhttp_get_error_pos(&m_parser) - data;
        return {Progress::MessageComplete, consumed};
    }
    if (m_failure.status == 0)
        m_failure = failureFor(error);
    return {Progress::Failed, 0};
}

void MessageParser::resume()
{
    llhttp_resume(&m_parser);
}

MessageParser::Progress MessageParser::finish()
{
    if (m_failure.status != 0)
        return Progress::Failed;
    const bool wasInMessage = m_inMessage;
    const llhttp_errno_t error = llhttp_finish(&m_parser);
    if (error == HPE_OK || error == HPE_PAUSED)
        return wasInMessage && !m_inMessage ? Progress::MessageComplete : Progress::NeedMore;
    m_failure = failureFor(error);
    return Progress::Failed;
}

int MessageParser::fail(int status, QByteArray reason)
{
    // The statuses of the shared rules (431, 400) are answers to a client; a response that breaks one is
    // the backend's fault like any other, which the proxy answers with a 502.
    if (m_parser.type == HTTP_RESPONSE)
        status = 502;
    m_failure = {status, std::move(reason)};
    return -1;
}

BodyFraming MessageParser::framingOf(const llhttp_t *parser) const
{
    if (parser->flags & F_CHUNKED)
        return BodyFraming::Chunked;
    if (parser->flags & F_CONTENT_LENGTH)
        return parser->content_length > 0 ? BodyFraming::ContentLength : BodyFraming::None;
    if (parser->type == HTTP_RESPONSE && llhttp_message_needs_eof(parser))
        return BodyFraming::UntilClose;
    return BodyFraming::None;
}

int MessageParser::countHeadBytes(qsizetype length)
{
    m_headBytes += length;
    if (m_headBytes > m_limits.maxHeaderBytes)
        return fail(431, "header fields too large");
    return 0;
}

int MessageParser::onMessageBeginThunk(llhttp_t *p)
{
    MessageParser *parser = self(p);
    parser->m_inMessage = true;
    parser->m_headComplete = false;
    parser->m_inTrailers = false;
    parser->m_inHeaderValue = false;
    parser->m_headBytes = 0;
    parser->m_rawHeadBytes = 0;
    parser->m_bodyBytes = 0;
    parser->m_bodyLimit = parser->m_limits.maxBodyBytes;
    parser->m_headers = {};
    // One allocation for a typical head instead of a growth step every few headers.
    parser->m_headers.reserve(kTypicalHeaderCount);
    return 0;
}

int MessageParser::onMethodThunk(llhttp_t *p, const char *at, size_t length)
{
    self(p)->onStartLinePart(Method, at, static_cast<qsizetype>(length));
    return self(p)->countHeadBytes(static_cast<qsizetype>(length));
}

int MessageParser::onUrlThunk(llhttp_t *p, const char *at, size_t length)
{
    MessageParser *parser = self(p);
    parser->onStartLinePart(Target, at, static_cast<qsizetype>(length));
    return parser->m_failure.status != 0 ? -1 : parser->countHeadBytes(static_cast<qsizetype>(length));
}

int MessageParser::onStatusThunk(llhttp_t *p, const char *at, size_t length)
{
    self(p)->onStartLinePart(Status, at, static_cast<qsizetype>(length));
    return self(p)->countHeadBytes(static_cast<qsizetype>(length));
}

int MessageParser::onHeaderFieldThunk(llhttp_t *p, const char *at, size_t length)
{
    MessageParser *parser = self(p);
    const auto size = static_cast<qsizetype>(length);
    if (parser->m_headers.isEmpty() || parser->m_inHeaderValue) {
        if (parser->m_headers.size() >= parser->m_limits.maxHeaderCount)
            return parser->fail(431, "too many header fields");
        parser->m_headers.append(QByteArray(at, size), QByteArray());
        parser->m_inHeaderValue = false;
        parser->m_valueReachedFeedEnd = false;
        return parser->countHeadBytes(size + kHeaderLineOverhead);
    }
    parser->m_headers.last().name.append(at, size);
    return parser->countHeadBytes(size);
}

int MessageParser::onHeaderValueThunk(llhttp_t *p, const char *at, size_t length)
{
    MessageParser *parser = self(p);
    const auto size = static_cast<qsizetype>(length);
    // llhttp reports an obs-fold continuation as a second value span of the same header. A second
    // span is legitimate only when the first one ran to the end of the previous read and this one
    // starts the next; anything else is a fold, which RFC 9112 §5.2 lets a proxy reject.
    if (parser->m_inHeaderValue && !(parser->m_valueReachedFeedEnd && at == parser->m_feedBegin))
        return parser->fail(400, "obsolete line folding in header value");
    if (parser->m_headers.isEmpty())
        return parser->fail(400, "empty header field name");
    parser->m_inHeaderValue = true;
    parser->m_valueReachedFeedEnd = at + length == parser->m_feedEnd;
    parser->m_headers.last().value.append(at, size);
    return parser->countHeadBytes(size);
}

int MessageParser::onHeaderValueCompleteThunk(llhttp_t *p)
{
    MessageParser *parser = self(p);
    parser->m_inHeaderValue = true;
    // llhttp 8 takes a line that starts with ':' for a field with an empty name; a field name is a token
    // (RFC 9110 §5.1), and such a line would be forwarded for the backend to read its own way.
    if (parser->m_headers.isEmpty() || parser->m_headers.last().name.isEmpty())
        return parser->fail(400, "empty header field name");
    // llhttp hands over obs-fold continuations and stray control bytes in strict mode only as
    // errors, but a value is forwarded verbatim, so refuse anything that could split a line.
    const QByteArray &value = parser->m_headers.last().value;
    for (const char c : value) {
        if (c == '\r' || c == '\n' || c == '\0')
            return parser->fail(400, "invalid character in header value");
    }
    return 0;
}

int MessageParser::onHeadersCompleteThunk(llhttp_t *p)
{
    MessageParser *parser = self(p);
    parser->m_headComplete = true;
    // Whether a connection leaves HTTP is the proxy's decision (a backend's 101 to an upgrade request,
    // see ResponseParser), not the mere presence of Upgrade: clearing the flag keeps llhttp parsing,
    // and the pause after every message stops it at the head where the other protocol begins.
    p->upgrade = 0;
    return parser->onHeadersComplete(p, std::move(parser->m_headers));
}

int MessageParser::onChunkHeaderThunk(llhttp_t *p)
{
    // The last chunk (size 0) is followed by the trailer section, which ends like a head.
    if (p->content_length == 0)
        self(p)->m_inTrailers = true;
    return 0;
}

int MessageParser::onBodyThunk(llhttp_t *p, const char *at, size_t length)
{
    MessageParser *parser = self(p);
    parser->m_bodyBytes += static_cast<qint64>(length);
    if (parser->m_bodyLimit > 0 && parser->m_bodyBytes > parser->m_bodyLimit)
        return parser->fail(413, "request body too large");
    parser->onBody(at, static_cast<qsizetype>(length));
    return 0;
}

int MessageParser::onMessageCompleteThunk(llhttp_t *p)
{
    MessageParser *parser = self(p);
    parser->m_inMessage = false;
    parser->m_inTrailers = false;
    return parser->onMessageComplete() ? HPE_PAUSED : 0;
}

} // namespace fulcrum
