// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "MessageParser.h"

namespace fulcrum {

class RequestParserHandler
{
public:
    virtual ~RequestParserHandler() = default;
    // Asked once the head is parsed, before the body size is checked: the handler may decide where the
    // request goes now and give that destination's limit (0: none) instead of the configured one.
    virtual qint64 bodyLimitFor(const RequestHead &, qint64 configured) { return configured; }
    // The head passed every check; the handler may move from it.
    virtual void onRequestHead(RequestHead &head) = 0;
    virtual void onRequestBody(const char *data, qsizetype length) = 0;
    virtual void onRequestComplete() = 0;
};

// Parses requests from a client and applies the rules a proxy needs beyond the grammar: one Host,
// no ambiguous framing, supported versions and codings, size limits (RFC 9112 §3, §6, §7).
class RequestParser final : public MessageParser
{
public:
    RequestParser(const ParserLimits &limits, RequestParserHandler &handler);

private:
    int onHeadersComplete(llhttp_t *parser, HttpHeaders &&headers) override;
    void onBody(const char *data, qsizetype length) override;
    bool onMessageComplete() override;
    void onStartLinePart(int part, const char *data, qsizetype length) override;
    ParseFailure failureFor(llhttp_errno_t error) const override;

    int normalizeAbsoluteForm();

    RequestParserHandler &m_handler;
    RequestHead m_head;
};

} // namespace fulcrum
