// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "HttpMessage.h"
#include "ParseFailure.h"

#include <llhttp.h>

namespace fulcrum {

// The llhttp wrapper shared by the request and response parsers: collects the head, enforces size
// limits, pauses after every complete message so that pipelined messages are handled one at a time,
// and turns llhttp's error codes into a status and a reason.
class MessageParser
{
public:
    enum class Progress
    {
        NeedMore,        // every byte consumed, message not complete yet
        MessageComplete, // a message ended; bytes after it are left for resume()
        Failed,
    };
    struct FeedResult
    {
        Progress progress;
        qsizetype consumed;
    };

    MessageParser(const MessageParser &) = delete;
    MessageParser &operator=(const MessageParser &) = delete;
    virtual ~MessageParser() = default;

    FeedResult feed(const char *data, qsizetype length);
    // Call after MessageComplete before feeding the next message's bytes.
    void resume();
    // The peer closed its side: completes a close-delimited body, or fails a truncated message.
    Progress finish();

    bool isInHead() const { return m_inMessage && !m_headComplete; }
    bool isBetweenMessages() const { return !m_inMessage; }
    const ParseFailure &failure() const { return m_failure; }

protected:
    MessageParser(llhttp_type_t type, const ParserLimits &limits);

    // Called with the collected headers; return a failure status to reject the message.
    virtual int onHeadersComplete(llhttp_t *parser, HttpHeaders &&headers) = 0;
    virtual void onBody(const char *data, qsizetype length) = 0;
    // Return true to pause after this message (every final message), false to keep parsing.
    virtual bool onMessageComplete() = 0;
    virtual void onStartLinePart(int, const char *, qsizetype) {}
    virtual ParseFailure failureFor(llhttp_errno_t error) const = 0;

    int fail(int status, QByteArray reason);
    BodyFraming framingOf(const llhttp_t *parser) const;
    const ParserLimits &limits() const { return m_limits; }
    // The body limit of the message being parsed (0: none); back to limits().maxBodyBytes at the next.
    void setBodyLimit(qint64 maxBytes) { m_bodyLimit = maxBytes; }
    qint64 bodyLimit() const { return m_bodyLimit; }

    enum StartLinePart
    {
        Method,
        Target,
        Status
    };

private:
    static int onMessageBeginThunk(llhttp_t *p);
    static int onUrlThunk(llhttp_t *p, const char *at, size_t length);
    static int onMethodThunk(llhttp_t *p, const char *at, size_t length);
    static int onStatusThunk(llhttp_t *p, const char *at, size_t length);
    static int onHeaderFieldThunk(llhttp_t *p, const char *at, size_t length);
    static int onHeaderValueThunk(llhttp_t *p, const char *at, size_t length);
    static int onHeaderValueCompleteThunk(llhttp_t *p);
    static int onHeadersCompleteThunk(llhttp_t *p);
    static int onChunkHeaderThunk(llhttp_t *p);
    static int onBodyThunk(llhttp_t *p, const char *at, size_t length);
    static int onMessageCompleteThunk(llhttp_t *p);
    static MessageParser *self(llhttp_t *p) { return static_cast<MessageParser *>(p->data); }

    int countHeadBytes(qsizetype length);
    FeedResult execute(const char *data, qsizetype length);
    // The index of the first LF at or after from that follows another LF (length when there is none).
    qsizetype nextDoubleLineFeed(const char *data, qsizetype from, qsizetype length) const;

    llhttp_t m_parser;
    llhttp_settings_t m_settings;
    ParserLimits m_limits;
    HttpHeaders m_headers;
    ParseFailure m_failure;
    qint64 m_headBytes = 0;
    qint64 m_rawHeadBytes = 0;
    qint64 m_bodyBytes = 0;
    qint64 m_bodyLimit = 0;
    bool m_inMessage = false;
    bool m_headComplete = false;
    bool m_inTrailers = false;
    bool m_inHeaderValue = false;
    bool m_valueReachedFeedEnd = false;
    const char *m_feedBegin = nullptr;
    const char *m_feedEnd = nullptr;
    char m_lastByte = 0; // the last byte llhttp took, which may have come in an earlier read
};

} // namespace fulcrum
