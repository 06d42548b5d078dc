// SPDX-License-Identifier: GPL-3.0-or-later
#include "MessageWriter.h"

#include "HopByHop.h"
#include "HttpStatus.h"

namespace fulcrum::writer {

namespace {

void appendHeader(QByteArray &out, QByteArrayView name, QByteArrayView value)
{
    out.append(name).append(": ").append(value).append("\r\n");
}

void appendNumber(QByteArray &out, QByteArrayView name, quint64 value)
{
    out.append(name).append(": ").append(QByteArray::number(value)).append("\r\n");
}

bool isRewrittenByProxy(QByteArrayView name)
{
    return headerNameEquals(name, "host") || headerNameEquals(name, "content-length") ||
           headerNameEquals(name, "transfer-encoding") || headerNameEquals(name, "expect") ||
           headerNameEquals(name, "x-forwarded-for") || headerNameEquals(name, "x-forwarded-proto") ||
           headerNameEquals(name, "x-forwarded-host") || headerNameEquals(name, "x-request-id");
}

void appendEndToEndHeaders(QByteArray &out, const HttpHeaders &headers, bool (*skip)(QByteArrayView))
{
    const HopByHopFilter filter(headers);
    for (const HttpHeader &header : headers) {
        if (!skip(header.name) && !filter.isHopByHop(header.name))
            appendHeader(out, header.name, header.value);
    }
}

} // namespace

void upstreamRequestHead(QByteArray &out, const RequestHead &head, const ForwardingInfo &forwarding)
{
    const QByteArrayView target =
        forwarding.target.isEmpty() ? QByteArrayView(head.target) : forwarding.target;
    out.append(head.method).append(' ').append(target).append(" HTTP/1.1\r\n");
    const QByteArrayView host = !forwarding.host.isEmpty() ? forwarding.host
                                : head.host.isEmpty()      ? forwarding.backendAuthority
                                                           : QByteArrayView(head.host);
    appendHeader(out, "Host", host);
    appendEndToEndHeaders(out, head.headers, &isRewrittenByProxy);
    // The received X-Forwarded-For is never copied as is: forwardedFor already holds it when the peer is
    // a trusted proxy, and drops it otherwise, so a backend never sees a client-chosen address.
    appendHeader(out, "X-Forwarded-For", forwarding.forwardedFor);
    appendHeader(out, "X-Forwarded-Proto", forwarding.scheme);
    if (!head.host.isEmpty())
        appendHeader(out, "X-Forwarded-Host", head.host);
    appendHeader(out, "X-Request-ID", forwarding.requestId);
    if (!head.upgrade.isEmpty()) {
        appendHeader(out, "Connection", "upgrade");
        appendHeader(out, "Upgrade", head.upgrade);
    }
    if (head.framing == BodyFraming::ContentLength)
        appendNumber(out, "Content-Length", head.contentLength);
    else if (head.framing == BodyFraming::Chunked)
        appendHeader(out, "Transfer-Encoding", "chunked");
    else if (head.headers.contains("content-length"))
        appendHeader(out, "Content-Length", "0");
    out.append("\r\n");
}

namespace {
bool isRewrittenInResponse(QByteArrayView name)
{
    return headerNameEquals(name, "content-length") || headerNameEquals(name, "transfer-encoding") ||
           headerNameEquals(name, "x-request-id");
}
} // namespace

void clientResponseHead(QByteArray &out, const ResponseHead &head, ClientBodyFraming framing,
                        QByteArrayView requestId, bool keepAlive, int clientVersionMinor)
{
    out.append("HTTP/1.1 ").append(QByteArray::number(head.status)).append(' ');
    out.append(head.reason.isEmpty() ? reasonPhrase(head.status) : QByteArrayView(head.reason))
        .append("\r\n");
    appendEndToEndHeaders(out, head.headers, &isRewrittenInResponse);
    appendHeader(out, "X-Request-ID", requestId);
    switch (framing) {
    case ClientBodyFraming::ContentLength:
        appendNumber(out, "Content-Length", head.contentLength);
        break;
    case ClientBodyFraming::Chunked:
        appendHeader(out, "Transfer-Encoding", "chunked");
        break;
    case ClientBodyFraming::None:
        // HEAD and 304 answers describe the representation they stand for (RFC 9110 §8.6).
        if (head.status != 204 && head.headers.contains("content-length"))
            appendHeader(out, "Content-Length", head.headers.value("content-length"));
        break;
    case ClientBodyFraming::UntilClose:
        break;
    }
    if (!keepAlive)
        appendHeader(out, "Connection", "close");
    else if (clientVersionMinor == 0)
        appendHeader(out, "Connection", "keep-alive");
    out.append("\r\n");
}

void interimResponseHead(QByteArray &out, const ResponseHead &head)
{
    out.append("HTTP/1.1 ").append(QByteArray::number(head.status)).append(' ');
    out.append(head.reason.isEmpty() ? reasonPhrase(head.status) : QByteArrayView(head.reason))
        .append("\r\n");
    appendEndToEndHeaders(out, head.headers, &isRewrittenInResponse);
    out.append("\r\n");
}

void switchingProtocolsHead(QByteArray &out, const ResponseHead &head, QByteArrayView requestId)
{
    out.append("HTTP/1.1 101 ");
    out.append(head.reason.isEmpty() ? reasonPhrase(101) : QByteArrayView(head.reason)).append("\r\n");
    appendEndToEndHeaders(out, head.headers, &isRewrittenInResponse);
    appendHeader(out, "X-Request-ID", requestId);
    appendHeader(out, "Connection", "upgrade");
    if (const QByteArray protocol = head.headers.value("upgrade"); !protocol.isEmpty())
        appendHeader(out, "Upgrade", protocol);
    out.append("\r\n");
}

void errorResponse(QByteArray &out, int status, QByteArrayView reason, QByteArrayView requestId,
                   bool keepAlive, bool withBody, int retryAfterSeconds)
{
    const QByteArrayView phrase = reasonPhrase(status);
    QByteArray body = QByteArray::number(status);
    body.append(' ').append(phrase).append(": ").append(reason).append('\n');
    out.append("HTTP/1.1 ").append(QByteArray::number(status)).append(' ').append(phrase).append("\r\n");
    appendHeader(out, "Content-Type", "text/plain; charset=utf-8");
    appendNumber(out, "Content-Length", static_cast<quint64>(body.size()));
    if (!requestId.isEmpty())
        appendHeader(out, "X-Request-ID", requestId);
    if (retryAfterSeconds > 0)
        appendNumber(out, "Retry-After", static_cast<quint64>(retryAfterSeconds));
    appendHeader(out, "Connection", keepAlive ? "keep-alive" : "close");
    out.append("\r\n");
    if (withBody)
        out.append(body);
}

void chunk(QByteArray &out, const char *data, qsizetype length)
{
    if (length == 0)
        return;
    out.append(QByteArray::number(length, 16)).append("\r\n").append(data, length).append("\r\n");
}

void lastChunk(QByteArray &out)
{
    out.append("0\r\n\r\n");
}

} // namespace fulcrum::writer
