// SPDX-License-Identifier: GPL-3.0-or-later
#include "ResponseParser.h"

namespace fulcrum {

namespace {
ParserLimits responseLimits()
{
    ParserLimits limits;
    limits.maxHeaderBytes = 256 * 1024;
    limits.maxHeaderCount = 500;
    return limits;
}
} // namespace

ResponseParser::ResponseParser(ResponseParserHandler &handler)
    : MessageParser(HTTP_RESPONSE, responseLimits()), m_handler(handler)
{}

void ResponseParser::onStartLinePart(int part, const char *data, qsizetype length)
{
    if (part == Status)
        m_head.reason.append(data, length);
}

int ResponseParser::onHeadersComplete(llhttp_t *parser, HttpHeaders &&headers)
{
    m_head.headers = std::move(headers);
    m_head.status = parser->status_code;
    if (parser->http_major != 1 || parser->http_minor > 1)
        return fail(502, "backend sent an unsupported HTTP version");
    if (m_head.status < 100 || m_head.status > 999)
        return fail(502, "backend sent an invalid status");
    const bool switchesProtocols = m_head.status == 101;
    if (switchesProtocols && !m_upgradeRequested)
        return fail(502, "backend switched protocols without being asked");
    m_head.versionMinor = parser->http_minor;
    // llhttp takes any byte but CR and LF in the reason phrase, and the phrase is forwarded to the client.
    for (const char c : m_head.reason) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f)
            return fail(502, "backend sent an invalid reason phrase");
    }
    if (m_head.headers.count("content-length") > 1)
        return fail(502, "backend sent duplicate Content-Length");
    const qsizetype transferEncodings = m_head.headers.count("transfer-encoding");
    if (transferEncodings > 1 || (transferEncodings == 1 &&
                                  m_head.headers.value("transfer-encoding").trimmed().toLower() != "chunked"))
        return fail(502, "backend sent an unsupported Transfer-Encoding");

    m_interim = m_head.isInformational() && !switchesProtocols;
    const bool noBody =
        m_head.isInformational() || m_expectNoBody || m_head.status == 204 || m_head.status == 304;
    m_head.framing = noBody ? BodyFraming::None : framingOf(parser);
    m_head.contentLength = parser->content_length;
    m_head.keepAlive = !switchesProtocols && llhttp_should_keep_alive(parser) != 0;
    m_handler.onResponseHead(m_head);
    return noBody ? 1 : 0;
}

void ResponseParser::onBody(const char *data, qsizetype length)
{
    m_handler.onResponseBody(data, length);
}

bool ResponseParser::onMessageComplete()
{
    m_head = {};
    if (m_interim) {
        m_interim = false;
        return false;
    }
    m_handler.onResponseComplete();
    return true;
}

ParseFailure ResponseParser::failureFor(llhttp_errno_t error) const
{
    switch (error) {
    case HPE_INVALID_EOF_STATE:
        return {502, "backend closed the connection mid-response"};
    case HPE_INVALID_CHUNK_SIZE:
        return {502, "backend sent an invalid chunk"};
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_UNEXPECTED_CONTENT_LENGTH:
        return {502, "backend sent an invalid Content-Length"};
    default:
        return {502, "backend sent an invalid response"};
    }
}

} // namespace fulcrum
