// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestParser.h"

#include "HopByHop.h"

namespace fulcrum {

RequestParser::RequestParser(const ParserLimits &limits, RequestParserHandler &handler)
    : MessageParser(HTTP_REQUEST, limits), m_handler(handler)
{}

void RequestParser::onStartLinePart(int part, const char *data, qsizetype length)
{
    if (part == Method) {
        m_head.method.append(data, length);
    } else if (part == Target) {
        if (m_head.target.size() + length > limits().maxRequestTargetBytes) {
            fail(414, "request target too long");
            return;
        }
        m_head.target.append(data, length);
    }
}

int RequestParser::normalizeAbsoluteForm()
{
    // RFC 9112 §3.2.2: a server must accept absolute-form; its authority replaces Host.
    const qsizetype schemeEnd = m_head.target.indexOf("://");
    const QByteArray scheme = m_head.target.left(schemeEnd).toLower();
    if (scheme != "http" && scheme != "https")
        return fail(400, "invalid request target");
    const qsizetype authorityStart = schemeEnd + 3;
    qsizetype pathStart = m_head.target.indexOf('/', authorityStart);
    const qsizetype queryStart = m_head.target.indexOf('?', authorityStart);
    if (pathStart < 0 || (queryStart >= 0 && queryStart < pathStart))
        pathStart = queryStart;
    const QByteArray authority =
        m_head.target.mid(authorityStart, pathStart < 0 ? -1 : pathStart - authorityStart);
    if (authority.isEmpty() || authority.contains('@'))
        return fail(400, "invalid authority in request target");
    QByteArray path = pathStart < 0 ? QByteArray("/") : m_head.target.mid(pathStart);
    if (path.startsWith('?'))
        path.prepend('/');
    m_head.target = path;
    m_head.host = authority;
    return 0;
}

int RequestParser::onHeadersComplete(llhttp_t *parser, HttpHeaders &&headers)
{
    m_head.headers = std::move(headers);
    if (parser->http_major != 1 || parser->http_minor > 1)
        return fail(505, "HTTP version not supported");
    m_head.versionMinor = parser->http_minor;
    if (parser->method == HTTP_CONNECT)
        return fail(501, "CONNECT is not supported");

    const HttpHeaders &h = m_head.headers;
    const qsizetype hostCount = h.count("host");
    if (hostCount > 1)
        return fail(400, "duplicate Host header");
    if (hostCount == 0 && m_head.versionMinor == 1)
        return fail(400, "missing Host header");
    m_head.host = h.value("host");

    // A fragment never belongs in a request (RFC 9112 §3.2); a backend that cut the path at '#' would
    // serve a path no route matched.
    if (m_head.target.isEmpty() || m_head.target.contains('#'))
        return fail(400, "invalid request target");
    if (m_head.target.front() != '/') {
        if (m_head.target == "*") {
            if (parser->method != HTTP_OPTIONS)
                return fail(400, "asterisk-form is only valid for OPTIONS");
        } else if (const int rc = normalizeAbsoluteForm(); rc != 0) {
            return rc;
        }
    }

    if (h.count("content-length") > 1)
        return fail(400, "duplicate Content-Length header");
    const qsizetype transferEncodings = h.count("transfer-encoding");
    if (transferEncodings > 0) {
        if (m_head.versionMinor == 0)
            return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (transferEncodings > 1 || h.value("transfer-encoding").trimmed().toLower() != "chunked")
            return fail(501, "unsupported Transfer-Encoding");
    }

    const QByteArray expect = h.value("expect");
    if (!expect.isNull()) {
        if (expect.trimmed().toLower() != "100-continue")
            return fail(417, "unsupported expectation");
        m_head.expectContinue = m_head.versionMinor == 1;
    }

    m_head.framing = framingOf(parser);
    m_head.contentLength = parser->content_length;
    setBodyLimit(m_handler.bodyLimitFor(m_head, limits().maxBodyBytes));
    if (m_head.framing == BodyFraming::ContentLength && bodyLimit() > 0 &&
        m_head.contentLength > static_cast<quint64>(bodyLimit()))
        return fail(413, "request body too large");
    m_head.keepAlive = llhttp_should_keep_alive(parser) != 0;
    m_head.isHead = parser->method == HTTP_HEAD;
    // RFC 9110 §7.8: only HTTP/1.1 upgrades, and only when Connection names Upgrade. A request with a
    // body is forwarded as a plain request: its body and the new protocol's first bytes could not be
    // told apart if the backend switched before reading all of it.
    if (m_head.versionMinor == 1 && m_head.framing == BodyFraming::None &&
        HopByHopFilter(h).hasConnectionOption("upgrade"))
        m_head.upgrade = h.value("upgrade").trimmed();

    m_handler.onRequestHead(m_head);
    return 0;
}

void RequestParser::onBody(const char *data, qsizetype length)
{
    m_handler.onRequestBody(data, length);
}

bool RequestParser::onMessageComplete()
{
    m_head = {};
    m_handler.onRequestComplete();
    return true;
}

ParseFailure RequestParser::failureFor(llhttp_errno_t error) const
{
    switch (error) {
    case HPE_INVALID_VERSION:
    case HPE_PAUSED_H2_UPGRADE:
        return {505, "HTTP version not supported"};
    case HPE_INVALID_TRANSFER_ENCODING:
        return {501, "unsupported Transfer-Encoding"};
    case HPE_UNEXPECTED_CONTENT_LENGTH:
        return {400, "conflicting Content-Length and Transfer-Encoding"};
    case HPE_INVALID_CONTENT_LENGTH:
        return {400, "invalid Content-Length"};
    case HPE_INVALID_CHUNK_SIZE:
        return {400, "invalid chunk size"};
    case HPE_INVALID_METHOD:
        return {400, "invalid method"};
    case HPE_INVALID_URL:
        return {400, "invalid request target"};
    case HPE_INVALID_HEADER_TOKEN:
        return {400, "invalid header field"};
    case HPE_INVALID_EOF_STATE:
        return {400, "incomplete request"};
    default:
        return {400, "malformed request"};
    }
}

} // namespace fulcrum
