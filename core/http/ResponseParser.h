// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "MessageParser.h"

namespace fulcrum {

class ResponseParserHandler
{
public:
    virtual ~ResponseParserHandler() = default;
    // Called for interim (1xx) heads too; the handler may move from the head.
    virtual void onResponseHead(ResponseHead &head) = 0;
    virtual void onResponseBody(const char *data, qsizetype length) = 0;
    // A final response ended (interim responses end silently).
    virtual void onResponseComplete() = 0;
};

// Parses a backend's responses; any violation is the backend's fault, so every failure is a 502.
class ResponseParser final : public MessageParser
{
public:
    explicit ResponseParser(ResponseParserHandler &handler);

    // The response answers a HEAD request: it has no body whatever its headers say.
    void setExpectNoBody(bool noBody) { m_expectNoBody = noBody; }
    // The request asked to switch protocols: a 101 is its final response, and the parser stops right
    // after its head, since what follows is no longer HTTP. Any other 101 is the backend's error.
    void setUpgradeRequested(bool requested) { m_upgradeRequested = requested; }

private:
    int onHeadersComplete(llhttp_t *parser, HttpHeaders &&headers) override;
    void onBody(const char *data, qsizetype length) override;
    bool onMessageComplete() override;
    void onStartLinePart(int part, const char *data, qsizetype length) override;
    ParseFailure failureFor(llhttp_errno_t error) const override;

    ResponseParserHandler &m_handler;
    ResponseHead m_head;
    bool m_expectNoBody = false;
    bool m_upgradeRequested = false;
    bool m_interim = false;
};

} // namespace fulcrum
